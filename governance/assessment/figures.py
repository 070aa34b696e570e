"""Automatic indicators: a registry of figure functions over the system's own data.

A figure function takes the organisations to score (dicts with id, tree_id, lft, rght, kind)
and returns ``{organization_id: ratio}`` with ratios in [0, 1]; an item's automatic score is
``ratio × max_score``. Functions must be set-based (a few queries whatever the number of
organisations). A figure whose source app is not installed yet is simply not offered.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from decimal import Decimal

from django.apps import apps

Node = dict  # {"id", "tree_id", "lft", "rght", "kind"}
FigureFunc = Callable[[list[Node], object], dict[int, Decimal]]


@dataclass(frozen=True)
class Figure:
    key: str
    label: str
    source: str  # the model the figure reads, "app_label.ModelName"
    func: FigureFunc

    @property
    def available(self) -> bool:
        try:
            apps.get_model(self.source)
        except LookupError:
            return False
        return True


FIGURES: dict[str, Figure] = {}


def figure(key: str, label: str, source: str):
    def register(func: FigureFunc) -> FigureFunc:
        FIGURES[key] = Figure(key, label, source, func)
        return func

    return register


def figure_choices() -> list[tuple[str, str]]:
    return [(f.key, f.label) for f in FIGURES.values() if f.available]


def subtree_ratios(
    targets: Iterable[Node], rows: Iterable[tuple[int, int, int | float, int | float]]
) -> dict[int, Decimal]:
    """Per target node: Σ numerator ÷ Σ denominator over the rows lying in its subtree.

    ``rows`` are (tree_id, lft, numerator, denominator) of the counted records' organisations;
    sorted prefix sums make this O((n + m) log m) instead of a loop per node.
    """
    by_tree: dict[int, list[tuple[int, float, float]]] = defaultdict(list)
    for tree_id, lft, num, den in rows:
        by_tree[tree_id].append((lft, float(num), float(den)))
    index: dict[int, tuple[list[int], list[float], list[float]]] = {}
    for tree_id, entries in by_tree.items():
        entries.sort()
        lfts, nums, dens = [], [0.0], [0.0]
        for lft, num, den in entries:
            lfts.append(lft)
            nums.append(nums[-1] + num)
            dens.append(dens[-1] + den)
        index[tree_id] = (lfts, nums, dens)
    ratios: dict[int, Decimal] = {}
    for node in targets:
        found = index.get(node["tree_id"])
        if not found:
            continue
        lfts, nums, dens = found
        start, stop = bisect_left(lfts, node["lft"]), bisect_right(lfts, node["rght"])
        den = dens[stop] - dens[start]
        if den > 0:
            ratio = min(max((nums[stop] - nums[start]) / den, 0.0), 1.0)
            ratios[node["id"]] = Decimal(str(round(ratio, 6)))
    return ratios


def _span(nodes: list[Node]):
    """A Q limiting organisation rows to the trees of ``nodes`` (one query, no per-node work)."""
    from django.db.models import Q

    q = Q(pk__in=[])
    for tree_id in {n["tree_id"] for n in nodes}:
        q |= Q(tree_id=tree_id)
    return q


@figure("branch_group_coverage", "小区党支部建立楼栋党小组覆盖率", "organizations.Organization")
def branch_group_coverage(nodes: list[Node], assessment) -> dict[int, Decimal]:
    """Share of compound branches in the subtree that have at least one building group."""
    from django.db.models import Exists, OuterRef

    from organizations.models import Organization

    groups = Organization.objects.filter(parent=OuterRef("pk"), kind="building_group")
    rows = (
        Organization.objects.filter(_span(nodes), kind="compound_branch")
        .annotate(has_group=Exists(groups))
        .values_list("tree_id", "lft", "has_group")
    )
    return subtree_ratios(nodes, ((t, lft, 1 if has else 0, 1) for t, lft, has in rows))


@figure(
    "admission_refusal_recorded",
    "未落实人员经费的准入事项已依规处理率",
    "assessment.AdmissionRequest",
)
def admission_refusal_recorded(nodes: list[Node], assessment) -> dict[int, Decimal]:
    """Of the refusable requests (staff or funds missing) whose work starts in the period,
    the share that was decided (approved, refused by the street or by the community)."""
    # Through the app registry like every other figure: the models import this registry.
    rows = (
        apps.get_model("assessment", "AdmissionRequest")
        .objects.filter(
            refusable=True,
            starts_on__gte=assessment.starts_on,
            starts_on__lte=assessment.ends_on,
        )
        .values_list("community__tree_id", "community__lft", "status")
    )
    return subtree_ratios(
        nodes, ((t, lft, 0 if status == "pending" else 1, 1) for t, lft, status in rows)
    )


def _period_q(assessment, field: str):
    """Records dated inside the assessment's period (no assessment: all records)."""
    from django.db.models import Q

    if assessment is None:
        return Q()
    return Q(**{f"{field}__gte": assessment.starts_on, f"{field}__lte": assessment.ends_on})


