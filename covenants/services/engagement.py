from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count, Q
from django.db.models.functions import TruncMonth
from django.utils import timezone

from core.links import check_links, derived
from core.services import apply_changes, audit, scoped_save
from covenants.choices import ActivityKind, Grade, NeedStatus
from covenants.models import (
    ActivityRecord,
    LiaisonLog,
    Need,
    PartnerUnit,
    Project,
    Resource,
    UnitAssessment,
    UnitPartnership,
)
from organizations.models import Organization


def _co_builds_with(unit: PartnerUnit, organization: Organization) -> bool:
    if unit.organization_id == organization.pk:
        return True
    return UnitPartnership.objects.filter(unit=unit, organization=organization).exists()


@transaction.atomic
def liaison_log_record(
    *, actor, unit: PartnerUnit, organization: Organization, **data: Any
) -> LiaisonLog:
    log = LiaisonLog(unit=unit, organization=organization, **data)
    check_links(actor=actor, instance=log)  # unit and organization in reach (core.links)
    if not _co_builds_with(unit, organization):
        raise ValidationError({"unit": f"单位“{unit}”与{organization}没有共建关系。"})
    if not log.liaison_name:
        log.liaison_name = unit.liaison_name
    if log.date and log.date > timezone.localdate():
        raise ValidationError({"date": "联系日期不能晚于今天。"})
    log.full_clean()
    log.save()
    return log


@transaction.atomic
def liaison_log_update(*, actor, log: LiaisonLog, **data: Any) -> LiaisonLog:
    apply_changes(log, data)
    if log.date and log.date > timezone.localdate():
        raise ValidationError({"date": "联系日期不能晚于今天。"})
    return scoped_save(actor=actor, instance=log)


def need_create(*, actor, **data: Any) -> Need:
    return scoped_save(actor=actor, instance=Need(**data))


def need_update(*, actor, need: Need, **data: Any) -> Need:
    apply_changes(need, data)
    return scoped_save(actor=actor, instance=need)


@transaction.atomic
def resource_create(*, actor, **data: Any) -> Resource:
    return scoped_save(actor=actor, instance=Resource(**data))  # unit checked there


def resource_update(*, actor, resource: Resource, **data: Any) -> Resource:
    apply_changes(resource, data)
    return scoped_save(actor=actor, instance=resource)


@transaction.atomic
def project_match(*, actor, need: Need, resource: Resource, **data: Any) -> Project:
    """项目清单: meet a need with a resource; the need becomes 已对接."""
    data.setdefault("organization", need.organization)
    project = Project(need=need, resource=resource, **data)
    # The links first (need, resource, organization; core.links): a need or resource out of
    # reach answers like an unknown one, before anything about it is looked at.
    check_links(actor=actor, instance=project)
    if not resource.available:
        raise ValidationError({"resource": f"资源“{resource.title}”已标记为不可用。"})
    if need.status == NeedStatus.CLOSED:
        raise ValidationError({"need": f"需求“{need}”已关闭。"})
    scoped_save(actor=actor, instance=project)
    if need.status == NeedStatus.OPEN:
        need.status = NeedStatus.MATCHED
        need.save(update_fields=["status", "updated_at"])
    audit(
        actor=actor,
        action="project.match",
        target=project,
        organization=project.organization,
        detail={"need": need.code, "resource": resource.code},
    )
    return project


def project_match_update(*, actor, project: Project, **data: Any) -> Project:
    apply_changes(project, data)
    return scoped_save(actor=actor, instance=project)


# ---------------------------------------------------------------- unit assessment

ACTIVITY_TARGET = 12  # one activity a month is full marks
GRADE_BOUNDS = (
    (Decimal(90), Grade.GOOD),
    (Decimal(75), Grade.FAIRLY_GOOD),
    (Decimal(60), Grade.FAIR),
)


def grade_for(score: Decimal) -> str:
    for bound, grade in GRADE_BOUNDS:
        if score >= bound:
            return grade
    return Grade.POOR


def assessment_score(
    *,
    activity_count: int,
    handout_count: int,
    contact_months: int,
    meetings_held: int | None,
    meetings_attended: int | None,
) -> Decimal:
    """Activities 40, monthly contact 30, joint-meeting attendance 30 (out of 100).

    A hand-out visit counts half: the seeds' complaint is that 60% of activities are just that.
    Without meeting data the other two parts are scaled to 100.
    """
    effective = (activity_count - handout_count) + Decimal(handout_count) / 2
    activity_part = min(Decimal(effective) / ACTIVITY_TARGET, Decimal(1)) * 40
    contact_part = Decimal(min(contact_months, 12)) / 12 * 30
    if meetings_held:
        attended = min(meetings_attended or 0, meetings_held)
        total = activity_part + contact_part + Decimal(attended) / meetings_held * 30
    else:
        total = (activity_part + contact_part) / 70 * 100
    return total.quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


