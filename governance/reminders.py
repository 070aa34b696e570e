"""The daily reminder run and the e-mail outbox, both set-based.

``reminders_run`` reads every active series, its members, the planned meetings inside the
windows, the meetings of the current and last-closed periods and the open tasks in a handful of
queries, skips the (dedup_key, recipient_key) pairs already stored (one query), builds the
rest in memory and inserts them with ``ON CONFLICT DO NOTHING`` against the unique
(dedup_key, recipient_key) constraint. Running it again, retrying it after a
crash, or running two schedulers at once therefore never creates a second notification for the
same occasion, window and recipient. E-mail is a separate outbox state (``email_status``):
``emails_deliver`` claims one queued row at a time (``SKIP LOCKED``), sends it with a stable
``Message-ID`` and commits its state right after the server's answer, so a deliverer killed
mid-run re-sends at most the one message in flight (and the resend carries the same
Message-ID). A mail server that is down leaves the rows queued for the next run; an address
the server refuses permanently (5xx) ends ``failed`` after ``GOVERNANCE_EMAIL_MAX_ATTEMPTS``
tries, any other error after ``GOVERNANCE_EMAIL_MAX_TRANSIENT_ATTEMPTS``.
"""

from __future__ import annotations

import contextlib
import gc
import logging
import smtplib
import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta
from functools import partial

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import EmailMessage, get_connection
from django.db import connection, transaction
from django.utils import timezone

from governance.cadence import last_closed_period, period_of
from governance.choices import (
    OPEN_TASK_STATUSES,
    EmailStatus,
    MeetingStatus,
    NotificationKind,
)
from governance.models import Meeting, MeetingSeries, Notification, SeriesMember, Task

logger = logging.getLogger(__name__)


def reminder_windows() -> tuple[int, ...]:
    return tuple(sorted(getattr(settings, "GOVERNANCE_REMINDER_WINDOWS", (7, 1)), reverse=True))


def unplanned_window() -> int:
    return getattr(settings, "GOVERNANCE_UNPLANNED_WINDOW", 7)


def task_window() -> int:
    return getattr(settings, "GOVERNANCE_TASK_REMINDER_DAYS", 1)


def window_for(days_left: int, windows: tuple[int, ...]) -> int | None:
    """The narrowest window that ``days_left`` falls in (0 = the day itself), or None."""
    fitting = [w for w in windows if 0 <= days_left <= w]
    return min(fitting) if fitting else None


@dataclass
class Recipient:
    user_id: int | None
    email: str

    @property
    def key(self) -> str:
        return f"u:{self.user_id}" if self.user_id else f"e:{self.email.lower()}"


@dataclass
class RunResult:
    day: date
    candidates: int = 0
    created: int = 0
    already_stored: int = 0
    cpu_seconds: float = 0.0  # this process's CPU for the run (the database's is not in it)
    by_kind: dict[str, int] = field(default_factory=dict)


def _dedupe(recipients: list[Recipient]) -> list[Recipient]:
    seen: dict[str, Recipient] = {}
    for r in recipients:
        if r.user_id or r.email:
            seen.setdefault(r.key, r)
    return list(seen.values())


# Column order of the rows the builder produces (plain tuples: 30,000 model instances would
# cost more than the whole database work).
COLUMNS = (
    "recipient_id",
    "email",
    "recipient_key",
    "dedup_key",
    "kind",
    "window_days",
    "organization_id",
    "series_id",
    "meeting_id",
    "task_id",
    "period_start",
    "title",
    "body",
    "email_status",
)
PG_TYPES = (
    "bigint", "varchar", "varchar", "varchar", "varchar", "smallint", "bigint", "bigint",
    "bigint", "bigint", "date", "varchar", "text", "varchar",
)  # fmt: skip


