"""Open311 GeoReport v2 at ``/open311/v2/`` (docs/open311.md). Plain Django views: the read
side is public and cheap (one query for a page of requests); ``POST requests`` needs an
integrator's ``api_key``. The format is the path's suffix (``.json`` / ``.xml``)."""

from __future__ import annotations

from datetime import datetime, time, timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime
from django.views.decorators.csrf import csrf_exempt

from grids.choices import CaseCategory
from open311 import selectors, services
from open311.choices import DEFAULT_LIMIT, MAX_LIMIT, MAX_PAGE, MAX_SPAN_DAYS
from open311.rendering import SHANGHAI, error, respond
from portal.protection import RateLimited

SPEC_URL = "http://wiki.open311.org/GeoReport_v2"
CHANGESET = datetime(2026, 12, 3, tzinfo=SHANGHAI)


class BadRequest(Exception):
    def __init__(self, status: int, *descriptions: str):
        self.status = status
        self.descriptions = descriptions
        super().__init__(*descriptions)


def _jurisdiction(request) -> selectors.Jurisdiction:
    code = request.GET.get("jurisdiction_id") or request.POST.get("jurisdiction_id") or ""
    if not code.strip():
        raise BadRequest(400, "jurisdiction_id 必须填写（街道或社区的组织编码）。")
    found = selectors.find_jurisdiction(code)
    if found is None:
        raise BadRequest(404, f"没有这个 jurisdiction_id：{code.strip()[:64]}。")
    return found


def _handled(view):
    def wrapper(request, fmt, *args, **kwargs):
        try:
            return view(request, fmt, *args, **kwargs)
        except BadRequest as exc:
            return error(fmt, exc.status, *exc.descriptions)

    wrapper.__name__ = view.__name__
    wrapper.__doc__ = view.__doc__
    return wrapper


def _method(request, *allowed):
    if request.method not in allowed:
        raise BadRequest(405, f"不支持 {request.method}，请用 {' 或 '.join(allowed)}。")


@_handled
def discovery(request, fmt):
    _method(request, "GET", "HEAD")
    url = request.build_absolute_uri("/open311/v2/").rstrip("/")
    doc = {
        "changeset": CHANGESET,
        "contact": settings.OPEN311_CONTACT,
        "key_service": "api_key 由街道管理员在管理后台“Open311 接入密钥”中签发。",
        "endpoints": [
            {
                "specification": SPEC_URL,
                "url": url,
                "changeset": CHANGESET,
                "type": "production",
                "formats": ["application/json", "text/xml"],
            }
        ],
    }
    return respond(fmt, doc, root="discovery")


@_handled
def service_list(request, fmt):
    _method(request, "GET", "HEAD")
    jurisdiction = _jurisdiction(request)
    return respond(fmt, selectors.service_list(jurisdiction), root="services", item="service")


@_handled
def service_definition(request, fmt, code):
    _method(request, "GET", "HEAD")
    jurisdiction = _jurisdiction(request)
    if code not in CaseCategory.values:
        raise BadRequest(404, f"没有这个 service_code：{code[:32]}。")
    doc = {
        "service_code": code,
        "attributes": selectors.attribute_definitions(jurisdiction),
    }
    return respond(fmt, doc, root="service_definition")


@csrf_exempt
@_handled
def requests_view(request, fmt):
    if request.method == "POST":
        return _create(request, fmt)
    _method(request, "GET", "HEAD", "POST")
    jurisdiction = _jurisdiction(request)
    filters = _filters(request, jurisdiction)
    rows = selectors.requests_list(jurisdiction, filters)
    return respond(fmt, rows, root="service_requests", item="request")


@_handled
def request_detail(request, fmt, code):
    _method(request, "GET", "HEAD")
    jurisdiction = _jurisdiction(request)
    row = selectors.request_detail(jurisdiction, code)
    if row is None:
        raise BadRequest(404, f"该辖区没有这个 service_request_id：{code[:16]}。")
    return respond(fmt, [row], root="service_requests", item="request")


def not_found(request, fmt="json", rest=""):
    return error(fmt, 404, "没有这个地址。Open311 地址见 /open311/v2/discovery.json。")


# -- POST requests ---------------------------------------------------------------------------


