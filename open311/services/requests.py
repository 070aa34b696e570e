"""``POST requests``: a case filed exactly as the portal files one — ``portal.reporting``
(the report form's field checks and place rules, the same duplicate merging and the per-phone
rate limit) around ``grids.services.cases.case_report(source="portal")``. Two differences,
both about who is asking: the key stands in for the human check, and the per-IP limit is
counted per key (``OPEN311_KEY_RATE_LIMIT`` a minute), since one integrator relays many
residents from one address.

Parameters (the GeoReport v2 names): ``service_code`` (case category), ``description``,
``first_name``/``last_name`` (称呼), ``phone``, the place — ``address_id`` or
``attribute[building]`` (building code), ``attribute[compound]``, ``attribute[unit]``,
``attribute[door]``, ``address_string`` (具体位置) — and ``media_url``. ``lat``/``long``,
``email``, ``device_id``, ``account_id`` are accepted and not used.
"""

from __future__ import annotations

import hashlib

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction

from core.services import audit
from grids.choices import CaseCategory
from grids.models import Building, Case, Compound
from open311.choices import ATTR_BUILDING, ATTR_COMPOUND, ATTR_DOOR, ATTR_UNIT
from open311.models import ApiKey
from open311.selectors import Jurisdiction
from open311.services.keys import KeyRefused, key_covers
from open311.services.media import fetch_media
from portal import reporting
from portal.protection import Limit


class NotFound(Exception):
    """Something named in the request does not exist (or is not the jurisdiction's)."""


def _one(params, name: str) -> str:
    value = params.get(name, "")
    return value.strip() if isinstance(value, str) else ""


def _place(params, jurisdiction: Jurisdiction) -> tuple[str, str]:
    """(the picked place as the portal names it — ``b:<code>`` / ``c:<code>`` —, location
    prefix). Unknown and other jurisdictions' places answer the same."""
    building_code = _one(params, "address_id") or _one(params, f"attribute[{ATTR_BUILDING}]")
    compound_code = _one(params, f"attribute[{ATTR_COMPOUND}]")
    compound = None
    if compound_code:
        compound = (
            Compound.objects.filter(
                code=compound_code[:64], community_id__in=jurisdiction.community_ids
            )
            .select_related("community")
            .first()
        )
        if compound is None:
            raise ValidationError({"attribute[compound]": ["该辖区没有这个小区编码。"]})
    if building_code:
        building = (
            Building.objects.filter(
                code=building_code[:64], community_id__in=jurisdiction.community_ids
            )
            .only("pk", "code", "compound_id")
            .first()
        )
        if building is None:
            raise ValidationError({"address_id": ["该辖区没有这个楼栋编码。"]})
        if compound is not None and building.compound_id != compound.pk:
            raise ValidationError({"attribute[building]": ["楼栋不在所选小区。"]})
        return f"b:{building.code}", ""
    if compound is not None:
        return f"c:{compound.community.code}", compound.name
    if not jurisdiction.is_community:
        raise ValidationError(
            {
                "address_id": [
                    "请用 address_id 或 attribute[building] 指明楼栋（或 attribute[compound] 指明小区），"
                    "或以社区编码为 jurisdiction_id 并在 address_string 写明具体位置。"
                ]
            }
        )
    return f"c:{jurisdiction.code}", ""


def _field(errors: dict, name: str, check, value):
    try:
        return check(value)
    except ValidationError as exc:
        errors.setdefault(name, []).extend(exc.messages)
        return None


def key_limit() -> Limit:
    return Limit("open311-key", settings.OPEN311_KEY_RATE_LIMIT, 60)


def visitor_for(key: ApiKey) -> str:
    """The integrator as the duplicate check's "visitor": its own resubmission within minutes
    returns its code; the same problem through another integrator (or the portal) is a case of
    its own linked as the same problem."""
    return hashlib.sha256(f"open311-key:{key.pk}".encode()).hexdigest()[:32]


def request_create(request, *, key: ApiKey, jurisdiction: Jurisdiction, params) -> str:
    """File the case and return its tracking code. Raises ``KeyRefused`` (403), ``NotFound``
    (404), ``ValidationError`` (400) or ``portal.protection.RateLimited`` (429)."""
    if not key_covers(key, _org(jurisdiction)):
        raise KeyRefused("该 api_key 不能为这个 jurisdiction_id 提交诉求。")
    category = _one(params, "service_code")
    if not category:
        raise ValidationError({"service_code": ["service_code 必须填写。"]})
    if category not in CaseCategory.values:
        raise NotFound(f"没有这个 service_code：{category[:32]}。")
    errors: dict[str, list[str]] = {}
    description = _field(
        errors, "description", reporting.clean_description, _one(params, "description")
    )
    name = _one(params, "last_name") + _one(params, "first_name")
    name = _field(errors, "first_name", reporting.clean_reporter_name, name)
    phone = _field(errors, "phone", reporting.clean_mobile, _one(params, "phone"))
    place_key, prefix = "", ""
    try:
        place_key, prefix = _place(params, jurisdiction)
    except ValidationError as exc:
        for field, messages in exc.message_dict.items():
            errors.setdefault(field, []).extend(messages)
    place = _field(errors, "address_id", reporting.resolve_place, place_key) if place_key else None
    location = _one(params, "address_string")[:200]
    if place is not None:
        location, place_errors = reporting.place_location(
            place=place,
            building=reporting.building_of(place_key),
            unit=_one(params, f"attribute[{ATTR_UNIT}]"),
            door=_one(params, f"attribute[{ATTR_DOOR}]")[:20],
            location=location,
        )
        location = "，".join(p for p in (prefix, location) if p)[:200]
        renamed = {"unit": f"attribute[{ATTR_UNIT}]", "location": "address_string"}
        for field, message in place_errors.items():
            errors.setdefault(renamed.get(field, field), []).append(message)
    if errors:
        raise ValidationError(errors)
    media_url = _one(params, "media_url")
    photos = [fetch_media(media_url)] if media_url else []
    data = {
        "name": name,
        "phone": phone,
        "category": category,
        "description": description,
        "place": place,
        "location": location,
        "photos": photos,
    }
    # One commit for the case, its steps and the audit row.
    with transaction.atomic():
        code = reporting.submit(
            request,
            data,
            place_key=place_key,
            visitor=visitor_for(key),
            source=(key_limit(), str(key.pk)),
        )
        case = Case.objects.select_related("community").get(tracking_code=code)
        audit(
            actor=None,
            action="open311.request",
            target=case,
            organization=case.community,
            detail={"key": key.key_prefix, "integrator": key.name, "code": code},
        )
    return code


def _org(jurisdiction: Jurisdiction):
    """The jurisdiction's tree position, as ``key_covers`` reads it."""
    from types import SimpleNamespace

    return SimpleNamespace(
        tree_id=jurisdiction.tree_id, lft=jurisdiction.lft, rght=jurisdiction.rght
    )
