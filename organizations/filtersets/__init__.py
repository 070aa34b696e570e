"""The API's filter sets for the organizations app."""

from organizations.filtersets.members import (
    AppraisalFilterSet,
    BodyFilterSet,
    CadreFilterSet,
    ClaimFilterSet,
    MemberActivityFilterSet,
    MemberFilterSet,
    PostFilterSet,
    RegistrationFilterSet,
    SeatFilterSet,
    SubtreeFilterMixin,
)
from organizations.filtersets.organization import (
    OrganizationFilterSet,
)

__all__ = [
    "AppraisalFilterSet",
    "BodyFilterSet",
    "CadreFilterSet",
    "ClaimFilterSet",
    "MemberActivityFilterSet",
    "MemberFilterSet",
    "OrganizationFilterSet",
    "PostFilterSet",
    "RegistrationFilterSet",
    "SeatFilterSet",
    "SubtreeFilterMixin",
]
from organizations.filtersets.officers import OfficerFilterSet

__all__ += ["OfficerFilterSet"]
