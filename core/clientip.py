"""The client's IP address, the one way every part of the site gets it (lock-out, portal rate
limits, logs).

``X-Forwarded-For`` is a list that every proxy appends the address it received the request
from to; anything to the left of what our own proxies wrote is whatever the client sent. With
``TRUSTED_PROXY_COUNT = n`` (the number of our proxies in front of the application: 0 when
gunicorn faces the clients, 1 behind the compose stack's nginx) the client is the n-th address
from the right: REMOTE_ADDR is the nearest proxy, and the n-1 rightmost header entries are the
proxies before it. With 0 the header is never read.
"""

from __future__ import annotations

import ipaddress
from contextvars import ContextVar

from django.conf import settings

# The current request's client IP, for records written deep inside services (audit rows)
# that have no request at hand; empty outside a request (Celery tasks, commands).
_current: ContextVar[str] = ContextVar("client_ip", default="")


def _valid(value: str) -> str | None:
    value = value.strip()
    try:
        return str(ipaddress.ip_address(value))
    except ValueError:
        return None


def client_ip(request) -> str:
    """The address of the client as seen by the first trusted proxy, or REMOTE_ADDR."""
    remote = request.META.get("REMOTE_ADDR", "") or ""
    count = int(getattr(settings, "TRUSTED_PROXY_COUNT", 0) or 0)
    if count <= 0:
        return remote[:64]
    hops = [h for h in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if h.strip()]
    if len(hops) < count:
        # Fewer entries than proxies: the request did not come through all of them (or the
        # header was stripped); the nearest address is the only one we can vouch for.
        return remote[:64]
    return _valid(hops[-count]) or remote[:64]


def current_client_ip() -> str:
    return _current.get()


class ClientIPMiddleware:
    """Makes the request's client IP available to ``current_client_ip()`` (audit rows)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        token = _current.set(client_ip(request))
        try:
            return self.get_response(request)
        finally:
            _current.reset(token)
