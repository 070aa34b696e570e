"""Period arithmetic for meeting series, in calendar days of Asia/Shanghai.

A series with a cadence owes one meeting per period (ISO week Monday–Sunday, calendar month,
calendar quarter, calendar year). ``due_within_days`` anchors the meeting to the start of the
period ("first week of the quarter" = quarterly, 7): the period is then *due* on its
``due_within_days``-th day instead of its last day. Reminders count back from the due date and a
period *closes* (overdue if nothing was held) on the day after it.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from governance.choices import Cadence

SHANGHAI = ZoneInfo("Asia/Shanghai")


def shanghai_today(now: datetime | None = None) -> date:
    """The calendar day in Asia/Shanghai (the day a street office works in), whatever the server zone."""
    if now is None:
        now = datetime.now(tz=SHANGHAI)
    elif now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    return now.astimezone(SHANGHAI).date()


@dataclass(frozen=True, order=True)
class Period:
    start: date
    end: date
    due: date
    cadence: str

    @property
    def label(self) -> str:
        return period_label(self.cadence, self.start)

    def contains(self, day: date) -> bool:
        return self.start <= day <= self.end


def _bounds(cadence: str, day: date) -> tuple[date, date]:
    if cadence == Cadence.WEEKLY:
        start = day - timedelta(days=day.weekday())
        return start, start + timedelta(days=6)
    if cadence == Cadence.MONTHLY:
        last = calendar.monthrange(day.year, day.month)[1]
        return day.replace(day=1), day.replace(day=last)
    if cadence == Cadence.QUARTERLY:
        first_month = (day.month - 1) // 3 * 3 + 1
        last_month = first_month + 2
        return (
            date(day.year, first_month, 1),
            date(day.year, last_month, calendar.monthrange(day.year, last_month)[1]),
        )
    if cadence == Cadence.YEARLY:
        return date(day.year, 1, 1), date(day.year, 12, 31)
    raise ValueError(f"unknown cadence {cadence!r}")


def period_of(cadence: str, day: date, due_within_days: int | None = None) -> Period:
    """The period of ``cadence`` that contains ``day``."""
    start, end = _bounds(cadence, day)
    due = end
    if due_within_days:
        due = min(end, start + timedelta(days=due_within_days - 1))
    return Period(start=start, end=end, due=due, cadence=cadence)


def next_period(period: Period, due_within_days: int | None = None) -> Period:
    return period_of(period.cadence, period.end + timedelta(days=1), due_within_days)


def previous_period(period: Period, due_within_days: int | None = None) -> Period:
    return period_of(period.cadence, period.start - timedelta(days=1), due_within_days)


def periods_between(
    cadence: str, first: date, last: date, due_within_days: int | None = None
) -> list[Period]:
    """Every period that overlaps [first, last], in order."""
    periods: list[Period] = []
    period = period_of(cadence, first, due_within_days)
    while period.start <= last:
        periods.append(period)
        period = next_period(period, due_within_days)
    return periods


def last_closed_period(cadence: str, today: date, due_within_days: int | None = None) -> Period:
    """The latest period whose due date is before ``today`` (it has closed)."""
    period = period_of(cadence, today, due_within_days)
    if period.due < today:
        return period
    return previous_period(period, due_within_days)


def period_label(cadence: str, start: date) -> str:
    if cadence == Cadence.WEEKLY:
        iso_year, week, _ = start.isocalendar()
        return f"{iso_year}年第{week}周"
    if cadence == Cadence.MONTHLY:
        return f"{start.year}年{start.month}月"
    if cadence == Cadence.QUARTERLY:
        return f"{start.year}年第{(start.month - 1) // 3 + 1}季度"
    return f"{start.year}年"
