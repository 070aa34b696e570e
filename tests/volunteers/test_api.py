"""API: scope, masking, codes not ids, workflow endpoints, error shape, fixed query counts."""

from datetime import timedelta

import pytest
from django.utils import timezone

from core.models import SensitiveAccessLog
from tests.volunteers.factories import (
    ActivityFactory,
    SkillFactory,
    TeamFactory,
    VolunteerFactory,
    make_id_number,
)
from volunteers.models import HoursEntry, SignUp, Volunteer
from volunteers.services import hours_award, sign_up_create

pytestmark = pytest.mark.django_db


def test_volunteer_list_is_scoped_and_masked(api, users, vol_a, vol_b):
    response = api(users["cadre_a"]).get("/api/v1/volunteers/")
    assert response.status_code == 200
    rows = response.json()["results"]
    assert [r["number"] for r in rows] == [vol_a.number]
    assert rows[0]["phone"] == "138****5678"
    assert "*" in rows[0]["id_number"] and rows[0]["id_number"] != vol_a.id_number
    assert rows[0]["community"] == "A"
    street = api(users["street"]).get("/api/v1/volunteers/").json()["results"]
    assert {r["number"] for r in street} == {vol_a.number, vol_b.number}


def test_other_communitys_volunteer_is_404(api, users, vol_b):
    client = api(users["cadre_a"])
    assert client.get(f"/api/v1/volunteers/{vol_b.number}/").status_code == 404
    assert client.get(f"/api/v1/volunteers/{vol_b.number}/hours/").status_code == 404


def test_reveal_is_logged(api, users, vol_a):
    response = api(users["cadre_a"]).post(
        f"/api/v1/volunteers/{vol_a.number}/reveal/", {"purpose": "核实身份办理证明"}, format="json"
    )
    assert response.status_code == 200
    assert response.json()["values"]["phone"] == "13812345678"
    assert SensitiveAccessLog.objects.filter(target_id=str(vol_a.pk)).count() == 1


def test_create_volunteer_generates_number_and_refuses_other_community(api, users, tree):
    skill = SkillFactory(code="legal", name="法律咨询")
    client = api(users["cadre_a"])
    body = {
        "name": "孙丽",
        "phone": "13700001111",
        "id_number": make_id_number(42),
        "community": "A",
        "skills": [skill.code],
        "availability": ["weekend"],
    }
    response = client.post("/api/v1/volunteers/", body, format="json")
    assert response.status_code == 201, response.json()
    assert response.json()["number"] == "A-V000001"
    assert response.json()["phone"] == "137****1111"
    created = Volunteer.objects.get(number="A-V000001")
    assert created.history.count() == 1
    response = client.post("/api/v1/volunteers/", {**body, "community": "B"}, format="json")
    assert response.status_code == 400 and "community" in response.json()["errors"]
    bad = client.post(
        "/api/v1/volunteers/", {**body, "id_number": "110105199001011234"}, format="json"
    )
    assert bad.status_code == 400 and "id_number" in bad.json()["errors"]
    assert Volunteer.objects.count() == 1


def test_update_keeps_history_and_status_has_its_own_endpoint(api, users, vol_a):
    client = api(users["cadre_a"])
    response = client.patch(
        f"/api/v1/volunteers/{vol_a.number}/", {"note": "擅长剪纸"}, format="json"
    )
    assert response.status_code == 200, response.json()
    assert vol_a.history.count() == 2
    response = client.post(
        f"/api/v1/volunteers/{vol_a.number}/status/", {"status": "suspended"}, format="json"
    )
    assert response.status_code == 400 and "reason" in response.json()["errors"]
    response = client.post(
        f"/api/v1/volunteers/{vol_a.number}/status/",
        {"status": "suspended", "reason": "长期外出"},
        format="json",
    )
    assert response.json()["status"] == "suspended"


