"""The API's serializers for the organizations app."""

from organizations.api.serializers.members import (
    AppraisalSerializer,
    BodySerializer,
    CodedSerializer,
    CommitteeSeatSerializer,
    CommunityFigureSerializer,
    ConcludeSerializer,
    DutyGapSerializer,
    FeedbackSerializer,
    FinancialDisclosureSerializer,
    MemberActivitySerializer,
    MemberCountSerializer,
    MemberSerializer,
    NeedleCoverageSerializer,
    PostClaimSerializer,
    PostSerializer,
    RegistrationSerializer,
    RegistrationStatsSerializer,
    SentDownCadreSerializer,
    SixHavesCoverageSerializer,
    SixHavesSerializer,
    StandingAppointmentSerializer,
    ThreeThirdsSerializer,
    org_link,
    unit_link,
)
from organizations.api.serializers.organization import (
    OrganizationSerializer,
)

__all__ = [
    "AppraisalSerializer",
    "BodySerializer",
    "CodedSerializer",
    "CommitteeSeatSerializer",
    "CommunityFigureSerializer",
    "ConcludeSerializer",
    "DutyGapSerializer",
    "FeedbackSerializer",
    "FinancialDisclosureSerializer",
    "MemberActivitySerializer",
    "MemberCountSerializer",
    "MemberSerializer",
    "NeedleCoverageSerializer",
    "OrganizationSerializer",
    "PostClaimSerializer",
    "PostSerializer",
    "RegistrationSerializer",
    "RegistrationStatsSerializer",
    "SentDownCadreSerializer",
    "SixHavesCoverageSerializer",
    "SixHavesSerializer",
    "StandingAppointmentSerializer",
    "ThreeThirdsSerializer",
    "org_link",
    "unit_link",
]
from organizations.api.serializers.officers import (
    OfficerSerializer,
    VacancySerializer,
)

__all__ += ["OfficerSerializer", "VacancySerializer"]
