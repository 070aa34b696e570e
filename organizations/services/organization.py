"""Writes to the organisation tree. Tree writes are serialised (NetBox's MPTTLockedMixin)."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, transaction

from core.links import check_links
from core.scope import require_in_scope
from core.services import apply_changes, audit
from organizations.models import Organization

TREE_LOCK_ID = 7_100_001


def lock_tree() -> None:
    """Serialise concurrent tree writes: one transaction-scoped advisory lock on PostgreSQL."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [TREE_LOCK_ID])


def _check_parent_scope(actor, org: Organization) -> None:
    """The parent through ``core.links`` (out of reach answers like unknown); only a
    superuser makes a root."""
    if org.parent_id is None:
        if not actor.is_superuser:
            raise PermissionDenied("只有系统管理员可以创建根节点。")
        return
    check_links(actor=actor, instance=org)


@transaction.atomic
def organization_create(*, actor, **data: Any) -> Organization:
    lock_tree()
    org = Organization(**data)
    if org.parent_id:
        org.parent = Organization.objects.get(pk=org.parent_id)
    _check_parent_scope(actor, org)
    org.full_clean()
    org.save()
    audit(actor=actor, action="organization.create", target=org, organization=org)
    return org


@transaction.atomic
def organization_update(*, actor, organization: Organization, **data: Any) -> Organization:
    lock_tree()
    organization.refresh_from_db()
    require_in_scope(actor, organization)
    old_parent_id = organization.parent_id
    apply_changes(organization, data)
    if organization.parent_id != old_parent_id:
        if organization.parent_id:
            organization.parent = Organization.objects.get(pk=organization.parent_id)
        _check_parent_scope(actor, organization)
    organization.full_clean()
    organization.save()
    audit(
        actor=actor,
        action="organization.update",
        target=organization,
        organization=organization,
        detail={"fields": sorted(data)},
    )
    return organization


@transaction.atomic
def organization_delete(*, actor, organization: Organization) -> None:
    lock_tree()
    organization.refresh_from_db()
    require_in_scope(actor, organization)
    if organization.get_descendant_count():
        raise ValidationError("该组织还有下级组织，不能删除；请先删除或移走下级组织。")
    audit(actor=actor, action="organization.delete", target=organization, organization=None)
    organization.delete()
