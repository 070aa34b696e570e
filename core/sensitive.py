"""Sensitive personal data (ID numbers, phones): masked everywhere, revealed one record at a
time with a stated purpose, and every reveal or unmasked export logged.

A model opts in with ``sensitive_fields = {"id_number": "id", "phone": "phone"}`` (field name →
mask kind). Then:
- API: serializers use ``MaskedCharField`` (always masked in responses), and the viewset base
  gives ``POST <detail>/reveal/ {"purpose": "…"}`` for users with ``core.view_sensitive``;
- admin: ``SensitiveAdminMixin`` shows masked values in lists and forms, with a reveal page;
- exports: ``BaseImporter.export_value`` masks these fields unless the export is unmasked,
  which requires ``core.export_sensitive`` and a purpose and is logged.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models, transaction

from core.masking import can_view_sensitive, mask_id_number, mask_name, mask_phone
from core.models import SensitiveAccessLog
from core.scope import require_in_scope, scope_anchor

EXPORT_PERMISSION = "core.export_sensitive"
MASKERS = {"id": mask_id_number, "phone": mask_phone, "name": mask_name}


def mask(kind: str, value) -> str:
    return MASKERS[kind](value)


def sensitive_fields(model_or_instance) -> dict[str, str]:
    return getattr(model_or_instance, "sensitive_fields", {}) or {}


def masked_value(instance: models.Model, field_name: str) -> str:
    kind = sensitive_fields(instance)[field_name]
    return mask(kind, getattr(instance, field_name))


def _clean_purpose(purpose: str) -> str:
    purpose = (purpose or "").strip()
    if len(purpose) < 4:
        raise ValidationError({"purpose": ["请说明查看用途（至少 4 个字）。"]})
    return purpose[:200]


@transaction.atomic
def sensitive_reveal(*, actor, instance: models.Model, purpose: str) -> dict[str, str]:
    """The unmasked sensitive values of one record, for a user allowed to see them; logged."""
    if not can_view_sensitive(actor):
        raise PermissionDenied("您没有查看完整个人信息的权限。")
    anchor = scope_anchor(instance)
    require_in_scope(actor, anchor)
    purpose = _clean_purpose(purpose)
    fields = sensitive_fields(instance)
    SensitiveAccessLog.objects.create(
        actor=actor,
        kind=SensitiveAccessLog.Kind.REVEAL,
        target_type=instance._meta.label_lower,
        target_id=str(instance.pk),
        target_repr=str(instance)[:200],
        fields=",".join(fields),
        purpose=purpose,
        organization=anchor,
    )
    return {name: getattr(instance, name) or "" for name in fields}


def can_export_unmasked(user) -> bool:
    return bool(user and user.is_authenticated and user.has_perm(EXPORT_PERMISSION))


def _actor_anchor(actor):
    """The node an export is filed under: the top of the actor's scope (so the street's
    administrators see their communities' exports); None for an unrestricted user."""
    from core.scope import scope_ranges
    from organizations.models import Organization

    ranges = scope_ranges(actor)
    if not ranges:
        return None
    tree_id, lft, _ = ranges[0]
    return Organization.objects.filter(tree_id=tree_id, lft=lft).first()


def log_unmasked_export(
    *, actor, model: type[models.Model], row_count: int, purpose: str, organization=None
) -> None:
    """Check the right to export unmasked data and log it; call before writing the file."""
    if not can_export_unmasked(actor):
        raise PermissionDenied("您没有导出未脱敏个人信息的权限。")
    if organization is None:
        organization = _actor_anchor(actor)
    SensitiveAccessLog.objects.create(
        actor=actor,
        kind=SensitiveAccessLog.Kind.EXPORT,
        target_type=model._meta.label_lower,
        target_repr=f"{model._meta.verbose_name} {row_count} 条",
        fields=",".join(sensitive_fields(model)),
        row_count=row_count,
        purpose=_clean_purpose(purpose),
        organization=organization,
    )