class _Builder:
    """Collects today's occasions, then turns the ones still owed into rows.

    ``rows`` first reads which (dedup_key, recipient_key) pairs are already stored for those
    occasions (one query per 5,000 keys, on the unique index): those recipients are skipped, and
    an occasion whose recipients all have their row is not even formatted, so a second run the
    same day sends no row to the database at all. The unique constraint stays the guarantee
    (two runs racing both pass this filter; ``ON CONFLICT DO NOTHING`` keeps one row)."""

    def __init__(self, emails: dict[int, str]):
        self.emails = emails
        self.occasions: list[tuple[list[Recipient], str, Callable[[], tuple[str, str]], dict]] = []

    def add(
        self,
        recipients: list[Recipient],
        *,
        dedup_key: str,
        text: Callable[[], tuple[str, str]],
        **fields,
    ) -> None:
        """``text`` returns (title, body); it is called only if a row is still missing."""
        if recipients:
            self.occasions.append((recipients, dedup_key, text, fields))

    def stored(self, *, batch_size: int = 5000) -> set[tuple[str, str]]:
        keys = sorted({dedup_key for _, dedup_key, _, _ in self.occasions})
        if connection.vendor == "postgresql":  # one query, whatever the number of keys
            with connection.cursor() as cursor:
                cursor.execute(
                    f'SELECT "dedup_key", "recipient_key" FROM "{Notification._meta.db_table}" '
                    'WHERE "dedup_key" = ANY(%s::varchar[])',
                    [keys],
                )
                return set(cursor.fetchall())
        found: set[tuple[str, str]] = set()
        for start in range(0, len(keys), batch_size):  # SQLite: bounded parameter lists
            found.update(
                Notification.objects.filter(dedup_key__in=keys[start : start + batch_size])
                .values_list("dedup_key", "recipient_key")
                .order_by()
            )
        return found

    def rows(self) -> tuple[list[tuple], dict[str, int], int]:
        """The rows still owed, every candidate counted by kind, and how many were stored."""
        stored = self.stored() if self.occasions else set()
        rows: list[tuple] = []
        by_kind: dict[str, int] = defaultdict(int)
        skipped = 0
        for recipients, dedup_key, text, f in self.occasions:
            everyone = _dedupe(recipients)
            by_kind[f["kind"]] += len(everyone)
            todo = [r for r in everyone if (dedup_key, r.key) not in stored]
            skipped += len(everyone) - len(todo)
            if not todo:
                continue
            title, body = text()
            for r in todo:
                email = r.email or (self.emails.get(r.user_id, "") if r.user_id else "")
                rows.append(
                    (
                        r.user_id,
                        email,
                        r.key,
                        dedup_key,
                        f["kind"],
                        f.get("window_days"),
                        f.get("organization_id"),
                        f.get("series_id"),
                        f.get("meeting_id"),
                        f.get("task_id"),
                        f.get("period_start"),
                        title[:200],
                        body,
                        EmailStatus.QUEUED if email else EmailStatus.NONE,
                    )
                )
        return rows, dict(by_kind), skipped


def insert_or_skip(rows: list[tuple], *, batch_size: int = 5000) -> int:
    """Insert the rows, skipping any (dedup_key, recipient_key) already stored; returns how
    many were new. PostgreSQL: INSERT … SELECT FROM unnest(…) ON CONFLICT DO NOTHING."""
    if not rows:
        return 0
    now = timezone.now()
    if connection.vendor != "postgresql":
        objs = [
            Notification(created_at=now, **dict(zip(COLUMNS, row, strict=True))) for row in rows
        ]
        before = Notification.objects.count()
        Notification.objects.bulk_create(objs, batch_size=batch_size, ignore_conflicts=True)
        return Notification.objects.count() - before
    meta = Notification._meta
    columns = [meta.get_field(name).column for name in COLUMNS]
    extra = ["created_at", "email_attempts", "email_last_error"]
    sql = (
        f'INSERT INTO "{meta.db_table}" ({", ".join(columns + extra)}) '
        f"SELECT *, %s::timestamptz, 0, '' FROM unnest("
        + ", ".join(f"%s::{t}[]" for t in PG_TYPES)
        + ') ON CONFLICT ("dedup_key", "recipient_key") DO NOTHING'
    )
    created = 0
    with connection.cursor() as cursor:
        for start in range(0, len(rows), batch_size):
            chunk = rows[start : start + batch_size]
            arrays = [list(column) for column in zip(*chunk, strict=True)]
            cursor.execute(sql, [now, *arrays])
            created += cursor.rowcount
    return created


