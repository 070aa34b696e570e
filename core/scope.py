"""The one place that decides what a user may see and change.

Every staff user is attached to one or more nodes of the organisation tree (the model named
by ``settings.SCOPE_ASSIGNMENT_MODEL``, ``organizations.ScopeAssignment``) and works within
those subtrees; superusers see all. core names that model through the setting and the app
registry, never by importing it: the organizations app builds on core, not the reverse.
Models declare ``scope_path``: the lookup path from the model to the ``Organization`` that
anchors it ("" for the organisation itself). The admin, the API, exports and dashboards all
start from ``Model.objects.visible_to(user)`` and writes re-check ``require_in_scope``.
"""

from __future__ import annotations

from django.apps import apps
from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import models
from django.db.models import Q

from core import authz

ScopeRange = tuple[int, int, int]  # (tree_id, lft, rght)
_CACHE_ATTR = "_scope_ranges_cache"


def scope_assignment_model() -> type[models.Model]:
    """The model with ``user`` and ``organization`` (a tree node) rows that grant scope."""
    return apps.get_model(settings.SCOPE_ASSIGNMENT_MODEL)


def scope_ranges(user) -> list[ScopeRange] | None:
    """The user's subtrees as (tree_id, lft, rght); ``None`` means unrestricted.

    Computed with one query (shared with the permission set, ``core.authz``) and kept on the
    user object for the rest of the request.
    """
    if user is None or not user.is_authenticated or not user.is_active:
        return []
    if user.is_superuser:
        return None
    cached = getattr(user, _CACHE_ATTR, None)
    if cached is not None:
        return cached
    # One statement for the scope and the permission set (core.authz), kept on the user.
    authz.load(user)
    ranges = getattr(user, _CACHE_ATTR)
    return ranges


def forget_scope(user) -> None:
    """Drop the cached scope, e.g. after changing a user's assignments."""
    for attr in (_CACHE_ATTR, authz.PERM_CACHE):
        if hasattr(user, attr):
            delattr(user, attr)


def scope_q(user, path: str) -> Q | None:
    """A Q selecting rows whose organisation (at ``path``) lies in the user's scope.

    ``None`` means no restriction; an impossible Q is returned for an empty scope.
    """
    ranges = scope_ranges(user)
    if ranges is None:
        return None
    if not ranges:
        return Q(pk__in=[])
    prefix = f"{path}__" if path else ""
    q = Q()
    for tree_id, lft, rght in ranges:
        q |= Q(
            **{
                f"{prefix}tree_id": tree_id,
                f"{prefix}lft__gte": lft,
                f"{prefix}lft__lte": rght,
            }
        )
    return q


def restrict(queryset: models.QuerySet, user, path: str | None = None) -> models.QuerySet:
    if path is None:
        path = queryset.model.scope_path
    q = scope_q(user, path)
    if q is None:
        return queryset
    return queryset.filter(q)


def in_scope(user, organization) -> bool:
    """Whether ``organization`` (an Organization instance or None) lies in the user's scope."""
    ranges = scope_ranges(user)
    if ranges is None:
        return True
    if organization is None:
        return False
    return any(
        organization.tree_id == tree_id and lft <= organization.lft <= rght
        for tree_id, lft, rght in ranges
    )


def require_in_scope(user, organization, message: str | None = None) -> None:
    if not in_scope(user, organization):
        raise PermissionDenied(message or f"“{organization}”不在您的管辖范围内。")


def scope_anchor(instance):
    """The Organization that anchors ``instance`` according to its model's ``scope_path``."""
    path = type(instance).scope_path
    obj = instance
    for part in filter(None, path.split("__")):
        obj = getattr(obj, part, None)
        if obj is None:
            return None
    return obj


class ScopedQuerySet(models.QuerySet):
    """Base queryset for every scoped model (NetBox's RestrictedQuerySet)."""

    def visible_to(self, user):
        return restrict(self, user)
