"""接诉即办 figures: monthly 响应率, 解决率, 满意率 and 重办率 per grid, community, department
and street, with the ranking the street publishes. Set-based: three queries whatever the month's
size (one grouped aggregate over the cases, the grids' names, the communities and their streets).

Definitions (a month = calendar month in Asia/Shanghai; the cases are those *reported* in it, in
the user's scope):

- 响应率 = cases responded to in time ÷ cases. In time: a department whistle (吹哨报到) acknowledged
  by its 部门报到时限 (``acknowledged_at ≤ ack_due_at``); any other case accepted (受理) within
  ``RESPONSE_WITHIN`` (24 h) of being reported.
- 解决率 = cases resolved (已办结 / 已评价) ÷ cases.
- 满意率 = cases rated 4 or 5 ÷ cases the resident rated (1–5).
- 重办率 = cases sent back by the resident at least once (``reopen_count > 0``) ÷ cases.
- 综合得分 = 10 % 响应率 + 45 % 解决率 + 45 % 满意率 (Beijing's 接诉即办 weighting); a rate
  with no denominator (no rated case) is left out and the other weights rescaled. 排名: by score,
  highest first, ties share a rank (1, 2, 2, 4); no cases → no rank.

Departments: the ``grids.Department`` a case was whistled to (``Case.department``); cases
whistled before departments were records are grouped by their ``target_label``.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from django.apps import apps
from django.db.models import Count, F, Q

SHANGHAI = ZoneInfo("Asia/Shanghai")
# A case not whistled to a department is responded to when the community accepts it within
# this time of its report (a whistle: when the department reports in by its ``ack_due_at``).
RESPONSE_WITHIN = timedelta(hours=24)

LEVELS = {"grid": "网格", "community": "社区", "department": "部门", "street": "街道"}
WEIGHTS = {"response_rate": 0.10, "resolution_rate": 0.45, "satisfaction_rate": 0.45}
COUNTS = ("cases", "responded", "resolved", "rated", "satisfied", "reopened")


@dataclass
class HotlineRow:
    level: str
    code: str
    name: str
    cases: int = 0
    responded: int = 0
    resolved: int = 0
    rated: int = 0
    satisfied: int = 0
    reopened: int = 0
    drill: dict = field(default_factory=dict)  # admin case-list filter for the drill-down
    rank: int | None = None

    @staticmethod
    def _rate(part: int, whole: int) -> float | None:
        return round(part * 100 / whole, 1) if whole else None

    @property
    def response_rate(self) -> float | None:
        return self._rate(self.responded, self.cases)

    @property
    def resolution_rate(self) -> float | None:
        return self._rate(self.resolved, self.cases)

    @property
    def satisfaction_rate(self) -> float | None:
        return self._rate(self.satisfied, self.rated)

    @property
    def reopen_rate(self) -> float | None:
        return self._rate(self.reopened, self.cases)

    @property
    def score(self) -> float | None:
        """From the unrounded rates (the published rates are rounded to 0.1)."""
        parts = {
            "response_rate": self.responded * 100 / self.cases if self.cases else None,
            "resolution_rate": self.resolved * 100 / self.cases if self.cases else None,
            "satisfaction_rate": self.satisfied * 100 / self.rated if self.rated else None,
        }
        weight = sum(WEIGHTS[k] for k, v in parts.items() if v is not None)
        if not weight:
            return None
        return round(sum(WEIGHTS[k] * v for k, v in parts.items() if v is not None) / weight, 2)

    def add(self, values: dict) -> None:
        for name in COUNTS:
            setattr(self, name, getattr(self, name) + values[name])

    def as_dict(self) -> dict:
        return {
            "level": self.level,
            "code": self.code,
            "name": self.name,
            "cases": self.cases,
            "responded": self.responded,
            "resolved": self.resolved,
            "rated": self.rated,
            "satisfied": self.satisfied,
            "reopened": self.reopened,
            "response_rate": self.response_rate,
            "resolution_rate": self.resolution_rate,
            "satisfaction_rate": self.satisfaction_rate,
            "reopen_rate": self.reopen_rate,
            "score": self.score,
            "rank": self.rank,
        }


def month_bounds(month: date) -> tuple[datetime, datetime]:
    start = datetime(month.year, month.month, 1, tzinfo=SHANGHAI)
    nxt = date(month.year + month.month // 12, month.month % 12 + 1, 1)
    return start, datetime(nxt.year, nxt.month, 1, tzinfo=SHANGHAI)


def parse_month(value: str | None, today: date) -> date:
    """``YYYY-MM`` → its first day (ValueError with a Chinese message otherwise)."""
    if not value:
        return today.replace(day=1)
    try:
        year, month = (int(part) for part in value.split("-"))
        return date(year, month, 1)
    except (TypeError, ValueError):
        raise ValueError("月份格式应为 YYYY-MM。") from None


def _department_key(row: dict) -> tuple[int, str, str] | None:
    """The department (``grids.Department``) a case was whistled to: (id, code, name)."""
    from grids.choices import DispatchKind

    if row["dispatch_kind"] != DispatchKind.DEPARTMENT:
        return None
    if row["department_id"] is None:  # whistled before departments were records
        label = row["target_label"] or "（未注明部门）"
        return 0, "", label
    return row["department_id"], row["department__code"], row["department__name"]


def hotline_figures(user, month: date, level: str = "community") -> list[HotlineRow]:
    """The month's rows at one level, ranked (three queries; see the module docstring)."""
    from grids.choices import DONE_STATUSES, DispatchKind

    if level not in LEVELS:
        raise ValueError(f"level 应为 {'/'.join(LEVELS)}。")
    Case = apps.get_model("grids", "Case")
    Grid = apps.get_model("grids", "Grid")
    Organization = apps.get_model("organizations", "Organization")
    start, end = month_bounds(month)
    whistle = Q(dispatch_kind=DispatchKind.DEPARTMENT)
    responded = (
        whistle & Q(acknowledged_at__isnull=False, acknowledged_at__lte=F("ack_due_at"))
    ) | (
        ~whistle
        & Q(
            accepted_at__isnull=False,
            accepted_at__lte=F("reported_at") + RESPONSE_WITHIN,
        )
    )
    groups = list(
        Case.objects.visible_to(user)
        .filter(reported_at__gte=start, reported_at__lt=end)
        .values(
            "community_id",
            "grid_id",
            "dispatch_kind",
            "target_label",
            "department_id",
            "department__code",
            "department__name",
        )
        .annotate(
            cases=Count("pk"),
            responded=Count("pk", filter=responded),
            resolved=Count("pk", filter=Q(status__in=DONE_STATUSES)),
            rated=Count("pk", filter=Q(satisfaction__isnull=False)),
            satisfied=Count("pk", filter=Q(satisfaction__gte=4)),
            reopened=Count("pk", filter=Q(reopen_count__gt=0)),
        )
        .order_by()
    )
    drill_base = {
        "reported_at__gte": start.date().isoformat(),
        "reported_at__lt": end.date().isoformat(),
    }
    rows: dict[object, HotlineRow] = {}
    if level == "grid":
        ids = {g["grid_id"] for g in groups if g["grid_id"]}
        names = {
            pk: (code, name)
            for pk, code, name in Grid.objects.filter(pk__in=ids).values_list("id", "code", "name")
        }
        for g in groups:
            key = g["grid_id"]
            if key not in rows:
                code, name = names.get(key, ("", "（未划网格）"))
                drill = {"grid__id__exact": key} if key else {"grid__isnull": "True"}
                rows[key] = HotlineRow("grid", code, name, drill={**drill_base, **drill})
            rows[key].add(g)
    elif level == "department":
        for g in groups:
            key = _department_key(g)
            if key is None:
                continue
            if key not in rows:
                pk, code, name = key
                drill = {"department__id__exact": pk} if pk else {"q": name}
                rows[key] = HotlineRow(
                    "department",
                    code,
                    name,
                    drill={**drill_base, "dispatch_kind__exact": "department", **drill},
                )
            rows[key].add(g)
    else:
        ids = {g["community_id"] for g in groups}
        communities = {
            pk: (code, name, parent, parent_code, parent_name)
            for pk, code, name, parent, parent_code, parent_name in Organization.objects.filter(
                pk__in=ids
            ).values_list("id", "code", "name", "parent_id", "parent__code", "parent__name")
        }
        for g in groups:
            code, name, parent, parent_code, parent_name = communities[g["community_id"]]
            if level == "community":
                key = g["community_id"]
                row = rows.get(key) or HotlineRow(
                    "community",
                    code,
                    name,
                    drill={**drill_base, "community__id__exact": key},
                )
            else:
                key = parent
                row = rows.get(key) or HotlineRow(
                    "street", parent_code or "", parent_name or "", drill=dict(drill_base)
                )
            rows[key] = row
            row.add(g)
    ranked = sorted(
        rows.values(),
        key=lambda r: (r.score is None, -(r.score or 0), -r.cases, r.code),
    )
    previous, rank = None, 0
    for index, row in enumerate(ranked, start=1):
        if row.score is None:
            continue
        if row.score != previous:
            rank, previous = index, row.score
        row.rank = rank
    return ranked


def drill_url(row: HotlineRow) -> str | None:
    from urllib.parse import urlencode

    from django.urls import NoReverseMatch, reverse

    try:
        return reverse("admin:grids_case_changelist") + "?" + urlencode(row.drill)
    except NoReverseMatch:
        return None


HEADERS = [
    ("rank", "排名"),
    ("name", "名称"),
    ("code", "编码"),
    ("cases", "诉求（件）"),
    ("response_rate", "响应率（%）"),
    ("resolution_rate", "解决率（%）"),
    ("satisfaction_rate", "满意率（%）"),
    ("reopen_rate", "重办率（%）"),
    ("score", "综合得分"),
]


def table(rows: list[HotlineRow]) -> list[list]:
    return [[getattr(r, key) for key, _ in HEADERS] for r in rows]


def previous_months(today: date, count: int = 12) -> list[date]:
    first = today.replace(day=1)
    months = []
    for _ in range(count):
        months.append(first)
        first = (first - timedelta(days=1)).replace(day=1)
    return months


def by_level(rows: list[HotlineRow]) -> dict[str, list[HotlineRow]]:
    out: dict[str, list[HotlineRow]] = defaultdict(list)
    for row in rows:
        out[row.level].append(row)
    return out