def reminders_run(*, today: date | None = None) -> RunResult:
    """Create every notification due today (Asia/Shanghai); safe to run any number of times.

    Python's cyclic garbage collector is paused for the run: it builds some 100,000 short-lived
    acyclic objects (rows, dicts, tuples) at 10,000 series, freed by reference counting anyway,
    and the collector's repeated passes over them were half the run's CPU."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        return _reminders_run(today=today)
    finally:
        if enabled:
            gc.enable()


def _reminders_run(*, today: date | None) -> RunResult:
    from governance.cadence import shanghai_today

    cpu_started = time.process_time()
    today = today or shanghai_today()
    result = RunResult(day=today)
    windows = reminder_windows()
    User = get_user_model()

    due_series = MeetingSeries.objects.filter(active=True, starts_on__lte=today).exclude(
        ends_on__lt=today - timedelta(days=400)
    )
    series_rows = list(
        due_series.values(
            "id",
            "code",
            "name",
            "cadence",
            "due_within_days",
            "starts_on",
            "ends_on",
            "body_id",
            "body__name",
            "body__parent_id",
            "convenor_id",
        )
    )
    members: dict[int, list[Recipient]] = defaultdict(list)
    for row in (
        SeriesMember.objects.filter(active=True, series__active=True)
        .filter(series__starts_on__lte=today)
        .values_list("series_id", "user_id", "email")
    ):
        members[row[0]].append(Recipient(row[1], row[2]))

    def people(s) -> list[Recipient]:
        convenor = [Recipient(s["convenor_id"], "")] if s["convenor_id"] else []
        return convenor + members.get(s["id"], [])

    # Users one level above each body (a community's missed meeting reaches the street).
    from organizations.models import ScopeAssignment

    parent_ids = {s["body__parent_id"] for s in series_rows if s["body__parent_id"]}
    above: dict[int, list[Recipient]] = defaultdict(list)

    # Open tasks near or past their deadline.
    tasks = list(
        Task.objects.filter(
            status__in=OPEN_TASK_STATUSES, deadline__lte=today + timedelta(days=task_window())
        ).values(
            "id",
            "code",
            "title",
            "deadline",
            "organization_id",
            "assigned_by_id",
            "assignee_type__app_label",
            "assignee_id",
            "assignee_organization_id",
            "assignee_label",
        )
    )
    assignee_orgs = {t["assignee_organization_id"] for t in tasks if t["assignee_organization_id"]}
    at_org: dict[int, list[Recipient]] = defaultdict(list)
    for org_id, user_id in ScopeAssignment.objects.filter(
        organization_id__in=parent_ids | assignee_orgs, user__is_active=True
    ).values_list("organization_id", "user_id"):
        at_org[org_id].append(Recipient(user_id, ""))
    for org_id in parent_ids:
        above[org_id] = at_org.get(org_id, [])

    user_ids = {r.user_id for rs in members.values() for r in rs if r.user_id}
    user_ids |= {s["convenor_id"] for s in series_rows if s["convenor_id"]}
    user_ids |= {r.user_id for rs in at_org.values() for r in rs}
    user_ids |= {t["assigned_by_id"] for t in tasks if t["assigned_by_id"]}
    user_ids |= {t["assignee_id"] for t in tasks if t["assignee_type__app_label"] == "auth"}
    emails: dict[int, str] = {}
    user_list = list(user_ids)
    for start in range(0, len(user_list), 5000):
        emails.update(
            User.objects.filter(pk__in=user_list[start : start + 5000], is_active=True)
            .exclude(email="")
            .values_list("pk", "email")
        )
    build = _Builder(emails)
    by_id = {s["id"]: s for s in series_rows}

    # 1. Planned meetings inside a window: the narrowest window they are in.
    upcoming = Meeting.objects.filter(
        status=MeetingStatus.PLANNED,
        planned_on__gte=today,
        planned_on__lte=today + timedelta(days=max(windows, default=0)),
        series__active=True,
    ).values("id", "series_id", "title", "planned_on", "place")
    for m in upcoming:
        s = by_id.get(m["series_id"])
        window = window_for((m["planned_on"] - today).days, windows)
        if s is None or window is None:
            continue
        build.add(
            people(s),
            dedup_key=f"meeting:{m['id']}:w{window}",
            text=partial(_meeting_text, s, m, today),
            kind=NotificationKind.MEETING_REMINDER,
            window_days=window,
            organization_id=s["body_id"],
            series_id=s["id"],
            meeting_id=m["id"],
        )

    # 2. Current periods with nothing planned, and 3. closed periods with nothing held. The
    # periods depend only on (cadence, due_within_days): computed once per pair, not per series.
    periods: dict[tuple, tuple] = {}
    current = {}
    closed = {}
    for s in series_rows:
        pair = (s["cadence"], s["due_within_days"])
        if pair not in periods:
            periods[pair] = (
                period_of(pair[0], today, pair[1]),
                last_closed_period(pair[0], today, pair[1]),
            )
        now_period, last = periods[pair]
        if s["ends_on"] is None or s["ends_on"] >= today:
            current[s["id"]] = now_period
        if last.due >= s["starts_on"] and (s["ends_on"] is None or last.start <= s["ends_on"]):
            closed[s["id"]] = last
    lead = unplanned_window()
    # Only a current period due within the lead can need a reminder: the others are not looked up.
    current = {k: p for k, p in current.items() if 0 <= (p.due - today).days <= lead}
    starts = {p.start for p in current.values()} | {p.start for p in closed.values()}
    booked, held = set(), set()
    for series_id, start, status in (
        # A subquery, not 10,000 ids as parameters.
        Meeting.objects.filter(period_start__in=starts, series__in=due_series.values("id"))
        .exclude(status=MeetingStatus.CANCELLED)
        .values_list("series_id", "period_start", "status")
    ):
        booked.add((series_id, start))
        if status == MeetingStatus.HELD:
            held.add((series_id, start))

    for series_id, period in current.items():
        if (series_id, period.start) in booked:
            continue
        s = by_id[series_id]
        build.add(
            people(s),
            dedup_key=f"series:{series_id}:{period.start:%Y%m%d}:unplanned{lead}",
            text=partial(_unplanned_text, s, period),
            kind=NotificationKind.PERIOD_REMINDER,
            window_days=lead,
            organization_id=s["body_id"],
            series_id=series_id,
            period_start=period.start,
        )
    for series_id, period in closed.items():
        s = by_id[series_id]
        if (series_id, period.start) in held or not s["body__parent_id"]:
            continue
        build.add(
            above.get(s["body__parent_id"], []),
            dedup_key=f"series:{series_id}:{period.start:%Y%m%d}:overdue",
            text=partial(_overdue_text, s, period),
            kind=NotificationKind.MEETING_OVERDUE,
            organization_id=s["body__parent_id"],
            series_id=series_id,
            period_start=period.start,
        )

    # 4. Tasks due tomorrow (or today) and tasks past their deadline.
    for t in tasks:
        if t["assignee_type__app_label"] == "auth":
            assignee = [Recipient(t["assignee_id"], "")]
        else:
            assignee = at_org.get(t["assignee_organization_id"], [])
        overdue = t["deadline"] < today
        assigner = [Recipient(t["assigned_by_id"], "")] if t["assigned_by_id"] else []
        build.add(
            assignee + (assigner if overdue else []),
            dedup_key=f"task:{t['id']}:{'overdue' if overdue else f'due{task_window()}'}",
            text=partial(_task_text, t, overdue),
            kind=NotificationKind.TASK_OVERDUE if overdue else NotificationKind.TASK_REMINDER,
            window_days=None if overdue else task_window(),
            organization_id=t["organization_id"],
            task_id=t["id"],
        )

    rows, result.by_kind, result.already_stored = build.rows()
    result.candidates = sum(result.by_kind.values())
    if rows:
        with transaction.atomic():
            result.created = insert_or_skip(rows)
    result.cpu_seconds = time.process_time() - cpu_started
    return result


def _meeting_text(s: dict, m: dict, today: date) -> tuple[str, str]:
    when = "今天" if m["planned_on"] == today else f"{(m['planned_on'] - today).days} 天后"
    return (
        f"会议提醒：{m['title']}（{when}，{m['planned_on']:%m月%d日}）",
        f"{s['body__name']}“{m['title']}”定于 {m['planned_on']:%Y-%m-%d}"
        f"{'在' + m['place'] if m['place'] else ''}召开，请准时参加。",
    )


def _unplanned_text(s: dict, period) -> tuple[str, str]:
    return (
        f"{s['name']}{period.label}尚未安排会议（{period.due:%m月%d日}前须召开）",
        f"{s['body__name']}的“{s['name']}”本期（{period.label}）还没有计划会议，"
        f"请在 {period.due:%Y-%m-%d} 前召开。",
    )


def _overdue_text(s: dict, period) -> tuple[str, str]:
    return (
        f"逾期未召开：{s['body__name']}“{s['name']}”{period.label}",
        f"{s['body__name']}的“{s['name']}”在 {period.label}"
        f"（截至 {period.due:%Y-%m-%d}）没有召开会议。",
    )


def _task_text(t: dict, overdue: bool) -> tuple[str, str]:
    return (
        (f"派单已逾期：{t['title']}" if overdue else f"派单即将到期：{t['title']}")
        + f"（期限 {t['deadline']:%m月%d日}）",
        f"派单 {t['code']}“{t['title']}”由{t['assignee_label']}承办，"
        f"办结期限 {t['deadline']:%Y-%m-%d}。",
    )


def notification_message_id(row: Notification) -> str:
    """The same Message-ID for every (re)send of one notification's e-mail."""
    domain = settings.DEFAULT_FROM_EMAIL.rpartition("@")[2].strip("> ") or "localhost"
    return f"<notification-{row.pk}@{domain}>"


