from __future__ import annotations

from datetime import date
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction

from core.links import check_links
from core.scope import in_scope, require_in_scope
from core.services import apply_changes, audit
from covenants.models import PartnerUnit, UnitPartnership
from covenants.models.agreements import PARTY_A_KINDS
from organizations.models import Organization


def require_unit_visible(actor, unit: PartnerUnit) -> None:
    if not PartnerUnit.objects.visible_to(actor).filter(pk=unit.pk).exists():
        raise PermissionDenied(f"单位“{unit}”不在您的管辖范围内。")


def _partnership(
    actor, unit: PartnerUnit, organization: Organization, since: date | None = None
) -> tuple[UnitPartnership, bool]:
    """The unit's partnership with ``organization``, created if missing: the organization is
    checked first (``core.links``: out of reach answers like unknown), then its kind."""
    partnership = UnitPartnership(unit=unit, organization=organization, since=since)
    try:
        check_links(actor=actor, instance=partnership)
    except ValidationError as exc:
        raise ValidationError({"partners": exc.message_dict["organization"]}) from None
    if organization.kind not in PARTY_A_KINDS:
        raise ValidationError(
            {"partners": f"共建对象应为街道党工委或社区大党委，“{organization}”不是。"}
        )
    found = UnitPartnership.objects.filter(unit=unit, organization=organization).first()
    if found is not None:
        return found, False
    partnership.save()
    return partnership, True


def _set_partners(actor, unit: PartnerUnit, partners) -> None:
    for organization in partners:
        _partnership(actor, unit, organization)


def _sync_partners(actor, unit: PartnerUnit, partners) -> None:
    """Make the partners the actor can see exactly ``partners`` (others' stay untouched)."""
    wanted = {o.pk for o in partners}
    _set_partners(actor, unit, partners)
    for partnership in unit.partnerships.select_related("organization"):
        if partnership.organization_id not in wanted and in_scope(actor, partnership.organization):
            unit_remove_partner(actor=actor, unit=unit, organization=partnership.organization)


@transaction.atomic
def unit_create(*, actor, partners=(), **data: Any) -> PartnerUnit:
    unit = PartnerUnit(**data)
    check_links(actor=actor, instance=unit)  # the registering organization (core.links)
    unit.full_clean()
    unit.save()
    _set_partners(actor, unit, partners)
    audit(actor=actor, action="unit.create", target=unit, organization=unit.organization)
    return unit


@transaction.atomic
def unit_update(*, actor, unit: PartnerUnit, partners=None, **data: Any) -> PartnerUnit:
    """Only the registering node's scope may change a unit (partners only see it)."""
    stored = PartnerUnit.objects.select_for_update().get(pk=unit.pk)
    require_in_scope(
        actor, stored.organization, f"单位“{stored}”由{stored.organization}登记，您无权修改。"
    )
    apply_changes(unit, data)
    check_links(actor=actor, instance=unit, stored=stored)
    unit.full_clean()
    unit.save()
    if partners is not None:
        _sync_partners(actor, unit, partners)
    audit(
        actor=actor,
        action="unit.update",
        target=unit,
        organization=unit.organization,
        detail={"fields": sorted(data)},
    )
    return unit


@transaction.atomic
def unit_delete(*, actor, unit: PartnerUnit) -> None:
    require_in_scope(actor, unit.organization)
    audit(actor=actor, action="unit.delete", target=unit, organization=unit.organization)
    unit.partnerships.all().delete()
    unit.delete()


@transaction.atomic
def unit_add_partner(
    *, actor, unit: PartnerUnit, organization: Organization, since: date | None = None
) -> UnitPartnership:
    require_in_scope(
        actor, unit.organization, f"单位“{unit}”由{unit.organization}登记，您无权修改。"
    )
    partnership, created = _partnership(actor, unit, organization, since)
    if created:
        audit(
            actor=actor,
            action="unit.add_partner",
            target=unit,
            organization=organization,
            detail={"organization": organization.code},
        )
    return partnership


@transaction.atomic
def unit_remove_partner(*, actor, unit: PartnerUnit, organization: Organization) -> None:
    require_in_scope(actor, organization)
    if unit.agreements.filter(party_a=organization, status="signed").exists():
        raise ValidationError(f"单位“{unit}”与{organization}仍有生效的共建协议，不能解除共建关系。")
    deleted, _ = UnitPartnership.objects.filter(unit=unit, organization=organization).delete()
    if deleted:
        audit(
            actor=actor,
            action="unit.remove_partner",
            target=unit,
            organization=organization,
            detail={"organization": organization.code},
        )
