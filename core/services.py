"""Shared write helpers: every save goes through full_clean, a scope check and the audit log."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db import models, transaction

from core.clientip import current_client_ip
from core.links import NOT_FOUND, check_links
from core.models import AuditLog
from core.scope import in_scope, require_in_scope, scope_anchor


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
    actor's scope, every changed link must point where the actor may link
    (``core.links``, declared per field in the model's ``link_scopes``), and the row must
    pass full_clean."""
    stored = None
    if instance.pk is not None:
        stored = type(instance)._default_manager.filter(pk=instance.pk).first()
        if stored is not None:
            require_in_scope(actor, scope_anchor(stored))
    check_links(actor=actor, instance=instance, stored=stored)
    instance.full_clean()
    _require_anchor_in_scope(actor, instance, stored)
    instance.save()
    return instance


def _require_anchor_in_scope(actor, instance: models.Model, stored) -> None:
    """The new version must lie in the actor's scope. When a link that reaches wider than the
    record's scope (``STREET``: a member anywhere in the street) is what puts it outside, the
    answer is the one for an unknown target on that link: no oracle."""
    anchor = scope_anchor(instance)
    if anchor is not None and in_scope(actor, anchor):
        return
    head = (getattr(type(instance), "scope_path", "") or "").split("__")[0]
    links = getattr(type(instance), "link_scopes", None) or {}
    if head in links:
        field = type(instance)._meta.get_field(head)
        value = getattr(instance, field.attname)
        if value is not None and (stored is None or getattr(stored, field.attname) != value):
            raise ValidationError({head: [NOT_FOUND]})
    require_in_scope(actor, anchor)


def scoped_create(*, actor, model: type[models.Model], data: dict[str, Any]) -> models.Model:
    return scoped_save(actor=actor, instance=model(**data))


def scoped_update(*, actor, instance: models.Model, data: dict[str, Any]) -> models.Model:
    apply_changes(instance, data)
    return scoped_save(actor=actor, instance=instance)


@transaction.atomic
def scoped_delete(*, actor, instance: models.Model) -> None:
    require_in_scope(actor, scope_anchor(instance))
    instance.delete()


@transaction.atomic
def scoped_set_status(
    *, actor, instance: models.Model, status: str, note: str = ""
) -> models.Model:
    """The workflow step for a model whose ``status`` has no richer workflow: a listed choice,
    in the actor's scope, saved alone and audited as ``<model>.status``."""
    from django.core.exceptions import ValidationError

    field = type(instance)._meta.get_field("status")
    if status not in dict(field.choices):
        raise ValidationError({"status": ["不是有效的状态。"]})
    stored = type(instance)._default_manager.select_for_update().get(pk=instance.pk)
    require_in_scope(actor, scope_anchor(stored))
    previous = stored.status
    instance.status = status
    instance.full_clean()
    update_fields = ["status"]
    if any(f.name == "updated_at" for f in type(instance)._meta.concrete_fields):
        update_fields.append("updated_at")
    instance.save(update_fields=update_fields)
    audit(
        actor=actor,
        action=f"{type(instance)._meta.model_name}.status",
        target=instance,
        organization=scope_anchor(instance),
        detail={"from": previous, "to": status, "note": note},
    )
    return instance