def _smtp_code(exc: Exception) -> int | None:
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        codes = [code for code, _ in exc.recipients.values()]
        return min(codes) if codes else None
    return getattr(exc, "smtp_code", None)


def _is_permanent(exc: Exception) -> bool:
    """SMTP 5xx: the server will refuse this message again (unknown mailbox, policy)."""
    code = _smtp_code(exc)
    return code is not None and 500 <= code < 600


def _record_failure(row: Notification, exc: Exception) -> None:
    row.email_attempts += 1
    row.email_last_error = f"{type(exc).__name__}: {exc}"[:300]
    limit = (
        settings.GOVERNANCE_EMAIL_MAX_ATTEMPTS
        if _is_permanent(exc)
        else settings.GOVERNANCE_EMAIL_MAX_TRANSIENT_ATTEMPTS
    )
    if row.email_attempts >= limit:
        row.email_status = EmailStatus.FAILED


_DELIVERY_FIELDS = ["email_status", "email_attempts", "email_last_error", "email_sent_at"]


def _server_down(ids: list[int], exc: Exception) -> int:
    """The mail server cannot be reached: the rows stay queued, the try is recorded."""
    rows = list(Notification.objects.filter(pk__in=ids, email_status=EmailStatus.QUEUED))
    for row in rows:
        _record_failure(row, exc)
    Notification.objects.bulk_update(rows, _DELIVERY_FIELDS)
    logger.warning("mail server unavailable: %s", exc)
    return len(rows)


