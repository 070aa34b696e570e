from __future__ import annotations

from datetime import date
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from core import links
from core.events import emit
from core.links import check_links
from core.scope import require_in_scope
from core.services import apply_changes, audit
from covenants.choices import AgreementStatus
from covenants.clauses import DEFAULT_CLAUSES, DEFAULT_PREAMBLE, DEFAULT_TITLE
from covenants.models import (
    Agreement,
    AgreementClause,
    AgreementTemplate,
    PartnerUnit,
    TemplateClause,
    UnitPartnership,
)
from covenants.models.agreements import party_a_error
from organizations.choices import OrgKind
from organizations.models import Organization

S = AgreementStatus


def street_of(organization: Organization) -> Organization | None:
    if organization.kind == OrgKind.STREET_COMMITTEE:
        return organization
    return organization.get_ancestors().filter(kind=OrgKind.STREET_COMMITTEE).last()


def template_for_street(street: Organization) -> AgreementTemplate:
    """The street's template, created from seed 004's ten clauses the first time it is needed."""
    with links.system():  # the street follows from party A, already checked
        template, created = AgreementTemplate.objects.get_or_create(
            organization=street, defaults={"title": DEFAULT_TITLE, "preamble": DEFAULT_PREAMBLE}
        )
    if created:
        TemplateClause.objects.bulk_create(
            TemplateClause(template=template, number=i, text=text)
            for i, text in enumerate(DEFAULT_CLAUSES, start=1)
        )
    return template


def _clean_clauses(clauses: list[str]) -> list[str]:
    cleaned = [c.strip() for c in clauses if c and c.strip()]
    if not cleaned:
        raise ValidationError({"clauses": "协议至少要有一条条款。"})
    return cleaned


@transaction.atomic
def template_update(
    *,
    actor,
    template: AgreementTemplate,
    clauses: list[str] | None = None,
    **data: Any,
) -> AgreementTemplate:
    """A street edits its template; agreements already drafted keep their own copy."""
    require_in_scope(actor, template.organization)
    apply_changes(template, data)
    template.full_clean()
    template.save()
    if clauses is not None:
        cleaned = _clean_clauses(clauses)
        template.clauses.all().delete()
        TemplateClause.objects.bulk_create(
            TemplateClause(template=template, number=i, text=t) for i, t in enumerate(cleaned, 1)
        )
    audit(
        actor=actor,
        action="agreement_template.update",
        target=template,
        organization=template.organization,
    )
    return template


def _require_party_a(party_a: Organization) -> None:
    message = party_a_error(party_a)
    if message:
        raise ValidationError({"party_a": message})


@transaction.atomic
def agreement_draft(
    *,
    actor,
    code: str,
    party_a: Organization,
    unit: PartnerUnit,
    starts_on: date,
    ends_on: date,
    clauses: list[str] | None = None,
    **data: Any,
) -> Agreement:
    """Draft an agreement; its clauses are copied from the street's template unless given."""
    agreement = Agreement(
        code=code, party_a=party_a, unit=unit, starts_on=starts_on, ends_on=ends_on, **data
    )
    check_links(actor=actor, instance=agreement)  # party A and unit in reach (core.links)
    _require_party_a(party_a)
    street = street_of(party_a)
    template = template_for_street(street) if street else None
    if template is not None:
        if "title" not in data:
            agreement.title = template.title
        if not agreement.preamble:
            agreement.preamble = template.preamble
        if "party_a_seal_label" not in data:
            agreement.party_a_seal_label = (
                template.party_a_seal_label
                if party_a.kind == OrgKind.STREET_COMMITTEE
                else "社区党组织（盖章）"
            )
        if "party_b_seal_label" not in data:
            agreement.party_b_seal_label = template.party_b_seal_label
    elif not agreement.preamble:
        agreement.preamble = DEFAULT_PREAMBLE
    agreement.status = S.DRAFT
    agreement.full_clean()
    agreement.save()
    if clauses is None:
        texts = (
            list(template.clauses.order_by("number").values_list("text", flat=True))
            if template
            else []
        ) or list(DEFAULT_CLAUSES)
    else:
        texts = _clean_clauses(clauses)
    AgreementClause.objects.bulk_create(
        AgreementClause(agreement=agreement, number=i, text=t) for i, t in enumerate(texts, 1)
    )
    audit(actor=actor, action="agreement.draft", target=agreement, organization=party_a)
    return agreement


