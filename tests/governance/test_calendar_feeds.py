"""Calendar feeds of governance (core/ics.py): meetings per body and per series, task deadlines
per user. Every feed is parsed with ``icalendar``; UIDs are stable, SEQUENCE grows on change,
cancelled records stay as STATUS:CANCELLED, tokens are signed, bound to one feed and expire."""

import datetime as dt

import pytest
from django.core import signing
from django.utils import timezone
from icalendar import Calendar

from core.ics import EXPIRED, INVALID
from governance.models import Meeting, Task
from governance.services import (
    meeting_plan,
    meeting_update,
    resolution_pass,
    task_dispatch,
    task_reject,
)

pytestmark = pytest.mark.django_db


def parse(response):
    assert response.status_code == 200, response.content[:500]
    assert response["Content-Type"].startswith("text/calendar")
    cal = Calendar.from_ical(response.content)
    zones = [c for c in cal.walk("VTIMEZONE")]
    assert [str(z["TZID"]) for z in zones] == ["Asia/Shanghai"]
    return cal


def events(cal):
    return {str(e["UID"]): e for e in cal.walk("VEVENT")}


def local(url: str) -> str:
    return url.replace("http://testserver", "")


def age(model, pk, seconds=60):
    """Make a record's last change look older, as it is in real life between two fetches."""
    model.objects.filter(pk=pk).update(updated_at=timezone.now() - dt.timedelta(seconds=seconds))


def test_body_feed_parses_keeps_uids_and_bumps_sequence(series_a, users, api, client):
    meeting = meeting_plan(
        actor=users["cadre_a"], series=series_a, planned_on=dt.date(2024, 3, 12), title="三月例会"
    )
    timed = meeting_plan(
        actor=users["cadre_a"], series=series_a, planned_on=dt.date(2024, 4, 9), title="四月例会"
    )
    Meeting.objects.filter(pk=timed.pk).update(starts_at=dt.time(14, 30))
    age(Meeting, meeting.pk)
    url = api(users["cadre_a"]).get("/api/v1/meeting-series/calendar-feed/A/").json()["url"]
    first = events(parse(client.get(local(url))))
    uid = f"{meeting.code}@testserver"
    assert set(first) == {uid, f"{timed.code}@testserver"}
    assert first[uid]["DTSTART"].dt == dt.date(2024, 3, 12)
    assert str(first[uid]["STATUS"]) == "TENTATIVE"
    start = first[f"{timed.code}@testserver"]["DTSTART"]
    assert start.params["TZID"] == "Asia/Shanghai"
    assert start.dt.replace(tzinfo=None) == dt.datetime(2024, 4, 9, 14, 30)
    assert start.dt.utcoffset() == dt.timedelta(hours=8)

    meeting_update(
        actor=users["cadre_a"], meeting=Meeting.objects.get(pk=meeting.pk), place="会议室"
    )
    second = events(parse(client.get(local(url))))
    assert set(second) == set(first)  # stable UIDs
    assert int(second[uid]["SEQUENCE"]) > int(first[uid]["SEQUENCE"])
    assert str(second[uid]["LOCATION"]) == "会议室"

    # Cancelled: still in the feed, as CANCELLED, with a higher SEQUENCE.
    Meeting.objects.filter(pk=meeting.pk).update(
        status="cancelled", updated_at=timezone.now() + dt.timedelta(seconds=5)
    )
    third = events(parse(client.get(local(url))))
    assert str(third[uid]["STATUS"]) == "CANCELLED"
    assert int(third[uid]["SEQUENCE"]) > int(second[uid]["SEQUENCE"])


def test_series_feed_and_its_token_binds_one_feed(series_a, co_series, users, api, client):
    meeting_plan(actor=users["cadre_a"], series=series_a, planned_on=dt.date(2024, 3, 12))
    meeting_plan(actor=users["cadre_b"], series=co_series, planned_on=dt.date(2024, 2, 6))
    response = api(users["cadre_a"]).get(f"/api/v1/meeting-series/{series_a.code}/calendar-feed/")
    assert response.status_code == 200
    url = local(response.json()["url"])
    assert url.startswith(f"/api/v1/governance/calendars/series/{series_a.code}.ics?token=")
    cal = parse(client.get(url))
    assert str(cal["X-WR-CALNAME"]) == "园林社区三方联动会议会议计划"
    assert len(events(cal)) == 1
    token = url.split("token=")[1]
    # The same token names series A: not B's series, not A's body feed.
    other = client.get(f"/api/v1/governance/calendars/series/{co_series.code}.ics?token={token}")
    assert other.status_code == 404 and other.json()["detail"] == INVALID
    body = client.get(f"/api/v1/governance/calendars/A.ics?token={token}")
    assert body.status_code == 404
    # B's cadre cannot get A's series URL (unknown and out of reach answer alike).
    assert (
        api(users["cadre_b"])
        .get(f"/api/v1/meeting-series/{series_a.code}/calendar-feed/")
        .status_code
        == 404
    )
    assert (
        api(users["cadre_b"]).get("/api/v1/meeting-series/NOPE/calendar-feed/").status_code == 404
    )


