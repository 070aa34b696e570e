"""Helpers shared by the volunteers services: who may act, row locks, generated codes."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.db import models

from core.scope import in_scope


def is_own_volunteer(actor, volunteer) -> bool:
    return bool(
        volunteer is not None
        and getattr(actor, "is_authenticated", False)
        and volunteer.user_id is not None
        and volunteer.user_id == actor.pk
    )


def is_team_leader(actor, team) -> bool:
    return bool(team is not None and team.leader_id and is_own_volunteer(actor, team.leader))


def require_staff_or_self(actor, organization, volunteer, message: str) -> None:
    """A cadre whose scope covers ``organization``, or the volunteer themself (portal)."""
    if in_scope(actor, organization) and getattr(actor, "is_staff", False):
        return
    if is_own_volunteer(actor, volunteer):
        return
    raise PermissionDenied(message)


def lock(model: type[models.Model], pk, *related: str):
    """Re-read one row under a row lock (PostgreSQL: SELECT … FOR UPDATE OF the row only)."""
    queryset = model._default_manager.select_for_update(of=("self",))
    if related:
        queryset = queryset.select_related(*related)
    return queryset.get(pk=pk)


def next_code(model: type[models.Model], field: str, prefix: str, width: int = 6) -> str:
    """The next ``prefix`` + zero-padded number; callers hold a lock on the prefix's owner row."""
    last = (
        model._default_manager.filter(**{f"{field}__startswith": prefix})
        .order_by(f"-{field}")
        .values_list(field, flat=True)
        .first()
    )
    number = 0
    if last:
        tail = last[len(prefix) :]
        number = int(tail) if tail.isdigit() else 0
    return f"{prefix}{number + 1:0{width}d}"
