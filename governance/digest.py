"""The daily digest of everything overdue: one notification per user per day (in-app + e-mail).

What a user's digest lists is what lies in their scope (the nodes they are assigned to and
everything below) and is overdue today (Asia/Shanghai):

- cases (民情诉求) still open past their 办结时限, and department whistles (吹哨报到) not
  acknowledged by their 部门报到时限;
- tasks (派单) still open past their deadline (on the dispatching and on the assignee side);
- partner units (共驻共建单位) with no liaison contact in the last month (the covenants app's
  "no contact" rule), per organisation they co-build with or are registered at;
- signed agreements (共建协议) whose term ends within 30 days;
- joint-meeting series whose last closed period has no held meeting (会议逾期未召开).

Each item carries its admin URL. The run is set-based (a fixed number of queries whatever the
size of the street) and reuses the reminder run's exactly-once machinery
(``governance.reminders._Builder`` and ``insert_or_skip``): the dedup key is
``digest:<YYYYMMDD>``, the recipient key ``u:<user id>``, so a retry, a second scheduler or a
worker killed mid-run never stores a second digest for the same user and day, and the e-mail
goes through the same outbox (``emails_deliver``: a mail server that is down leaves it queued).

Other apps are read through ``django.apps.apps.get_model`` and their choice modules only, so
governance keeps no import of their models (no import circles).
"""

from __future__ import annotations

import gc
import time
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from django.apps import apps
from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import Q
from django.urls import NoReverseMatch, reverse
from django.utils import timezone

from governance.cadence import last_closed_period, shanghai_today
from governance.choices import OPEN_TASK_STATUSES, MeetingStatus, NotificationKind
from governance.models import Meeting, MeetingSeries, Task
from governance.reminders import Recipient, RunResult, _Builder, insert_or_skip

SHANGHAI = ZoneInfo("Asia/Shanghai")
AGREEMENT_WITHIN_DAYS = 30

# Sections of a digest, in the order they are printed.
SECTIONS: dict[str, str] = {
    "case_overdue": "诉求超过办结时限",
    "case_ack_overdue": "部门超时未报到（吹哨报到）",
    "task_overdue": "派单已逾期",
    "unit_no_contact": "共建单位近一个月无联络",
    "agreement_expiring": "共建协议 30 天内到期",
    "meeting_missed": "会议逾期未召开",
}
SECTION_LIST_URLS: dict[str, tuple[str, str]] = {
    "case_overdue": ("admin:grids_case_changelist", ""),
    "case_ack_overdue": ("admin:grids_case_changelist", ""),
    "task_overdue": ("admin:governance_task_changelist", ""),
    "unit_no_contact": ("admin:covenants_partnerunit_changelist", ""),
    "agreement_expiring": ("admin:covenants_agreement_changelist", ""),
    "meeting_missed": ("admin:governance_meetingseries_changelist", ""),
}


@dataclass(frozen=True, slots=True)
class Item:
    section: str
    key: int  # the record's id (with the section, identifies the item)
    text: str
    url: str


def max_items() -> int:
    return getattr(settings, "GOVERNANCE_DIGEST_MAX_ITEMS", 20)


def _base_url() -> str:
    return getattr(settings, "GOVERNANCE_DIGEST_BASE_URL", "").rstrip("/")


def _change_url(name: str) -> str:
    """A template for the admin change URL of a model ("{}" where the id goes), or ""."""
    try:
        return _base_url() + reverse(name, args=["999999999"]).replace("999999999", "{}")
    except NoReverseMatch:
        return ""


def _list_url(section: str) -> str:
    name, query = SECTION_LIST_URLS[section]
    try:
        return _base_url() + reverse(name) + query
    except NoReverseMatch:
        return ""


def _local(value: datetime) -> str:
    return timezone.localtime(value, SHANGHAI).strftime("%Y-%m-%d %H:%M")


class _Tree:
    """Parent links of every organisation node (one query) and ancestors on demand."""

    def __init__(self):
        Organization = apps.get_model("organizations", "Organization")
        self.parent = dict(Organization.objects.values_list("id", "parent_id"))
        self._up: dict[int, tuple[int, ...]] = {}

    def up(self, node: int | None) -> tuple[int, ...]:
        """The node and its ancestors."""
        if node is None:
            return ()
        found = self._up.get(node)
        if found is None:
            parent = self.parent.get(node)
            found = (node, *self.up(parent)) if parent else (node,)
            self._up[node] = found
        return found


