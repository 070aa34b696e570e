from organizations.models.organization import (
    Organization,
    OrganizationQuerySet,
    ScopeAssignment,
    parent_kind_error,
)

__all__ = ["Organization", "OrganizationQuerySet", "ScopeAssignment", "parent_kind_error"]
