"""The read side of Open311 GeoReport v2: jurisdictions, services (case categories), their
attribute definitions (compound / building / unit from the grids' place records) and the
public view of cases.

Public-safe by construction: a request is read as plain values from a fixed column list —
never the reporter's name, phone, resident record or household, never the free-text location
(it holds unit and door), never staff names. The address is the community's public name, the
compound and the building at most; phone- and ID-like digit runs in the description are
blanked. ``requests_list`` is one query (the jurisdiction is cached a minute)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from django.core.cache import cache
from django.db.models import F
from django.db.models.functions import Coalesce, Greatest

from grids.choices import DONE_STATUSES, OPEN_STATUSES, CaseCategory, CaseStatus, DispatchKind
from grids.models import Building, Case, Compound
from open311.choices import ATTR_BUILDING, ATTR_COMPOUND, ATTR_DOOR, ATTR_UNIT
from organizations.choices import OrgKind
from organizations.models import Organization
from portal.naming import public_names, strip_party

JURISDICTION_KINDS = (OrgKind.STREET_COMMITTEE, OrgKind.COMMUNITY_COMMITTEE)
_TTL = 60


@dataclass(frozen=True)
class Jurisdiction:
    """A street or community, with the communities it holds (cached as plain values)."""

    pk: int
    code: str
    name: str
    kind: str
    tree_id: int
    lft: int
    rght: int
    community_ids: tuple[int, ...]

    @property
    def is_community(self) -> bool:
        return self.kind == OrgKind.COMMUNITY_COMMITTEE

    def holds(self, org) -> bool:
        return org.tree_id == self.tree_id and self.lft <= org.lft and org.rght <= self.rght


def find_jurisdiction(code: str) -> Jurisdiction | None:
    """The street or community with this organisation code, or None (two queries, cached)."""
    code = (code or "").strip()
    if not code or len(code) > 64:
        return None
    key = f"open311:jur:{code}"
    found = cache.get(key)
    if found is not None:
        return found or None
    org = (
        Organization.objects.filter(code=code, kind__in=JURISDICTION_KINDS)
        .only("pk", "code", "name", "kind", "tree_id", "lft", "rght")
        .first()
    )
    if org is None:
        cache.set(key, False, _TTL)
        return None
    communities = Organization.objects.filter(
        kind=OrgKind.COMMUNITY_COMMITTEE,
        tree_id=org.tree_id,
        lft__gte=org.lft,
        rght__lte=org.rght,
    ).values_list("pk", flat=True)
    found = Jurisdiction(
        pk=org.pk,
        code=org.code,
        name=org.name,
        kind=org.kind,
        tree_id=org.tree_id,
        lft=org.lft,
        rght=org.rght,
        community_ids=tuple(sorted(communities)),
    )
    cache.set(key, found, _TTL)
    return found


# -- services ------------------------------------------------------------------------------

SERVICE_DESCRIPTIONS = {
    CaseCategory.SAFETY: "治安隐患、消防通道、可疑情况等。",
    CaseCategory.ENVIRONMENT: "垃圾、污水、噪音、绿化等环境卫生问题。",
    CaseCategory.FACILITIES: "路灯、道路、井盖、健身器材等市政设施。",
    CaseCategory.PROPERTY: "物业服务、电梯、停车、维修基金等。",
    CaseCategory.DISPUTE: "邻里纠纷、需要调解的矛盾。",
    CaseCategory.LIVELIHOOD: "养老、救助、办事等民生服务需求。",
    CaseCategory.OTHER: "其他需要社区了解和处理的问题。",
}
SERVICE_GROUP = "民情诉求"


def service_list(jurisdiction: Jurisdiction) -> list[dict]:
    """Every case category: each jurisdiction (street or community) accepts all of them."""
    return [
        {
            "service_code": value,
            "service_name": label,
            "description": SERVICE_DESCRIPTIONS.get(value, ""),
            "metadata": True,
            "type": "realtime",
            "keywords": label,
            "group": SERVICE_GROUP,
        }
        for value, label in CaseCategory.choices
    ]


def attribute_definitions(jurisdiction: Jurisdiction) -> list[dict]:
    """compound / building (lists from the grids' place records of the jurisdiction), unit
    (a number the building has) and door (kept with the case, never published). Two queries."""
    communities = jurisdiction.community_ids
    compounds = list(
        Compound.objects.filter(community_id__in=communities)
        .order_by("community__code", "code")
        .values_list("code", "name")
    )
    buildings = list(
        Building.objects.filter(community_id__in=communities)
        .order_by("compound__code", "code")
        .values_list("code", "compound__name", "name", "units")
    )
    most_units = max((units or 0 for *_, units in buildings), default=0)
    return [
        {
            "variable": True,
            "code": ATTR_COMPOUND,
            "datatype": "singlevaluelist",
            "required": False,
            "datatype_description": "小区编码。只选小区时请在 address_string 写明具体位置。",
            "order": 1,
            "description": "小区",
            "values": [{"key": code, "name": name} for code, name in compounds],
        },
        {
            "variable": True,
            "code": ATTR_BUILDING,
            "datatype": "singlevaluelist",
            "required": False,
            "datatype_description": "楼栋编码（也可用 address_id 传）。不选楼栋时，"
            "jurisdiction_id 须为社区，并在 address_string 写明具体位置。",
            "order": 2,
            "description": "楼栋",
            "values": [
                {"key": code, "name": f"{compound} {name}"}
                for code, compound, name, _units in buildings
            ],
        },
        {
            "variable": True,
            "code": ATTR_UNIT,
            "datatype": "number",
            "required": False,
            "datatype_description": f"单元号，1 到该楼栋的单元数（本辖区最多 {most_units}）。",
            "order": 3,
            "description": "单元",
            "values": [],
        },
        {
            "variable": True,
            "code": ATTR_DOOR,
            "datatype": "string",
            "required": False,
            "datatype_description": "门牌号，例如 302。只交给办理人员，不会公开。",
            "order": 4,
            "description": "门牌号",
            "values": [],
        },
    ]


# -- requests ------------------------------------------------------------------------------


def _updated_expression():
    """When a case last changed step: the latest of its step times (no NULLs reach GREATEST)."""
    reported = F("reported_at")
    return Greatest(
        reported,
        *(
            Coalesce(F(name), reported)
            for name in ("accepted_at", "dispatched_at", "resolved_at", "evaluated_at")
        ),
    )


REQUEST_COLUMNS = (
    "tracking_code",
    "status",
    "category",
    "description",
    "reported_at",
    "updated_at",
    "due_at",
    "dispatch_kind",
    "target_label",
    "department",
    "community__code",
    "community__name",
    "grid__name",
    "building__code",
    "building__name",
    "building__compound__name",
)


@dataclass
class RequestFilters:
    service_codes: tuple[str, ...] = ()
    statuses: tuple[str, ...] = ()  # "open" / "closed"
    start: datetime | None = None
    end: datetime | None = None
    updated_after: datetime | None = None
    updated_before: datetime | None = None
    agency_ids: tuple[int, ...] | None = None  # communities named by agency_responsible
    codes: tuple[str, ...] = ()  # service_request_id (comma separated): overrides the rest
    offset: int = 0
    limit: int = 50


def _base(jurisdiction: Jurisdiction):
    return Case.objects.filter(community_id__in=jurisdiction.community_ids)


def requests_list(jurisdiction: Jurisdiction, filters: RequestFilters) -> list[dict]:
    """Public view of the jurisdiction's cases, newest first. One query."""
    qs = _base(jurisdiction)
    if filters.codes:
        qs = qs.filter(tracking_code__in=filters.codes)
    else:
        if filters.service_codes:
            qs = qs.filter(category__in=filters.service_codes)
        if filters.statuses and set(filters.statuses) != {"open", "closed"}:
            qs = qs.filter(
                status__in=OPEN_STATUSES if "open" in filters.statuses else DONE_STATUSES
            )
        if filters.start is not None:
            qs = qs.filter(reported_at__gte=filters.start)
        if filters.end is not None:
            qs = qs.filter(reported_at__lte=filters.end)
        if filters.agency_ids is not None:
            qs = qs.filter(community_id__in=filters.agency_ids)
    qs = qs.annotate(updated_at=_updated_expression())
    if filters.updated_after is not None:
        qs = qs.filter(updated_at__gt=filters.updated_after)
    if filters.updated_before is not None:
        qs = qs.filter(updated_at__lt=filters.updated_before)
    rows = qs.order_by("-reported_at", "-id").values(*REQUEST_COLUMNS)[
        filters.offset : filters.offset + filters.limit
    ]
    names = public_names()
    return [public_request(row, names) for row in rows]


def request_detail(jurisdiction: Jurisdiction, code: str) -> dict | None:
    """One request by its tracking code, only within the jurisdiction (else None: unknown
    and another jurisdiction's look the same)."""
    code = (code or "").strip().upper()
    if not code or len(code) > 16:
        return None
    row = (
        _base(jurisdiction)
        .filter(tracking_code=code)
        .annotate(updated_at=_updated_expression())
        .values(*REQUEST_COLUMNS)
        .first()
    )
    return public_request(row, public_names()) if row else None


# Digit runs that may be a phone or ID number typed into the description.
_PRIVATE_DIGITS = re.compile(r"(?<![0-9])[0-9][0-9 \-]{5,}[0-9Xx](?![0-9])")
_CATEGORY_LABELS = dict(CaseCategory.choices)
_STATUS_LABELS = dict(CaseStatus.choices)


def redact(text: str) -> str:
    """Blank phone- and ID-like digit runs (7 or more digits) typed into free text."""

    def blank(match: re.Match) -> str:
        digits = sum(c.isdigit() for c in match.group(0))
        return "***" if digits >= 7 else match.group(0)

    return _PRIVATE_DIGITS.sub(blank, text or "")


def public_request(row: dict, names: dict[str, str]) -> dict:
    """A case's public-safe Open311 fields (the spec's names), from ``REQUEST_COLUMNS``."""
    community = names.get(row["community__code"]) or strip_party(row["community__name"] or "")
    if row["dispatch_kind"] == DispatchKind.GRID_WORKER:
        agency = f"{community}{row['grid__name'] or ''}网格员"  # a person: name the grid only
    else:
        agency = row["department"] or row["target_label"] or community
    building = "".join(filter(None, (row["building__compound__name"], row["building__name"])))
    status = row["status"]
    return {
        "service_request_id": row["tracking_code"],
        "status": "closed" if status in DONE_STATUSES else "open",
        "status_notes": _STATUS_LABELS.get(status, status),
        "service_name": _CATEGORY_LABELS.get(row["category"], row["category"]),
        "service_code": row["category"],
        "description": redact(row["description"]),
        "agency_responsible": agency,
        "service_notice": "",
        "requested_datetime": row["reported_at"],
        "updated_datetime": row["updated_at"],
        "expected_datetime": row["due_at"],
        "address": "，".join(filter(None, (community, building))),
        "address_id": row["building__code"] or "",
        "zipcode": None,
        "lat": None,
        "long": None,
        "media_url": None,
    }


def community_ids_for(jurisdiction: Jurisdiction, codes: list[str]) -> tuple[int, ...]:
    """agency_responsible=<community code>[,…]: those of the jurisdiction's communities."""
    return tuple(
        Organization.objects.filter(code__in=codes, pk__in=jurisdiction.community_ids).values_list(
            "pk", flat=True
        )
    )