def _cases(now: datetime, add) -> None:
    Case = apps.get_model("grids", "Case")
    from grids.choices import OPEN_STATUSES, CaseCategory, DispatchKind

    url = _change_url("admin:grids_case_change")
    labels = dict(CaseCategory.choices)
    rows = (
        Case.objects.filter(status__in=OPEN_STATUSES)
        .filter(
            Q(due_at__lt=now)
            | Q(
                dispatch_kind=DispatchKind.DEPARTMENT,
                acknowledged_at__isnull=True,
                ack_due_at__lt=now,
            )
        )
        .order_by("due_at", "id")
        .values_list(
            "id",
            "tracking_code",
            "category",
            "description",
            "community_id",
            "due_at",
            "dispatch_kind",
            "acknowledged_at",
            "ack_due_at",
            "target_label",
            "department__name",
        )
    )
    for pk, code, category, description, node, due, kind, acked, ack_due, target, dept in rows:
        what = f"{code} {labels.get(category, category)}：{description[:24]}"
        if due < now:
            add(
                node,
                Item("case_overdue", pk, f"{what}（办结时限 {_local(due)}）", url.format(pk)),
            )
        if kind == DispatchKind.DEPARTMENT and acked is None and ack_due and ack_due < now:
            who = target or dept or "承办部门"
            add(
                node,
                Item(
                    "case_ack_overdue",
                    pk,
                    f"{what}（{who}，报到时限 {_local(ack_due)}）",
                    url.format(pk),
                ),
            )


def _tasks(today: date, add) -> None:
    url = _change_url("admin:governance_task_change")
    rows = (
        Task.objects.filter(status__in=OPEN_TASK_STATUSES, deadline__lt=today)
        .order_by("deadline", "id")
        .values_list(
            "id",
            "code",
            "title",
            "deadline",
            "assignee_label",
            "organization_id",
            "assignee_organization_id",
        )
    )
    for pk, code, title, deadline, assignee, org, assignee_org in rows:
        item = Item(
            "task_overdue",
            pk,
            f"{code}“{title[:30]}”（{assignee}承办，期限 {deadline:%Y-%m-%d}）",
            url.format(pk),
        )
        add(org, item)
        if assignee_org and assignee_org != org:
            add(assignee_org, item)


def _units(today: date, tree: _Tree, add) -> None:
    """A unit with no liaison log in [today − 1 month, today] within an organisation's subtree
    is listed at that organisation (each organisation it co-builds with, and where it is
    registered) — the covenants app's "no contact" rule, set-based."""
    from covenants.selectors import contact_window_start

    PartnerUnit = apps.get_model("covenants", "PartnerUnit")
    UnitPartnership = apps.get_model("covenants", "UnitPartnership")
    LiaisonLog = apps.get_model("covenants", "LiaisonLog")
    url = _change_url("admin:covenants_partnerunit_change")
    units = {
        pk: (code, name, org)
        for pk, code, name, org in PartnerUnit.objects.values_list(
            "id", "code", "name", "organization_id"
        )
    }
    relations = {(unit, org) for unit, (_, _, org) in units.items() if org}
    relations |= set(UnitPartnership.objects.values_list("unit_id", "organization_id"))
    contacted: set[tuple[int, int]] = set()
    for unit, org in (
        LiaisonLog.objects.filter(date__gte=contact_window_start(today), date__lte=today)
        .values_list("unit_id", "organization_id")
        .distinct()
    ):
        for node in tree.up(org):
            contacted.add((unit, node))
    for unit, org in sorted(relations):
        if (unit, org) in contacted or unit not in units:
            continue
        code, name, _ = units[unit]
        add(org, Item("unit_no_contact", unit, f"{name}（{code}）", url.format(unit)))


def _agreements(today: date, add) -> None:
    from covenants.choices import AgreementStatus

    Agreement = apps.get_model("covenants", "Agreement")
    url = _change_url("admin:covenants_agreement_change")
    rows = (
        Agreement.objects.filter(
            status=AgreementStatus.SIGNED,
            ends_on__gte=today,
            ends_on__lte=today + timedelta(days=AGREEMENT_WITHIN_DAYS),
        )
        .order_by("ends_on", "code")
        .values_list("id", "code", "unit__name", "ends_on", "party_a_id")
    )
    for pk, code, unit, ends_on, party_a in rows:
        left = (ends_on - today).days
        item = Item(
            "agreement_expiring",
            pk,
            f"{code} 与{unit}的共建协议 {ends_on:%Y-%m-%d} 到期（还有 {left} 天）",
            url.format(pk),
        )
        add(party_a, item)


def _meetings(today: date, add) -> None:
    url = _change_url("admin:governance_meetingseries_change")
    series = list(
        MeetingSeries.objects.filter(active=True, starts_on__lte=today).values_list(
            "id",
            "code",
            "name",
            "cadence",
            "due_within_days",
            "starts_on",
            "ends_on",
            "body_id",
            "body__name",
        )  # fmt: skip
    )
    periods: dict[tuple, object] = {}
    closed = {}
    for pk, _, _, cadence, within, starts_on, ends_on, *_ in series:
        pair = (cadence, within)
        if pair not in periods:
            periods[pair] = last_closed_period(cadence, today, within)
        last = periods[pair]
        if last.due >= starts_on and (ends_on is None or last.start <= ends_on):
            closed[pk] = last
    starts = {p.start for p in closed.values()}
    held = set(
        Meeting.objects.filter(
            status=MeetingStatus.HELD, period_start__in=starts, series_id__in=list(closed)
        ).values_list("series_id", "period_start")
    )
    for pk, code, name, _, _, _, _, body, body_name in series:
        period = closed.get(pk)
        if period is None or (pk, period.start) in held:
            continue
        add(
            body,
            Item(
                "meeting_missed",
                pk,
                f"{body_name}“{name}”（{code}）{period.label}未召开（截至 {period.due:%Y-%m-%d}）",
                url.format(pk),
            ),
        )


