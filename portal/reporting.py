"""Filing a resident's case, the one way every public channel does it: the portal's 我要反映
form (``portal.views.cases``) and Open311's ``POST requests`` (``open311.services``) both call
these — the same field checks, the same place rules, the same rate limits and the same
duplicate merging, around ``grids.services.cases.case_report`` (through the grids adapter).

- ``clean_description`` / ``clean_reporter_name`` / ``clean_mobile``: the field checks.
- ``resolve_place`` + ``place_location``: a picked place (``c:<community code>`` /
  ``b:<building code>``) and unit/door/具体位置 → case_report's place arguments and location.
- ``submit``: rate limits (unless it is this visitor's own duplicate), then ``file_case``.
- ``file_case``: this visitor's own duplicate within minutes → their code again; the same
  problem from someone else → a case of its own linked as ``same_problem_as``; a short lock
  so two identical posts at once file one case.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from django.core.cache import cache
from django.core.exceptions import ValidationError

from core.validators import is_mobile, normalize_phone
from portal.adapters import grids as grid_adapters
from portal.protection import (
    Limit,
    check_submission_limits,
    fingerprint,
    recent_duplicate,
    recent_duplicate_by,
    remember_submission,
)

DESCRIPTION_MIN = 5
DESCRIPTION_MAX = 2000
MOBILE_MESSAGE = "手机号格式不对，请填写 11 位手机号，例如 13812345678。"
REQUIRED_MESSAGE = "这一项必须填写。"


def clean_description(value: str) -> str:
    value = (value or "").strip()
    if len(value) < DESCRIPTION_MIN:
        raise ValidationError(f"请多写几个字，把问题说清楚（至少 {DESCRIPTION_MIN} 个字）。")
    if len(value) > DESCRIPTION_MAX:
        raise ValidationError(f"问题描述最多 {DESCRIPTION_MAX} 字。")
    return value


def clean_reporter_name(value: str) -> str:
    value = (value or "").strip()
    if not value:
        raise ValidationError(REQUIRED_MESSAGE)
    if len(value) > 40:
        raise ValidationError("称呼最多 40 个字。")
    return value


def clean_mobile(value: str) -> str:
    """An 11-digit mainland mobile number, stored without spaces or +86."""
    phone = normalize_phone(value or "")
    if not is_mobile(phone):
        raise ValidationError(MOBILE_MESSAGE)
    return phone


def resolve_place(value: str) -> dict:
    """A picked place → case_report's place arguments; refused when it does not exist."""
    place = grid_adapters.resolve_place(value)
    if not place:
        raise ValidationError("没有找到这个地点，请重新查找并选择。")
    return place


def building_of(value: str) -> dict | None:
    """The picked building as the place search describes it (units, label), or None."""
    return grid_adapters.place_detail(value) if (value or "").startswith("b:") else None


def place_location(
    *, place: dict, building: dict | None, unit: str, door: str, location: str
) -> tuple[str, dict[str, str]]:
    """The case's location text (“2单元302室，东侧车棚”) and the field errors: a unit the
    building does not have; “其他地方” (a community) without 具体位置."""
    errors: dict[str, str] = {}
    unit = (unit or "").strip()
    location = (location or "").strip()
    if unit and building is not None:
        units = building["units"]
        if not unit.isdigit() or int(unit) < 1 or (units and int(unit) > units):
            errors["unit"] = f"{building['label']}只有 {units} 个单元，请重新选择。"
    if "community" in place and not location:
        errors["location"] = "选了“其他地方”，请在这里写明在哪里。"
    if building is not None:
        door = (door or "").strip()
        if door and door.isdigit():
            door += "室"
        where = (f"{unit}单元" if unit and unit.isdigit() else "") + door
        location = "，".join(p for p in (where, location) if p)[:200]
    return location, errors


def submission_fingerprint(data: dict, place_key: str) -> str:
    return fingerprint("case", data["phone"], data["category"], data["description"], place_key)


def own_duplicate(fp: str, visitor: str, session_code: str | None = None) -> str | None:
    """The code of the same case this visitor filed minutes ago (a double tap, a resubmit)."""
    code, same_visitor = recent_duplicate_by(fp, visitor)
    if code and (same_visitor or (session_code and session_code == code)):
        return code
    return None


def file_case(
    data: dict,
    *,
    place_key: str,
    visitor: str,
    session_code: str | None = None,
    before_filing: Callable[[], bool] | None = None,
) -> str | None:
    """Create the case unless this visitor filed the same one within minutes; returns the
    tracking code (None when ``before_filing`` — e.g. spending the human-check token — says
    no). ``data``: name, phone, category, description, place (case_report's place arguments),
    location, photos."""
    fp = submission_fingerprint(data, place_key)
    code = own_duplicate(fp, visitor, session_code)
    if code:
        return code
    # Two identical posts at once (a double tap from two tabs): one files, the other waits.
    lock = f"portal:dup-lock:{fp}"
    if not cache.add(lock, 1, timeout=30):
        for _ in range(30):
            time.sleep(0.1)
            if recent_duplicate(fp):
                break
        code = own_duplicate(fp, visitor, session_code)
        if code:
            return code
    try:
        if before_filing is not None and not before_filing():
            return None
        code = grid_adapters.case_submit(
            name=data["name"],
            phone=data["phone"],
            category=data["category"],
            description=data["description"],
            place=data["place"],
            location=data["location"],
            photos=data.get("photos") or [],
            same_problem_as=recent_duplicate(fp) or "",
        )
        remember_submission(fp, code, visitor)
        return code
    finally:
        cache.delete(lock)


def submit(
    request,
    data: dict,
    *,
    place_key: str,
    visitor: str,
    session_code: str | None = None,
    before_filing: Callable[[], bool] | None = None,
    source: tuple[Limit, str] | None = None,
) -> str | None:
    """Rate limits (per IP, then per phone — skipped for this visitor's own duplicate, which
    files nothing; ``source`` replaces the per-IP limit), then ``file_case``. Raises ``portal.protection.RateLimited`` or the
    service's ``ValidationError``."""
    if own_duplicate(submission_fingerprint(data, place_key), visitor, session_code) is None:
        check_submission_limits(request, data["phone"], source=source)
    return file_case(
        data,
        place_key=place_key,
        visitor=visitor,
        session_code=session_code,
        before_filing=before_filing,
    )
