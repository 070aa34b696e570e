"""Text messages (短信) through a pluggable gateway, chosen by ``SMS_BACKEND``.

- ``core.sms.ConsoleBackend``: development — writes the message to the log and stdout.
- ``core.sms.HttpGatewayBackend``: production — ``POST SMS_GATEWAY_URL`` with JSON
  ``{"phone", "text", "client_ref"}`` and ``Authorization: Bearer SMS_GATEWAY_TOKEN``; the
  gateway answers 2xx (optionally ``{"id": …}``). ``client_ref`` is the caller's idempotency
  key (one per notice): a gateway that honours it never delivers a retried message twice.

A backend's ``send`` returns the gateway's reference or raises:
- ``SmsRateLimited`` (HTTP 429; ``retry_after`` seconds from the ``Retry-After`` header),
- ``SmsUnavailable`` (connection refused, timeout, HTTP 5xx): try again later,
- ``SmsRejected`` (any other 4xx: a bad number, a bad token): trying again will not help.
"""

from __future__ import annotations

import json
import logging
import sys
import urllib.error
import urllib.request

from django.conf import settings
from django.utils.module_loading import import_string

logger = logging.getLogger(__name__)


class SmsError(Exception):
    """Sending failed."""


class SmsUnavailable(SmsError):
    """The gateway is down or slow: try again later."""


class SmsRateLimited(SmsUnavailable):
    def __init__(self, message: str, retry_after: int | None = None):
        super().__init__(message)
        self.retry_after = retry_after


class SmsRejected(SmsError):
    """The gateway refused this message for good."""


class ConsoleBackend:
    def send(self, *, phone: str, text: str, client_ref: str) -> str:
        line = f"[短信] {phone[:3]}****{phone[-4:]} ← {text} ({client_ref})"
        logger.info(line)
        print(line, file=sys.stdout)
        return f"console-{client_ref}"


class HttpGatewayBackend:
    def __init__(
        self, url: str | None = None, token: str | None = None, timeout: int | None = None
    ):
        self.url = url or settings.SMS_GATEWAY_URL
        self.token = token if token is not None else settings.SMS_GATEWAY_TOKEN
        self.timeout = timeout or settings.SMS_GATEWAY_TIMEOUT

    def _open(self, request):  # a seam for tests
        return urllib.request.urlopen(request, timeout=self.timeout)

    def send(self, *, phone: str, text: str, client_ref: str) -> str:
        body = json.dumps(
            {"phone": phone, "text": text, "client_ref": client_ref}, ensure_ascii=False
        ).encode()
        headers = {"Content-Type": "application/json; charset=utf-8"}
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        request = urllib.request.Request(self.url, data=body, headers=headers, method="POST")
        try:
            with self._open(request) as response:
                raw = response.read(4096)
        except urllib.error.HTTPError as exc:
            if exc.code == 429:
                retry_after = exc.headers.get("Retry-After") if exc.headers else None
                seconds = int(retry_after) if retry_after and retry_after.isdigit() else None
                raise SmsRateLimited("短信网关限流（HTTP 429）", seconds) from None
            if exc.code >= 500:
                raise SmsUnavailable(f"短信网关出错（HTTP {exc.code}）") from None
            raise SmsRejected(f"短信网关拒收（HTTP {exc.code}）") from None
        except (urllib.error.URLError, TimeoutError, OSError) as exc:
            raise SmsUnavailable(f"连不上短信网关：{exc}") from None
        try:
            reference = str(json.loads(raw or b"{}").get("id", ""))
        except (ValueError, AttributeError):
            reference = ""
        return reference[:64] or client_ref


def get_backend():
    """The configured backend, or None when SMS is off (``SMS_BACKEND`` empty)."""
    path = getattr(settings, "SMS_BACKEND", "")
    return import_string(path)() if path else None