def test_sign_up_flow_over_the_api(api, users, tree, vol_a, activity_a):
    client = api(users["cadre_a"])
    url = f"/api/v1/volunteer-activities/{activity_a.code}/sign-ups/"
    response = client.post(url, {"volunteer": vol_a.number}, format="json")
    assert response.status_code == 201, response.json()
    assert response.json()["status"] == "confirmed"
    again = client.post(url, {"volunteer": vol_a.number}, format="json")
    assert again.status_code == 400
    assert again.json()["code"] == "invalid" and "已报名" in str(again.json()["errors"])
    other = VolunteerFactory(community=tree["community_b"])
    assert client.post(url, {"volunteer": other.number}, format="json").status_code == 404
    sign_up = SignUp.objects.get()
    start = timezone.now() - timedelta(hours=4)
    type(activity_a).objects.filter(pk=activity_a.pk).update(
        starts_at=start, ends_at=start + timedelta(hours=3)
    )
    base = f"/api/v1/volunteer-sign-ups/{sign_up.pk}"
    early = client.post(f"{base}/check-out/", {}, format="json")
    assert early.status_code == 400 and "尚未签到" in str(early.json()["errors"])
    assert (
        client.post(f"{base}/check-in/", {"at": start.isoformat()}, format="json").status_code
        == 200
    )
    out = client.post(
        f"{base}/check-out/", {"at": (start + timedelta(minutes=90)).isoformat()}, format="json"
    )
    assert out.status_code == 200 and out.json()["hours"] == "1.50"
    entry_id = out.json()["id"]
    fix = client.post(
        f"/api/v1/volunteer-hours/{entry_id}/correct/",
        {"new_hours": "2.00", "reason": "补记"},
        format="json",
    )
    assert fix.status_code == 201 and fix.json()["hours"] == "0.50"
    hours = client.get(f"/api/v1/volunteers/{vol_a.number}/hours/").json()
    assert hours["total_hours"] == "2.00" and len(hours["entries"]) == 2
    assert client.delete(f"/api/v1/volunteer-hours/{entry_id}/").status_code == 405
    assert client.patch(f"/api/v1/volunteer-hours/{entry_id}/", {"hours": 9}).status_code == 405
    assert HoursEntry.objects.get(pk=entry_id).hours == 1.5


def test_cadre_b_cannot_reach_activity_of_a(api, users, activity_a):
    client = api(users["cadre_b"])
    assert client.get(f"/api/v1/volunteer-activities/{activity_a.code}/").status_code == 404
    assert (
        client.post(f"/api/v1/volunteer-activities/{activity_a.code}/cancel/", {}).status_code
        == 404
    )


def test_wish_workflow_over_the_api(api, users, tree, vol_a):
    client = api(users["cadre_a"])
    response = client.post(
        "/api/v1/wishes/",
        {
            "title": "想学用智能手机",
            "community": "A",
            "beneficiary_name": "刘大爷",
            "beneficiary_phone": "13911112222",
            "source": "cadre",
        },
        format="json",
    )
    assert response.status_code == 201, response.json()
    code = response.json()["code"]
    assert response.json()["beneficiary_phone"] == "139****2222"
    assert (
        client.post(f"/api/v1/wishes/{code}/review/", {"approve": True}, format="json").status_code
        == 200
    )
    assert client.post(f"/api/v1/wishes/{code}/publish/").status_code == 200
    claim = client.post(f"/api/v1/wishes/{code}/claim/", {"volunteer": vol_a.number}, format="json")
    assert claim.status_code == 200 and claim.json()["claimed_by_volunteer"] == vol_a.number
    twice = client.post(f"/api/v1/wishes/{code}/claim/", {"volunteer": vol_a.number}, format="json")
    assert twice.status_code == 400 and "已被" in str(twice.json()["errors"])
    done = client.post(
        f"/api/v1/wishes/{code}/fulfil/", {"note": "上门教学两次", "hours": "3"}, format="json"
    )
    assert done.status_code == 200, done.json()
    assert client.post(f"/api/v1/wishes/{code}/confirm/").json()["status"] == "confirmed"
    assert HoursEntry.objects.get(wish__code=code).hours == 3


def test_exports_are_masked_and_ledger_import_is_refused(api, users, vol_a):
    client = api(users["cadre_a"])
    response = client.get("/api/v1/volunteers/export/?file_format=csv")
    text = response.content.decode("utf-8-sig")
    assert "138****5678" in text and "13812345678" not in text
    upload = client.post(
        "/api/v1/volunteer-hours/import/",
        {"file": _file(b"a,b\n1,2\n")},
        format="multipart",
    )
    assert upload.status_code == 400 and "只能导出" in str(upload.json()["errors"])


def _file(content: bytes):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile("x.csv", content, content_type="text/csv")


def _many(tree, n):
    skills = [SkillFactory(code=f"s{i}", name=f"技能{i}") for i in range(2)]
    for i in range(n):
        v = VolunteerFactory(community=tree["community_a"])
        v.skills.set(skills)
        team = TeamFactory(community=tree["community_a"], leader=v)
        team.members.add(v)
        a = ActivityFactory(
            organizer=tree["community_a"],
            team=team,
            starts_at=timezone.now() + timedelta(days=3, hours=4 * i),
        )
        a.required_skills.set(skills)


