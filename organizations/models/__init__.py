from organizations.models.member import Member, member_errors
from organizations.models.needles import Body, FinancialDisclosure, SixHaves
from organizations.models.officers import Officer, current_q
from organizations.models.organization import (
    Organization,
    OrganizationQuerySet,
    ScopeAssignment,
    parent_kind_error,
)
from organizations.models.registration import (
    Appraisal,
    CommunityRegistration,
    MemberActivity,
    Post,
    PostClaim,
)
from organizations.models.standing import (
    CommitteeSeat,
    DutyShift,
    SentDownCadre,
    StandingAppointment,
)

__all__ = [
    "Appraisal",
    "Body",
    "CommitteeSeat",
    "CommunityRegistration",
    "DutyShift",
    "FinancialDisclosure",
    "Member",
    "MemberActivity",
    "Officer",
    "Organization",
    "OrganizationQuerySet",
    "Post",
    "PostClaim",
    "ScopeAssignment",
    "SentDownCadre",
    "SixHaves",
    "StandingAppointment",
    "current_q",
    "member_errors",
    "parent_kind_error",
]
