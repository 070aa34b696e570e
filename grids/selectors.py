"""Every non-trivial read of the grids app: scoped, with related rows already joined, and
tree counts computed set-based (a fixed number of queries whatever the tree's size)."""

from __future__ import annotations

import hashlib
from collections import defaultdict
from typing import Any

from django.db import connection
from django.db.models import Case as DbCase
from django.db.models import (
    Count,
    Exists,
    F,
    Func,
    IntegerField,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
    When,
    Window,
)
from django.db.models.functions import Coalesce, Length, RowNumber
from django.utils import timezone

from core.scope import restrict
from grids.choices import (
    CENTRAL_HOUSEHOLD_KINDS,
    CENTRAL_HOUSEHOLD_USUAL,
    DONE_STATUSES,
    OPEN_STATUSES,
    CaseStatus,
    DispatchKind,
    GridLevel,
    ResolutionLevel,
    WorkerRole,
    oversize_limits,
)
from grids.models import (
    Building,
    Case,
    CaseEvent,
    CasePhoto,
    CentralHouseholdLink,
    Compound,
    Grid,
    GridWorker,
    Household,
    Resident,
    VisitLog,
)
from grids.models.cases import reporter_phone_matches, tracking_input
from grids.placenames import name_key, name_matches, parse_query, split_aliases
from organizations.models import Officer, Organization, current_q


def _count(queryset: QuerySet) -> Coalesce:
    # COUNT without GROUP BY inside a correlated subquery: one number per outer row.
    return Coalesce(
        Subquery(
            queryset.order_by().annotate(n=Func(F("pk"), function="COUNT")).values("n")[:1],
            output_field=IntegerField(),
        ),
        0,
    )


def _in_subtree(prefix: str) -> Q:
    """Rows whose household lies in the outer grid's subtree (or in the outer micro-grid)."""
    return Q(
        **{
            f"{prefix}grid__tree_id": OuterRef("tree_id"),
            f"{prefix}grid__lft__gte": OuterRef("lft"),
            f"{prefix}grid__lft__lte": OuterRef("rght"),
        }
    ) | Q(**{f"{prefix}micro_grid": OuterRef("pk")})


def with_counts(queryset: QuerySet[Grid]) -> QuerySet[Grid]:
    """Annotate ``household_count`` and ``resident_count`` over each node's whole subtree."""
    return queryset.annotate(
        household_count=_count(Household.objects.filter(_in_subtree(""))),
        resident_count=_count(Resident.objects.filter(_in_subtree("household__"))),
    )


def is_oversized(level: str, household_count: int) -> bool:
    limit = oversize_limits().get(level)
    return limit is not None and household_count > limit


def grids_visible_to(user) -> QuerySet[Grid]:
    return with_counts(
        restrict(Grid.objects.select_related("parent", "community", "covering_branch"), user)
    ).order_by("tree_id", "lft")


