"""Writes for meeting series and meetings: every workflow step is audited."""

from __future__ import annotations

from datetime import date, time
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction

from core.events import emit
from core.links import check_links
from core.scope import require_in_scope
from core.services import apply_changes, audit, scoped_save
from governance.choices import Attendance, MeetingStatus
from governance.models import (
    AgendaItem,
    Invitation,
    Meeting,
    MeetingAttachment,
    MeetingSeries,
    Resolution,
    SeriesMember,
)


def _save(actor, instance) -> None:
    """Every record of a meeting is saved with its links checked (``core.links``): a convenor,
    member or series out of the actor's reach answers like an unknown one."""
    check_links(actor=actor, instance=instance)
    instance.full_clean()
    instance.save()


@transaction.atomic
def series_create(*, actor, **data: Any) -> MeetingSeries:
    series = MeetingSeries(**data)
    _save(actor, series)  # the body and the convenor in reach
    audit(actor=actor, action="meeting_series.create", target=series, organization=series.body)
    return series


@transaction.atomic
def series_update(*, actor, series: MeetingSeries, **data: Any) -> MeetingSeries:
    series = MeetingSeries.objects.select_for_update().get(pk=series.pk)
    require_in_scope(actor, series.body)
    apply_changes(series, data)
    _save(actor, series)
    audit(
        actor=actor,
        action="meeting_series.update",
        target=series,
        organization=series.body,
        detail={"fields": sorted(data)},
    )
    return series


@transaction.atomic
def member_add(*, actor, series: MeetingSeries, **data: Any) -> SeriesMember:
    series = MeetingSeries.objects.select_for_update().get(pk=series.pk)
    require_in_scope(actor, series.body)
    member = SeriesMember(series=series, **data)
    _save(actor, member)
    if series.rotating_chair and series.current_chair_id is None and member.rotation_order:
        series.current_chair = member
        series.save(update_fields=["current_chair", "updated_at"])
    audit(actor=actor, action="meeting_series.member_add", target=member, organization=series.body)
    return member


def _meeting_code(series: MeetingSeries, planned_on: date) -> str:
    return f"{series.code}-{planned_on:%Y%m%d}"


@transaction.atomic
def meeting_plan(
    *,
    actor,
    series: MeetingSeries,
    planned_on: date,
    title: str = "",
    place: str = "",
    starts_at: time | None = None,
    period_start: date | None = None,
    agenda: list[str] | None = None,
    invite_members: bool = True,
) -> Meeting:
    """Plan the meeting that fulfils one period; standing members are invited."""
    series = MeetingSeries.objects.select_related("body", "current_chair").get(pk=series.pk)
    require_in_scope(actor, series.body)
    if period_start is None:
        period_start = series.period_of(planned_on).start
    period = series.period_of(period_start)
    meeting = Meeting(
        code=_meeting_code(series, planned_on),
        series=series,
        period_start=period_start,
        period_end=period.end,
        title=title or f"{series.name}（{period.label}）",
        planned_on=planned_on,
        starts_at=starts_at,
        place=place or series.default_place,
        chair=series.current_chair if series.rotating_chair else None,
    )
    _save(actor, meeting)
    for position, item in enumerate(agenda or [], start=1):
        _save(actor, AgendaItem(meeting=meeting, position=position, title=item))
    if invite_members:
        invitations = [
            Invitation(meeting=meeting, member=m, name=m.name, unit_name=m.unit_name)
            for m in series.members.filter(active=True)
        ]
        Invitation.objects.bulk_create(invitations)
    audit(
        actor=actor,
        action="meeting.plan",
        target=meeting,
        organization=series.body,
        detail={"planned_on": planned_on.isoformat(), "period": period.label},
    )
    emit("meeting.plan", instance=meeting)
    return meeting


@transaction.atomic
def meeting_update(*, actor, meeting: Meeting, **data: Any) -> Meeting:
    meeting = Meeting.objects.select_for_update().select_related("series__body").get(pk=meeting.pk)
    require_in_scope(actor, meeting.series.body)
    if "series" in data and data["series"] != meeting.series:
        raise ValidationError({"series": "会议不能改挂到其他会议制度。"})
    apply_changes(meeting, data)
    _save(actor, meeting)
    audit(
        actor=actor,
        action="meeting.update",
        target=meeting,
        organization=meeting.series.body,
        detail={"fields": sorted(data)},
    )
    return meeting


@transaction.atomic
def meeting_invite(
    *, actor, meeting: Meeting, name: str, unit_name: str = "", member: SeriesMember | None = None
) -> Invitation:
    require_in_scope(actor, meeting.series.body)
    invitation = Invitation(meeting=meeting, member=member, name=name, unit_name=unit_name)
    _save(actor, invitation)
    audit(actor=actor, action="meeting.invite", target=invitation, organization=meeting.series.body)
    return invitation


