"""No impossible records (issue 18, item 8): check-in/out in the future, a check-out before the
check-in or outside the activity, a manual award dated in the future or outside its activity
are refused with plain Chinese errors through the service, the API and the admin; the hours
and volunteer change pages answer for every role."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from volunteers.models import HoursEntry, SignUp
from volunteers.services import hours_award, sign_up_check_in, sign_up_check_out, sign_up_create

pytestmark = pytest.mark.django_db


def _move(activity, start, hours=3):
    type(activity).objects.filter(pk=activity.pk).update(
        starts_at=start, ends_at=start + timedelta(hours=hours)
    )
    activity.refresh_from_db()


@pytest.fixture
def running(users, vol_a, activity_a):
    """A confirmed sign-up to an activity that began 30 minutes ago and lasts 3 hours."""
    sign_up = sign_up_create(actor=users["cadre_a"], activity=activity_a, volunteer=vol_a)
    _move(activity_a, timezone.now() - timedelta(minutes=30))
    return sign_up


def test_check_out_in_the_future_is_refused_and_credits_nothing(users, running, activity_a):
    sign_up_check_in(actor=users["cadre_a"], sign_up=running, at=activity_a.starts_at)
    with pytest.raises(ValidationError) as exc:
        sign_up_check_out(
            actor=users["cadre_a"], sign_up=running, at=timezone.now() + timedelta(hours=8)
        )
    assert "晚于当前时间" in str(exc.value)
    assert HoursEntry.objects.count() == 0
    running.refresh_from_db()
    assert running.checked_out_at is None


def test_check_in_in_the_future_is_refused(users, running, activity_a):
    with pytest.raises(ValidationError, match="晚于当前时间"):
        sign_up_check_in(
            actor=users["cadre_a"], sign_up=running, at=timezone.now() + timedelta(hours=1)
        )
    # a phone clock a minute fast is fine
    sign_up_check_in(
        actor=users["cadre_a"], sign_up=running, at=timezone.now() + timedelta(minutes=1)
    )


def test_check_out_before_the_activity_began_is_refused(users, vol_a, activity_a):
    """The reported case: checked in early, checked out before the activity started."""
    sign_up = sign_up_create(actor=users["cadre_a"], activity=activity_a, volunteer=vol_a)
    _move(activity_a, timezone.now() + timedelta(minutes=50))
    sign_up_check_in(actor=users["cadre_a"], sign_up=sign_up, at=timezone.now())
    with pytest.raises(ValidationError, match="早于活动开始时间"):
        sign_up_check_out(actor=users["cadre_a"], sign_up=sign_up)
    assert HoursEntry.objects.count() == 0


def test_manual_award_in_the_future_or_outside_the_activity_is_refused(users, vol_a, activity_a):
    tomorrow = timezone.localdate() + timedelta(days=1)
    with pytest.raises(ValidationError, match="晚于今天"):
        hours_award(
            actor=users["cadre_a"], volunteer=vol_a, hours=2, served_on=tomorrow, reason="x"
        )
    _move(activity_a, timezone.now() - timedelta(days=10))
    with pytest.raises(ValidationError, match="不在活动"):
        hours_award(
            actor=users["cadre_a"],
            volunteer=vol_a,
            hours=2,
            served_on=timezone.localdate(),
            reason="x",
            activity=activity_a,
        )
    _move(activity_a, timezone.now() + timedelta(days=2))
    with pytest.raises(ValidationError, match="尚未开始"):
        hours_award(
            actor=users["cadre_a"],
            volunteer=vol_a,
            hours=2,
            served_on=timezone.localdate(),
            reason="x",
            activity=activity_a,
        )
    assert HoursEntry.objects.count() == 0


def test_api_refuses_future_check_out_and_future_award(api, users, running, activity_a, vol_a):
    client = api(users["cadre_a"])
    base = f"/api/v1/volunteer-sign-ups/{running.pk}"
    assert (
        client.post(
            f"{base}/check-in/", {"at": activity_a.starts_at.isoformat()}, format="json"
        ).status_code
        == 200
    )
    future = (timezone.now() + timedelta(hours=8)).isoformat()
    response = client.post(f"{base}/check-out/", {"at": future}, format="json")
    assert response.status_code == 400
    assert "晚于当前时间" in str(response.json()["errors"])
    response = client.post(
        "/api/v1/volunteer-hours/",
        {
            "volunteer": vol_a.number,
            "hours": "2",
            "served_on": str(timezone.localdate() + timedelta(days=3)),
            "reason": "补录",
        },
        format="json",
    )
    assert response.status_code == 400, response.json()
    assert "晚于今天" in str(response.json()["errors"])
    assert HoursEntry.objects.count() == 0


def test_admin_refuses_future_award_on_the_form(admin_client_for, users, vol_a):
    client = admin_client_for(users["cadre_a"])
    response = client.post(
        "/admin/volunteers/hoursentry/add/",
        {
            "volunteer": vol_a.pk,
            "hours": "2",
            "served_on": str(timezone.localdate() + timedelta(days=2)),
            "reason": "补录",
        },
    )
    assert response.status_code == 200
    assert "晚于今天" in response.content.decode()
    assert HoursEntry.objects.count() == 0
    response = client.post(
        "/admin/volunteers/hoursentry/add/",
        {"volunteer": vol_a.pk, "hours": "30", "served_on": "2026-03-05", "reason": "补录"},
    )
    assert response.status_code == 200 and "24 小时" in response.content.decode()


def test_admin_check_out_now_before_the_activity_is_refused(
    admin_client_for, users, vol_a, activity_a
):
    sign_up = sign_up_create(actor=users["cadre_a"], activity=activity_a, volunteer=vol_a)
    _move(activity_a, timezone.now() + timedelta(minutes=50))
    sign_up_check_in(actor=users["cadre_a"], sign_up=sign_up)
    response = admin_client_for(users["cadre_a"]).post(
        "/admin/volunteers/signup/",
        {"action": "check_out_now", "_selected_action": [sign_up.pk]},
        follow=True,
    )
    assert "早于活动开始时间" in response.content.decode()
    assert SignUp.objects.get(pk=sign_up.pk).checked_out_at is None


@pytest.mark.parametrize("role", ["street", "cadre_a", "cadre_b", "grid_a", "district", "root"])
def test_hours_and_volunteer_change_pages_answer_for_every_role(client, users, vol_a, role):
    entry = hours_award(
        actor=users["cadre_a"],
        volunteer=vol_a,
        hours=Decimal("2"),
        served_on=timezone.localdate(),
        reason="补录",
    )
    client.force_login(users[role])
    for url in (
        f"/admin/volunteers/hoursentry/{entry.pk}/change/",
        f"/admin/volunteers/volunteer/{vol_a.pk}/change/",
        f"/admin/volunteers/hoursentry/{entry.pk}/history/",
        f"/admin/volunteers/volunteer/{vol_a.pk}/history/",
    ):
        status = client.get(url).status_code
        assert status in (200, 302, 403, 404), (role, url, status)
    if role in ("street", "cadre_a", "district", "root"):
        assert client.get(f"/admin/volunteers/hoursentry/{entry.pk}/change/").status_code == 200