@figure("six_haves_rate", "小区党支部“六有”达标率", "organizations.SixHaves")
def six_haves_rate(nodes: list[Node], assessment) -> dict[int, Decimal]:
    """Compound branches in the subtree whose 六有 checklist is complete ÷ all compound branches."""
    from django.db.models import Q

    from organizations.choices import SIX_HAVES
    from organizations.models import Organization

    complete = Q(**{f"six_haves__{name}": True for name, _ in SIX_HAVES})
    from django.db.models import Case, IntegerField, Value, When

    rows = (
        Organization.objects.filter(_span(nodes), kind="compound_branch")
        .annotate(
            done=Case(When(complete, then=Value(1)), default=Value(0), output_field=IntegerField())
        )
        .values_list("tree_id", "lft", "done")
    )
    return subtree_ratios(nodes, ((t, lft, done, 1) for t, lft, done in rows))


@figure("post_claim_rate", "在职党员双报到认岗率", "organizations.CommunityRegistration")
def post_claim_rate(nodes: list[Node], assessment) -> dict[int, Decimal]:
    """Registered in-service members with at least one claimed post ÷ registered members."""
    from django.db.models import Exists, OuterRef

    from organizations.models import CommunityRegistration, PostClaim

    rows = (
        CommunityRegistration.objects.filter(_span_path(nodes, "community__"))
        .annotate(claimed=Exists(PostClaim.objects.filter(registration=OuterRef("pk"))))
        .values_list("community__tree_id", "community__lft", "claimed")
    )
    return subtree_ratios(nodes, ((t, lft, 1 if c else 0, 1) for t, lft, c in rows))


@figure("case_on_time_rate", "民情诉求按时办结率", "grids.Case")
def case_on_time_rate(nodes: list[Node], assessment) -> dict[int, Decimal]:
    """Cases reported in the period and resolved: on time ÷ resolved."""
    from grids.choices import DONE_STATUSES
    from grids.models import Case

    rows = Case.objects.filter(
        _span_path(nodes, "community__"),
        _period_q(assessment, "reported_at__date"),
        status__in=DONE_STATUSES,
    ).values_list("community__tree_id", "community__lft", "resolved_on_time")
    return subtree_ratios(nodes, ((t, lft, 1 if ok else 0, 1) for t, lft, ok in rows))


@figure("case_satisfaction", "民情诉求群众满意度", "grids.Case")
def case_satisfaction(nodes: list[Node], assessment) -> dict[int, Decimal]:
    """Average resident satisfaction (1–5) of the period's cases, as a share of 5: each rating
    is a vote, and each time a resident said "问题没解决" (a reopen) is a 1★ vote."""
    from django.db.models import Q

    from grids.models import Case

    rows = Case.objects.filter(
        Q(satisfaction__isnull=False) | Q(reopen_count__gt=0),
        _span_path(nodes, "community__"),
        _period_q(assessment, "reported_at__date"),
    ).values_list("community__tree_id", "community__lft", "satisfaction", "reopen_count")
    return subtree_ratios(
        nodes,
        ((t, lft, (s or 0) + r, 5 * ((1 if s else 0) + r)) for t, lft, s, r in rows),
    )


def _span_path(nodes: list[Node], prefix: str):
    from django.db.models import Q

    q = Q(pk__in=[])
    for tree_id in {n["tree_id"] for n in nodes}:
        q |= Q(**{f"{prefix}tree_id": tree_id})
    return q


