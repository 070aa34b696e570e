"""Writes to the grid tree, grid workers and the roster (buildings, households, residents)."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db import connection, models, transaction

from core.events import emit
from core.links import check_links
from core.scope import require_in_scope, scope_anchor
from core.services import apply_changes, audit, scoped_delete, scoped_save
from grids.models import Grid, Household, Resident

GRID_TREE_LOCK_ID = 7_100_004


def lock_grid_tree() -> None:
    """Serialise writes to the grid tree (MPTT renumbers siblings) on PostgreSQL."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [GRID_TREE_LOCK_ID])


@transaction.atomic
def grid_create(*, actor, **data: Any) -> Grid:
    lock_grid_tree()
    grid = Grid(**data)
    if grid.parent_id and not grid.community_id:
        grid.community_id = grid.parent.community_id
    check_links(actor=actor, instance=grid)  # parent and community in reach (core.links)
    grid.full_clean()
    grid.save()
    audit(actor=actor, action="grid.create", target=grid, organization=grid.community)
    return grid


@transaction.atomic
def grid_update(*, actor, grid: Grid, **data: Any) -> Grid:
    lock_grid_tree()
    grid.refresh_from_db()
    require_in_scope(actor, grid.community)
    apply_changes(grid, data)
    check_links(actor=actor, instance=grid)
    grid.full_clean()
    if grid.children.exclude(community_id=grid.community_id).exists():
        raise ValidationError({"community": "下级网格属于原社区，不能只改本节点的所属社区。"})
    grid.save()
    audit(
        actor=actor,
        action="grid.update",
        target=grid,
        organization=grid.community,
        detail={"fields": sorted(data)},
    )
    return grid


@transaction.atomic
def grid_delete(*, actor, grid: Grid) -> None:
    lock_grid_tree()
    grid.refresh_from_db()
    require_in_scope(actor, grid.community)
    if grid.get_descendant_count():
        raise ValidationError("该网格还有下级网格，不能删除。")
    audit(actor=actor, action="grid.delete", target=grid, organization=grid.community)
    grid.delete()


def _with_history_user(instance: models.Model, actor) -> models.Model:
    # django-simple-history takes the user from the request; services may run without one.
    if getattr(actor, "pk", None):
        instance._history_user = actor
    return instance


@transaction.atomic
def roster_save(*, actor, instance: models.Model) -> models.Model:
    """Create or change a building, household, resident or grid worker: scope, full_clean,
    history user, and an audit row naming the changed record."""
    if isinstance(instance, Resident):
        instance.fill_from_id_number()
    if isinstance(instance, Household | Resident):
        _with_history_user(instance, actor)
    adding = instance._state.adding
    scoped_save(actor=actor, instance=instance)
    audit(
        actor=actor,
        action=f"{instance._meta.model_name}.{'create' if adding else 'update'}",
        target=instance,
        organization=scope_anchor(instance),
    )
    emit(f"{instance._meta.model_name}.{'create' if adding else 'update'}", instance=instance)
    return instance


def roster_create(*, actor, model: type[models.Model], data: dict[str, Any]) -> models.Model:
    return roster_save(actor=actor, instance=model(**data))


def roster_update(*, actor, instance: models.Model, data: dict[str, Any]) -> models.Model:
    apply_changes(instance, data)
    return roster_save(actor=actor, instance=instance)


@transaction.atomic
def roster_delete(*, actor, instance: models.Model) -> None:
    require_in_scope(actor, scope_anchor(instance))
    if isinstance(instance, Household | Resident):
        _with_history_user(instance, actor)
    audit(
        actor=actor,
        action=f"{instance._meta.model_name}.delete",
        target=instance,
        organization=scope_anchor(instance),
    )
    emit(f"{instance._meta.model_name}.delete", instance=instance)
    scoped_delete(actor=actor, instance=instance)
