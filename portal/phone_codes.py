"""Phone verification by SMS code (portal registration, and 我的 for older accounts).

A six-digit code is sent through the SMS gateway (``core.sms``; the console backend in
development prints it). Only an HMAC of phone + code is kept, in Django's cache (Redis in
production) for ``CODE_TTL`` seconds; ``MAX_TRIES`` wrong answers void it. Sending is
rate-limited per phone (one a minute, five an hour) and per IP (ten an hour). The code is
sent at once, in the request: a resident waits for it on the page, so a gateway that is down
or rate-limiting says so (“短信暂时发不出去…”) instead of queueing a code that would arrive
after it expired. Without any gateway (``SMS_BACKEND`` empty) verification is unavailable and
accounts stay unverified: 我的反映 then lists nothing by phone (it only ever lists requests
filed with a phone the resident proved to be theirs).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time

from django.conf import settings
from django.core.cache import cache

from core.sms import SmsError, get_backend
from portal.protection import Limit, hit

CODE_TTL = 10 * 60
MAX_TRIES = 5
SEND_PER_PHONE_MINUTE = Limit("verify-phone-minute", 1, 60)
SEND_PER_PHONE_HOUR = Limit("verify-phone-hour", 5, 60 * 60)
SEND_PER_IP = Limit("verify-ip", 10, 60 * 60)

UNAVAILABLE = (
    "短信验证暂时用不了。您可以先用账号，之后在“我的”里验证手机号；或到社区党群服务中心办理。"
)
NOT_SENT = "短信暂时发不出去，请过几分钟再点“重新发送验证码”。"
EXPIRED = "验证码已过期或还没发送，请点“重新发送验证码”。"
WRONG = "验证码不对，还可以再试 {left} 次。"


class CodeError(Exception):
    """A message for the resident (plain Chinese)."""


def available() -> bool:
    return get_backend() is not None


def _key(phone: str) -> str:
    return "portal:pv:" + hashlib.sha256(phone.encode()).hexdigest()[:32]


def _digest(phone: str, code: str) -> str:
    return hmac.new(settings.SECRET_KEY.encode(), f"{phone}:{code}".encode(), "sha256").hexdigest()


def send_code(phone: str, ip: str) -> None:
    """Send a fresh code to ``phone`` (the earlier one stops working). Raises RateLimited or
    CodeError."""
    backend = get_backend()
    if backend is None:
        raise CodeError(UNAVAILABLE)
    hit(SEND_PER_IP, ip)
    hit(SEND_PER_PHONE_MINUTE, phone)
    hit(SEND_PER_PHONE_HOUR, phone)
    code = f"{secrets.randbelow(10**6):06d}"
    entry = {"h": _digest(phone, code), "tries": 0, "until": time.time() + CODE_TTL}
    cache.set(_key(phone), entry, timeout=CODE_TTL)
    text = f"【居民服务】您的验证码是 {code}，10 分钟内有效。请勿告诉他人。"
    try:
        backend.send(phone=phone, text=text, client_ref=f"verify-{secrets.token_hex(8)}")
    except SmsError:
        cache.delete(_key(phone))
        raise CodeError(NOT_SENT) from None


def pending(phone: str) -> bool:
    """A code was sent to this phone and still works."""
    entry = cache.get(_key(phone))
    return bool(entry) and entry["until"] > time.time()


def check_code(phone: str, code: str) -> None:
    """Accept the code once, or raise CodeError (expired, wrong with tries left, voided)."""
    key = _key(phone)
    entry = cache.get(key)
    left = entry["until"] - time.time() if entry else 0
    if left <= 0:
        raise CodeError(EXPIRED)
    if hmac.compare_digest(entry["h"], _digest(phone, (code or "").strip())):
        cache.delete(key)
        return
    entry["tries"] += 1
    if entry["tries"] >= MAX_TRIES:
        cache.delete(key)
        raise CodeError(EXPIRED)
    cache.set(key, entry, timeout=max(1, int(left)))  # a wrong try does not extend the window
    raise CodeError(WRONG.format(left=MAX_TRIES - entry["tries"]))