def _subtree_sums(
    targets: Iterable[Node], rows: Iterable[tuple[int, int, int | float | Decimal]]
) -> dict[int, tuple[Decimal, int]]:
    """Per target node: (Σ value, number of rows) over the rows lying in its subtree.

    ``rows`` are (tree_id, lft, value); nodes without any row are left out. Prefix sums as in
    ``subtree_ratios`` (exact Decimal arithmetic)."""
    by_tree: dict[int, list[tuple[int, Decimal]]] = defaultdict(list)
    for tree_id, lft, value in rows:
        by_tree[tree_id].append((lft, Decimal(value)))
    index: dict[int, tuple[list[int], list[Decimal]]] = {}
    for tree_id, entries in by_tree.items():
        entries.sort()
        lfts, sums = [], [Decimal(0)]
        for lft, value in entries:
            lfts.append(lft)
            sums.append(sums[-1] + value)
        index[tree_id] = (lfts, sums)
    result: dict[int, tuple[Decimal, int]] = {}
    for node in targets:
        found = index.get(node["tree_id"])
        if not found:
            continue
        lfts, sums = found
        start, stop = bisect_left(lfts, node["lft"]), bisect_right(lfts, node["rght"])
        if stop > start:
            result[node["id"]] = (sums[stop] - sums[start], stop - start)
    return result


@figure("volunteer_hours", "志愿服务时长（同类组织中最高者为满分）", "volunteers.HoursEntry")
def volunteer_hours(nodes: list[Node], assessment) -> dict[int, Decimal]:
    """Σ hours of the ledger entries served in the period by volunteers of the subtree
    (corrections are extra entries, so the plain sum is the truth), divided by the highest such
    sum among the scored organisations of the same kind: the leader scores full marks.
    No entry in the period: no score; a non-positive sum scores 0."""
    from volunteers.models import HoursEntry

    rows = HoursEntry.objects.filter(
        _span_path(nodes, "volunteer__community__"),
        _period_q(assessment, "served_on"),
    ).values_list("volunteer__community__tree_id", "volunteer__community__lft", "hours")
    sums = _subtree_sums(nodes, rows)
    best: dict[str, Decimal] = {}
    for node in nodes:
        if node["id"] in sums:
            total = sums[node["id"]][0]
            best[node["kind"]] = max(best.get(node["kind"], total), total)
    ratios: dict[int, Decimal] = {}
    for node in nodes:
        if node["id"] not in sums:
            continue
        total, top = sums[node["id"]][0], best[node["kind"]]
        ratio = min(max(total / top, Decimal(0)), Decimal(1)) if top > 0 else Decimal(0)
        ratios[node["id"]] = round(ratio, 6)
    return ratios


