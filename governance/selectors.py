"""Every non-trivial read of the governance app, already joined for lists."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date

from django.db.models import Count, Q, QuerySet

from governance.cadence import periods_between, shanghai_today
from governance.choices import Attendance, MeetingStatus, TaskStatus
from governance.models import (
    Evaluation,
    Invitation,
    Meeting,
    MeetingSeries,
    Notification,
    Resolution,
    SeriesMember,
    Task,
)

DONE_STATUSES = (TaskStatus.DONE, TaskStatus.EVALUATED)


def series_visible_to(user) -> QuerySet[MeetingSeries]:
    return (
        MeetingSeries.objects.visible_to(user)
        .select_related("body", "convenor", "current_chair")
        .annotate(member_count=Count("members", filter=Q(members__active=True)))
        .order_by("body__tree_id", "body__lft", "code")
    )


def members_visible_to(user) -> QuerySet[SeriesMember]:
    return SeriesMember.objects.visible_to(user).select_related("series__body", "user")


def meetings_visible_to(user) -> QuerySet[Meeting]:
    return Meeting.objects.visible_to(user).select_related("series__body", "chair")


def meeting_detail(user) -> QuerySet[Meeting]:
    return meetings_visible_to(user).prefetch_related(
        "agenda_items", "invitations", "resolutions", "attachments"
    )


def resolutions_visible_to(user) -> QuerySet[Resolution]:
    return (
        Resolution.objects.visible_to(user)
        .select_related("meeting__series__body")
        .annotate(
            task_count=Count("tasks", distinct=True),
            tasks_done=Count("tasks", filter=Q(tasks__status__in=DONE_STATUSES), distinct=True),
        )
        .order_by("-meeting__planned_on", "code")
    )


def public_resolutions(community) -> QuerySet[Resolution]:
    """Resolutions marked 向居民公开 of held meetings of the series whose body is ``community``
    or its street (its parent), newest meeting first; one query whatever the count."""
    bodies = [community.pk] + ([community.parent_id] if community.parent_id else [])
    return (
        Resolution.objects.filter(
            public=True,
            meeting__status=MeetingStatus.HELD,
            meeting__series__body_id__in=bodies,
        )
        .select_related("meeting__series")
        .order_by("-meeting__held_on", "-meeting__planned_on", "code")
    )


def tasks_visible_to(user) -> QuerySet[Task]:
    """With both sides' evaluations (上考下评) prefetched: one more query for the whole page."""
    from django.db.models import Prefetch

    return (
        Task.objects.visible_to(user)
        .select_related(
            "organization", "assignee_organization", "assigned_by", "assignee_type", "source_type"
        )
        .prefetch_related(
            Prefetch(
                "evaluations",
                queryset=Evaluation.objects.select_related("author").order_by("side"),
            )
        )
    )


def notifications_for(user) -> QuerySet[Notification]:
    return Notification.objects.for_user(user).select_related("organization", "series", "meeting")


def calendar_meetings(user, first: date, last: date) -> QuerySet[Meeting]:
    """Planned and held meetings in [first, last] across the user's scope."""
    return (
        meetings_visible_to(user)
        .exclude(status=MeetingStatus.CANCELLED)
        .filter(
            Q(status=MeetingStatus.PLANNED, planned_on__range=(first, last))
            | Q(status=MeetingStatus.HELD, held_on__range=(first, last))
        )
        .order_by("planned_on", "starts_at", "code")
    )


# ---------------------------------------------------------------- figures


@dataclass
class SeriesCompliance:
    series: MeetingSeries
    due: int
    held_on_time: int
    held_late: int

    @property
    def missed(self) -> int:
        return self.due - self.held_on_time - self.held_late

    @property
    def on_time_rate(self) -> float | None:
        return round(self.held_on_time / self.due, 4) if self.due else None


def meeting_compliance(
    user, first: date, last: date, *, today: date | None = None
) -> list[SeriesCompliance]:
    """Per series: periods due in [first, last] (due date passed) and how many were held on time.

    Two queries whatever the number of series."""
    today = today or shanghai_today()
    series = list(series_visible_to(user).order_by("body__tree_id", "body__lft", "code"))
    held: dict[tuple[int, date], date] = {}
    for series_id, start, held_on in (
        Meeting.objects.filter(
            series__in=[s.pk for s in series],
            status=MeetingStatus.HELD,
            period_end__gte=first,
            period_start__lte=last,
        )
        .order_by("held_on")
        .values_list("series_id", "period_start", "held_on")
    ):
        held.setdefault((series_id, start), held_on)
    rows = []
    for s in series:
        lower = max(first, s.starts_on)
        upper = min(last, s.ends_on) if s.ends_on else last
        due = on_time = late = 0
        if lower <= upper:
            for period in periods_between(s.cadence, lower, upper, s.due_within_days):
                if not (first <= period.due <= last) or period.due >= today:
                    continue
                if period.due < s.starts_on:
                    continue
                due += 1
                held_on = held.get((s.pk, period.start))
                if held_on is not None and held_on <= period.due:
                    on_time += 1
                elif held_on is not None:
                    late += 1
        rows.append(SeriesCompliance(series=s, due=due, held_on_time=on_time, held_late=late))
    return rows