def grid_tree(
    user, *, root: Organization | None = None, root_code: str = ""
) -> list[dict[str, Any]]:
    """Street → community → sector → grid → micro-grid with household and people counts,
    in three queries: the grid nodes, the household/people totals per (grid, micro-grid),
    and the streets above the communities. Totals roll up in Python.

    ``root_code`` picks the root by organisation code within the user's scope (one more
    query); a code the user cannot see gives an empty tree, as an unknown one does."""
    if root_code:
        root = restrict(Organization.objects.all(), user).filter(code=root_code).first()
        if root is None:
            return []
    grids = restrict(Grid.objects.select_related("community"), user)
    if root is not None:
        grids = grids.filter(
            community__tree_id=root.tree_id,
            community__lft__gte=root.lft,
            community__lft__lte=root.rght,
        )
    nodes = list(grids.order_by("tree_id", "lft"))
    totals = (
        Household.objects.filter(grid__in=[n.pk for n in nodes if n.level == GridLevel.GRID])
        .values("grid_id", "micro_grid_id")
        .annotate(households=Count("pk", distinct=True), people=Count("residents"))
        .order_by()
    )
    own: dict[int, list[int]] = defaultdict(lambda: [0, 0])
    for row in totals:
        where = row["micro_grid_id"] or row["grid_id"]
        own[where][0] += row["households"]
        own[where][1] += row["people"]

    by_pk: dict[int, dict[str, Any]] = {}
    roots: list[dict[str, Any]] = []
    for node in nodes:
        item = {
            "code": node.code,
            "name": node.name,
            "level": node.level,
            "households": own[node.pk][0],
            "people": own[node.pk][1],
            "children": [],
        }
        by_pk[node.pk] = item
        parent = by_pk.get(node.parent_id)
        (parent["children"] if parent else roots).append((node, item))
    # Post-order roll-up: nodes are in (tree_id, lft) order, so children come after parents.
    for node in reversed(nodes):
        item = by_pk[node.pk]
        parent = by_pk.get(node.parent_id)
        if parent is not None:
            parent["households"] += item["households"]
            parent["people"] += item["people"]
    for item in by_pk.values():
        item["children"] = [child for _, child in item["children"]]
        item["oversized"] = is_oversized(item["level"], item["households"])

    communities: dict[int, dict[str, Any]] = {}
    for node, item in roots:
        community = communities.setdefault(
            node.community_id,
            {
                "code": node.community.code,
                "name": node.community.name,
                "level": "community_organization",
                "parent_id": node.community.parent_id,
                "households": 0,
                "people": 0,
                "grids": [],
            },
        )
        community["households"] += item["households"]
        community["people"] += item["people"]
        community["grids"].append(item)
    streets: dict[int, dict[str, Any]] = {}
    parent_ids = {c["parent_id"] for c in communities.values() if c["parent_id"]}
    street_rows = {o.pk: o for o in Organization.objects.filter(pk__in=parent_ids)}
    for community in communities.values():
        street = street_rows.get(community.pop("parent_id"))
        key = street.pk if street else 0
        entry = streets.setdefault(
            key,
            {
                "code": street.code if street else "",
                "name": street.name if street else "",
                "level": "street",
                "households": 0,
                "people": 0,
                "communities": [],
            },
        )
        entry["households"] += community["households"]
        entry["people"] += community["people"]
        entry["communities"].append(community)
    return list(streets.values())


def grid_workers_visible_to(user) -> QuerySet[GridWorker]:
    return restrict(GridWorker.objects.select_related("grid", "grid__community", "user"), user)


def compounds_visible_to(user) -> QuerySet[Compound]:
    return restrict(
        Compound.objects.select_related("community").annotate(
            building_count=_count(Building.objects.filter(compound=OuterRef("pk")))
        ),
        user,
    )


def buildings_visible_to(user) -> QuerySet[Building]:
    return restrict(
        Building.objects.select_related("community", "grid", "compound").annotate(
            household_count=Count("households")
        ),
        user,
    )


def households_visible_to(user) -> QuerySet[Household]:
    # resident_count as a correlated subquery, not Count("residents"): a GROUP BY over every
    # household in scope ran before the page was taken (330 ms for a street of 15,000);
    # the subquery is evaluated for the page's rows only.
    return restrict(
        Household.objects.select_related(
            "building", "grid", "grid__community", "micro_grid"
        ).annotate(resident_count=_count(Resident.objects.filter(household=OuterRef("pk")))),
        user,
    )


def residents_visible_to(user) -> QuerySet[Resident]:
    return restrict(
        Resident.objects.select_related(
            "household", "household__building", "household__grid", "household__grid__community"
        ),
        user,
    )


def household_contacts(household: Household) -> dict[str, list]:
    """Who looks after a household: its central households and its grid's active workers."""
    links = list(
        household.central_links.select_related("organization").order_by("organization__code")
    )
    workers = list(
        GridWorker.objects.filter(grid_id__in=[household.grid_id, household.micro_grid_id])
        .filter(active=True)
        .select_related("grid", "user")
        .order_by("role", "code")
    )
    return {"central_households": [link.organization for link in links], "grid_workers": workers}


def central_links_visible_to(user) -> QuerySet[CentralHouseholdLink]:
    return restrict(
        CentralHouseholdLink.objects.select_related(
            "organization", "household", "household__building", "household__grid"
        ),
        user,
    )


def central_households_visible_to(user) -> QuerySet[Organization]:
    """党员中心户 / 先锋岗 with their number of linked households and a flag outside 1–5."""
    low, high = CENTRAL_HOUSEHOLD_USUAL
    return (
        restrict(Organization.objects.filter(kind__in=CENTRAL_HOUSEHOLD_KINDS), user)
        .annotate(link_count=Count("linked_households"))
        .annotate(
            outside_usual=Q(link_count__lt=low) | Q(link_count__gt=high),
        )
        .order_by("tree_id", "lft")
    )


