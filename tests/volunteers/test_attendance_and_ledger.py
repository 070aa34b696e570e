"""Check-in/out, hours from attendance, corrections that keep the original, the ledger and stars."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Sum
from django.utils import timezone

from core.models import AuditLog
from tests.volunteers.factories import TeamFactory, VolunteerFactory
from volunteers.choices import HoursSource
from volunteers.models import HoursEntry
from volunteers.selectors import volunteer_hours_summary
from volunteers.services import (
    hours_award,
    hours_correct,
    sign_up_check_in,
    sign_up_check_out,
    sign_up_create,
)
from volunteers.stars import hours_to_next_star, star_level

pytestmark = pytest.mark.django_db


@pytest.fixture
def started(users, vol_a, activity_a):
    """A confirmed sign-up whose activity (3 h) is moved to have ended five hours ago
    (attendance times in the future are refused)."""
    sign_up = sign_up_create(actor=users["cadre_a"], activity=activity_a, volunteer=vol_a)
    start = timezone.now() - timedelta(hours=8)
    type(activity_a).objects.filter(pk=activity_a.pk).update(
        starts_at=start, ends_at=start + timedelta(hours=3)
    )
    activity_a.refresh_from_db()
    return sign_up


def test_check_in_and_out_credits_hours_in_the_window(users, started, activity_a, vol_a):
    sign_up_check_in(actor=users["cadre_a"], sign_up=started, at=activity_a.starts_at)
    entry = sign_up_check_out(
        actor=users["cadre_a"], sign_up=started, at=activity_a.starts_at + timedelta(hours=2)
    )
    assert entry.hours == Decimal("2.00")
    assert entry.source == HoursSource.ACTIVITY and entry.activity == activity_a
    started.refresh_from_db()
    assert started.checked_out_at is not None
    assert {"signup.check_in", "signup.check_out"} <= set(
        AuditLog.objects.values_list("action", flat=True)
    )


def test_early_check_in_and_late_check_out_count_only_the_window(users, started, activity_a):
    sign_up_check_in(
        actor=users["cadre_a"], sign_up=started, at=activity_a.starts_at - timedelta(minutes=30)
    )
    entry = sign_up_check_out(
        actor=users["cadre_a"], sign_up=started, at=activity_a.ends_at + timedelta(minutes=30)
    )
    assert entry.hours == activity_a.window_hours == Decimal("3.00")


def test_check_out_before_check_in_is_refused(users, started, activity_a):
    with pytest.raises(ValidationError, match="尚未签到"):
        sign_up_check_out(actor=users["cadre_a"], sign_up=started, at=activity_a.ends_at)
    sign_up_check_in(
        actor=users["cadre_a"], sign_up=started, at=activity_a.starts_at + timedelta(hours=1)
    )
    with pytest.raises(ValidationError, match="必须晚于签到时间"):
        sign_up_check_out(actor=users["cadre_a"], sign_up=started, at=activity_a.starts_at)
    assert HoursEntry.objects.count() == 0
    started.refresh_from_db()
    assert started.checked_in_at is not None and started.checked_out_at is None


def test_check_out_far_after_the_window_is_refused(users, started, activity_a):
    sign_up_check_in(actor=users["cadre_a"], sign_up=started, at=activity_a.starts_at)
    with pytest.raises(ValidationError, match="超出活动时段"):
        sign_up_check_out(
            actor=users["cadre_a"], sign_up=started, at=activity_a.ends_at + timedelta(hours=2)
        )
    assert HoursEntry.objects.count() == 0


def test_check_in_outside_the_window_is_refused(users, started, activity_a):
    with pytest.raises(ValidationError, match="不在活动时段"):
        sign_up_check_in(
            actor=users["cadre_a"], sign_up=started, at=activity_a.starts_at - timedelta(hours=3)
        )


def test_double_check_in_and_out_are_refused(users, started, activity_a):
    sign_up_check_in(actor=users["cadre_a"], sign_up=started, at=activity_a.starts_at)
    with pytest.raises(ValidationError, match="已经签到"):
        sign_up_check_in(actor=users["cadre_a"], sign_up=started, at=activity_a.starts_at)
    sign_up_check_out(actor=users["cadre_a"], sign_up=started, at=activity_a.ends_at)
    with pytest.raises(ValidationError, match="已经签退"):
        sign_up_check_out(actor=users["cadre_a"], sign_up=started, at=activity_a.ends_at)
    assert HoursEntry.objects.count() == 1


def test_team_leader_may_check_in_other_residents_may_not(
    users, tree, started, activity_a, resident_user
):
    leader = VolunteerFactory(community=tree["community_a"], user=resident_user)
    activity_a.team = TeamFactory(community=tree["community_a"], leader=leader)
    activity_a.save()
    sign_up_check_in(actor=resident_user, sign_up=started, at=activity_a.starts_at)
    from tests.factories import UserFactory

    stranger = UserFactory(username="stranger", is_staff=False)
    with pytest.raises(PermissionDenied):
        sign_up_check_out(actor=stranger, sign_up=started, at=activity_a.ends_at)
    with pytest.raises(PermissionDenied):
        sign_up_check_out(actor=users["cadre_b"], sign_up=started, at=activity_a.ends_at)


def _checked_out(users, started, activity_a, hours=2):
    sign_up_check_in(actor=users["cadre_a"], sign_up=started, at=activity_a.starts_at)
    return sign_up_check_out(
        actor=users["cadre_a"], sign_up=started, at=activity_a.starts_at + timedelta(hours=hours)
    )


def test_correction_keeps_the_original_and_total_is_the_sum(users, started, activity_a, vol_a):
    original = _checked_out(users, started, activity_a, hours=2)
    correction = hours_correct(
        actor=users["cadre_a"], entry=original, new_hours=Decimal("2.5"), reason="签退漏记半小时"
    )
    original.refresh_from_db()
    assert original.hours == Decimal("2.00")  # untouched
    assert correction.hours == Decimal("0.50") and correction.corrects == original
    second = hours_correct(
        actor=users["cadre_a"], entry=original, new_hours=Decimal("1"), reason="复核后更正"
    )
    assert second.hours == Decimal("-1.50")
    total = HoursEntry.objects.filter(volunteer=vol_a).aggregate(t=Sum("hours"))["t"]
    assert total == Decimal("1.00")
    assert volunteer_hours_summary(vol_a)["total_hours"] == total
    assert HoursEntry.objects.filter(volunteer=vol_a).count() == 3
    assert AuditLog.objects.filter(action="hours.correct").count() == 2


def test_correction_over_the_activity_window_is_refused(users, started, activity_a):
    original = _checked_out(users, started, activity_a)
    with pytest.raises(ValidationError, match="超过活动时段 3.00 小时"):
        hours_correct(actor=users["cadre_a"], entry=original, new_hours=4, reason="多算")
    assert HoursEntry.objects.count() == 1


def test_correction_rules(users, started, activity_a):
    original = _checked_out(users, started, activity_a)
    with pytest.raises(ValidationError, match="相同"):
        hours_correct(actor=users["cadre_a"], entry=original, new_hours=2, reason="无变化")
    with pytest.raises(ValidationError, match="原因"):
        hours_correct(actor=users["cadre_a"], entry=original, new_hours=1, reason="")
    correction = hours_correct(actor=users["cadre_a"], entry=original, new_hours=1, reason="更正")
    with pytest.raises(ValidationError, match="原始记录"):
        hours_correct(actor=users["cadre_a"], entry=correction, new_hours=1, reason="再更正")
    with pytest.raises(PermissionDenied):
        hours_correct(actor=users["cadre_b"], entry=original, new_hours=1.5, reason="越权")
    assert HoursEntry.objects.count() == 2


def test_manual_award_limits_and_scope(users, vol_a, activity_a):
    entry = hours_award(
        actor=users["cadre_a"],
        volunteer=vol_a,
        hours=Decimal("4"),
        served_on=date(2026, 3, 5),
        reason="学雷锋日纸质签到表补录",
    )
    assert entry.source == HoursSource.MANUAL
    with pytest.raises(ValidationError, match="24 小时"):
        hours_award(
            actor=users["cadre_a"], volunteer=vol_a, hours=30, served_on=date.today(), reason="x"
        )
    with pytest.raises(ValidationError, match="活动时段"):
        hours_award(
            actor=users["cadre_a"],
            volunteer=vol_a,
            hours=5,
            served_on=date.today(),
            reason="x",
            activity=activity_a,
        )
    with pytest.raises(ValidationError, match="对象不存在"):  # out of reach: like unknown
        hours_award(
            actor=users["cadre_b"], volunteer=vol_a, hours=1, served_on=date.today(), reason="x"
        )
    assert HoursEntry.objects.count() == 1


@pytest.mark.parametrize(
    ("hours", "stars"),
    [(0, 0), (99.99, 0), (100, 1), (299, 1), (300, 2), (600, 3), (999, 3), (1000, 4), (1500, 5)],
)
def test_star_levels_follow_the_default_thresholds(hours, stars):
    assert star_level(hours) == stars


def test_star_thresholds_come_from_settings(settings):
    settings.VOLUNTEER_STAR_THRESHOLDS = [10, 20]
    assert star_level(15) == 1
    assert star_level(25) == 2
    assert hours_to_next_star(15) == Decimal(5)
    assert hours_to_next_star(25) is None


def test_summary_reports_stars_from_the_ledger(users, vol_a):
    for day in range(1, 6):
        hours_award(
            actor=users["cadre_a"],
            volunteer=vol_a,
            hours=Decimal("20"),
            served_on=date(2026, 1, day),
            reason="应急值守",
        )
    summary = volunteer_hours_summary(vol_a, year=2026)
    assert summary["total_hours"] == Decimal("100")
    assert summary["star_level"] == 1
    assert summary["hours_to_next_star"] == Decimal("200")
    assert summary["year_hours"] == Decimal("100")
