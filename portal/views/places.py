"""The place picker of 我要反映: compound → building → unit (→ door), found by typing part of a
name (“园林 3栋”, “春晖5号楼”).

Without JavaScript the search is a server step: the report form's 查找 button posts the form,
which comes back with everything typed and the matching places to pick (radio buttons).
With JavaScript (``static/portal/places.js``) the same list follows the typing, read from
``/report/places/?q=`` (JSON). “其他地方” (a community and a free-text place) is always offered.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata

from django.core.cache import cache
from django.http import JsonResponse
from django.views.decorators.http import require_GET

from portal import selectors
from portal.adapters import grids as grid_adapters
from portal.naming import public_names

MAX_PLACES = 20
PICKER_FIELDS = ("place", "place_q", "unit", "door")


def _message(found: dict, query: str) -> str:
    problem, places = found["problem"], found["places"]
    parsed = found.get("query")
    if problem == "too_short":
        return "请至少写两个字，例如“园林 3栋”。"
    if problem == "too_long":
        return "写得太长了，请只写小区名和楼号，例如“春晖5号楼”。"
    if problem == "no_building" and parsed is not None:
        names = "、".join(found["compounds"][:3])
        return (
            f"找到了{names}，但没有{parsed.building}号楼。请核对楼号再查，"
            "或选下面的“其他地方”并写明位置。"
        )
    if problem or not places:
        return (
            f"没有找到“{query}”。可以少写几个字再试（例如只写小区名），"
            "或选下面的“其他地方”并写明位置。"
        )
    if len(places) == 1:
        return f"找到 1 处：{places[0]['label']}。请确认下面已选中。"
    more = "结果较多，只列出前 20 处，请多写几个字。" if found["more"] else ""
    if parsed is not None and parsed.building:
        return f"有 {len(places)} 处都叫这个名字，请选您说的那一处。{more}"
    return f"找到 {len(places)} 栋楼，请选一栋（写上楼号更快，例如“园林 3栋”）。{more}"


def find_places(query: str) -> dict:
    """Places for a typed query, with the public community name and a message, cached for a
    minute per normalised query (the search itself is at most three queries)."""
    query = (query or "").strip()[:200]
    folded = re.sub(r"\s+", " ", unicodedata.normalize("NFKC", query).lower())
    key = hashlib.sha256(folded.encode()).hexdigest()[:24]
    cache_key = f"portal:pub:places:{key}:{len(query) > 40}"
    found = cache.get(cache_key)
    if found is None:
        found = grid_adapters.search_places(query, MAX_PLACES)
        names = public_names()
        for place in found["places"]:
            place["community_name"] = names.get(place["community_code"], "")
        found = {
            "places": found["places"],
            "problem": found["problem"],
            "message": _message(found, query[:40]),
        }
        cache.set(cache_key, found, selectors.PUBLIC_TTL)
    return found


def _detail(place: dict) -> str:
    workers = "；".join(
        f"{w['role']} {w['name']}" + (f" {w['work_phone']}" if w["work_phone"] else "")
        for w in place["workers"]
    )
    where = f"{place.get('community_name', '')} {place['grid']}".strip()
    return f"{where}：{workers}" if workers else where


@require_GET
def place_suggest(request):
    """JSON for the picker's suggestions: ``{"message", "places": [{value, label, detail,
    units, unit}]}``. Public data only (places, grids, workers' public work phones)."""
    found = find_places(request.GET.get("q", ""))
    return JsonResponse(
        {
            "message": found["message"],
            "places": [
                {
                    "value": p["value"],
                    "label": p["label"],
                    "detail": _detail(p),
                    "units": p["units"],
                    "unit": p["unit"] or "",
                }
                for p in found["places"]
            ],
        },
        json_dumps_params={"ensure_ascii": False},
    )


def build_picker(form, *, search: bool = False) -> dict:
    """What the picker partial shows for ``form`` (bound or not): the typed query, the places
    to choose from (the picked building, or the search results), “其他地方” per community,
    the unit choices and the door."""
    source = form.data if form.is_bound else form.initial
    value = str(source.get("place") or "")[:80]
    query = str(source.get("place_q") or "").strip()
    unit = str(source.get("unit") or "")[:4]
    door = str(source.get("door") or "")[:20]
    places: list[dict] = []
    message = ""
    chosen = grid_adapters.place_detail(value) if value.startswith("b:") else None
    if chosen is not None:
        chosen["community_name"] = public_names().get(chosen["community_code"], "")
    if query and (search or chosen is None):
        found = find_places(query)
        places, message = list(found["places"]), found["message"]
        if chosen is not None and chosen["value"] not in {p["value"] for p in places}:
            chosen = None  # a new search: pick again among its results
        if chosen is None and len(places) == 1:
            value = places[0]["value"]  # the one match, ready to confirm
            unit = unit or str(places[0]["unit"] or "")
            door = door or places[0]["door"]
        elif len(places) > 1:
            first = places[0]
            if not unit and first["unit"]:
                unit = str(first["unit"])
            door = door or first["door"]
    if chosen is not None and not places:
        places = [chosen]
    for place in places:
        place["detail"] = _detail(place)
    names = public_names()
    code = getattr(form, "community_code", "")
    others = [(f"c:{c.code}", names.get(c.code, c.name)) for c in selectors.community_list()]
    others.sort(key=lambda o: o[0] != f"c:{code}")
    most_units = max([p["units"] for p in places] or [0])
    return {
        "value": value,
        "query": query,
        "message": message,
        "places": places,
        "others": others,
        "units": [str(n) for n in range(1, most_units + 1)],
        "unit": unit,
        "door": door,
        "errors": form.errors.get("place", []) if form.is_bound else [],
    }
