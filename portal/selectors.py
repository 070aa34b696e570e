"""Reads for the public pages. Nothing here returns personal data: only organisations,
places, public work phones and records explicitly marked public."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass

from django.core.cache import cache
from django.db.models import Q, QuerySet

from organizations.choices import OrgKind
from organizations.models import Organization
from organizations.selectors import public_officers
from portal.adapters import grids as grid_adapters
from portal.models import ServiceCentre, ServiceItem
from portal.naming import public_name, public_names, strip_party

MAX_RESULTS = 20
# Public pages show the same organisation data to everyone: it is kept in the cache for a
# minute, so the busiest pages cost no queries. Cadres' edits show within PUBLIC_TTL.
PUBLIC_TTL = 60


def _cached(key: str, build):
    key = f"portal:pub:{key}"
    value = cache.get(key)
    if value is None:
        value = build()
        cache.set(key, value, PUBLIC_TTL)
    return value


def place_name(org: Organization) -> str:
    """“园林小区党支部” → “园林小区”: the place a branch or group is named after."""
    return strip_party(org.name)


def community_label(org: Organization) -> str:
    return public_name(org)


def query_terms(query: str) -> list[str]:
    """Split a free-text query into terms; “3栋”/“3幢”/“3号” all mean “3号楼”."""
    query = re.sub(r"[\s,，、。.;；]+", " ", (query or "").strip())[:60]
    terms = []
    for term in query.split():
        term = re.sub(r"(\d+)\s*(?:栋|幢|号楼|号|楼)$", r"\1号楼", term)
        for suffix in ("党支部", "党小组"):
            term = term.removesuffix(suffix)
        if term:
            terms.append(term)
    # “园林小区3号楼” typed as one word: try the compound part and the building part apart.
    if len(terms) == 1:
        match = re.match(r"^(\D+?)(\d+号楼)$", terms[0])
        if match:
            terms = [match.group(1), match.group(2)]
    return terms[:5]


@dataclass(frozen=True)
class PlaceMatch:
    label: str
    kind: str  # 小区 / 楼栋 / 社区 / 地址
    community: Organization
    community_name: str = ""
    # A building of the grids app: its grid and the grid's workers (name, work phone).
    grid: str = ""
    workers: tuple = ()
    value: str = ""


def _terms_q(terms: list[str], *fields: str) -> Q:
    q = Q()
    for term in terms:
        any_field = Q()
        for name in fields:
            any_field |= Q(**{f"{name}__icontains": term})
        q &= any_field
    return q


def _community_of(org: Organization, communities: dict[tuple[int, int], Organization]):
    for (tree_id, _lft), community in communities.items():
        if org.tree_id == tree_id and community.lft <= org.lft <= community.rght:
            return community
    return None


def search_places(query: str) -> list[PlaceMatch]:
    """Compounds, buildings, communities and addresses matching every term (partial names).

    A fixed number of queries: organisations in one, their communities in one, and the grids
    app's buildings in one when it is installed (and none for a query asked within a minute).
    """
    terms = query_terms(query)
    if not terms:
        return []
    digest = hashlib.sha256("\x1f".join(terms).encode()).hexdigest()[:24]
    return _cached(f"search:{digest}", lambda: _search_places(terms))


def _search_places(terms: list[str]) -> list[PlaceMatch]:
    kinds = [OrgKind.COMMUNITY_COMMITTEE, OrgKind.COMPOUND_BRANCH, OrgKind.BUILDING_GROUP]
    orgs = list(
        Organization.objects.filter(kind__in=kinds)
        .filter(_terms_q(terms, "name", "address"))
        .order_by("tree_id", "lft")[: MAX_RESULTS * 2]
    )
    matches: list[PlaceMatch] = []
    seen: set[tuple[str, int]] = set()
    # Buildings as residents name them (compound or alias + number), with grid and workers.
    places = grid_adapters.search_places(" ".join(terms), MAX_RESULTS)["places"]
    community_codes = {p["community_code"] for p in places}
    ancestors = Q(code__in=community_codes)
    for org in orgs:
        if org.kind != OrgKind.COMMUNITY_COMMITTEE:
            ancestors |= Q(tree_id=org.tree_id, lft__lt=org.lft, rght__gt=org.rght)
    communities = {
        (c.tree_id, c.lft): c
        for c in Organization.objects.filter(kind=OrgKind.COMMUNITY_COMMITTEE).filter(ancestors)
    }
    by_code = {c.code: c for c in communities.values()}
    names = public_names()
    for place in places:
        community = by_code.get(place["community_code"])
        label = place["label"]
        if community is None or (label.replace(" ", ""), community.pk) in seen:
            continue
        seen.add((label.replace(" ", ""), community.pk))
        matches.append(
            PlaceMatch(
                label=label,
                kind="楼栋",
                community=community,
                community_name=names.get(community.code, community.name),
                grid=place["grid"],
                workers=tuple(place["workers"]),
                value=place["value"],
            )
        )
    for org in orgs:
        community = (
            org if org.kind == OrgKind.COMMUNITY_COMMITTEE else _community_of(org, communities)
        )
        if community is None:
            continue
        kind = {"community_committee": "社区", "compound_branch": "小区", "building_group": "楼栋"}[
            org.kind
        ]
        label = public_name(org) if org.kind == OrgKind.COMMUNITY_COMMITTEE else place_name(org)
        if (label, community.pk) in seen:
            continue
        seen.add((label, community.pk))
        matches.append(
            PlaceMatch(
                label=label,
                kind=kind,
                community=community,
                community_name=names.get(community.code, community.name),
            )
        )
    return matches[:MAX_RESULTS]


def communities() -> QuerySet[Organization]:
    return Organization.objects.filter(kind=OrgKind.COMMUNITY_COMMITTEE).order_by("code")


def community_list() -> list[Organization]:
    """All communities (for menus and the home page), cached."""
    return _cached("communities", lambda: list(communities()))


def community_by_code(code: str) -> Organization | None:
    if not code or len(code) > 64:
        return None
    return communities().filter(code=code).select_related("parent").first()


def compounds_of(community: Organization) -> list[str]:
    """The community's compounds as residents name them (“园林小区（又叫园林花园）”): the grids
    app's compound records, else the compound party branches."""
    named = grid_adapters.compounds_of(community)
    if named:
        return named
    return [
        place_name(o)
        for o in community.get_children().filter(kind=OrgKind.COMPOUND_BRANCH).order_by("code")
    ]


def service_centre_of(community: Organization) -> ServiceCentre | None:
    return ServiceCentre.objects.filter(community=community).first()


def handbook_items(community: Organization | None = None) -> QuerySet[ServiceItem]:
    """Published items of a community and of its street (street items apply to everyone)."""
    items = ServiceItem.objects.filter(is_published=True).select_related("organization")
    if community is not None:
        items = items.filter(Q(organization=community) | Q(organization_id=community.parent_id))
    return items


def community_info(code: str) -> dict | None:
    """Everything the community page shows (None for an unknown code), cached."""

    def build():
        community = community_by_code(code)
        if community is None:
            return False  # cached too, so unknown codes cost nothing either
        return {
            "community": community,
            "name": community_label(community),
            "centre": service_centre_of(community),
            "compounds": compounds_of(community),
            "grids": grid_adapters.grids_with_workers(community),
            "officers": public_officers(community),
            "code": community.code,
            "items": list(handbook_items(community)[:8]),
        }

    if not code or len(code) > 64:
        return None
    return _cached(f"community:{code}", build) or None
