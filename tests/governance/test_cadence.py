from datetime import UTC, date, datetime

import pytest

from governance.cadence import (
    last_closed_period,
    next_period,
    period_of,
    periods_between,
    shanghai_today,
)


@pytest.mark.parametrize(
    ("cadence", "day", "start", "end"),
    [
        ("monthly", date(2024, 1, 31), date(2024, 1, 1), date(2024, 1, 31)),
        ("monthly", date(2024, 2, 29), date(2024, 2, 1), date(2024, 2, 29)),  # leap year
        ("monthly", date(2023, 2, 28), date(2023, 2, 1), date(2023, 2, 28)),
        ("monthly", date(2024, 4, 30), date(2024, 4, 1), date(2024, 4, 30)),
        ("monthly", date(2024, 12, 31), date(2024, 12, 1), date(2024, 12, 31)),
        ("quarterly", date(2024, 3, 31), date(2024, 1, 1), date(2024, 3, 31)),
        ("quarterly", date(2024, 4, 1), date(2024, 4, 1), date(2024, 6, 30)),
        ("quarterly", date(2024, 9, 30), date(2024, 7, 1), date(2024, 9, 30)),
        ("quarterly", date(2024, 12, 31), date(2024, 10, 1), date(2024, 12, 31)),
        ("yearly", date(2024, 2, 29), date(2024, 1, 1), date(2024, 12, 31)),
        ("weekly", date(2024, 12, 31), date(2024, 12, 30), date(2025, 1, 5)),  # across years
        ("weekly", date(2024, 3, 3), date(2024, 2, 26), date(2024, 3, 3)),  # across Feb 29
    ],
)
def test_period_bounds(cadence, day, start, end):
    period = period_of(cadence, day)
    assert (period.start, period.end, period.due) == (start, end, end)


def test_labels_use_iso_week_year_and_quarters():
    assert period_of("weekly", date(2024, 12, 31)).label == "2025年第1周"
    assert period_of("quarterly", date(2024, 11, 5)).label == "2024年第4季度"
    assert period_of("monthly", date(2024, 2, 10)).label == "2024年2月"
    assert period_of("yearly", date(2024, 2, 10)).label == "2024年"


def test_first_week_of_the_quarter_anchor():
    period = period_of("quarterly", date(2024, 5, 20), due_within_days=7)
    assert period.start == date(2024, 4, 1)
    assert period.due == date(2024, 4, 7)
    assert period.end == date(2024, 6, 30)


def test_anchor_longer_than_a_short_month_is_clipped_to_month_end():
    assert period_of("monthly", date(2023, 2, 10), due_within_days=31).due == date(2023, 2, 28)
    assert period_of("monthly", date(2024, 2, 10), due_within_days=30).due == date(2024, 2, 29)


def test_next_period_and_periods_between_cover_leap_february():
    feb = period_of("monthly", date(2024, 2, 1))
    assert next_period(feb).start == date(2024, 3, 1)
    months = periods_between("monthly", date(2024, 1, 15), date(2024, 12, 1))
    assert [p.start.month for p in months] == list(range(1, 13))
    quarters = periods_between("quarterly", date(2023, 12, 31), date(2024, 4, 1))
    assert [p.start for p in quarters] == [date(2023, 10, 1), date(2024, 1, 1), date(2024, 4, 1)]
    weeks = periods_between("weekly", date(2024, 1, 1), date(2024, 12, 31))
    assert len(weeks) == 53 and weeks[-1].end == date(2025, 1, 5)


def test_last_closed_period():
    # On 1 April Q1 has closed; on 31 March it has not.
    assert last_closed_period("quarterly", date(2024, 4, 1)).start == date(2024, 1, 1)
    assert last_closed_period("quarterly", date(2024, 3, 31)).start == date(2023, 10, 1)
    # With a first-week anchor, the current quarter closes on its 8th day.
    assert last_closed_period("quarterly", date(2024, 4, 8), 7).start == date(2024, 4, 1)
    assert last_closed_period("quarterly", date(2024, 4, 7), 7).start == date(2024, 1, 1)


def test_shanghai_day_differs_from_utc_day():
    # 2024-03-31 17:30 UTC is already 1 April in Shanghai: a new month and quarter.
    now = datetime(2024, 3, 31, 17, 30, tzinfo=UTC)
    assert shanghai_today(now) == date(2024, 4, 1)
    assert period_of("quarterly", shanghai_today(now)).start == date(2024, 4, 1)
    with pytest.raises(ValueError):
        shanghai_today(datetime(2024, 1, 1))
