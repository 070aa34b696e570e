"""Governance calendar feeds (built by ``core.ics``): meetings of one body, meetings of one
series, and one user's task deadlines.

Meetings keep their historical UID ``<code>@<host>``; tasks are ``task-<code>@<host>``.
A cancelled meeting stays in the feed as ``STATUS:CANCELLED``; a rejected (退回) task too.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.core import signing

from core import ics
from governance.choices import MeetingStatus, TaskStatus

LEGACY_SALT = "governance.ics"  # the tokens issued before core.ics: {"u": user, "b": body}

MEETINGS_OF_BODY = "meetings"
MEETINGS_OF_SERIES = "series"
TASKS = "tasks"
TASK_WINDOW_DAYS = 90  # a task feed holds deadlines from this many days ago on
TASK_LIMIT = 2000  # at most this many tasks (the earliest deadlines) per feed

MEETING_STATUS = {
    MeetingStatus.PLANNED: "TENTATIVE",
    MeetingStatus.HELD: "CONFIRMED",
    MeetingStatus.CANCELLED: "CANCELLED",
}


def legacy_body_user(body_code: str):
    """``core.ics.feed_user(legacy=…)`` for subscriptions made before the shared tokens."""

    def read(token: str):
        try:
            payload = signing.loads(token, salt=LEGACY_SALT, max_age=ics.max_age())
        except signing.BadSignature:
            return None
        return payload.get("u") if payload.get("b") == body_code else None

    return read


def meetings_calendar(name: str, meetings, *, host: str):
    cal = ics.calendar(name)
    for m in meetings:
        day = m.held_on if m.status == MeetingStatus.HELD and m.held_on else m.planned_on
        start = datetime.combine(day, m.starts_at) if m.starts_at else day
        description = [f"{m.series.name}（{m.period.label}）"]
        if m.chair_id:
            description.append(f"轮值主席：{m.chair}")
        ics.add_event(
            cal,
            uid=f"{m.code}@{host}",
            summary=m.title,
            start=start,
            end=start + timedelta(hours=2) if m.starts_at else None,
            location=m.place,
            description="\n".join(description),
            status=MEETING_STATUS.get(m.status, "TENTATIVE"),
            sequence_=ics.sequence(m.updated_at),
            last_modified=m.updated_at,
        )
    return cal


def render_calendar(body, meetings, *, host: str = "gongzhi") -> bytes:
    return meetings_calendar(f"{body.name}联席会议", meetings, host=host).to_ical()


def tasks_calendar(name: str, tasks, *, host: str):
    cal = ics.calendar(name)
    for t in tasks:
        status = {TaskStatus.REJECTED: "CANCELLED", TaskStatus.DISPATCHED: "TENTATIVE"}
        label = t.get_status_display()
        description = [f"派单组织：{t.organization.name}", f"承办方：{t.assignee_label}"]
        if t.source_label:
            description.append(f"来源：{t.source_label}")
        if t.description:
            description.append(t.description)
        ics.add_event(
            cal,
            uid=f"task-{t.code}@{host}",
            summary=f"【{label}】{t.title} 办结期限",
            start=t.deadline,
            description="\n".join(description),
            status=status.get(t.status, "CONFIRMED"),
            sequence_=ics.sequence(t.updated_at),
            last_modified=t.updated_at,
        )
    return cal