def _create(request, fmt):
    raw_key = request.POST.get("api_key", "")
    if not raw_key.strip():
        raise BadRequest(403, "api_key 必须填写。")
    try:
        key = services.authenticate(raw_key)
    except services.KeyRefused as exc:
        raise BadRequest(403, str(exc)) from exc
    jurisdiction = _jurisdiction(request)
    try:
        code = services.request_create(
            request, key=key, jurisdiction=jurisdiction, params=request.POST
        )
    except services.KeyRefused as exc:
        raise BadRequest(403, str(exc)) from exc
    except services.NotFound as exc:
        raise BadRequest(404, str(exc)) from exc
    except RateLimited as exc:
        raise BadRequest(429, str(exc)) from exc
    except ValidationError as exc:
        raise BadRequest(400, *_messages(exc)) from exc
    body = [
        {
            "service_request_id": code,
            "service_notice": "已收到，社区将在办理时限内处理。可凭查询码和手机号后四位在门户“查进度”查看。",
            "account_id": None,
        }
    ]
    return respond(fmt, body, root="service_requests", item="request")


def _messages(exc: ValidationError) -> list[str]:
    if hasattr(exc, "error_dict"):
        return [f"{field}: {m}" for field, ms in exc.message_dict.items() for m in ms]
    return list(exc.messages)


# -- GET requests filters -------------------------------------------------------------------


def _when(request, name: str, *, end_of_day: bool = False) -> datetime | None:
    value = (request.GET.get(name) or "").strip()
    if not value:
        return None
    try:
        parsed = parse_datetime(value.replace(" ", "+")) if "T" in value else None
        if parsed is None:
            day = parse_date(value)
            if day is None:
                raise ValueError
            parsed = datetime.combine(day, time.max if end_of_day else time.min)
    except ValueError as exc:
        raise BadRequest(
            400, f"{name} 不是 ISO 8601 时间，例如 2026-12-01T00:00:00+08:00。"
        ) from exc
    if timezone.is_naive(parsed):
        parsed = parsed.replace(tzinfo=SHANGHAI)
    return parsed


def _int(request, name: str, default: int, low: int, high: int) -> int:
    value = (request.GET.get(name) or "").strip()
    if not value:
        return default
    if not value.isdigit() or not low <= int(value) <= high:
        raise BadRequest(400, f"{name} 须为 {low} 到 {high} 之间的整数。")
    return int(value)


def _list(request, name: str) -> list[str]:
    return [v.strip() for v in (request.GET.get(name) or "").split(",") if v.strip()]


def _filters(request, jurisdiction) -> selectors.RequestFilters:
    filters = selectors.RequestFilters()
    codes = _list(request, "service_request_id")
    if len(codes) > MAX_LIMIT:
        raise BadRequest(400, f"service_request_id 一次最多 {MAX_LIMIT} 个。")
    filters.codes = tuple(c.upper()[:16] for c in codes)
    service_codes = _list(request, "service_code")
    unknown = [c for c in service_codes if c not in CaseCategory.values]
    if unknown:
        raise BadRequest(400, f"没有这个 service_code：{unknown[0][:32]}。")
    filters.service_codes = tuple(service_codes)
    statuses = _list(request, "status")
    if any(s not in ("open", "closed") for s in statuses):
        raise BadRequest(400, "status 只能是 open 或 closed。")
    filters.statuses = tuple(statuses)
    start, end = _when(request, "start_date"), _when(request, "end_date", end_of_day=True)
    after, before = _when(request, "updated_after"), _when(request, "updated_before")
    if start and end and start > end:
        raise BadRequest(400, "start_date 不能晚于 end_date。")
    span = timedelta(days=MAX_SPAN_DAYS)
    if start and end and end - start > span:
        raise BadRequest(400, f"start_date 到 end_date 不能超过 {MAX_SPAN_DAYS} 天。")
    if not codes and after is None and before is None:
        # The spec's default window: the most recent 90 days (or 90 days from either end).
        if start is None and end is None:
            start = timezone.now() - span
        elif start is None:
            start = end - span
        elif end is None:
            end = start + span
    filters.start, filters.end = start, end
    filters.updated_after, filters.updated_before = after, before
    agency = _list(request, "agency_responsible")
    if agency:
        filters.agency_ids = selectors.community_ids_for(jurisdiction, agency[:50])
    limit = _int(request, "limit", DEFAULT_LIMIT, 1, MAX_LIMIT)
    page = _int(request, "page", 1, 1, MAX_PAGE)
    filters.limit, filters.offset = limit, (page - 1) * limit
    return filters
