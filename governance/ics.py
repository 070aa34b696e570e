"""iCalendar (RFC 5545) feed of one body's meetings, and the signed subscription token.

A subscription URL carries a signed token naming the user and the body; it grants nothing but
this feed, and the user's scope is checked again at every fetch (losing the scope ends the feed).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from django.core import signing
from django.utils import timezone

from governance.choices import MeetingStatus

SALT = "governance.ics"


def feed_token(user, body) -> str:
    return signing.dumps({"u": user.pk, "b": body.code}, salt=SALT, compress=True)


def read_feed_token(token: str) -> dict | None:
    try:
        return signing.loads(token, salt=SALT)
    except signing.BadSignature:
        return None


def _escape(text: str) -> str:
    return (
        (text or "")
        .replace("\\", "\\\\")
        .replace(";", "\\;")
        .replace(",", "\\,")
        .replace("\r\n", "\\n")
        .replace("\n", "\\n")
    )


def _fold(line: str) -> list[str]:
    """Lines longer than 75 octets are folded (RFC 5545 §3.1), never inside a character."""
    out, current = [], ""
    for char in line:
        limit = 75 if not out else 74
        if len((current + char).encode()) > limit:
            out.append(current)
            current = char
        else:
            current += char
    out.append(current)
    return [out[0], *(" " + part for part in out[1:])]


def render_calendar(body, meetings, *, host: str = "gongzhi") -> str:
    dtstamp = timezone.now().astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")
    lines = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        "PRODID:-//一核多元共治//联席会议//ZH",
        "CALSCALE:GREGORIAN",
        "METHOD:PUBLISH",
        f"X-WR-CALNAME:{_escape(body.name)}联席会议",
        "X-WR-TIMEZONE:Asia/Shanghai",
        "BEGIN:VTIMEZONE",
        "TZID:Asia/Shanghai",
        "BEGIN:STANDARD",
        "DTSTART:19700101T000000",
        "TZOFFSETFROM:+0800",
        "TZOFFSETTO:+0800",
        "TZNAME:CST",
        "END:STANDARD",
        "END:VTIMEZONE",
    ]
    for m in meetings:
        day = m.held_on if m.status == MeetingStatus.HELD and m.held_on else m.planned_on
        lines += ["BEGIN:VEVENT", f"UID:{m.code}@{host}", f"DTSTAMP:{dtstamp}"]
        if m.starts_at:
            start = datetime.combine(day, m.starts_at)
            end = start + timedelta(hours=2)
            lines += [
                f"DTSTART;TZID=Asia/Shanghai:{start:%Y%m%dT%H%M%S}",
                f"DTEND;TZID=Asia/Shanghai:{end:%Y%m%dT%H%M%S}",
            ]
        else:
            lines += [
                f"DTSTART;VALUE=DATE:{day:%Y%m%d}",
                f"DTEND;VALUE=DATE:{day + timedelta(days=1):%Y%m%d}",
            ]
        status = {"planned": "TENTATIVE", "held": "CONFIRMED", "cancelled": "CANCELLED"}
        description = [f"{m.series.name}（{m.period.label}）"]
        if m.chair_id:
            description.append(f"轮值主席：{m.chair}")
        lines += [
            f"SUMMARY:{_escape(m.title)}",
            f"LOCATION:{_escape(m.place)}",
            "DESCRIPTION:" + "\\n".join(_escape(part) for part in description),
            f"STATUS:{status.get(m.status, 'TENTATIVE')}",
            "END:VEVENT",
        ]
    lines.append("END:VCALENDAR")
    folded = [part for line in lines for part in _fold(line)]
    return "\r\n".join(folded) + "\r\n"
