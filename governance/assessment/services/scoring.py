"""上考下评: indicator sets are checked before use; scores come from the level above."""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction

from core.links import check_links, derived
from core.scope import scope_ranges
from core.services import audit
from governance.assessment.choices import IndicatorSource, SetStatus
from governance.assessment.models import (
    Assessment,
    Indicator,
    IndicatorSet,
    SatisfactionTally,
    Score,
)
from organizations.choices import OrgKind


def weight_errors(
    indicator_set: IndicatorSet, indicators: list[Indicator] | None = None
) -> list[str]:
    """Why the weights do not add up: aspects to the set's total, items to their aspect."""
    if indicators is None:
        indicators = list(indicator_set.indicators.all())
    aspects = [i for i in indicators if i.parent_id is None and i.parent is None]
    errors: list[str] = []
    if not aspects:
        return ["指标体系中还没有方面。"]
    total = sum((a.weight for a in aspects), Decimal(0))
    if total != indicator_set.weight_total:
        errors.append(f"各方面权重之和为 {total}，应等于 {indicator_set.weight_total}。")
    by_aspect: dict[str, list[Indicator]] = defaultdict(list)
    for item in indicators:
        if item.parent is not None:
            by_aspect[item.parent.code].append(item)
    for aspect in aspects:
        items = by_aspect.get(aspect.code, [])
        if not items:
            errors.append(f"方面“{aspect.code} {aspect.name}”下没有条目。")
            continue
        subtotal = sum((i.weight for i in items), Decimal(0))
        if subtotal != aspect.weight:
            errors.append(
                f"方面“{aspect.code} {aspect.name}”下各条目权重之和为 {subtotal}，"
                f"应等于该方面权重 {aspect.weight}。"
            )
    return errors


def can_manage_indicator_sets(user) -> bool:
    """Indicator sets are district/street templates: only users whose scope holds a street
    (or above), and superusers, change them; communities use them."""
    from organizations.selectors import scope_roots

    if scope_ranges(user) is None:
        return True
    # Asked by several admin pages per request (the sidebar): keep the answer on the user,
    # like the scope itself.
    cached = getattr(user, "_can_manage_indicator_sets", None)
    if cached is None:
        cached = (
            scope_roots(user)
            .filter(kind__in=[OrgKind.STREET_COMMITTEE, OrgKind.DISTRICT_COMMITTEE])
            .exists()
        )
        user._can_manage_indicator_sets = cached
    return cached


def require_indicator_manager(user) -> None:
    if not can_manage_indicator_sets(user):
        raise PermissionDenied("考核指标体系由街道或区级制定，社区不能修改。")


@transaction.atomic
def indicator_set_save(*, actor, indicator_set: IndicatorSet) -> IndicatorSet:
    """Create or change a set's own fields (not its status); active sets are frozen."""
    require_indicator_manager(actor)
    if indicator_set.pk:
        stored = IndicatorSet.objects.select_for_update().get(pk=indicator_set.pk)
        if stored.status != SetStatus.DRAFT:
            raise ValidationError("指标体系已启用，不能修改。")
        indicator_set.status = stored.status
    indicator_set.full_clean()
    indicator_set.save()
    return indicator_set


@transaction.atomic
def indicator_set_delete(*, actor, indicator_set: IndicatorSet) -> None:
    require_indicator_manager(actor)
    indicator_set.delete()


@transaction.atomic
def indicator_set_activate(*, actor, indicator_set: IndicatorSet) -> IndicatorSet:
    require_indicator_manager(actor)
    indicator_set = IndicatorSet.objects.select_for_update().get(pk=indicator_set.pk)
    errors = weight_errors(indicator_set, list(indicator_set.indicators.select_related("parent")))
    if errors:
        raise ValidationError(errors)
    indicator_set.status = SetStatus.ACTIVE
    indicator_set.full_clean()
    indicator_set.save()
    audit(actor=actor, action="assessment.indicator_set_activate", target=indicator_set)
    return indicator_set


@transaction.atomic
def assessment_create(*, actor, **data) -> Assessment:
    assessment = Assessment(**data)
    check_links(actor=actor, instance=assessment)  # the organizer in reach (core.links)
    assessment.full_clean()
    if assessment.indicator_set.status != SetStatus.ACTIVE:
        raise ValidationError({"indicator_set": "指标体系尚未启用（请先校验权重并启用）。"})
    assessment.save()
    audit(
        actor=actor,
        action="assessment.create",
        target=assessment,
        organization=assessment.organizer,
    )
    return assessment


def can_score(actor, organization) -> bool:
    """上考: the scorer's scope must contain the organisation and start strictly above it."""
    ranges = scope_ranges(actor)
    if ranges is None:
        return True
    return any(
        organization.tree_id == tree_id and lft < organization.lft <= rght
        for tree_id, lft, rght in ranges
    )