def emails_deliver(*, batch_size: int = 50, limit: int | None = None) -> dict[str, int]:
    """Send queued e-mails, one claimed and committed at a time (see the module docstring).
    Returns how many were sent and how many failed this run."""
    sent = failed = 0
    after = 0  # rows are walked in id order, each at most once per call
    smtp = None
    try:
        while limit is None or sent + failed < limit:
            ids = list(
                Notification.objects.filter(email_status=EmailStatus.QUEUED, pk__gt=after)
                .order_by("id")
                .values_list("id", flat=True)[:batch_size]
            )
            if not ids:
                break
            after = ids[-1]
            for index, pk in enumerate(ids):
                if limit is not None and sent + failed >= limit:
                    break
                if smtp is None:
                    smtp = get_connection(fail_silently=False)
                    try:
                        smtp.open()
                    except Exception as exc:
                        smtp = None
                        failed += _server_down(ids[index:], exc)
                        return {"sent": sent, "failed": failed}
                with transaction.atomic():
                    row = (
                        Notification.objects.select_for_update(skip_locked=True)
                        .filter(pk=pk, email_status=EmailStatus.QUEUED)
                        .first()
                    )
                    if row is None:  # another deliverer holds or has sent it
                        continue
                    message = EmailMessage(
                        subject=row.title,
                        body=row.body,
                        to=[row.email],
                        connection=smtp,
                        headers={"Message-ID": notification_message_id(row)},
                    )
                    try:
                        message.send()
                    except Exception as exc:
                        _record_failure(row, exc)
                        failed += 1
                        if not _is_permanent(exc):
                            # The session may be broken (disconnect, timeout): a new one next.
                            with contextlib.suppress(Exception):
                                smtp.close()
                            smtp = None
                    else:
                        row.email_attempts += 1
                        row.email_status = EmailStatus.SENT
                        row.email_sent_at = timezone.now()
                        row.email_last_error = ""
                        sent += 1
                    row.save(update_fields=_DELIVERY_FIELDS)
    finally:
        if smtp is not None:
            smtp.close()
    return {"sent": sent, "failed": failed}
