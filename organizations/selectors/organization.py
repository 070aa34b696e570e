from __future__ import annotations

from django.db.models import QuerySet

from core.scope import scope_ranges
from organizations.models import Organization


def organizations_visible_to(user) -> QuerySet[Organization]:
    return Organization.objects.visible_to(user).select_related("parent")


def organization_subtree(root: Organization, *, include_self: bool = True) -> QuerySet:
    return root.get_descendants(include_self=include_self)


def scope_roots(user) -> QuerySet[Organization]:
    """The top nodes of the user's scope (all roots for an unrestricted user)."""
    ranges = scope_ranges(user)
    if ranges is None:
        return Organization.objects.root_nodes()
    if not ranges:
        return Organization.objects.none()
    from django.db.models import Q

    q = Q(pk__in=[])
    for tree_id, lft, _ in ranges:
        q |= Q(tree_id=tree_id, lft=lft)
    return Organization.objects.filter(q)


def communities_visible_to(user) -> QuerySet[Organization]:
    from organizations.choices import OrgKind

    return Organization.objects.visible_to(user).filter(kind=OrgKind.COMMUNITY_COMMITTEE)
