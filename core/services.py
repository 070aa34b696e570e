"""Shared write helpers: every save goes through full_clean, a scope check and the audit log."""

from __future__ import annotations

from typing import Any

from django.db import models, transaction

from core.clientip import current_client_ip
from core.models import AuditLog
from core.scope import require_in_scope, scope_anchor


def audit(
    *,
    actor,
    action: str,
    target: models.Model | None = None,
    target_type: str = "",
    target_repr: str = "",
    organization=None,
    detail: dict[str, Any] | None = None,
) -> AuditLog:
    """Record one workflow step or sensitive action, in the caller's transaction."""
    return AuditLog.objects.create(
        actor=actor if getattr(actor, "pk", None) else None,
        action=action,
        target_type=target._meta.label_lower if target is not None else target_type,
        target_id=str(target.pk) if target is not None else "",
        target_repr=(str(target) if target is not None else target_repr)[:200],
        organization=organization,
        detail=detail or {},
        ip_address=current_client_ip() or None,
    )


def apply_changes(instance: models.Model, data: dict[str, Any]) -> None:
    for name, value in data.items():
        setattr(instance, name, value)


@transaction.atomic
def scoped_save(*, actor, instance: models.Model) -> models.Model:
    """Save a plain record: the stored version (if any) and the new one must both lie in the
    actor's scope, and the row must pass full_clean."""
    if instance.pk is not None:
        stored = type(instance)._default_manager.filter(pk=instance.pk).first()
        if stored is not None:
            require_in_scope(actor, scope_anchor(stored))
    instance.full_clean()
    require_in_scope(actor, scope_anchor(instance))
    instance.save()
    return instance


def scoped_create(*, actor, model: type[models.Model], data: dict[str, Any]) -> models.Model:
    return scoped_save(actor=actor, instance=model(**data))


def scoped_update(*, actor, instance: models.Model, data: dict[str, Any]) -> models.Model:
    apply_changes(instance, data)
    return scoped_save(actor=actor, instance=instance)


@transaction.atomic
def scoped_delete(*, actor, instance: models.Model) -> None:
    require_in_scope(actor, scope_anchor(instance))
    instance.delete()
