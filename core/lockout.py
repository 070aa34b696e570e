"""Login lock-out (django-axes) for the admin, the API token endpoint and the portal.

Axes counts failures per username and per client IP (``core.clientip``); at
``AXES_FAILURE_LIMIT`` failures either one is locked. ``cool_off`` makes the lock grow: each
further full round of failures (axes keeps counting failures made while locked) doubles it,
from 15 minutes up to a day. ``lockout_response`` answers 429 in the API's error shape under
``/api/`` and with a Chinese page everywhere else.
"""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.db.models import Max, Q
from django.http import JsonResponse
from django.shortcuts import render

from core.clientip import client_ip

BASE_COOL_OFF = timedelta(minutes=15)
MAX_COOL_OFF = timedelta(days=1)
LOCKOUT_MESSAGE = "登录失败次数过多，账号或网络地址已被暂时锁定，请 {minutes} 分钟后再试。"


def _failures(request) -> int:
    from axes.helpers import get_client_username
    from axes.models import AccessAttempt

    if request is None:
        return 0
    credentials = getattr(request, "axes_credentials", None)
    try:
        username = get_client_username(request, credentials)
    except Exception:
        username = None
    match = Q(ip_address=client_ip(request))
    if username:
        match |= Q(username=username)
    return AccessAttempt.objects.filter(match).aggregate(n=Max("failures_since_start"))["n"] or 0


def cool_off(request=None) -> timedelta:
    """AXES_COOLOFF_TIME: 15 min, doubled per further round of failures, at most a day."""
    limit = max(1, int(settings.AXES_FAILURE_LIMIT))
    rounds = max(0, _failures(request) - limit) // limit
    return min(BASE_COOL_OFF * (2 ** min(rounds, 10)), MAX_COOL_OFF)


def lockout_message(request) -> str:
    minutes = int(cool_off(request).total_seconds() // 60)
    return LOCKOUT_MESSAGE.format(minutes=minutes)


def lockout_response(request, original_response=None, credentials=None):
    """AXES_LOCKOUT_CALLABLE."""
    message = lockout_message(request)
    if request.path.startswith("/api/"):
        return JsonResponse(
            {"status": 429, "code": "locked", "detail": message, "errors": {}}, status=429
        )
    template = "admin/lockout.html" if request.path.startswith("/admin/") else "portal/lockout.html"
    return render(request, template, {"message": message}, status=429)