@figure("meetings_on_time_rate", "联席会议按时召开率", "governance.MeetingSeries")
def meetings_on_time_rate(nodes: list[Node], assessment) -> dict[int, Decimal]:
    """Of the meeting periods *due* in the assessment period (due date inside it and already
    passed, on or after the series' start, up to its end) of the series whose body is in the
    subtree, the share with a meeting held on or before the due date — the rule of
    ``governance.selectors.meeting_compliance``, periods from ``governance.cadence``.
    Two queries; no assessment: from each series' start up to today."""
    from datetime import timedelta

    from governance.cadence import periods_between, shanghai_today
    from governance.choices import MeetingStatus
    from governance.models import Meeting, MeetingSeries

    today = shanghai_today()
    series = list(
        MeetingSeries.objects.filter(_span_path(nodes, "body__")).values(
            "pk", "cadence", "due_within_days", "starts_on", "ends_on", "body__tree_id", "body__lft"
        )
    )
    if not series:
        return {}
    first = assessment.starts_on if assessment is not None else min(s["starts_on"] for s in series)
    last = assessment.ends_on if assessment is not None else today - timedelta(days=1)
    held: dict[tuple[int, object], object] = {}
    for series_id, start, held_on in (
        Meeting.objects.filter(
            series__in=[s["pk"] for s in series],
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
        lower = max(first, s["starts_on"])
        upper = min(last, s["ends_on"]) if s["ends_on"] else last
        if lower > upper:
            continue
        for period in periods_between(s["cadence"], lower, upper, s["due_within_days"]):
            if not (first <= period.due <= last) or period.due >= today:
                continue
            if period.due < s["starts_on"]:
                continue
            held_on = held.get((s["pk"], period.start))
            on_time = held_on is not None and held_on <= period.due
            rows.append((s["body__tree_id"], s["body__lft"], 1 if on_time else 0, 1))
    return subtree_ratios(nodes, rows)


def _subtree_distinct(
    targets: Iterable[Node], rows: Iterable[tuple[int, int, int]]
) -> dict[int, set[int]]:
    """Per target node: the distinct keys of the rows (tree_id, lft, key) lying in its subtree
    (rows sorted once per tree, each node reads its slice; no query per node)."""
    by_tree: dict[int, list[tuple[int, int]]] = defaultdict(list)
    for tree_id, lft, key in rows:
        by_tree[tree_id].append((lft, key))
    for entries in by_tree.values():
        entries.sort()
    result: dict[int, set[int]] = {}
    for node in targets:
        entries = by_tree.get(node["tree_id"])
        if not entries:
            continue
        start = bisect_left(entries, (node["lft"], -1))
        stop = bisect_right(entries, (node["rght"], float("inf")))
        if stop > start:
            result[node["id"]] = {key for _, key in entries[start:stop]}
    return result


@figure("active_units_rate", "共驻共建单位活跃率", "covenants.Agreement")
def active_units_rate(nodes: list[Node], assessment) -> dict[int, Decimal]:
    """Units with a signed agreement (signed, expired or terminated — not a draft) with a node
    of the subtree whose effective term (up to the termination date) overlaps the period; of
    these, the share with at least one *confirmed* activity dated in the period under such an
    agreement of the subtree, or a liaison log dated in the period with a node of the subtree.
    A unit counts once per organisation however many agreements it has; a unit active only with
    community B is not active for A (as in ``docs/covenants.md``). Three queries."""
    from django.db.models import Q

    from covenants.choices import AgreementStatus
    from covenants.models import ActivityRecord, Agreement, LiaisonLog

    agreements = Agreement.objects.filter(
        _span_path(nodes, "party_a__"),
        status__in=[AgreementStatus.SIGNED, AgreementStatus.EXPIRED, AgreementStatus.TERMINATED],
    )
    if assessment is not None:
        agreements = agreements.filter(starts_on__lte=assessment.ends_on).filter(
            Q(terminated_on__isnull=True, ends_on__gte=assessment.starts_on)
            | Q(terminated_on__isnull=False, terminated_on__gte=assessment.starts_on)
        )
    signed = _subtree_distinct(
        nodes, agreements.values_list("party_a__tree_id", "party_a__lft", "unit_id")
    )
    activities = ActivityRecord.objects.filter(
        _span_path(nodes, "project__agreement__party_a__"),
        _period_q(assessment, "date"),
        confirmed_at__isnull=False,
    ).values_list(
        "project__agreement__party_a__tree_id",
        "project__agreement__party_a__lft",
        "project__agreement__unit_id",
    )
    logs = LiaisonLog.objects.filter(
        _span_path(nodes, "organization__"), _period_q(assessment, "date")
    ).values_list("organization__tree_id", "organization__lft", "unit_id")
    active = _subtree_distinct(nodes, [*activities, *logs])
    ratios: dict[int, Decimal] = {}
    for node in nodes:
        units = signed.get(node["id"])
        if units:
            share = Decimal(len(units & active.get(node["id"], set()))) / len(units)
            ratios[node["id"]] = round(share, 6)
    return ratios


@figure("unit_assessment_score", "共驻共建单位考核平均得分", "covenants.UnitAssessment")
def unit_assessment_score(nodes: list[Node], assessment) -> dict[int, Decimal]:
    """The yearly unit assessments (单位责任考核, 0–100) graded by organisations in the subtree
    for the years the period touches, averaged as a share of 100. No assessment graded in
    those years: no score. One query."""
    from covenants.models import UnitAssessment

    rows = UnitAssessment.objects.filter(_span_path(nodes, "organization__"))
    if assessment is not None:
        rows = rows.filter(year__gte=assessment.starts_on.year, year__lte=assessment.ends_on.year)
    return subtree_ratios(
        nodes,
        (
            (t, lft, float(score) / 100, 1)
            for t, lft, score in rows.values_list(
                "organization__tree_id", "organization__lft", "score"
            )
        ),
    )