def _next_chair(series: MeetingSeries) -> SeriesMember | None:
    rotation = list(
        series.members.filter(active=True, rotation_order__isnull=False).order_by(
            "rotation_order", "id"
        )
    )
    if not rotation:
        return None
    current = series.current_chair
    if current is None or current not in rotation:
        # The chair left the rotation: the next by order after theirs (or the first).
        after = [
            m
            for m in rotation
            if current is not None
            and current.rotation_order is not None
            and (m.rotation_order, m.id) > (current.rotation_order, current.id)
        ]
        return after[0] if after else rotation[0]
    return rotation[(rotation.index(current) + 1) % len(rotation)]


@transaction.atomic
def meeting_hold(*, actor, meeting: Meeting, held_on: date, minutes: str = "") -> Meeting:
    """Record that the meeting took place; with a rotating chair, hand it to the next unit."""
    meeting = Meeting.objects.select_for_update().select_related("series__body").get(pk=meeting.pk)
    series = MeetingSeries.objects.select_for_update().get(pk=meeting.series_id)
    require_in_scope(actor, series.body)
    if meeting.status != MeetingStatus.PLANNED:
        raise ValidationError(f"会议状态为“{meeting.get_status_display()}”，不能再次登记召开。")
    meeting.status = MeetingStatus.HELD
    meeting.held_on = held_on
    if minutes:
        meeting.minutes = minutes
    handover = None
    if series.rotating_chair:
        meeting.chair = series.current_chair
        handover = _next_chair(series)
    _save(actor, meeting)
    if series.rotating_chair:
        series.current_chair = handover
        series.save(update_fields=["current_chair", "updated_at"])
    audit(
        actor=actor,
        action="meeting.hold",
        target=meeting,
        organization=series.body,
        detail={
            "held_on": held_on.isoformat(),
            "on_time": meeting.held_on_time,
            "chair": str(meeting.chair) if meeting.chair_id else "",
            "next_chair": str(handover) if handover else "",
        },
    )
    emit("meeting.hold", instance=meeting)
    return meeting


@transaction.atomic
def attendance_record(*, actor, meeting: Meeting, entries: dict[str, str]) -> list[Invitation]:
    """Record present/absent/excused by invitee name; all or nothing."""
    meeting = Meeting.objects.select_related("series__body").get(pk=meeting.pk)
    require_in_scope(actor, meeting.series.body)
    if meeting.status != MeetingStatus.HELD:
        raise ValidationError("会议尚未召开，不能登记出席情况。")
    invitations = {i.name: i for i in meeting.invitations.select_for_update()}
    allowed = {Attendance.PRESENT, Attendance.ABSENT, Attendance.EXCUSED}
    errors = []
    for name, status in entries.items():
        if name not in invitations:
            errors.append(f"“{name}”不在本次会议的邀请名单中。")
        elif status not in allowed:
            errors.append(f"“{name}”的出席情况“{status}”无效，应为 present/absent/excused。")
    if errors:
        raise ValidationError(errors)
    changed = []
    for name, status in entries.items():
        invitation = invitations[name]
        invitation.attendance = status
        changed.append(invitation)
    Invitation.objects.bulk_update(changed, ["attendance"])
    audit(
        actor=actor,
        action="meeting.attendance",
        target=meeting,
        organization=meeting.series.body,
        detail={"entries": entries},
    )
    return changed


@transaction.atomic
def resolution_pass(
    *, actor, meeting: Meeting, kind: str, title: str, content: str = ""
) -> Resolution:
    meeting = Meeting.objects.select_for_update().select_related("series__body").get(pk=meeting.pk)
    require_in_scope(actor, meeting.series.body)
    number = meeting.resolutions.count() + 1
    resolution = Resolution(
        code=f"{meeting.code}-R{number}", meeting=meeting, kind=kind, title=title, content=content
    )
    _save(actor, resolution)
    audit(
        actor=actor,
        action="resolution.pass",
        target=resolution,
        organization=meeting.series.body,
        detail={"kind": kind},
    )
    return resolution


@transaction.atomic
def attachment_add(*, actor, meeting: Meeting, title: str, file) -> MeetingAttachment:
    require_in_scope(actor, meeting.series.body)
    attachment = MeetingAttachment(meeting=meeting, title=title, file=file)
    _save(actor, attachment)
    audit(
        actor=actor,
        action="meeting.attachment",
        target=attachment,
        organization=meeting.series.body,
    )
    return attachment


@transaction.atomic
def resolution_set_public(*, actor, resolution: Resolution, public: bool) -> Resolution:
    """Mark a resolution 向居民公开 (or not) for the portal: scope-checked and audited."""
    resolution.public = public
    scoped_save(actor=actor, instance=resolution)
    audit(
        actor=actor,
        action="resolution.public" if public else "resolution.private",
        target=resolution,
        organization=resolution.meeting.series.body,
    )
    emit(f"resolution.{'public' if public else 'private'}", instance=resolution)
    return resolution
