"""Volunteer calendar feeds (core/ics.py): a community's activities (with its street's) and one
volunteer's sign-ups, parsed with ``icalendar``; cancelled ones stay as STATUS:CANCELLED."""

import datetime as dt

import pytest
from django.utils import timezone
from icalendar import Calendar

from core.ics import INVALID
from tests.volunteers.factories import ActivityFactory
from volunteers.models import Activity, SignUp
from volunteers.services.activities import activity_cancel, sign_up_cancel, sign_up_create

pytestmark = pytest.mark.django_db


def parse(response):
    assert response.status_code == 200, response.content[:500]
    cal = Calendar.from_ical(response.content)
    assert [str(z["TZID"]) for z in cal.walk("VTIMEZONE")] == ["Asia/Shanghai"]
    return {str(e["UID"]): e for e in cal.walk("VEVENT")}


def local(url: str) -> str:
    return url.replace("http://testserver", "")


def older(activity):
    Activity.objects.filter(pk=activity.pk).update(
        updated_at=timezone.now() - dt.timedelta(minutes=1)
    )


def test_community_feed(tree, users, api, client, activity_a):
    street = ActivityFactory(organizer=tree["street"], title="街道清洁日")
    other = ActivityFactory(organizer=tree["community_b"])
    old = ActivityFactory(
        organizer=tree["community_a"],
        starts_at=timezone.now() - dt.timedelta(days=200),
        ends_at=timezone.now() - dt.timedelta(days=200) + dt.timedelta(hours=2),
    )
    older(activity_a)
    response = api(users["cadre_a"]).get("/api/v1/volunteer-activities/calendar-feed/A/")
    assert response.status_code == 200
    url = local(response.json()["url"])
    assert url.startswith("/api/v1/volunteers/calendars/communities/A.ics?token=")
    first = parse(client.get(url))
    uid = f"activity-{activity_a.code}@testserver"
    assert set(first) == {uid, f"activity-{street.code}@testserver"}
    assert f"activity-{other.code}@testserver" not in first and old.code not in str(first)
    start = first[uid]["DTSTART"]
    assert start.params["TZID"] == "Asia/Shanghai"
    assert start.dt == activity_a.starts_at.replace(
        microsecond=0
    )  # same instant, written in Shanghai time
    assert start.dt.utcoffset() == dt.timedelta(hours=8)
    assert str(first[uid]["STATUS"]) == "CONFIRMED"
    activity_cancel(actor=users["cadre_a"], activity=activity_a, reason="天气原因")
    second = parse(client.get(url))
    assert set(second) == set(first)
    assert str(second[uid]["STATUS"]) == "CANCELLED"
    assert int(second[uid]["SEQUENCE"]) > int(first[uid]["SEQUENCE"])
    assert "天气原因" in str(second[uid]["DESCRIPTION"])
    # B's cadre: neither the URL nor, with A's token swapped onto B, the feed.
    assert (
        api(users["cadre_b"]).get("/api/v1/volunteer-activities/calendar-feed/A/").status_code
        == 404
    )
    assert (
        api(users["cadre_b"]).get("/api/v1/volunteer-activities/calendar-feed/ZZ/").status_code
        == 404
    )
    swapped = url.replace("/communities/A.ics", "/communities/B.ics")
    response = client.get(swapped)
    assert response.status_code == 404 and response.json()["detail"] == INVALID


