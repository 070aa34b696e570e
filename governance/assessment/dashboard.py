"""数据看板: a registry of figure providers, one per key figure, each owned by the app whose
data it reads. A provider whose app or model is not installed shows "暂无数据".

Every provider answers for all communities in the user's scope at once (one or two grouped
queries, bucketed to communities by the nested-set range), so a street's dashboard costs a
fixed number of queries however many communities it has.
"""

from __future__ import annotations

from bisect import bisect_right
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from django.apps import apps
from django.urls import NoReverseMatch, reverse

from core.scope import restrict
from organizations.choices import OrgKind
from organizations.models import Organization


@dataclass
class Community:
    id: int
    code: str
    name: str
    tree_id: int
    lft: int
    rght: int


@dataclass
class Panel:
    key: str
    title: str
    columns: list[str] = field(default_factory=list)
    rows: list[list[Any]] = field(default_factory=list)  # first cell: community name
    total: list[Any] | None = None
    chart_column: int | None = None  # which column the bar chart shows
    unit: str = ""
    drill: list[str | None] = field(default_factory=list)  # per row: admin list URL
    drill_all: str | None = None
    available: bool = True
    note: str = ""

    def chart(self, width: int = 360) -> list[dict[str, Any]]:
        """Bars for the server-rendered SVG: label, value and pixel width."""
        if self.chart_column is None or not self.rows:
            return []
        values = [row[self.chart_column] for row in self.rows]
        numeric = [v for v in values if isinstance(v, int | float)]
        top = max(numeric, default=0) or 1
        if self.unit == "%":
            top = max(top, 100)
        bars = []
        for i, (row, value) in enumerate(zip(self.rows, values, strict=True)):
            v = value if isinstance(value, int | float) else 0
            w = round(v / top * width, 1)
            bars.append(
                {
                    "label": row[0],
                    "value": value,
                    "width": w,
                    "y": i * 26,
                    "text_y": i * 26 + 16,
                    "bar_y": i * 26 + 4,
                    "text_x": 156 + w,
                }
            )
        return bars

    @property
    def chart_height(self) -> int:
        return len(self.rows) * 26 + 8

    @property
    def table_rows(self) -> list[tuple[list[Any], str | None]]:
        drill = self.drill + [None] * (len(self.rows) - len(self.drill))
        return list(zip(self.rows, drill, strict=True))


@dataclass(frozen=True)
class Provider:
    key: str
    title: str
    source: str  # "app_label.ModelName" the figures come from
    func: Callable[[list[Community], Any], Panel]

    @property
    def available(self) -> bool:
        try:
            apps.get_model(self.source)
        except (LookupError, ValueError):
            return False
        return True


PROVIDERS: dict[str, Provider] = {}


def provider(key: str, title: str, source: str):
    def register(func):
        PROVIDERS[key] = Provider(key, title, source, func)
        return func

    return register


def communities_for(user, root: Organization | None = None) -> list[Community]:
    """Communities in the user's scope (optionally under ``root``): one query."""
    queryset = restrict(Organization.objects.filter(kind=OrgKind.COMMUNITY_COMMITTEE), user, "")
    if root is not None:
        queryset = queryset.filter(tree_id=root.tree_id, lft__gte=root.lft, lft__lte=root.rght)
    return [
        Community(*row)
        for row in queryset.order_by("tree_id", "lft").values_list(
            "id", "code", "name", "tree_id", "lft", "rght"
        )
    ]


def bucket(
    communities: list[Community], rows: Iterable[tuple[int, int, tuple]]
) -> dict[int, list[float]]:
    """Sum value tuples of rows placed by (tree_id, lft) into the community whose range holds them."""
    starts: dict[int, list[tuple[int, int, int]]] = defaultdict(list)
    for c in communities:
        starts[c.tree_id].append((c.lft, c.rght, c.id))
    for entries in starts.values():
        entries.sort()
    keys = {t: [e[0] for e in entries] for t, entries in starts.items()}
    sums: dict[int, list[float]] = {}
    for tree_id, lft, values in rows:
        entries = starts.get(tree_id)
        if not entries:
            continue
        i = bisect_right(keys[tree_id], lft) - 1
        if i < 0 or not (entries[i][0] <= lft <= entries[i][1]):
            continue
        current = sums.setdefault(entries[i][2], [0.0] * len(values))
        for j, v in enumerate(values):
            current[j] += float(v or 0)
    return sums


def pct(numerator: float, denominator: float) -> float | None:
    return round(numerator * 100.0 / denominator, 1) if denominator else None


def admin_url(name: str, query: str = "") -> str | None:
    try:
        return reverse(f"admin:{name}") + (f"?{query}" if query else "")
    except NoReverseMatch:
        return None


def table_panel(
    key: str,
    title: str,
    communities: list[Community],
    sums: dict[int, list[float]],
    columns: list[str],
    shape: Callable[[list[float]], list[Any]],
    *,
    width: int,
    chart_column: int | None,
    unit: str = "",
    drill: Callable[[Community], str | None] | None = None,
    drill_all: str | None = None,
    note: str = "",
) -> Panel:
    """Rows per community (raw sums shaped into display cells) plus a total row."""
    panel = Panel(
        key, title, columns, chart_column=chart_column, unit=unit, drill_all=drill_all, note=note
    )
    totals = [0.0] * width
    for c in communities:
        raw = sums.get(c.id, [0.0] * width)
        for j, v in enumerate(raw):
            totals[j] += v
        panel.rows.append([c.name, *shape(raw)])
        panel.drill.append(drill(c) if drill else drill_all)
    panel.total = ["合计", *shape(totals)]
    return panel


def build_dashboard(user, root: Organization | None = None) -> tuple[list[Community], list[Panel]]:
    communities = communities_for(user, root)
    panels = []
    for p in PROVIDERS.values():
        if not p.available:
            panels.append(Panel(p.key, p.title, available=False, note="暂无数据"))
            continue
        panels.append(p.func(communities, user))
    return communities, panels


def _ranges_q(communities: list[Community], prefix: str):
    """One Q selecting rows anchored (at ``prefix``) anywhere under the given communities."""
    from django.db.models import Q

    q = Q(pk__in=[])
    by_tree: dict[int, list[Community]] = defaultdict(list)
    for c in communities:
        by_tree[c.tree_id].append(c)
    for tree_id, items in by_tree.items():
        lo, hi = min(c.lft for c in items), max(c.rght for c in items)
        q |= Q(**{f"{prefix}tree_id": tree_id, f"{prefix}lft__gte": lo, f"{prefix}lft__lte": hi})
    return q


def rows_by_org(queryset, prefix: str, aggregates: dict) -> list[tuple[int, int, tuple]]:
    """Group a queryset by its anchoring organisation and return (tree_id, lft, values)."""
    names = list(aggregates)
    rows = (
        queryset.values(f"{prefix}tree_id", f"{prefix}lft")
        .annotate(**aggregates)
        .values_list(f"{prefix}tree_id", f"{prefix}lft", *names)
        .order_by()
    )
    return [(r[0], r[1], tuple(r[2:])) for r in rows]