def collect(*, today: date, now: datetime, tree: _Tree, wanted: set[int]) -> dict[int, list]:
    """Every overdue item, listed at each wanted node that is the item's node or above it."""
    at: dict[int, list[Item]] = defaultdict(list)

    def add(node: int | None, item: Item) -> None:
        for up in tree.up(node):
            if up in wanted:
                at[up].append(item)

    _cases(now, add)
    _tasks(today, add)
    _units(today, tree, add)
    _agreements(today, add)
    _meetings(today, add)
    return at


def digest_text(today: date, items: list[Item]) -> tuple[str, str]:
    limit = max_items()
    by_section: dict[str, list[Item]] = defaultdict(list)
    for item in items:
        by_section[item.section].append(item)
    counts = "，".join(
        f"{label} {len(by_section[s])} 项" for s, label in SECTIONS.items() if by_section.get(s)
    )
    title = f"每日逾期事项汇总（{today:%Y-%m-%d}）：{counts}"
    lines = [f"截至 {today:%Y年%m月%d日}，您负责范围内有以下事项需要处理：", ""]
    for section, label in SECTIONS.items():
        listed = by_section.get(section)
        if not listed:
            continue
        lines.append(f"【{label}】{len(listed)} 项")
        for item in listed[:limit]:
            lines.append(f"- {item.text}" + (f"  {item.url}" if item.url else ""))
        if len(listed) > limit:
            more = _list_url(section)
            lines.append(f"- 另有 {len(listed) - limit} 项" + (f"，见 {more}" if more else ""))
        lines.append("")
    return title, "\n".join(lines).rstrip() + "\n"


def digest_run(*, today: date | None = None, now: datetime | None = None) -> RunResult:
    """Create today's digest for every active user with something overdue in scope; safe to
    run any number of times (see the module docstring). The cyclic GC is paused as in
    ``reminders_run``."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        return _digest_run(today=today, now=now)
    finally:
        if enabled:
            gc.enable()


def _digest_run(*, today: date | None, now: datetime | None) -> RunResult:
    cpu_started = time.process_time()
    now = now or timezone.now()
    today = today or shanghai_today(now)
    result = RunResult(day=today)
    ScopeAssignment = apps.get_model(*settings.SCOPE_ASSIGNMENT_MODEL.split("."))
    User = get_user_model()

    nodes_of: dict[int, list[int]] = defaultdict(list)
    for user_id, org in (
        ScopeAssignment.objects.filter(user__is_active=True)
        .order_by("user_id", "organization__level", "organization_id")
        .values_list("user_id", "organization_id")
    ):
        nodes_of[user_id].append(org)
    if not nodes_of:
        return result
    tree = _Tree()
    wanted = {node for nodes in nodes_of.values() for node in nodes}
    at = collect(today=today, now=now, tree=tree, wanted=wanted)

    dedup_key = f"digest:{today:%Y%m%d}"
    users = [u for u, nodes in nodes_of.items() if any(at.get(n) for n in nodes)]
    emails: dict[int, str] = {}
    for start in range(0, len(users), 5000):
        emails.update(
            User.objects.filter(pk__in=users[start : start + 5000])
            .exclude(email="")
            .values_list("pk", "email")
        )
    build = _Builder(emails)
    for user_id in users:
        nodes = nodes_of[user_id]
        build.add(
            [Recipient(user_id, "")],
            dedup_key=dedup_key,
            text=lambda nodes=nodes: digest_text(today, _merged(at, nodes)),
            kind=NotificationKind.DAILY_DIGEST,
            organization_id=nodes[0],
        )
    rows, result.by_kind, result.already_stored = build.rows()
    result.candidates = sum(result.by_kind.values())
    if rows:
        with transaction.atomic():
            result.created = insert_or_skip(rows)
    result.cpu_seconds = time.process_time() - cpu_started
    return result


def _merged(at: dict[int, list[Item]], nodes: list[int]) -> list[Item]:
    """The items of the user's nodes, each once (a unit flagged at a community and at its
    street, a task whose two sides are both in scope), in section order."""
    seen: set[tuple[str, int]] = set()
    merged = []
    for node in nodes:
        for item in at.get(node, []):
            if (item.section, item.key) not in seen:
                seen.add((item.section, item.key))
                merged.append(item)
    if len(nodes) > 1:
        order = list(SECTIONS)
        merged.sort(key=lambda item: order.index(item.section))  # stable: keeps list order
    return merged