@pytest.mark.parametrize(
    ("url", "queries"),
    [
        ("/api/v1/volunteers/", 3),  # count, page, skills
        ("/api/v1/volunteer-teams/", 2),  # count, page (member count is a subquery)
        ("/api/v1/volunteer-activities/", 3),  # count, page, required skills
        ("/api/v1/volunteer-sign-ups/", 2),
        ("/api/v1/volunteer-hours/", 2),
        ("/api/v1/wishes/", 2),
    ],
)
def test_list_query_counts_do_not_grow_with_page_size(
    api, users, tree, url, queries, django_assert_num_queries
):
    _many(tree, 12)
    cadre = users["cadre_a"]
    from volunteers.models import Activity, Volunteer

    for volunteer, activity in zip(Volunteer.objects.all(), Activity.objects.all(), strict=False):
        sign_up_create(actor=cadre, activity=activity, volunteer=volunteer)
        hours_award(
            actor=cadre, volunteer=volunteer, hours=2, served_on=timezone.localdate(), reason="补录"
        )
    from tests.volunteers.test_wishes import posted_wish

    for _ in range(12):
        posted_wish(users, tree)
    client = api(cadre)
    client.get(url)  # warm the user's permission and scope caches
    for size in (5, 10):
        with django_assert_num_queries(queries):
            response = client.get(f"{url}?page_size={size}")
        assert response.status_code == 200
        assert len(response.json()["results"]) == size


def test_status_change_through_update_is_refused_and_changes_nothing(api, users, vol_a):
    response = api(users["cadre_a"]).patch(
        f"/api/v1/volunteers/{vol_a.number}/",
        {"status": "suspended", "note": "改备注"},
        format="json",
    )
    assert response.status_code == 400
    vol_a.refresh_from_db()
    assert vol_a.status == "registered" and vol_a.note == ""
    assert vol_a.history.count() == 1


def test_volunteer_hours_list_queries_do_not_grow_with_the_ledger(api, users, vol_a):
    """GET …/volunteers/{number}/hours/ (the nested ledger): the same number of queries for 3
    entries as for 30, corrections included (was one query per entry)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from volunteers.services import hours_correct

    cadre = users["cadre_a"]
    client = api(cadre)
    url = f"/api/v1/volunteers/{vol_a.number}/hours/"
    counts = []
    for target in (3, 30):
        while HoursEntry.objects.filter(volunteer=vol_a).count() < target:
            entry = hours_award(
                actor=cadre,
                volunteer=vol_a,
                hours=2,
                served_on=timezone.localdate(),
                reason="补录",
            )
            if HoursEntry.objects.filter(volunteer=vol_a).count() < target:
                hours_correct(actor=cadre, entry=entry, new_hours=3, reason="更正")
        client.get(url)
        with CaptureQueriesContext(connection) as queries:
            response = client.get(url)
        assert response.status_code == 200
        assert len(response.json()["entries"]) == target
        counts.append(len(queries))
    assert counts[0] == counts[1], counts


def test_hours_admin_changelist_queries_do_not_grow_with_corrections(admin_client_for, users, tree):
    """The admin ledger at 3 and 30 rows, half of them corrections (whose "corrects" column
    names the corrected entry's volunteer): the same number of queries."""
    from django.contrib import admin
    from django.db import connection
    from django.test.utils import CaptureQueriesContext
    from django.urls import reverse

    from volunteers.services import hours_correct

    street = users["street"]
    for i in range(15):
        volunteer = VolunteerFactory(community=tree["community_a"])
        entry = hours_award(
            actor=street,
            volunteer=volunteer,
            hours=2,
            served_on=timezone.localdate(),
            reason="补录",
        )
        hours_correct(actor=street, entry=entry, new_hours=3, reason=f"更正{i}")
    model_admin = admin.site._registry[HoursEntry]
    client = admin_client_for(street)
    url = reverse("admin:volunteers_hoursentry_changelist")
    client.get(url)
    counts = []
    original = model_admin.list_per_page
    try:
        for per_page in (3, 30):
            model_admin.list_per_page = per_page
            with CaptureQueriesContext(connection) as queries:
                response = client.get(url)
            assert response.status_code == 200
            assert len(response.context["cl"].result_list) == per_page
            counts.append(len(queries))
    finally:
        model_admin.list_per_page = original
    assert counts[0] == counts[1], counts