def test_tampered_expired_and_lost_scope(series_a, users, api, client, settings):
    meeting_plan(actor=users["cadre_a"], series=series_a, planned_on=dt.date(2024, 3, 12))
    url = local(api(users["cadre_a"]).get("/api/v1/meeting-series/calendar-feed/A/").json()["url"])
    path, token = url.split("?token=")
    assert client.get(url).status_code == 200
    # Tampered: one character of the payload or of the signature changed.
    for bad in (
        ("x" if token[0] != "x" else "y") + token[1:],
        token[:-1] + ("A" if token[-1] != "A" else "B"),
        "forged",
        "",
    ):
        response = client.get(f"{path}?token={bad}")
        assert response.status_code == 404, bad
        assert response.json()["detail"] == INVALID
    # A payload signed with another key (or salt) is refused as well.
    other = signing.dumps({"u": users["cadre_a"].pk, "k": "meetings", "s": "A"}, salt="x")
    assert client.get(f"{path}?token={other}").status_code == 404
    # Expired: 410 with words that say what to do.
    settings.ICS_FEED_TOKEN_MAX_AGE_DAYS = 0
    response = client.get(url)
    assert response.status_code == 410 and response.json()["detail"] == EXPIRED
    settings.ICS_FEED_TOKEN_MAX_AGE_DAYS = 365
    # Scope is checked at every fetch: losing it ends the feed.
    from organizations.models import ScopeAssignment

    ScopeAssignment.objects.filter(user=users["cadre_a"]).delete()
    assert client.get(url).status_code == 404
    # And a deactivated account too.
    users["street"].is_active = False
    users["street"].save()
    street_url = local(
        api(users["root"]).get("/api/v1/meeting-series/calendar-feed/A/").json()["url"]
    )
    assert client.get(street_url).status_code == 200
    users["root"].is_active = False
    users["root"].save()
    assert client.get(street_url).status_code == 404


def test_tokens_issued_before_the_shared_feeds_still_work(series_a, users, client):
    meeting_plan(actor=users["cadre_a"], series=series_a, planned_on=dt.date(2024, 3, 12))
    old = signing.dumps({"u": users["cadre_a"].pk, "b": "A"}, salt="governance.ics", compress=True)
    assert len(events(parse(client.get(f"/api/v1/governance/calendars/A.ics?token={old}")))) == 1
    assert client.get(f"/api/v1/governance/calendars/B.ics?token={old}").status_code == 404


def test_task_deadline_feed_per_user(held_meeting, users, api, client, tree, branch_a_user):
    resolution = resolution_pass(
        actor=users["cadre_a"], meeting=held_meeting, kind="deliver", title="修缮健身器材"
    )
    deadline = timezone.localdate() + dt.timedelta(days=10)
    task = task_dispatch(
        actor=users["cadre_a"],
        title="更换健身器材",
        source=resolution,
        assignee=tree["branch_a"],
        deadline=deadline,
    )
    age(Task, task.pk)
    response = api(users["cadre_a"]).get("/api/v1/tasks/calendar-feed/")
    assert response.status_code == 200
    url = local(response.json()["url"])
    first = events(parse(client.get(url)))
    uid = f"task-{task.code}@testserver"
    assert list(first) == [uid]
    assert first[uid]["DTSTART"].dt == deadline
    assert "更换健身器材" in str(first[uid]["SUMMARY"])
    # The branch (the assignee side, not the dispatcher) sends it back.
    task_reject(actor=branch_a_user, task=Task.objects.get(pk=task.pk), reason="不属于本支部")
    second = events(parse(client.get(url)))
    assert str(second[uid]["STATUS"]) == "CANCELLED"
    assert int(second[uid]["SEQUENCE"]) > int(first[uid]["SEQUENCE"])
    # B's cadre sees none of A's tasks in their own feed; A's token is A's only.
    url_b = local(api(users["cadre_b"]).get("/api/v1/tasks/calendar-feed/").json()["url"])
    assert events(parse(client.get(url_b))) == {}
    # Old deadlines fall out of the feed window.
    Task.objects.filter(pk=task.pk).update(deadline=timezone.localdate() - dt.timedelta(days=200))
    assert events(parse(client.get(url))) == {}


def test_feed_queries_do_not_grow_with_events(
    series_a, users, client, django_assert_max_num_queries
):
    from core.ics import feed_token

    for month in range(1, 7):
        meeting_plan(actor=users["cadre_a"], series=series_a, planned_on=dt.date(2024, month, 9))
    token = feed_token(users["cadre_a"], "series", series_a.code)
    with django_assert_max_num_queries(8):
        cal = parse(client.get(f"/api/v1/governance/calendars/series/A-SF.ics?token={token}"))
    assert len(events(cal)) == 6
    token = feed_token(users["cadre_a"], "meetings", "A")
    with django_assert_max_num_queries(8):
        cal = parse(client.get(f"/api/v1/governance/calendars/A.ics?token={token}"))
    assert len(events(cal)) == 6
