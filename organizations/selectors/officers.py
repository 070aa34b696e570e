"""Reads for officers (骨干): the scoped list, current officers per node, vacancies.

Vacancy rule: every active node of a kind in ``REQUIRED_POSITION`` (党委 / 党支部 → 书记,
楼栋党小组 → 党小组长, 党员中心户 → 中心户长) must have that position filled *today* (term
started, not ended). Buildings without a 楼栋长 and grids without a 网格长 are the grids
app's (``grids.selectors.grid_vacancy_rows``). All set-based: one query for any number of nodes.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date

from django.db.models import Exists, OuterRef, Q, QuerySet

from organizations.choices import (
    COMMITTEE_NODE_KINDS,
    REQUIRED_POSITION,
    OfficerPosition,
    OrgKind,
)
from organizations.models import Officer, Organization, current_q

P = OfficerPosition

# (label, position, kinds) of the node posts a vacancy is counted for.
NODE_VACANCIES = (
    ("书记", P.SECRETARY, COMMITTEE_NODE_KINDS),
    ("党小组长", P.GROUP_LEADER, frozenset({OrgKind.BUILDING_GROUP})),
    ("中心户长", P.HOUSEHOLD_HEAD, frozenset({OrgKind.CENTRAL_HOUSEHOLD})),
)


def officers_visible_to(user) -> QuerySet[Officer]:
    return Officer.objects.visible_to(user).select_related(
        "organization", "building", "building__compound", "grid", "member", "resident"
    )


def active_nodes_q(on: date | None = None, prefix: str = "") -> Q:
    on = on or date.today()
    return Q(**{f"{prefix}ended_on__isnull": True}) | Q(**{f"{prefix}ended_on__gt": on})


def filled_required_q(on: date | None = None) -> Exists:
    """The node (OuterRef pk) has its required position filled on ``on``."""
    wanted = Q(pk__in=[])
    for _, position, kinds in NODE_VACANCIES:
        wanted |= Q(position=position, organization__kind__in=kinds)
    return Exists(
        Officer.objects.filter(current_q(on), wanted, organization=OuterRef("pk")).values("pk")
    )


def vacant_nodes(
    queryset: QuerySet[Organization], on: date | None = None
) -> QuerySet[Organization]:
    """The active nodes of ``queryset`` whose required post is empty on ``on``."""
    return queryset.filter(active_nodes_q(on), kind__in=list(REQUIRED_POSITION)).filter(
        ~filled_required_q(on)
    )


def node_vacancy_rows(org_q: Q, on: date | None = None) -> list[tuple[int, int, tuple]]:
    """(tree_id, lft, (书记, 党小组长, 中心户长 vacancies)) per vacant node under ``org_q``."""
    index = {kind: i for i, (_, _, kinds) in enumerate(NODE_VACANCIES) for kind in kinds}
    rows = vacant_nodes(Organization.objects.filter(org_q), on).values_list(
        "tree_id", "lft", "kind"
    )
    out = []
    for tree_id, lft, kind in rows:
        values = [0] * len(NODE_VACANCIES)
        values[index[kind]] = 1
        out.append((tree_id, lft, tuple(values)))
    return out


def current_officers_by_node(nodes, on: date | None = None) -> dict[int, list[Officer]]:
    """Current party officers of the given nodes (ids or instances), one query, ordered by
    position (书记 first) then start of term."""
    ids = [getattr(n, "pk", n) for n in nodes]
    order = {p: i for i, p in enumerate(P.values)}
    found: dict[int, list[Officer]] = defaultdict(list)
    rows = Officer.objects.current(on).filter(organization_id__in=ids).select_related("member")
    for officer in sorted(rows, key=lambda o: (order[o.position], o.term_start, o.code)):
        found[officer.organization_id].append(officer)
    return found


def public_officers(community: Organization, on: date | None = None) -> list[dict]:
    """The community page's party officers: the community committee and every party node
    under it, with the position and name only (names of party officers are public, phones
    are not: DESIGN.md personal data). Building / grid posts are not listed. One query."""
    rows = (
        Officer.objects.current(on)
        .filter(
            organization__tree_id=community.tree_id,
            organization__lft__gte=community.lft,
            organization__lft__lte=community.rght,
            building__isnull=True,
            grid__isnull=True,
        )
        .values_list(
            "organization__name", "organization__lft", "position", "person_name", "term_start"
        )
    )
    order = {p: i for i, p in enumerate(P.values)}
    nodes: dict[tuple[int, str], list[str]] = defaultdict(list)
    for name, lft, position, person, _start in sorted(
        rows, key=lambda r: (r[1], order[r[2]], r[4])
    ):
        nodes[(lft, name)].append(f"{P(position).label} {person}")
    return [{"node": name, "officers": people} for (_, name), people in sorted(nodes.items())]