def score_errors(
    *, actor, assessment: Assessment, organization, indicator, value
) -> list[tuple[str, str]]:
    """(field, message) for every reason this score may not be entered; empty if it may.

    Shared by the form/API service and the file import, so both refuse the same things.
    """
    errors: list[tuple[str, str]] = []
    organizer = assessment.organizer
    if not (
        organization.tree_id == organizer.tree_id
        and organizer.lft < organization.lft <= organizer.rght
    ):
        errors.append(("organization", f"“{organization}”不在本次考核（{organizer}）的范围内。"))
    if organization.kind not in assessment.indicator_set.assessed_kinds:
        errors.append(
            (
                "organization",
                f"“{organization}”是{OrgKind(organization.kind).label}，本次考核只考核"
                f"{assessment.indicator_set.assessed_kind_labels}。",
            )
        )
    if not can_score(actor, organization):
        errors.append(
            ("organization", f"“{organization}”不在您的上考范围内（只能给下级组织评分）。")
        )
    if indicator.indicator_set_id != assessment.indicator_set_id:
        errors.append(("indicator", f"条目“{indicator.code}”不属于本次考核的指标体系。"))
    elif indicator.parent_id is None:
        errors.append(("indicator", f"“{indicator.code}”是方面，只能对条目评分。"))
    elif indicator.source != IndicatorSource.MANUAL:
        errors.append(("indicator", f"条目“{indicator.code}”由系统自动取数，不能人工评分。"))
    if value is None:
        errors.append(("value", "请填写得分。"))
    elif value < 0:
        errors.append(("value", "得分不能为负数。"))
    elif indicator.max_score is not None and value > indicator.max_score:
        errors.append(("value", f"得分 {value} 超过该条目满分 {indicator.max_score}。"))
    return errors


def _raise(errors: list[tuple[str, str]]) -> None:
    merged: dict[str, list[str]] = defaultdict(list)
    for field, message in errors:
        merged[field].append(message)
    if any(field == "organization" and "上考范围" in m for field, m in errors):
        raise PermissionDenied(" ".join(m for _, m in errors))
    raise ValidationError(dict(merged))


@transaction.atomic
def score_enter(
    *,
    actor,
    assessment: Assessment,
    organization,
    indicator: Indicator,
    value: Decimal,
    evidence: str = "",
    evidence_file=None,
) -> Score:
    """Enter (or correct) one item's score for one organisation."""
    organization.refresh_from_db(fields=["tree_id", "lft", "rght", "kind"])
    errors = score_errors(
        actor=actor,
        assessment=assessment,
        organization=organization,
        indicator=indicator,
        value=value,
    )
    if errors:
        _raise(errors)
    score = (
        Score.objects.select_for_update()
        .filter(assessment=assessment, organization=organization, indicator=indicator)
        .first()
    ) or Score(assessment=assessment, organization=organization, indicator=indicator)
    previous = score.value if score.pk else None
    score.value = value
    score.source = IndicatorSource.MANUAL
    score.evidence = evidence
    if evidence_file is not None:
        score.evidence_file = evidence_file
    score.scored_by = actor
    # ``score_errors`` said who may score whom; the links themselves as declared (core.links).
    check_links(actor=actor, instance=score)
    score.full_clean()
    score.save()
    audit(
        actor=actor,
        action="assessment.score",
        target=score,
        organization=organization,
        detail={
            "assessment": assessment.code,
            "indicator": indicator.code,
            "value": str(value),
            "previous": None if previous is None else str(previous),
        },
    )
    return score


@transaction.atomic
def tally_record(
    *,
    actor,
    assessment: Assessment,
    organization,
    voter_kind: str,
    satisfied: int,
    basically_satisfied: int,
    dissatisfied: int,
    held_on=None,
    note: str = "",
) -> SatisfactionTally:
    """下评: record (or correct) the counted ballots of members or residents on an organisation."""
    # The assessment and the organisation in reach (core.links), before its kind is looked at.
    check_links(
        actor=actor,
        instance=SatisfactionTally(assessment=assessment, organization=organization),
    )
    if organization.kind not in assessment.indicator_set.assessed_kinds:
        raise ValidationError(
            {"organization": f"本次考核不评议{OrgKind(organization.kind).label}。"}
        )
    tally = (
        SatisfactionTally.objects.select_for_update()
        .filter(assessment=assessment, organization=organization, voter_kind=voter_kind)
        .first()
    ) or SatisfactionTally(assessment=assessment, organization=organization, voter_kind=voter_kind)
    tally.satisfied = satisfied
    tally.basically_satisfied = basically_satisfied
    tally.dissatisfied = dissatisfied
    tally.held_on = held_on
    tally.note = note
    tally.recorded_by = actor
    derived(tally, "assessment", "organization")  # checked above
    tally.full_clean()
    tally.save()
    audit(
        actor=actor,
        action="assessment.tally",
        target=tally,
        organization=organization,
        detail={
            "assessment": assessment.code,
            "voter_kind": voter_kind,
            "ballots": [satisfied, basically_satisfied, dissatisfied],
        },
    )
    return tally