def visits_visible_to(user) -> QuerySet[VisitLog]:
    return restrict(
        VisitLog.objects.select_related(
            "household",
            "household__building",
            "household__grid",
            "visitor",
            "central_household",
            "case",
        ),
        user,
    )


def cases_visible_to(user) -> QuerySet[Case]:
    """Through ``Case.objects.visible_to``: staff by scope, department / member accounts by
    what was dispatched to them."""
    return (
        Case.objects.select_related(
            "community",
            "grid",
            "building",
            "household",
            "reported_by",
            "target_content_type",
            "same_problem_as",
            "department",
            "registration",
            "cadre",
        )
    ).visible_to(user)


def case_with_history(user) -> QuerySet[Case]:
    return cases_visible_to(user).prefetch_related(
        Prefetch("events", queryset=CaseEvent.objects.select_related("actor")), "photos"
    )


def overdue_q(now=None) -> Q:
    now = now or timezone.now()
    return Q(status__in=OPEN_STATUSES, due_at__lt=now) | Q(
        status__in=DONE_STATUSES, resolved_on_time=False
    )


def case_possible_duplicates(case: Case, *, user=None, limit: int = 10) -> QuerySet[Case]:
    """Open cases of the same category in the same building (first) or grid: offered to the
    triaging cadre as possible duplicates."""
    place = Q()
    if case.building_id:
        place |= Q(building_id=case.building_id)
    if case.grid_id:
        place |= Q(grid_id=case.grid_id)
    if not place:
        return Case.objects.none()
    queryset = (
        Case.objects.filter(place, category=case.category, status__in=OPEN_STATUSES)
        .exclude(pk=case.pk)
        .select_related("grid", "building__compound")
    )
    if user is not None:
        queryset = restrict(queryset, user)
    if case.building_id:
        queryset = queryset.annotate(
            same_building=DbCase(
                When(building_id=case.building_id, then=Value(0)),
                default=Value(1),
                output_field=IntegerField(),
            )
        ).order_by("same_building", "-reported_at")
    else:
        queryset = queryset.order_by("-reported_at")
    return queryset[:limit]


def case_figures(queryset: QuerySet[Case]) -> dict[str, Any]:
    """Key figures in one query: shares resolved in the grid / in the community / escalated
    (琐事不出网格、小事不出社区), on-time rate, average satisfaction (a resident's "not fixed"
    counts as a 1★ vote), overdue and reopened (cases, and reopens in all)."""
    now = timezone.now()
    done = Q(status__in=DONE_STATUSES)
    row = queryset.order_by().aggregate(
        total=Count("pk"),
        resolved=Count("pk", filter=done),
        in_grid=Count("pk", filter=done & Q(resolution_level=ResolutionLevel.GRID)),
        in_community=Count("pk", filter=done & Q(resolution_level=ResolutionLevel.COMMUNITY)),
        escalated=Count("pk", filter=done & Q(resolution_level=ResolutionLevel.ESCALATED)),
        on_time=Count("pk", filter=done & Q(resolved_on_time=True)),
        overdue_open=Count("pk", filter=Q(status__in=OPEN_STATUSES, due_at__lt=now)),
        reopened=Count("pk", filter=Q(reopen_count__gt=0)),
        reopens=Coalesce(Sum("reopen_count"), 0),
        evaluated=Count("pk", filter=Q(satisfaction__isnull=False)),
        satisfaction_sum=Coalesce(Sum("satisfaction"), 0),
    )
    resolved = row["resolved"]
    votes = row["evaluated"] + row["reopens"]

    def share(n: int) -> float | None:
        return round(n / resolved, 4) if resolved else None

    return {
        **row,
        "share_in_grid": share(row["in_grid"]),
        "share_in_community": share(row["in_community"]),
        "share_escalated": share(row["escalated"]),
        "on_time_rate": share(row["on_time"]),
        # Each "问题没解决" counts as a 1★ vote (a reopened case's earlier rating is cleared).
        "avg_satisfaction": (
            round((row["satisfaction_sum"] + row["reopens"]) / votes, 2) if votes else None
        ),
    }


