"""Thin adapters over the other apps' public services and models.

The portal never writes another app's tables itself: each function here calls that app's
service (or reads through its models with the public filters) and hands the views plain
data. A feature whose backing service is not importable is simply left out of the menu.
"""

from __future__ import annotations

from functools import cache
from importlib import import_module


def _has(module: str, *names: str) -> bool:
    try:
        mod = import_module(module)
    except ImportError:
        return False
    return all(hasattr(mod, name) for name in names)


@cache
def features() -> dict[str, bool]:
    return {
        "grids": _has("grids.models", "Grid", "GridWorker", "Building"),
    }


def nav_items() -> list[dict]:
    return []


# -- grids: buildings and grids with their workers' public work phones -----------------------


def search_buildings(terms: list[str], limit: int) -> list:
    if not features()["grids"] or not terms:
        return []
    from django.db.models import Q

    from grids.models import Building

    q = Q()
    for term in terms:
        q &= Q(name__icontains=term) | Q(compound__icontains=term) | Q(address__icontains=term)
    return list(Building.objects.filter(q).only("name", "compound", "community_id")[:limit])


def grids_with_workers(community) -> list[dict]:
    """The community's grids, each with its active workers' role, name and work phone.

    A worker's phone is shown only when the grids app marks it as a public work phone
    (``work_phone``); otherwise residents are pointed to the community's own phone.
    """
    if not features()["grids"]:
        return []
    from django.db.models import Prefetch

    from grids.choices import GridLevel
    from grids.models import Grid, GridWorker

    workers = GridWorker.objects.filter(active=True).order_by("role", "code")
    grids = (
        Grid.objects.filter(community=community, level=GridLevel.GRID)
        .prefetch_related(Prefetch("workers", queryset=workers))
        .order_by("code")
    )
    result = []
    for grid in grids:
        result.append(
            {
                "name": grid.name,
                "workers": [
                    {
                        "role": w.get_role_display(),
                        "name": w.name,
                        "work_phone": getattr(w, "work_phone", "") or "",
                    }
                    for w in grid.workers.all()
                ],
            }
        )
    return result


# -- volunteers ---------------------------------------------------------------------------------


def volunteer_summary(user) -> dict | None:
    return None
