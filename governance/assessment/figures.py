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
    from governance.assessment.models import AdmissionRequest

    rows = AdmissionRequest.objects.filter(
        refusable=True,
        starts_on__gte=assessment.starts_on,
        starts_on__lte=assessment.ends_on,
    ).values_list("community__tree_id", "community__lft", "status")
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
    """Average resident satisfaction (1–5) of the period's evaluated cases, as a share of 5."""
    from grids.models import Case

    rows = Case.objects.filter(
        _span_path(nodes, "community__"),
        _period_q(assessment, "reported_at__date"),
        satisfaction__isnull=False,
    ).values_list("community__tree_id", "community__lft", "satisfaction")
    return subtree_ratios(nodes, ((t, lft, s, 5) for t, lft, s in rows))


def _span_path(nodes: list[Node], prefix: str):
    from django.db.models import Q

    q = Q(pk__in=[])
    for tree_id in {n["tree_id"] for n in nodes}:
        q |= Q(**{f"{prefix}tree_id": tree_id})
    return q
