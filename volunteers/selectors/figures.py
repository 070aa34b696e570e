"""Key figures for the dashboard, per community and for a street (or any node): registered
volunteers, active in the last 90 days, hours this year, activities held, wishes fulfilled and
their time to fulfilment. A handful of grouped queries whatever the number of communities."""

from __future__ import annotations

from collections import defaultdict
from datetime import date, timedelta
from decimal import Decimal
from statistics import median
from typing import Any

from django.db.models import Count, Q, Sum
from django.utils import timezone

from core.scope import in_scope, restrict
from organizations.choices import OrgKind
from organizations.models import Organization
from volunteers.choices import ActivityStatus, HoursSource, VolunteerStatus, WishStatus
from volunteers.models import Activity, HoursEntry, Volunteer, Wish

ACTIVE_DAYS = 90


def _empty() -> dict[str, Any]:
    return {
        "registered_volunteers": 0,
        "active_volunteers_90d": 0,
        "hours_this_year": Decimal(0),
        "activities_held": 0,
        "wishes_fulfilled": 0,
        "_wish_days": [],
    }


def _finish(row: dict[str, Any]) -> dict[str, Any]:
    days = row.pop("_wish_days")
    row["avg_days_to_fulfil"] = round(sum(days) / len(days), 1) if days else None
    row["median_days_to_fulfil"] = round(median(days), 1) if days else None
    return row


def _range_q(nodes: list[Organization], path: str) -> Q:
    q = Q(pk__in=[])
    for node in nodes:
        q |= Q(
            **{
                f"{path}__tree_id": node.tree_id,
                f"{path}__lft__gte": node.lft,
                f"{path}__lft__lte": node.rght,
            }
        )
    return q


def _owner(communities: list[Organization], tree_id: int, lft: int) -> int | None:
    for community in communities:
        if community.tree_id == tree_id and community.lft <= lft <= community.rght:
            return community.pk
    return None


def _collect(
    nodes: list[Organization], communities: list[Organization], *, year: int, today: date
) -> tuple[dict[int, dict[str, Any]], int]:
    """Figures per community id, and the count of activities held by nodes above communities."""
    rows: dict[int, dict[str, Any]] = defaultdict(_empty)
    ids = [c.pk for c in communities]
    for community_id, n in (
        Volunteer.objects.filter(community_id__in=ids, status=VolunteerStatus.REGISTERED)
        .order_by()
        .values_list("community_id")
        .annotate(n=Count("pk"))
    ):
        rows[community_id]["registered_volunteers"] = n
    recent = HoursEntry.objects.filter(
        volunteer__community_id__in=ids,
        served_on__gt=today - timedelta(days=ACTIVE_DAYS),
        served_on__lte=today,
    ).exclude(source=HoursSource.CORRECTION)
    for community_id, n in (
        recent.order_by()
        .values_list("volunteer__community_id")
        .annotate(n=Count("volunteer", distinct=True))
    ):
        rows[community_id]["active_volunteers_90d"] = n
    for community_id, total in (
        HoursEntry.objects.filter(volunteer__community_id__in=ids, served_on__year=year)
        .order_by()
        .values_list("volunteer__community_id")
        .annotate(total=Sum("hours"))
    ):
        rows[community_id]["hours_this_year"] = total or Decimal(0)
    above = 0
    held = Activity.objects.filter(
        _range_q(nodes, "organizer"),
        status=ActivityStatus.OPEN,
        ends_at__lt=timezone.now(),
        starts_at__year=year,
    )
    for tree_id, lft, n in (
        held.order_by().values_list("organizer__tree_id", "organizer__lft").annotate(n=Count("pk"))
    ):
        owner = _owner(communities, tree_id, lft)
        if owner is None:
            above += n
        else:
            rows[owner]["activities_held"] += n
    for community_id, published_at, fulfilled_at in Wish.objects.filter(
        community_id__in=ids,
        status__in=(WishStatus.FULFILLED, WishStatus.CONFIRMED),
        fulfilled_at__year=year,
    ).values_list("community_id", "published_at", "fulfilled_at"):
        rows[community_id]["wishes_fulfilled"] += 1
        if published_at and fulfilled_at:
            rows[community_id]["_wish_days"].append(
                (fulfilled_at - published_at).total_seconds() / 86400
            )
    return rows, above


def _communities(nodes: list[Organization]) -> list[Organization]:
    q = Q(pk__in=[])
    for node in nodes:
        q |= Q(tree_id=node.tree_id, lft__gte=node.lft, lft__lte=node.rght)
    return list(
        Organization.objects.filter(q, kind=OrgKind.COMMUNITY_COMMITTEE).order_by("tree_id", "lft")
    )


def volunteer_figures(
    organization: Organization, *, year: int | None = None, today: date | None = None
) -> dict[str, Any]:
    """The figures of one node's whole subtree (a community, a street, a district)."""
    today = today or timezone.localdate()
    year = year or today.year
    communities = _communities([organization])
    rows, above = _collect([organization], communities, year=year, today=today)
    total = _empty()
    for row in rows.values():
        for key in ("registered_volunteers", "active_volunteers_90d", "hours_this_year"):
            total[key] += row[key]
        total["activities_held"] += row["activities_held"]
        total["wishes_fulfilled"] += row["wishes_fulfilled"]
        total["_wish_days"].extend(row["_wish_days"])
    total["activities_held"] += above
    result = _finish(total)
    result.update({"organization": organization.code, "name": organization.name, "year": year})
    return result


def volunteer_figures_by_community(
    user, *, root: Organization | None = None, year: int | None = None, today: date | None = None
) -> dict[str, Any]:
    """One row per community the user can see (under ``root`` if given) plus the total row."""
    today = today or timezone.localdate()
    year = year or today.year
    if root is not None:
        nodes = [root]
    else:
        nodes = list(
            restrict(Organization.objects.all(), user).filter(
                kind__in=[OrgKind.STREET_COMMITTEE, OrgKind.COMMUNITY_COMMITTEE]
            )
        )
        # Keep only the topmost nodes: nested ones are covered by their ancestors' ranges.
        nodes = [
            n
            for n in nodes
            if not any(
                m is not n and m.tree_id == n.tree_id and m.lft < n.lft <= m.rght for m in nodes
            )
        ]
    communities = [c for c in _communities(nodes) if in_scope(user, c)]
    rows, above = _collect(nodes, communities, year=year, today=today)
    result_rows = []
    total = _empty()
    for community in communities:
        row = rows.get(community.pk) or _empty()
        for key in (
            "registered_volunteers",
            "active_volunteers_90d",
            "hours_this_year",
            "activities_held",
            "wishes_fulfilled",
        ):
            total[key] += row[key]
        total["_wish_days"].extend(row["_wish_days"])
        result_rows.append({"organization": community.code, "name": community.name, **_finish(row)})
    total["activities_held"] += above
    return {"year": year, "communities": result_rows, "total": _finish(total)}