def test_volunteer_feed_and_the_volunteers_own_access(
    tree, users, api, client, vol_a, vol_b, activity_a, resident_user
):
    later = timezone.now() + dt.timedelta(days=5)
    second_activity = ActivityFactory(
        organizer=tree["community_a"],
        title="敬老院打扫",
        starts_at=later,
        ends_at=later + dt.timedelta(hours=2),
    )
    sign_up = sign_up_create(actor=users["cadre_a"], activity=activity_a, volunteer=vol_a)
    sign_up_create(actor=users["cadre_a"], activity=second_activity, volunteer=vol_a)
    older(activity_a)
    SignUp.objects.filter(pk=sign_up.pk).update(created_at=timezone.now() - dt.timedelta(minutes=1))
    response = api(users["cadre_a"]).get(f"/api/v1/volunteers/{vol_a.number}/calendar-feed/")
    assert response.status_code == 200
    url = local(response.json()["url"])
    first = parse(client.get(url))
    uid = f"activity-{activity_a.code}@testserver"
    assert set(first) == {uid, f"activity-{second_activity.code}@testserver"}
    assert "我的报名：已报名" in str(first[uid]["DESCRIPTION"])
    sign_up_cancel(actor=users["cadre_a"], sign_up=sign_up, reason="有事")
    second = parse(client.get(url))
    assert str(second[uid]["STATUS"]) == "CANCELLED"
    assert int(second[uid]["SEQUENCE"]) > int(first[uid]["SEQUENCE"])
    # Signing up again brings the same UID back, confirmed, with a higher SEQUENCE.
    sign_up_create(actor=users["cadre_a"], activity=activity_a, volunteer=vol_a)
    third = parse(client.get(url))
    assert str(third[uid]["STATUS"]) == "CONFIRMED"
    assert int(third[uid]["SEQUENCE"]) >= int(second[uid]["SEQUENCE"])
    # Out of reach answers like unknown.
    assert (
        api(users["cadre_b"]).get(f"/api/v1/volunteers/{vol_a.number}/calendar-feed/").status_code
        == 404
    )
    # The volunteer's own account (a resident, no scope) reads their own feed, not another's.
    vol_a.user = resident_user
    vol_a.save(update_fields=["user"])
    from core.ics import feed_token

    own = feed_token(resident_user, "sign-ups", vol_a.number)
    path = f"/api/v1/volunteers/calendars/volunteers/{vol_a.number}.ics"
    assert len(parse(client.get(f"{path}?token={own}"))) == 2
    theirs = feed_token(resident_user, "sign-ups", vol_b.number)
    path_b = f"/api/v1/volunteers/calendars/volunteers/{vol_b.number}.ics"
    assert client.get(f"{path_b}?token={theirs}").status_code == 404
    # …and their community's activities.
    community = feed_token(resident_user, "activities", "A")
    assert (
        len(parse(client.get(f"/api/v1/volunteers/calendars/communities/A.ics?token={community}")))
        == 2
    )
    community_b = feed_token(resident_user, "activities", "B")
    assert (
        client.get(
            f"/api/v1/volunteers/calendars/communities/B.ics?token={community_b}"
        ).status_code
        == 404
    )
    # No token, no API token: the same 404.
    assert client.get(path).status_code == 404


def test_feed_queries_do_not_grow_with_events(
    tree, users, client, vol_a, django_assert_max_num_queries
):
    from core.ics import feed_token

    for i in range(8):
        start = timezone.now() + dt.timedelta(days=2 + i)
        activity = ActivityFactory(
            organizer=tree["community_a"],
            capacity=5,
            starts_at=start,
            ends_at=start + dt.timedelta(hours=2),
        )
        sign_up_create(actor=users["cadre_a"], activity=activity, volunteer=vol_a)
    token = feed_token(users["cadre_a"], "sign-ups", vol_a.number)
    with django_assert_max_num_queries(8):
        events = parse(
            client.get(f"/api/v1/volunteers/calendars/volunteers/{vol_a.number}.ics?token={token}")
        )
    assert len(events) == 8
    token = feed_token(users["cadre_a"], "activities", "A")
    with django_assert_max_num_queries(8):
        events = parse(client.get(f"/api/v1/volunteers/calendars/communities/A.ics?token={token}"))
    assert len(events) == 8


def test_activity_time_filters_take_any_offset_python_accepts(users, api, activity_a):
    """PostgreSQL refuses offsets beyond ±15:59; the filter sends UTC (found by schemathesis)."""
    client = api(users["cadre_a"])
    for value, status in (
        ("0671-02-19T12:34:06+21:21", 200),
        ("2020-01-01T00:00:00-23:59", 200),
        ("0001-01-01T00:00:00+05:00", 400),
    ):
        response = client.get("/api/v1/volunteer-activities/", {"starts_after": value})
        assert response.status_code == status, (value, response.content[:300])
    response = client.get(
        f"/api/v1/volunteer-activities/{activity_a.code}/sign-ups/",
        {"starts_after": "0671-02-19T12:34:06+21:21"},
    )
    assert response.status_code == 200