TRACK_FIELDS = (
    "reporter_phone",
    "community__code",
    "tracking_code",
    "category",
    "description",
    "status",
    "reported_at",
    "due_at",
    "dispatch_kind",
    "target_label",
    "department__name",
    "resolution",
    "satisfaction",
    "evaluation_comment",
    "resolved_at",
    "reopen_count",
    "location",
    "building__name",
    "building__compound__name",
    "community__name",
    "grid__name",
)
TRACK_STEP_FIELDS = ("events__created_at", "events__action", "events__to_status")
MAX_TRACK_STEPS = 200  # a case's history is a handful of steps; a bound all the same


def case_track_summary(*, tracking_code: str, phone_last4: str) -> dict[str, Any] | None:
    """What the reporter may see of their case (the portal's 查进度), or None.

    One plain-value query — the case with its community and grid names, one row per step
    (a LEFT JOIN, so a case without steps still comes back) — and nothing else: this is the
    portal's busiest POST, and every database round trip under load costs a thread its turn.
    The same rules as ``grids.services.cases.case_track``: a wrong code, wrong digits or
    malformed input all give ``None`` along the same path.
    """
    code, digits, well_formed = tracking_input(tracking_code, phone_last4)
    rows = (
        list(
            Case.objects.filter(tracking_code=code)
            .annotate(
                photo_count=Subquery(
                    CasePhoto.objects.filter(case=OuterRef("pk"))
                    .order_by()
                    .values("case")
                    .annotate(n=Count("pk"))
                    .values("n")[:1]
                )
            )
            .values(*TRACK_FIELDS, "photo_count", *TRACK_STEP_FIELDS)
            .order_by("events__created_at", "events__id")[:MAX_TRACK_STEPS]
        )
        if well_formed
        else []
    )
    first = rows[0] if rows else None
    if not reporter_phone_matches(first["reporter_phone"] if first else None, digits):
        return None
    case = {field: first[field] for field in TRACK_FIELDS if field != "reporter_phone"}
    case["photo_count"] = first["photo_count"] or 0
    case["events"] = [
        {
            "created_at": r["events__created_at"],
            "action": r["events__action"],
            "to_status": r["events__to_status"],
        }
        for r in rows
        if r["events__action"] is not None
    ]
    return case


# -- places as residents name them (the portal's place search) ----------------------------------

_PARTY_SUFFIXES = ("大党委", "综合党委", "党总支", "党委", "党支部")


def _community_key(name: str) -> str:
    key = name_key(name)
    for suffix in _PARTY_SUFFIXES:
        if key.endswith(suffix):
            return key[: -len(suffix)]
    return key


# The compound index the search scores against: every compound's name keys (name and aliases,
# normalised) and its community's key. Kept per process with a stamp (md5 of exactly the rows
# and columns it is built from); every search reads the current stamp in the same query as its
# buildings, so an index that no longer matches the table is rebuilt (and the search rerun)
# before anything is answered from it — a change made by queryset.update, bulk_create or
# another process is seen on the next search. PostgreSQL only; elsewhere it is rebuilt per
# search.
_place_index: tuple[str | None, list[tuple[int, str, list[str], list[str]]]] = (None, [])


def _compound_index() -> tuple[str | None, list[tuple[int, str, list[str], list[str]]]]:
    """(stamp, entries): the stamp read in the same statement as the rows (one snapshot), so
    the label always describes the data; ``None`` as the stamp outside PostgreSQL."""
    compound, org = Compound._meta, Organization._meta
    community = compound.get_field("community").column
    sql = (
        f"SELECT cc.id, cc.name, cc.aliases, oo.name, ({_compound_stamp_sql()})"
        f' FROM "{compound.db_table}" cc LEFT JOIN "{org.db_table}" oo'
        f' ON oo.id = cc."{community}" ORDER BY cc.id'
    )
    with connection.cursor() as cursor:
        cursor.execute(sql)
        rows = cursor.fetchall()
    empty = hashlib.md5(b"").hexdigest() if connection.vendor == "postgresql" else None
    stamp = rows[0][4] if rows else empty
    entries = [
        (pk, name, [name_key(n) for n in [name, *split_aliases(aliases)]], [_community_key(cn)])
        for pk, name, aliases, cn, _stamp in rows
    ]
    return stamp, entries


