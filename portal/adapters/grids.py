"""Grids: buildings, grids and their workers, and the case (民情诉求) services."""

from __future__ import annotations

from portal.adapters import features
from portal.naming import public_names, strip_party

_NOTHING = {"places": [], "compounds": [], "problem": "no_compound", "more": False, "query": None}


def search_places(query: str, limit: int = 20) -> dict:
    """Buildings matching a typed place (“园林 3栋”), each with grid and workers; see
    ``grids.selectors.place_search``. Without the grids app: nothing found."""
    if not features()["grids"]:
        return dict(_NOTHING)
    from grids.selectors import place_search

    return place_search(query, limit=limit)


def place_detail(value: str) -> dict | None:
    """A picked building (``b:<code>``) as the search describes it, or None."""
    kind, _, code = (value or "").partition(":")
    if kind != "b" or not code or len(code) > 64 or not features()["grids"]:
        return None
    from grids.selectors import place_of_building

    return place_of_building(code)


def compounds_of(community) -> list[str]:
    """The community's compounds, “园林小区（又叫园林花园、老园林）”."""
    if not features()["grids"]:
        return []
    from grids.models import Compound

    names = []
    for compound in Compound.objects.filter(community=community).order_by("code"):
        aliases = compound.alias_list()
        names.append(f"{compound.name}（又叫{'、'.join(aliases)}）" if aliases else compound.name)
    return names


def grids_with_workers(community) -> list[dict]:
    """The community's grids, each with its active workers' role, name and work phone.

    Only the public duty phone (``GridWorker.work_phone``) is read — never the personal,
    masked ``phone``; a worker without one points residents to the community's own phone.
    """
    if not features()["grids"]:
        return []
    from django.db.models import Prefetch

    from grids.choices import GridLevel
    from grids.models import Grid, GridWorker
    from grids.selectors import buildings_by_grid

    workers = GridWorker.objects.filter(active=True).order_by("role", "code")
    grids = (
        Grid.objects.filter(community=community, level=GridLevel.GRID)
        .prefetch_related(Prefetch("workers", queryset=workers))
        .order_by("code")
    )
    served = buildings_by_grid(community)
    result = []
    for grid in grids:
        result.append(
            {
                "name": grid.name,
                "places": [
                    f"{compound} {'、'.join(names)}" for compound, names in served.get(grid.pk, [])
                ],
                "workers": [
                    {
                        "role": w.get_role_display(),
                        "name": w.name,
                        "work_phone": w.work_phone,
                    }
                    for w in grid.workers.all()
                ],
            }
        )
    return result


# -- cases --------------------------------------------------------------------------------------

# Plain words for each step, as the resident sees it on the tracking page.
STEP_WORDS = {
    "report": "您的反映已提交",
    "accept": "社区已受理，正在安排处理",
    "dispatch": "已交给承办人员处理",
    "acknowledge": "承办部门已接单",
    "resolve": "已办结",
    "evaluate": "您已评价",
    "reopen": "您反映仍未解决，已退回重新办理",
}


def case_categories() -> list[tuple[str, str]]:
    from grids.choices import CaseCategory

    return list(CaseCategory.choices)


def resolve_place(value: str) -> dict:
    """``c:<code>``/``b:<code>`` → keyword arguments for case_report (community or building)."""
    from organizations.choices import OrgKind
    from organizations.models import Organization

    kind, _, code = (value or "").partition(":")
    if kind == "c":
        community = Organization.objects.filter(kind=OrgKind.COMMUNITY_COMMITTEE, code=code).first()
        if community is not None:
            return {"community": community}
    if kind == "b" and features()["grids"]:
        from grids.models import Building

        building = Building.objects.select_related("grid", "community").filter(code=code).first()
        if building is not None:
            return {"building": building}
    return {}


def case_submit(
    *,
    name: str,
    phone: str,
    category: str,
    description: str,
    place: dict,
    location: str,
    photos,
    same_problem_as: str = "",
) -> str:
    """File a portal case and return only its tracking code. ``same_problem_as``: the tracking
    code of the same problem reported minutes earlier by another visitor (linked, not shared)."""
    from grids.choices import CaseSource
    from grids.models import Case
    from grids.services.cases import case_report

    first = Case.objects.filter(tracking_code=same_problem_as).first() if same_problem_as else None

    case = case_report(
        actor=None,
        source=CaseSource.PORTAL,
        reporter_name=name,
        reporter_phone=phone,
        category=category,
        description=description,
        location=location,
        photos=photos,
        same_problem_as=first,
        **place,
    )
    return case.tracking_code


def _case_view(case: dict) -> dict:
    """Plain words for the reporter, from ``grids.selectors.case_track_summary``."""
    from grids.choices import CaseAction, CaseCategory, CaseStatus

    def label(choices, value) -> str:
        return dict(choices.choices).get(value, value or "")

    # The community by its public (residents' committee) name, never “…大党委”.
    community = public_names().get(case.get("community__code") or "") or strip_party(
        case["community__name"] or ""
    )
    if case["dispatch_kind"] == "grid_worker":
        # The handler is a person: name the grid, not them.
        handler = f"{community}{case['grid__name'] or ''}网格员"
    else:
        handler = case["target_label"] or case["department"] or community
    status = case["status"]
    events = [
        {
            "when": e["created_at"],
            "words": STEP_WORDS.get(e["action"]) or label(CaseAction, e["action"]),
            "status": label(CaseStatus, e["to_status"]),
        }
        for e in case["events"]
    ]
    return {
        "tracking_code": case["tracking_code"],
        "category": label(CaseCategory, case["category"]),
        "description": case["description"],
        "status": status,
        "status_label": label(CaseStatus, status),
        "reported_at": case["reported_at"],
        "due_at": case["due_at"],
        "handler": handler,
        "resolution": case["resolution"] if status in ("resolved", "evaluated") else "",
        "can_rate": status == "resolved",
        "satisfaction": case["satisfaction"],
        "evaluation_comment": case["evaluation_comment"],
        "events": events,
    }


def case_lookup(*, tracking_code: str, phone_last4: str) -> dict | None:
    """The reporter's view of a case, or None (wrong code and wrong digits look the same)."""
    from grids.selectors import case_track_summary

    case = case_track_summary(tracking_code=tracking_code, phone_last4=phone_last4)
    return _case_view(case) if case is not None else None


def case_rate(*, tracking_code: str, phone_last4: str, satisfaction: int, comment: str) -> dict:
    """Rate a resolved case once; ValidationError/PermissionDenied otherwise."""
    from django.core.exceptions import PermissionDenied

    from grids.services.cases import case_evaluate, case_track

    case = case_track(tracking_code=tracking_code, phone_last4=phone_last4)
    if case is None:
        raise PermissionDenied("没有查到这件反映。")
    case_evaluate(case=case, satisfaction=satisfaction, comment=comment, phone_last4=phone_last4)
    return case_lookup(tracking_code=tracking_code, phone_last4=phone_last4)