def unit_year_figures(unit: PartnerUnit, organization: Organization, year: int) -> dict[str, int]:
    """Activities and contact months of a unit with ``organization`` (and below) in ``year``."""
    within = {
        "tree_id": organization.tree_id,
        "lft__gte": organization.lft,
        "lft__lte": organization.rght,
    }
    acts = ActivityRecord.objects.filter(
        project__agreement__unit=unit,
        date__year=year,
        **{f"project__agreement__party_a__{k}": v for k, v in within.items()},
    ).aggregate(total=Count("id"), handouts=Count("id", filter=Q(kind=ActivityKind.HANDOUT_VISIT)))
    months = (
        LiaisonLog.objects.filter(
            unit=unit, date__year=year, **{f"organization__{k}": v for k, v in within.items()}
        )
        .annotate(month=TruncMonth("date"))
        .values("month")
        .distinct()
        .count()
    )
    return {
        "activity_count": acts["total"],
        "handout_count": acts["handouts"],
        "contact_months": months,
    }


def unit_meeting_attendance(
    unit: PartnerUnit, organization: Organization, year: int
) -> tuple[int, int] | None:
    """(meetings invited to, meetings attended) of the unit at the held 共建联席会议 of
    ``organization`` (and the bodies below it) in ``year``, from governance attendance; ``None``
    when the unit was invited to none.

    The unit is invited as a standing member (its liaison or another ``SeriesMember`` whose
    ``unit`` is this ``PartnerUnit``) or by unit name, as ``governance.selectors.
    attendance_by_unit`` groups them; a meeting counts once however many of the unit's people
    were invited, and as attended when one of them was present (excused is not present).
    One query."""
    from django.contrib.contenttypes.models import ContentType

    from governance.choices import Attendance, MeetingStatus, SeriesKind
    from governance.models import Invitation

    figures = (
        Invitation.objects.filter(
            meeting__status=MeetingStatus.HELD,
            meeting__held_on__year=year,
            meeting__series__kind=SeriesKind.CO_CONSTRUCTION,
            meeting__series__body__tree_id=organization.tree_id,
            meeting__series__body__lft__gte=organization.lft,
            meeting__series__body__lft__lte=organization.rght,
        )
        .filter(
            Q(
                member__unit_type=ContentType.objects.get_for_model(PartnerUnit),
                member__unit_id=unit.pk,
            )
            | Q(unit_name=unit.name)
        )
        .aggregate(
            invited=Count("meeting", distinct=True),
            present=Count("meeting", distinct=True, filter=Q(attendance=Attendance.PRESENT)),
        )
    )
    if not figures["invited"]:
        return None
    return figures["invited"], figures["present"]


@transaction.atomic
def assessment_compute(
    *,
    actor,
    unit: PartnerUnit,
    organization: Organization,
    year: int,
    meetings_held: int | None = None,
    meetings_attended: int | None = None,
    comment: str = "",
) -> UnitAssessment:
    """Grade a unit for a year from its recorded activities, contacts and meeting attendance.

    Attendance comes from governance (``unit_meeting_attendance``) whenever the unit was invited
    to a held 共建联席会议 that year; only otherwise are hand-entered figures used, and with
    neither the other two parts are scaled to 100."""
    check_links(actor=actor, instance=UnitAssessment(unit=unit, organization=organization))
    if year > timezone.localdate().year:
        raise ValidationError({"year": f"{year} 年尚未开始，不能考核。"})
    if (meetings_held is None) != (meetings_attended is None):
        raise ValidationError({"meetings_attended": "会议召开次数与出席次数须同时填写或同时留空。"})
    figures = unit_year_figures(unit, organization, year)
    attendance = unit_meeting_attendance(unit, organization, year)
    if attendance is not None:
        meetings_held, meetings_attended = attendance
        meetings_source = "governance"
    else:
        meetings_source = "manual" if meetings_held is not None else "none"
    assessment = UnitAssessment.objects.filter(
        unit=unit, organization=organization, year=year
    ).first()
    if assessment is None:
        assessment = UnitAssessment(unit=unit, organization=organization, year=year)
    derived(assessment, "unit", "organization")  # checked above
    for name, value in figures.items():
        setattr(assessment, name, value)
    assessment.meetings_held = meetings_held
    assessment.meetings_attended = meetings_attended
    assessment.score = assessment_score(
        meetings_held=meetings_held, meetings_attended=meetings_attended, **figures
    )
    assessment.grade = grade_for(assessment.score)
    assessment.comment = comment or assessment.comment
    assessment.assessed_by = actor if getattr(actor, "pk", None) else None
    assessment.full_clean()
    assessment.save()
    audit(
        actor=actor,
        action="unit_assessment.grade",
        target=assessment,
        organization=organization,
        detail={
            "score": str(assessment.score),
            "grade": assessment.grade,
            **figures,
            "meetings_held": meetings_held,
            "meetings_attended": meetings_attended,
            "meetings_source": meetings_source,
        },
    )
    return assessment