def _compound_stamp_sql() -> str:
    if connection.vendor != "postgresql":
        return "SELECT NULL AS stamp"
    compound, org = Compound._meta, Organization._meta
    community = compound.get_field("community").column
    return (
        "SELECT md5(coalesce(string_agg(c.id::text || chr(31) || c.name || chr(31) || c.aliases"
        " || chr(31) || coalesce(o.name, ''), chr(30) ORDER BY c.id), '')) AS stamp"
        f' FROM "{compound.db_table}" c LEFT JOIN "{org.db_table}" o ON o.id = c."{community}"'
    )


def _score_compounds(index, parsed, limit: int) -> tuple[list[int], list[str]]:
    scored = []
    for pk, name, keys, community in index:
        total = 0
        for term in parsed.terms:
            score = name_matches(term, keys) * 2 or name_matches(term, community)
            if not score:
                break
            total += score
        else:
            scored.append((-total, name, pk))
    scored.sort()
    if parsed.terms:
        # The best-named compounds only: “春晖家园” does not also bring every compound of the
        # community whose name happens to contain the word.
        best = scored[0][0] if scored else 0
        scored = [s for s in scored if s[0] == best]
    return [pk for _, _, pk in scored], [name for _, name, _ in scored[:limit]]


def _place_rows(parsed, compound_ids: list[int] | None, limit: int):
    """One query: the compound stamp, and (unless ``compound_ids`` is None) the first
    ``limit + 1`` matching buildings in the search's order, one row per active worker of the
    building's grid (LEFT JOINs: the stamp comes back when no building matches, a building
    whose grid has no workers still comes back)."""
    stamp_sql = _compound_stamp_sql()
    if compound_ids is None:
        with connection.cursor() as cursor:
            cursor.execute(stamp_sql)
            return cursor.fetchone()[0], []
    buildings = Building.objects.all()
    if parsed.terms:
        buildings = buildings.filter(compound_id__in=compound_ids)
    if parsed.building:
        buildings = buildings.filter(number=parsed.building)
    order = ("compound__name", Length("number"), "number", "code")
    buildings = (
        buildings.annotate(
            place_rank=Window(
                RowNumber(), order_by=[F(o) if isinstance(o, str) else o for o in order]
            )
        )
        .order_by(*order)
        .values(
            "place_rank",
            b_code=F("code"),
            b_name=F("name"),
            b_units=F("units"),
            b_grid=F("grid_id"),
            b_grid_name=F("grid__name"),
            b_compound=F("compound__name"),
            b_community=F("community__code"),
        )[: limit + 1]
    )
    inner, params = buildings.query.sql_with_params()
    worker = GridWorker._meta
    sql = (
        f"SELECT s.stamp, b.b_code, b.b_name, b.b_units, b.b_grid, b.b_grid_name, b.b_compound,"
        f" b.b_community, w.role, w.name, w.work_phone FROM ({stamp_sql}) s"
        f" LEFT JOIN ({inner}) b ON 1 = 1"
        f' LEFT JOIN "{worker.db_table}" w ON w."{worker.get_field("grid").column}" = b.b_grid'
        " AND w.active = %s ORDER BY b.place_rank, w.role, w.code"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, (*params, True))
        got = cursor.fetchall()
    # No building matched: one row of the stamp alone (the LEFT JOIN), dropped here.
    return got[0][0], [row for row in got if row[1] is not None]