def _locked(agreement: Agreement) -> Agreement:
    return (
        Agreement.objects.select_for_update().select_related("party_a", "unit").get(pk=agreement.pk)
    )


def _sync(original: Agreement, saved: Agreement) -> None:
    """Let the caller's instance show the new state without another query."""
    if original is not saved:
        for f in Agreement._meta.concrete_fields:
            setattr(original, f.attname, getattr(saved, f.attname))


@transaction.atomic
def agreement_update(
    *, actor, agreement: Agreement, clauses: list[str] | None = None, **data: Any
) -> Agreement:
    """Only a draft can change; a signed agreement is changed by terminating and re-signing."""
    stored = _locked(agreement)
    require_in_scope(actor, stored.party_a, f"甲方“{stored.party_a}”不在您的管辖范围内。")
    if stored.status != S.DRAFT:
        raise ValidationError(
            f"协议“{stored.code}”已{stored.get_status_display()}，不能修改；如需变更请终止后重新签订。"
        )
    data.pop("status", None)
    apply_changes(agreement, data)
    check_links(actor=actor, instance=agreement, stored=stored)
    if "party_a" in data:
        _require_party_a(agreement.party_a)
    agreement.full_clean()
    agreement.save()
    if clauses is not None:
        cleaned = _clean_clauses(clauses)
        agreement.clauses.all().delete()
        AgreementClause.objects.bulk_create(
            AgreementClause(agreement=agreement, number=i, text=t) for i, t in enumerate(cleaned, 1)
        )
    audit(
        actor=actor,
        action="agreement.update",
        target=agreement,
        organization=agreement.party_a,
        detail={"fields": sorted(data) + (["clauses"] if clauses is not None else [])},
    )
    return agreement


@transaction.atomic
def agreement_delete(*, actor, agreement: Agreement) -> None:
    stored = _locked(agreement)
    require_in_scope(actor, stored.party_a)
    if stored.status != S.DRAFT:
        raise ValidationError("只有草稿状态的协议可以删除；已签订的协议请办理终止。")
    audit(actor=actor, action="agreement.delete", target=stored, organization=stored.party_a)
    stored.delete()


def overlapping_agreements(agreement: Agreement):
    """Other signed (or since expired / terminated) agreements of the same pair whose effective
    term overlaps this one's."""
    ends = agreement.ends_on
    starts = agreement.starts_on
    live = Q(status__in=[S.SIGNED, S.EXPIRED], starts_on__lte=ends, ends_on__gte=starts)
    cut = Q(
        status=S.TERMINATED,
        starts_on__lte=ends,
        ends_on__gte=starts,
        terminated_on__gte=starts,
    )
    return (
        Agreement.objects.filter(party_a_id=agreement.party_a_id, unit_id=agreement.unit_id)
        .exclude(pk=agreement.pk)
        .filter(live | cut)
    )


