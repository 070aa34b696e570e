"""Abuse protection for the public pages, all on Django's cache (Redis in production, local
memory in tests): fixed-window rate limits per phone and per IP, a signed arithmetic question
as the human check, and duplicate-submission merging. The login lock-out is django-axes (``core.lockout``)."""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
import time
import unicodedata
from dataclasses import dataclass

from django.core import signing
from django.core.cache import cache

from core.clientip import client_ip

_PREFIX = "portal:"


def _digest(*parts: str) -> str:
    return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()[:32]


# -- rate limits ---------------------------------------------------------------------------


# Load tests drive thousands of look-ups from one address; they raise every limit by this
# factor (environment variable, default 1) instead of switching the limits off.
_SCALE = max(1, int(os.environ.get("PORTAL_RATE_LIMIT_SCALE", "1") or 1))


@dataclass(frozen=True)
class Limit:
    name: str
    base_count: int
    window: int  # seconds

    @property
    def count(self) -> int:
        return self.base_count * _SCALE


# Submissions (cases, wishes): per phone and per IP.
SUBMIT_PER_PHONE = Limit("submit-phone", 3, 10 * 60)
SUBMIT_PER_IP = Limit("submit-ip", 10, 10 * 60)
# Tracking look-ups: guessing codes must be slow.
TRACK_PER_IP = Limit("track-ip", 20, 10 * 60)
LOGIN_PER_IP = Limit("login-ip", 30, 10 * 60)
REGISTER_PER_IP = Limit("register-ip", 5, 60 * 60)

RATE_LIMIT_MESSAGE = (
    "您提交得太频繁了，请休息一会儿，{minutes} 分钟后再试。如有急事请直接拨打社区电话。"
)


class RateLimited(Exception):
    def __init__(self, limit: Limit):
        self.limit = limit
        minutes = max(1, limit.window // 60)
        super().__init__(RATE_LIMIT_MESSAGE.format(minutes=minutes))


def _rate_key(limit: Limit, subject: str) -> str:
    window_no = int(time.time()) // limit.window
    return f"{_PREFIX}rl:{limit.name}:{_digest(subject)}:{window_no}"


def hit(limit: Limit, subject: str) -> int:
    """Count one attempt for ``subject`` in the current window; raise when over the limit."""
    if not subject:
        return 0
    key = _rate_key(limit, subject)
    cache.add(key, 0, timeout=limit.window + 5)
    try:
        count = cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.set(key, 1, timeout=limit.window + 5)
        count = 1
    if count > limit.count:
        raise RateLimited(limit)
    return count


def check_submission_limits(request, phone: str, *, source: tuple[Limit, str] | None = None):
    """Per IP first, then per phone (both count, so one cannot be traded for the other).
    ``source``: another (limit, subject) in place of the client IP — Open311 counts per
    integrator key, since one integrator relays many residents from one address."""
    limit, subject = source or (SUBMIT_PER_IP, client_ip(request))
    hit(limit, subject)
    hit(SUBMIT_PER_PHONE, phone)


# -- human check -----------------------------------------------------------------------------

_NUMERALS = "零一二三四五六七八九十"
_CHALLENGE_SALT = "portal.human-check"
CHALLENGE_MAX_AGE = 20 * 60


@dataclass(frozen=True)
class Challenge:
    question: str
    token: str


def _say(n: int) -> str:
    if n <= 10:
        return _NUMERALS[n]
    if n < 20:
        return "十" + _NUMERALS[n - 10]
    return _NUMERALS[n // 10] + "十" + (_NUMERALS[n % 10] if n % 10 else "")


def new_challenge() -> Challenge:
    """An arithmetic question in Chinese words. The token carries the operands, signed and
    time-stamped; the answer itself is never sent, and each token is accepted once."""
    a, b = secrets.randbelow(9) + 1, secrets.randbelow(9) + 1
    if secrets.randbelow(2) and a != b:
        a, b = max(a, b), min(a, b)
        op, word = "-", "减"
    else:
        op, word = "+", "加"
    token = signing.dumps(
        {"a": a, "b": b, "o": op, "n": secrets.token_hex(8)}, salt=_CHALLENGE_SALT
    )
    return Challenge(question=f"{_say(a)}{word}{_say(b)}等于几？（请填阿拉伯数字）", token=token)


def question_for(token: str) -> str | None:
    """The question a token stands for (to show the same question again after an error)."""
    try:
        data = signing.loads(token, salt=_CHALLENGE_SALT, max_age=CHALLENGE_MAX_AGE)
    except signing.BadSignature:
        return None
    word = "加" if data["o"] == "+" else "减"
    return f"{_say(data['a'])}{word}{_say(data['b'])}等于几？（请填阿拉伯数字）"


class HumanCheckFailed(Exception):
    pass


def verify_challenge(token: str, answer: str, *, consume: bool = True) -> str:
    """Check the answer; with ``consume`` the token is also spent (refused next time).
    Returns the token's nonce, for ``consume_challenge`` later."""
    try:
        data = signing.loads(token or "", salt=_CHALLENGE_SALT, max_age=CHALLENGE_MAX_AGE)
    except signing.SignatureExpired as exc:
        raise HumanCheckFailed("验证题已过期，请回答新的题目。") from exc
    except signing.BadSignature as exc:
        raise HumanCheckFailed("验证题无效，请回答新的题目。") from exc
    expected = data["a"] + data["b"] if data["o"] == "+" else data["a"] - data["b"]
    given = unicodedata.normalize("NFKC", answer or "").strip()
    if given != str(expected):
        raise HumanCheckFailed("验证题答案不对，请再算一算。")
    if consume:
        consume_challenge(data["n"])
    return data["n"]


def consume_challenge(nonce: str) -> None:
    """One use per token: a replayed form is refused."""
    if not cache.add(f"{_PREFIX}hc:{nonce}", 1, timeout=CHALLENGE_MAX_AGE + 60):
        raise HumanCheckFailed("这道验证题已经用过了，请回答新的题目。")


# -- duplicate merging -----------------------------------------------------------------------

DUPLICATE_WINDOW = 10 * 60


def normalise_text(value: str) -> str:
    return "".join(unicodedata.normalize("NFKC", value or "").split()).lower()


def fingerprint(kind: str, *parts: str) -> str:
    return _digest(kind, *(normalise_text(p) for p in parts))


def visitor_key(request) -> str:
    """Who is submitting, as far as an anonymous page can tell: the client IP and browser.
    A double tap or a resubmission from the same browser matches; another person on another
    device does not (people behind one NAT with the same browser build would, the accepted
    edge)."""
    return _digest(client_ip(request), request.META.get("HTTP_USER_AGENT", "")[:300])


def recent_duplicate(fp: str) -> str | None:
    """The reference (e.g. tracking code) of the same submission made within the window."""
    entry = cache.get(f"{_PREFIX}dup:{fp}")
    return entry["ref"] if isinstance(entry, dict) else entry


def recent_duplicate_by(fp: str, visitor: str) -> tuple[str | None, bool]:
    """(reference of the same submission within the window, whether it was this visitor's)."""
    entry = cache.get(f"{_PREFIX}dup:{fp}")
    if not isinstance(entry, dict):
        return entry, False
    return entry["ref"], hmac.compare_digest(entry.get("visitor", ""), visitor)


def remember_submission(fp: str, reference: str, visitor: str = "") -> None:
    """Remember the first submission only: later reports of the same problem link to it."""
    cache.add(
        f"{_PREFIX}dup:{fp}", {"ref": reference, "visitor": visitor}, timeout=DUPLICATE_WINDOW
    )