def place_search(query: str, *, limit: int = 20) -> dict[str, Any]:
    """Buildings matching what a resident typed (“园林 3栋”, “春晖5号楼2单元”), as plain values:
    each with its compound, community code, grid and the grid's active workers (role, name and
    public work phone — never the personal phone).

    Compounds are matched by name or alias (normalised: NFKC, Chinese numerals, 栋/幢/号楼/#),
    or by their community's name; the building by its number. **One query** on PostgreSQL once
    the process holds a current compound index (the buildings with their workers and the
    index's stamp; see ``_place_index``); a stale or missing index costs one query to rebuild
    and the search is rerun. ``problem``: ``too_short`` / ``too_long`` (not searched),
    ``no_compound``, ``no_building`` (the compound exists, that number not); ``more``: more
    buildings matched than ``limit``."""
    global _place_index
    parsed = parse_query(query)
    found: dict[str, Any] = {"query": parsed, "places": [], "compounds": [], "problem": ""}
    found["more"] = False
    if parsed.problem or not parsed.ok:
        found["problem"] = parsed.problem or "too_short"
        return found
    stamp, index = _place_index
    for attempt in range(3):
        if stamp is None or attempt:  # no index yet, or it no longer matches the table
            stamp, index = _compound_index()
            if stamp is not None:
                _place_index = (stamp, index)
        compound_ids, names = _score_compounds(index, parsed, limit)
        wanted = None if parsed.terms and not compound_ids else compound_ids
        current, got = _place_rows(parsed, wanted, limit)
        if current == stamp:
            break
    found["compounds"] = names
    if parsed.terms and not compound_ids:
        found["problem"] = "no_compound"
        return found
    rows: list[dict[str, Any]] = []
    roles = dict(WorkerRole.choices)
    for _s, code, name, units, _grid, grid_name, compound, community, role, wname, phone in got:
        if not rows or rows[-1]["code"] != code:
            rows.append(
                {
                    "code": code,
                    "name": name,
                    "units": units,
                    "grid__name": grid_name,
                    "compound__name": compound,
                    "community__code": community,
                    "workers": [],
                }
            )
        if role is not None:
            rows[-1]["workers"].append(
                {"role": roles.get(role, role), "name": wname, "work_phone": phone}
            )
    found["more"] = len(rows) > limit
    rows = rows[:limit]
    if not rows:
        found["problem"] = "no_building" if compound_ids else "no_compound"
        return found
    for row in rows:
        unit = (
            parsed.unit
            if parsed.unit and (not row["units"] or parsed.unit <= row["units"])
            else None
        )
        found["places"].append(
            {
                "value": f"b:{row['code']}",
                "code": row["code"],
                "compound": row["compound__name"],
                "building": row["name"],
                "label": f"{row['compound__name']} {row['name']}",
                "units": row["units"] or 0,
                "unit": unit,
                "door": parsed.door,
                "community_code": row["community__code"],
                "grid": row["grid__name"],
                "workers": row["workers"],
            }
        )
    return found


def place_of_building(code: str) -> dict[str, Any] | None:
    """One building as ``place_search`` describes it (for a place already picked)."""
    row = (
        Building.objects.filter(code=code)
        .values(
            "code", "name", "units", "grid_id", "grid__name", "compound__name", "community__code"
        )
        .first()
    )
    if row is None:
        return None
    roles = dict(WorkerRole.choices)
    return {
        "value": f"b:{row['code']}",
        "code": row["code"],
        "compound": row["compound__name"],
        "building": row["name"],
        "label": f"{row['compound__name']} {row['name']}",
        "units": row["units"] or 0,
        "unit": None,
        "door": "",
        "community_code": row["community__code"],
        "grid": row["grid__name"],
        "workers": [
            {"role": roles.get(role, role), "name": name, "work_phone": phone}
            for role, name, phone in GridWorker.objects.filter(grid_id=row["grid_id"], active=True)
            .order_by("role", "code")
            .values_list("role", "name", "work_phone")
        ],
    }


def buildings_by_grid(community) -> dict[int, list[tuple[str, list[str]]]]:
    """Grid id → [(compound name, [building names])] of one community: which buildings each
    grid serves, for the portal's community page. One query."""
    served: dict[int, dict[str, list[str]]] = defaultdict(dict)
    for grid_id, compound, name in (
        Building.objects.filter(community=community)
        .order_by("grid_id", "compound__name", Length("number"), "number", "code")
        .values_list("grid_id", "compound__name", "name")
    ):
        served[grid_id].setdefault(compound, []).append(name)
    return {grid_id: list(by.items()) for grid_id, by in served.items()}


def cases_overdue_for_acknowledgement(qs=None, now=None) -> QuerySet[Case]:
    """吹哨报到 cases whose department has not reported in by ``ack_due_at`` (open cases).
    ``qs`` narrows (e.g. ``cases_visible_to(user)`` or a department's cases); set-based."""
    now = now or timezone.now()
    qs = Case.objects.all() if qs is None else qs
    return qs.filter(
        status=CaseStatus.DISPATCHED,
        dispatch_kind=DispatchKind.DEPARTMENT,
        acknowledged_at__isnull=True,
        ack_due_at__lt=now,
    )


