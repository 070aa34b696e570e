"""iCalendar (RFC 5545) subscription feeds, built with the ``icalendar`` library.

One place for what every feed shares (the apps only say which events a feed holds):

- **Signed URLs.** A subscription URL carries ``?token=…``, signed with ``SECRET_KEY`` (salt
  ``core.ics``), naming the user, the feed kind and its subject (a body's, series', community's
  or volunteer's code). It grants nothing but that one feed; the user's scope is checked again
  at every fetch, so losing the scope (or the account) ends the feed. A token older than
  ``ICS_FEED_TOKEN_MAX_AGE_DAYS`` answers 410 (fetch a new URL); a forged or altered token, or
  one for another feed, answers 404 like an unknown subject.
- **Stable UIDs** ``<kind>-<code>@<host>`` (meetings keep their historical ``<code>@<host>``),
  so a phone calendar updates an event instead of adding a copy.
- **SEQUENCE** is derived from the record's ``updated_at`` (seconds since 2020-01-01 UTC): every
  save bumps it, no extra column.
- **Cancelled** records stay in the feed with ``STATUS:CANCELLED`` (so subscribed calendars
  remove or strike them), never silently dropped.
- **VTIMEZONE Asia/Shanghai**; timed events are written in local time with ``TZID``.

core imports no app: the feed views live in the apps (``governance/api/views.py``,
``volunteers/api/views.py``) and call ``calendar``/``add_event``/``ics_response`` from here.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core import signing
from django.http import HttpResponse
from django.utils import timezone
from icalendar import Calendar, Event, Timezone, TimezoneStandard
from rest_framework import exceptions

TZID = "Asia/Shanghai"
SHANGHAI = ZoneInfo(TZID)
SALT = "core.ics"
SEQUENCE_EPOCH = datetime(2020, 1, 1, tzinfo=UTC)

INVALID = "订阅链接无效，或无权查看该日历。"
EXPIRED = "订阅链接已过期，请在系统中重新获取订阅地址。"


class FeedGone(exceptions.APIException):
    """A genuine token past its lifetime."""

    status_code = 410
    default_detail = EXPIRED
    default_code = "feed_expired"


def not_found() -> exceptions.NotFound:
    """Forged, altered or foreign token, unknown or out-of-scope subject: one answer."""
    return exceptions.NotFound(INVALID, code="feed_invalid")


@dataclass(frozen=True)
class FeedToken:
    user_id: int
    kind: str
    subject: str


def feed_token(user, kind: str, subject: str) -> str:
    return signing.dumps({"u": user.pk, "k": kind, "s": subject}, salt=SALT, compress=True)


def max_age() -> timedelta:
    return timedelta(days=settings.ICS_FEED_TOKEN_MAX_AGE_DAYS)


def read_feed_token(token: str, *, salt: str = SALT) -> dict:
    """The token's payload; ``FeedGone`` (410) when expired, 404 when forged or altered."""
    try:
        return signing.loads(token, salt=salt, max_age=max_age())
    except signing.SignatureExpired as exc:
        raise FeedGone from exc
    except signing.BadSignature as exc:
        raise not_found() from exc


def feed_user(request, kind: str, subject: str, *, legacy=None):
    """Who fetches the feed: the API token's user (``Authorization: Token …``) or the user the
    ``?token=`` names, if it was signed for exactly this kind and subject.

    ``legacy(token) -> user id | None`` accepts an older token format for the same feed."""
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        return user
    token = request.GET.get("token")
    if not token:
        raise not_found()
    user_id = None
    if legacy is not None:
        user_id = legacy(token)
    if user_id is None:
        payload = read_feed_token(token)
        if payload.get("k") != kind or payload.get("s") != subject:
            raise not_found()
        user_id = payload.get("u")
    found = get_user_model().objects.filter(pk=user_id, is_active=True).first()
    if found is None:
        raise not_found()
    return found


def feed_url(request, path: str, user, kind: str, subject: str) -> str:
    return request.build_absolute_uri(f"{path}?token={feed_token(user, kind, subject)}")


def sequence(*moments) -> int:
    """A SEQUENCE that grows with every change: seconds since 2020 of the latest moment."""
    latest = max((m for m in moments if m is not None), default=None)
    if latest is None:
        return 0
    return max(0, int((latest - SEQUENCE_EPOCH).total_seconds()))


def _vtimezone() -> Timezone:
    tz = Timezone()
    tz.add("tzid", TZID)
    standard = TimezoneStandard()
    standard.add("dtstart", datetime(1970, 1, 1))
    standard.add("tzoffsetfrom", timedelta(hours=8))
    standard.add("tzoffsetto", timedelta(hours=8))
    standard.add("tzname", "CST")
    tz.add_component(standard)
    return tz


def calendar(name: str) -> Calendar:
    cal = Calendar()
    cal.add("prodid", "-//一核多元共治//日历订阅//ZH")
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("method", "PUBLISH")
    cal.add("x-wr-calname", name)
    cal.add("x-wr-timezone", TZID)
    cal.add_component(_vtimezone())
    return cal


def add_event(
    cal: Calendar,
    *,
    uid: str,
    summary: str,
    start: datetime | date,
    end: datetime | date | None = None,
    status: str = "CONFIRMED",
    sequence_: int = 0,
    location: str = "",
    description: str = "",
    last_modified: datetime | None = None,
    stamp: datetime | None = None,
) -> Event:
    """One VEVENT. ``start`` a date → an all-day event; an aware datetime → local Shanghai time
    with ``TZID``; ``status`` TENTATIVE / CONFIRMED / CANCELLED."""
    event = Event()
    event.add("uid", uid)
    event.add("dtstamp", stamp or timezone.now().astimezone(UTC))
    if isinstance(start, datetime):
        local = start.astimezone(SHANGHAI) if timezone.is_aware(start) else start
        event.add("dtstart", local.replace(tzinfo=SHANGHAI))
        finish = end or local + timedelta(hours=2)
        finish = finish.astimezone(SHANGHAI) if timezone.is_aware(finish) else finish
        event.add("dtend", finish.replace(tzinfo=SHANGHAI))
    else:
        event.add("dtstart", start)
        event.add("dtend", end or start + timedelta(days=1))
    event.add("summary", summary)
    if location:
        event.add("location", location)
    if description:
        event.add("description", description)
    event.add("status", status)
    event.add("sequence", sequence_)
    if last_modified is not None:
        event.add("last-modified", last_modified.astimezone(UTC))
    cal.add_component(event)
    return event


def ics_response(cal: Calendar, filename: str) -> HttpResponse:
    response = HttpResponse(cal.to_ical(), content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = f'inline; filename="{filename}.ics"'
    response["Cache-Control"] = "private, max-age=300"
    return response