def body_compliance(rows: list[SeriesCompliance]) -> list[dict]:
    """The series figures summed per body (organisation)."""
    bodies: dict[int, dict] = {}
    for row in rows:
        body = row.series.body
        entry = bodies.setdefault(
            body.pk,
            {
                "body": body.code,
                "body_name": body.name,
                "due": 0,
                "held_on_time": 0,
                "held_late": 0,
            },
        )
        entry["due"] += row.due
        entry["held_on_time"] += row.held_on_time
        entry["held_late"] += row.held_late
    for entry in bodies.values():
        entry["missed"] = entry["due"] - entry["held_on_time"] - entry["held_late"]
        entry["on_time_rate"] = (
            round(entry["held_on_time"] / entry["due"], 4) if entry["due"] else None
        )
    return list(bodies.values())


def _held_invitations(user, first: date, last: date) -> QuerySet[Invitation]:
    return Invitation.objects.visible_to(user).filter(
        meeting__status=MeetingStatus.HELD, meeting__held_on__range=(first, last)
    )


def _rate(present: int, invited: int) -> float | None:
    return round(present / invited, 4) if invited else None


def attendance_by_member(user, first: date, last: date) -> list[dict]:
    rows = (
        _held_invitations(user, first, last)
        .values("meeting__series__code", "name", "unit_name")
        .annotate(
            invited=Count("id"),
            present=Count("id", filter=Q(attendance=Attendance.PRESENT)),
            excused=Count("id", filter=Q(attendance=Attendance.EXCUSED)),
            absent=Count("id", filter=Q(attendance=Attendance.ABSENT)),
        )
        .order_by("meeting__series__code", "unit_name", "name")
    )
    return [
        {
            "series": r["meeting__series__code"],
            "name": r["name"],
            "unit_name": r["unit_name"],
            "invited": r["invited"],
            "present": r["present"],
            "excused": r["excused"],
            "absent": r["absent"],
            "rate": _rate(r["present"], r["invited"]),
        }
        for r in rows
    ]


def attendance_by_unit(user, first: date, last: date) -> list[dict]:
    """Units across all series in scope (the seeds complain units skip meetings)."""
    rows = (
        _held_invitations(user, first, last)
        .exclude(unit_name="")
        .values("unit_name")
        .annotate(
            invited=Count("id"),
            present=Count("id", filter=Q(attendance=Attendance.PRESENT)),
        )
        .order_by("unit_name")
    )
    return [
        {
            "unit_name": r["unit_name"],
            "invited": r["invited"],
            "present": r["present"],
            "rate": _rate(r["present"], r["invited"]),
        }
        for r in rows
    ]


def resolution_figures(user, first: date, last: date) -> list[dict]:
    """Per body: resolutions passed in [first, last] by kind, their tasks and how many are done."""
    resolutions = Resolution.objects.visible_to(user).filter(meeting__held_on__range=(first, last))
    per_body: dict[str, dict] = {}
    for row in resolutions.values(
        "meeting__series__body__code", "meeting__series__body__name", "kind"
    ).annotate(n=Count("id")):
        entry = per_body.setdefault(
            row["meeting__series__body__code"],
            {
                "body": row["meeting__series__body__code"],
                "body_name": row["meeting__series__body__name"],
                "resolutions": 0,
                "by_kind": defaultdict(int),
                "tasks": 0,
                "tasks_done": 0,
            },
        )
        entry["resolutions"] += row["n"]
        entry["by_kind"][row["kind"]] += row["n"]
    tasks = Task.objects.filter(resolution__in=resolutions)
    for row in tasks.values("resolution__meeting__series__body__code").annotate(
        n=Count("id"), done=Count("id", filter=Q(status__in=DONE_STATUSES))
    ):
        entry = per_body[row["resolution__meeting__series__body__code"]]
        entry["tasks"] += row["n"]
        entry["tasks_done"] += row["done"]
    for entry in per_body.values():
        entry["by_kind"] = dict(entry["by_kind"])
        entry["completion_rate"] = _rate(entry["tasks_done"], entry["tasks"])
    return sorted(per_body.values(), key=lambda e: e["body"])