def cases_overdue_for_department(qs=None, now=None) -> QuerySet[Case]:
    """吹哨报到 cases still open past the department's resolution deadline
    (``department_due_at``, after any extension)."""
    now = now or timezone.now()
    qs = Case.objects.all() if qs is None else qs
    return qs.filter(
        status=CaseStatus.DISPATCHED,
        dispatch_kind=DispatchKind.DEPARTMENT,
        department_due_at__lt=now,
    )


def department_queue(user) -> QuerySet[Case]:
    """The cases whistled to the user's department (its 待办: open first, by deadline)."""
    return (
        cases_visible_to(user)
        .filter(dispatch_kind=DispatchKind.DEPARTMENT, department__accounts__user=user)
        .order_by("status", "department_due_at")
    )


# ---------------------------------------------------------------- dashboard rows (set-based)
# Each returns (tree_id, lft, values) of the anchoring community for rows under ``community_q``
# (a Q on ``community__`` / the organisation), for ``governance.assessment.dashboard.bucket``.


def grid_vacancy_rows(community_q: Q, on=None) -> list[tuple[int, int, tuple]]:
    """Buildings without a 楼栋长 in post and grids (level 网格) without an active 网格长
    (``GridWorker`` role ``leader``): (楼栋长 vacancies, 网格长 vacancies). Two queries."""
    leaders = Officer.objects.filter(
        current_q(on), position="building_leader", building=OuterRef("pk")
    )
    rows = [
        (t, lft, (1, 0))
        for t, lft in Building.objects.filter(community_q)
        .filter(~Exists(leaders))
        .values_list("community__tree_id", "community__lft")
    ]
    grid_leaders = GridWorker.objects.filter(grid=OuterRef("pk"), role="leader", active=True)
    rows += [
        (t, lft, (0, 1))
        for t, lft in Grid.objects.filter(community_q, level=GridLevel.GRID)
        .filter(~Exists(grid_leaders))
        .values_list("community__tree_id", "community__lft")
    ]
    return rows


def covering_rows(community_q: Q) -> list[tuple[int, int, tuple]]:
    """支部建在网格上: grids and micro-grids per community, (all, without a covering branch).
    One grouped query."""
    rows = (
        Grid.objects.filter(community_q, level__in=[GridLevel.GRID, GridLevel.MICRO_GRID])
        .values("community__tree_id", "community__lft")
        .annotate(total=Count("pk"), uncovered=Count("pk", filter=Q(covering_branch__isnull=True)))
        .values_list("community__tree_id", "community__lft", "total", "uncovered")
        .order_by()
    )
    return [(t, lft, (total, uncovered)) for t, lft, total, uncovered in rows]


def registered_residents() -> Coalesce:
    """Annotation: the residents registered in the household (OuterRef pk)."""
    return _count(Resident.objects.filter(household=OuterRef("pk")))


def size_mismatch_households(queryset: QuerySet[Household]) -> QuerySet[Household]:
    """Households whose 户人数 differs from the residents registered in them."""
    return queryset.annotate(registered=registered_residents()).exclude(size=F("registered"))


def household_size_rows(community_q: Q) -> list[tuple[int, int, tuple]]:
    """Per community: (households, households whose 户人数 ≠ registered residents). One query."""
    rows = (
        Household.objects.filter(community_q)
        .annotate(registered=registered_residents())
        .values("grid__community__tree_id", "grid__community__lft")
        .annotate(total=Count("pk"), off=Count("pk", filter=~Q(size=F("registered"))))
        .values_list("grid__community__tree_id", "grid__community__lft", "total", "off")
        .order_by()
    )
    return [(t, lft, (total, off)) for t, lft, total, off in rows]


def central_household_rows(org_q: Q) -> list[tuple[int, int, tuple]]:
    """党员中心户 / 先锋岗 and how many look after the usual 1–5 households (seed 002):
    (all, within 1–5, none linked, more than 5). One query."""
    low, high = CENTRAL_HOUSEHOLD_USUAL
    rows = (
        Organization.objects.filter(org_q, kind__in=CENTRAL_HOUSEHOLD_KINDS)
        .annotate(link_count=Count("linked_households"))
        .values_list("tree_id", "lft", "link_count")
    )
    return [
        (t, lft, (1, 1 if low <= n <= high else 0, 1 if n < low else 0, 1 if n > high else 0))
        for t, lft, n in rows
    ]