@transaction.atomic
def agreement_sign(
    *,
    actor,
    agreement: Agreement,
    signed_on: date | None = None,
    party_a_signatory: str | None = None,
    party_b_signatory: str | None = None,
) -> Agreement:
    # Lock the unit row so two signings for the same pair are checked one after the other.
    PartnerUnit.objects.select_for_update().filter(pk=agreement.unit_id).first()
    original, agreement = agreement, _locked(agreement)
    require_in_scope(actor, agreement.party_a, f"甲方“{agreement.party_a}”不在您的管辖范围内。")
    if agreement.status != S.DRAFT:
        raise ValidationError(
            f"协议“{agreement.code}”已{agreement.get_status_display()}，不能再次签订。"
        )
    if not agreement.clauses.exists():
        raise ValidationError("协议没有条款，不能签订。")
    clash = overlapping_agreements(agreement).first()
    if clash is not None:
        raise ValidationError(
            f"{agreement.party_a}与{agreement.unit}已有期限重叠的共建协议“{clash.code}”"
            f"（{clash.starts_on} 至 {clash.ends_on}，{clash.get_status_display()}），不能重复签订。"
        )
    if party_a_signatory is not None:
        agreement.party_a_signatory = party_a_signatory
    if party_b_signatory is not None:
        agreement.party_b_signatory = party_b_signatory
    errors = {}
    if not agreement.party_a_signatory.strip():
        errors["party_a_signatory"] = "签订时须填写甲方负责人。"
    if not agreement.party_b_signatory.strip():
        errors["party_b_signatory"] = "签订时须填写乙方负责人。"
    if errors:
        raise ValidationError(errors)
    agreement.signed_on = signed_on or timezone.localdate()
    agreement.status = S.SIGNED
    agreement.signed_by = actor if getattr(actor, "pk", None) else None
    agreement.full_clean()
    agreement.save()
    with links.system():  # the agreement's own links, checked when it was drafted
        UnitPartnership.objects.get_or_create(
            unit=agreement.unit,
            organization=agreement.party_a,
            defaults={"since": agreement.starts_on},
        )
    audit(
        actor=actor,
        action="agreement.sign",
        target=agreement,
        organization=agreement.party_a,
        detail={"signed_on": agreement.signed_on.isoformat()},
    )
    emit("agreement.sign", instance=agreement)
    _sync(original, agreement)
    return agreement


@transaction.atomic
def agreement_terminate(
    *, actor, agreement: Agreement, reason: str, terminated_on: date | None = None
) -> Agreement:
    original, agreement = agreement, _locked(agreement)
    require_in_scope(actor, agreement.party_a, f"甲方“{agreement.party_a}”不在您的管辖范围内。")
    if agreement.status != S.SIGNED:
        raise ValidationError(
            f"只有已签订的协议可以终止，协议“{agreement.code}”当前为{agreement.get_status_display()}。"
        )
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"termination_reason": "终止协议必须填写终止原因。"})
    terminated_on = terminated_on or timezone.localdate()
    if terminated_on < agreement.starts_on:
        raise ValidationError(
            {"terminated_on": f"终止日期不能早于协议期限起（{agreement.starts_on}）。"}
        )
    agreement.status = S.TERMINATED
    agreement.termination_reason = reason
    agreement.terminated_on = min(terminated_on, agreement.ends_on)
    agreement.full_clean()
    agreement.save()
    audit(
        actor=actor,
        action="agreement.terminate",
        target=agreement,
        organization=agreement.party_a,
        detail={"reason": reason, "terminated_on": agreement.terminated_on.isoformat()},
    )
    emit("agreement.terminate", instance=agreement)
    _sync(original, agreement)
    return agreement


@transaction.atomic
def agreements_expire(*, actor=None, today: date | None = None) -> int:
    """Mark signed agreements whose term has ended as expired (daily; idempotent)."""
    today = today or timezone.localdate()
    due = list(
        Agreement.objects.select_for_update()
        .select_related("party_a")
        .filter(status=S.SIGNED, ends_on__lt=today)
    )
    for agreement in due:
        agreement.status = S.EXPIRED
        agreement.save(update_fields=["status", "updated_at"])
        audit(
            actor=actor,
            action="agreement.expire",
            target=agreement,
            organization=agreement.party_a,
            detail={"ends_on": agreement.ends_on.isoformat()},
        )
        emit("agreement.expire", instance=agreement)
    return len(due)
