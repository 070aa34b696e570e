"""Resolution.public (向居民公开): admin/API settable, audited, and public_resolutions(community)."""

import datetime as dt

from core.models import AuditLog
from governance.models import Resolution
from governance.selectors import public_resolutions
from governance.services import meeting_hold, meeting_plan, resolution_pass, series_create


def _held(actor, series, day):
    meeting = meeting_plan(actor=actor, series=series, planned_on=day, agenda=["议题"])
    return meeting_hold(actor=actor, meeting=meeting, held_on=day)


def _public(resolution):
    resolution.public = True
    resolution.save()
    return resolution


def test_public_resolutions_only_public_ones_of_the_community_and_its_street(
    users, tree, series_a, co_series, held_meeting, django_assert_num_queries
):
    cadre = users["cadre_a"]
    old = _public(
        resolution_pass(actor=cadre, meeting=held_meeting, kind="decide", title="加装电梯")
    )
    resolution_pass(actor=cadre, meeting=held_meeting, kind="solve", title="内部讨论事项")
    newer = _held(cadre, series_a, dt.date(2024, 5, 14))
    new = _public(resolution_pass(actor=cadre, meeting=newer, kind="deliver", title="维修路灯"))
    street_series = series_create(
        actor=users["street"],
        code="S-GJ",
        name="站前街道共建联席会",
        kind="co_construction",
        body=tree["street"],
        cadence="quarterly",
        starts_on=dt.date(2024, 1, 1),
        convenor=users["street"],
    )
    street_meeting = _held(users["street"], street_series, dt.date(2024, 4, 2))
    street = _public(
        resolution_pass(
            actor=users["street"], meeting=street_meeting, kind="discuss", title="街道议事"
        )
    )
    b_meeting = _held(users["cadre_b"], co_series, dt.date(2024, 3, 20))
    _public(
        resolution_pass(actor=users["cadre_b"], meeting=b_meeting, kind="decide", title="胜利事项")
    )
    planned = meeting_plan(actor=cadre, series=series_a, planned_on=dt.date(2024, 7, 9), agenda=[])
    Resolution.objects.create(  # bypasses clean(): a planned meeting must never show
        code="X-R1", meeting=planned, kind="decide", title="未召开会议的决议", public=True
    )
    with django_assert_num_queries(1):
        rows = [(r.title, r.meeting.series.name) for r in public_resolutions(tree["community_a"])]
    assert [t for t, _ in rows] == [new.title, street.title, old.title]
    assert [r.title for r in public_resolutions(tree["community_b"])] == ["街道议事", "胜利事项"]


def test_api_passes_a_public_resolution_and_publishes_within_scope(api, users, held_meeting):
    client = api(users["cadre_a"])
    response = client.post(
        f"/api/v1/meetings/{held_meeting.code}/resolutions/",
        {"kind": "decide", "title": "加装电梯", "public": True},
        format="json",
    )
    assert response.status_code == 201, response.json()
    assert response.json()["public"] is True
    response = client.post(
        f"/api/v1/meetings/{held_meeting.code}/resolutions/",
        {"kind": "solve", "title": "停车"},
        format="json",
    )
    code = response.json()["code"]
    assert response.json()["public"] is False
    assert api(users["cadre_b"]).post(
        f"/api/v1/resolutions/{code}/publish/", {"public": True}, format="json"
    ).status_code in (403, 404)
    assert Resolution.objects.get(code=code).public is False
    response = client.post(f"/api/v1/resolutions/{code}/publish/", {"public": True}, format="json")
    assert response.status_code == 200 and response.json()["public"] is True
    assert AuditLog.objects.filter(action="resolution.public").count() == 2


def test_admin_sets_public_only(admin_client_for, users, held_meeting):
    r = resolution_pass(
        actor=users["cadre_a"], meeting=held_meeting, kind="decide", title="加装电梯"
    )
    client = admin_client_for(users["cadre_a"])
    url = f"/admin/governance/resolution/{r.pk}/change/"
    assert 'name="public"' in client.get(url).content.decode()
    response = client.post(url, {"public": "on", "title": "改名"})
    assert response.status_code == 302, response.content.decode()[-1500:]
    r.refresh_from_db()
    assert r.public is True and r.title == "加装电梯"
    assert "resolution.public" in AuditLog.objects.values_list("action", flat=True)
    assert admin_client_for(users["cadre_b"]).get(url).status_code in (302, 404)
