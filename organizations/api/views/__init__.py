"""The API's viewsets for the organizations app."""

from organizations.api.views.members import (
    AppraisalViewSet,
    BodyViewSet,
    CommitteeSeatViewSet,
    FinancialDisclosureViewSet,
    MemberActivityViewSet,
    MemberViewSet,
    PostClaimViewSet,
    PostViewSet,
    RegistrationViewSet,
    SentDownCadreViewSet,
    SixHavesViewSet,
    StandingAppointmentViewSet,
)
from organizations.api.views.organization import (
    OrganizationViewSet,
)

__all__ = [
    "AppraisalViewSet",
    "BodyViewSet",
    "CommitteeSeatViewSet",
    "FinancialDisclosureViewSet",
    "MemberActivityViewSet",
    "MemberViewSet",
    "OrganizationViewSet",
    "PostClaimViewSet",
    "PostViewSet",
    "RegistrationViewSet",
    "SentDownCadreViewSet",
    "SixHavesViewSet",
    "StandingAppointmentViewSet",
]
from organizations.api.views.officers import OfficerViewSet

__all__ += ["OfficerViewSet"]
