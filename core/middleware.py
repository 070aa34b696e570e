"""PostgreSQL down is a 503 the visitor can read, never a traceback.

``DatabaseUnavailableMiddleware`` turns a database connection error (``OperationalError`` or
``InterfaceError``) raised by a view or while rendering into a 503 with ``Retry-After``: a
plain-Chinese page for the portal and the admin, the API's error shape
(``{"status", "code", "detail", "errors"}``) under ``/api/``. ``server_error`` (the project's
``handler500``) does the same for such an error raised by another middleware, and is Django's
plain 500 otherwise. One warning line a minute is logged instead of a traceback per request.

``page_not_found`` (the project's ``handler404``) answers an address under ``/api/`` that no
route matches (a code with a dot or a slash, a non-numeric id) in the API's error shape, as the
API's own 404s are, and is Django's page otherwise.
"""

from __future__ import annotations

import logging
import sys
import time

from django.db import InterfaceError, OperationalError
from django.http import HttpResponse, JsonResponse
from django.template.loader import render_to_string
from django.views import defaults

logger = logging.getLogger(__name__)

UNAVAILABLE_ERRORS = (OperationalError, InterfaceError)
RETRY_AFTER = 30  # seconds
API_PREFIX = "/api/"
API_DETAIL = "数据库暂时无法连接，请稍后重试。"
LOG_INTERVAL = 60.0
_last_logged = [-LOG_INTERVAL]


def unavailable_response(request, exc: BaseException):
    now = time.monotonic()
    if now - _last_logged[0] >= LOG_INTERVAL:
        _last_logged[0] = now
        logger.warning("数据库不可用，返回 503：%s: %s", type(exc).__name__, exc)
    if request.path.startswith(API_PREFIX):
        response = JsonResponse(
            {"status": 503, "code": "service_unavailable", "detail": API_DETAIL, "errors": {}},
            status=503,
            json_dumps_params={"ensure_ascii": False},
        )
    else:
        # Rendered without the request: context processors would query the database again.
        response = HttpResponse(render_to_string("core/unavailable.html"), status=503)
    response["Retry-After"] = str(RETRY_AFTER)
    response["Cache-Control"] = "no-store"
    return response


class DatabaseUnavailableMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if isinstance(exception, UNAVAILABLE_ERRORS):
            return unavailable_response(request, exception)
        return None


def server_error(request, *args, **kwargs):
    exc = sys.exc_info()[1]
    if isinstance(exc, UNAVAILABLE_ERRORS):
        return unavailable_response(request, exc)
    return defaults.server_error(request, *args, **kwargs)


def page_not_found(request, exception=None, *args, **kwargs):
    if request.path.startswith(API_PREFIX):
        return JsonResponse(
            {"status": 404, "code": "not_found", "detail": "未找到。", "errors": {}},
            status=404,
            json_dumps_params={"ensure_ascii": False},
        )
    return defaults.page_not_found(request, exception, *args, **kwargs)
