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
        "cases": _has("grids.services.cases", "case_report", "case_track", "case_evaluate"),
        "volunteers": _has("volunteers.services.volunteers", "volunteer_apply")
        and _has("volunteers.services.activities", "sign_up_create", "sign_up_cancel")
        and _has("volunteers.selectors", "open_activities", "volunteer_hours_summary"),
        "wishes": _has("volunteers.services.wishes", "wish_post", "wish_claim")
        and _has("volunteers.selectors", "wishes_public"),
        "notices": _has("covenants.selectors", "public_covenant_versions")
        or _has("organizations.selectors", "public_disclosures")
        or _has("governance.assessment.selectors", "public_work_items_for"),
    }


# (feature, url, label, path prefix for aria-current)
_NAV = [
    ("cases", "/report/", "我要反映", "/report/"),
    ("cases", "/track/", "查进度", "/track/"),
    ("wishes", "/wishes/", "微心愿", "/wishes/"),
    ("volunteers", "/volunteer/", "志愿服务", "/volunteer/"),
    ("notices", "/notices/", "公开信息", "/notices/"),
]


def nav_items() -> list[dict]:
    """Menu entries for the pages whose backing app is available."""
    on = features()
    return [
        {"url": url, "label": label, "prefix": prefix}
        for feature, url, label, prefix in _NAV
        if on.get(feature)
    ]
