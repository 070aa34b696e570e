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
    elif case["dispatch_kind"] in ("member", "cadre"):
        # 社区吹哨、党员报到: a person again, so the community's members stand for them.
        handler = f"{community}报到党员"
    else:
        handler = case["target_label"] or case.get("department__name") or community
    status = case["status"]
    reopen_until = None
    if status in ("resolved", "evaluated") and case["resolved_at"] is not None:
        from datetime import timedelta

        from django.utils import timezone

        from grids.choices import REOPEN_WINDOW_DAYS

        reopen_until = case["resolved_at"] + timedelta(days=REOPEN_WINDOW_DAYS)
        if timezone.now() > reopen_until:
            reopen_until = None
    building = "".join(filter(None, (case["building__compound__name"], case["building__name"])))
    place = "，".join(filter(None, (community, building, case["location"])))
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
        "can_reopen": reopen_until is not None,
        "reopen_until": reopen_until,
        "reopen_count": case["reopen_count"],
        "place": place,
        "satisfaction": case["satisfaction"],
        "evaluation_comment": case["evaluation_comment"],
        "events": events,
    }


def _photos(tracking_code: str, *, signed: bool) -> list[dict]:
    """The case's photos as links: signed, expiring links for a visitor who proved code and
    digits; the protected ``/files/…`` route for the signed-in reporter (core.media lets a
    resident read their own case's photos)."""
    from django.urls import reverse

    from core.media import signed_url
    from grids.models import CasePhoto

    names = CasePhoto.objects.filter(case__tracking_code=tracking_code).order_by("pk")
    result = []
    for name in names.values_list("file", flat=True):
        if signed:
            result.append({"url": signed_url(name), "thumb": signed_url(name, thumbnail=True)})
        else:
            result.append(
                {
                    "url": reverse("protected-file", kwargs={"name": name}),
                    "thumb": reverse("protected-thumbnail", kwargs={"name": name}),
                }
            )
    return result


def case_lookup(*, tracking_code: str, phone_last4: str, signed: bool = True) -> dict | None:
    """The reporter's view of a case, or None (wrong code and wrong digits look the same).
    One query, and a second one only when the case has photos."""
    from grids.selectors import case_track_summary

    case = case_track_summary(tracking_code=tracking_code, phone_last4=phone_last4)
    if case is None:
        return None
    view = _case_view(case)
    view["photos"] = _photos(case["tracking_code"], signed=signed) if case["photo_count"] else []
    return view


# -- a signed-in resident's own requests (filed with their phone, or for them at the desk) -----


def my_cases(phone: str) -> list[dict]:
    """Every case filed with this phone, newest first, with its unread notices."""
    from django.db.models import Count, Q

    from grids.choices import CaseCategory, CaseStatus, NoticeAudience
    from grids.models import Case

    if not phone:
        return []
    unread = Q(notices__audience=NoticeAudience.RESIDENT, notices__read_at__isnull=True)
    rows = (
        Case.objects.filter(reporter_phone=phone)
        .annotate(unread=Count("notices", filter=unread))
        .order_by("-reported_at", "-id")
        .values(
            "tracking_code",
            "category",
            "status",
            "reported_at",
            "location",
            "building__name",
            "building__compound__name",
            "community__name",
            "unread",
        )[:200]
    )
    categories, statuses = dict(CaseCategory.choices), dict(CaseStatus.choices)
    result = []
    for r in rows:
        building = "".join(filter(None, (r["building__compound__name"], r["building__name"])))
        result.append(
            {
                "tracking_code": r["tracking_code"],
                "category": categories.get(r["category"], r["category"]),
                "status": r["status"],
                "status_label": statuses.get(r["status"], r["status"]),
                "reported_at": r["reported_at"],
                "place": "，".join(filter(None, (r["community__name"], building, r["location"]))),
                "unread": r["unread"],
            }
        )
    return result


def my_case(phone: str, tracking_code: str) -> dict | None:
    """One of the resident's own cases (the whole phone must match), or None; marks its
    notices read."""
    from django.utils import timezone

    from grids.choices import NoticeAudience
    from grids.models import Case, CaseNotice

    code = (tracking_code or "").strip().upper()
    if not phone or not Case.objects.filter(tracking_code=code, reporter_phone=phone).exists():
        return None
    view = case_lookup(tracking_code=code, phone_last4=phone[-4:], signed=False)
    if view is not None:
        CaseNotice.objects.filter(
            case__tracking_code=code, audience=NoticeAudience.RESIDENT, read_at__isnull=True
        ).update(read_at=timezone.now())
    return view


def my_notices(phone: str, limit: int = 5) -> dict:
    """The resident's unread notices (newest first) and how many there are."""
    from grids.choices import NoticeAudience
    from grids.models import CaseNotice

    if not phone:
        return {"count": 0, "items": []}
    unread = CaseNotice.objects.filter(
        case__reporter_phone=phone, audience=NoticeAudience.RESIDENT, read_at__isnull=True
    )
    items = list(
        unread.order_by("-created_at", "-id").values("text", "created_at", "case__tracking_code")[
            :limit
        ]
    )
    count = len(items) if len(items) < limit else unread.count()
    return {"count": count, "items": items}


def case_rate(*, tracking_code: str, phone_last4: str, satisfaction: int, comment: str) -> dict:
    """Rate a resolved case once; ValidationError/PermissionDenied otherwise."""
    from django.core.exceptions import PermissionDenied

    from grids.services.cases import case_evaluate, case_track

    case = case_track(tracking_code=tracking_code, phone_last4=phone_last4)
    if case is None:
        raise PermissionDenied("没有查到这件反映。")
    case_evaluate(case=case, satisfaction=satisfaction, comment=comment, phone_last4=phone_last4)
    return case_lookup(tracking_code=tracking_code, phone_last4=phone_last4)


def case_reopen(*, tracking_code: str, phone_last4: str, reason: str, photos=()) -> dict:
    """The reporter says the problem is not fixed (问题没解决). PermissionDenied when the code
    and digits do not match (the same answer as an unknown code), ValidationError when the
    case cannot be reopened (not resolved, or more than 15 days ago) or the input is bad."""
    from django.core.exceptions import PermissionDenied

    from grids.services.cases import case_reopen as reopen
    from grids.services.cases import case_track

    case = case_track(tracking_code=tracking_code, phone_last4=phone_last4)
    if case is None:
        raise PermissionDenied("没有查到这件反映。")
    reopen(case=case, reason=reason, phone_last4=phone_last4, photos=photos)
    return case_lookup(tracking_code=tracking_code, phone_last4=phone_last4)
