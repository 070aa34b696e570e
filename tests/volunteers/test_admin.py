"""Admin: scoped and masked lists, writes through services, certificate, fixed query counts."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from core.models import AuditLog
from tests.volunteers.factories import ActivityFactory, TeamFactory, VolunteerFactory
from volunteers.models import HoursEntry, SignUp, Volunteer, Wish
from volunteers.services import hours_award, sign_up_create

pytestmark = pytest.mark.django_db


def test_changelist_is_scoped_and_masked(admin_client_for, users, vol_a, vol_b):
    client = admin_client_for(users["cadre_a"])
    response = client.get("/admin/volunteers/volunteer/")
    assert response.status_code == 200
    page = response.content.decode()
    assert vol_a.number in page and vol_b.number not in page
    assert "138****5678" in page and "13812345678" not in page
    assert vol_a.id_number not in page


def test_other_communitys_records_are_404(admin_client_for, users, vol_b):
    client = admin_client_for(users["cadre_a"])
    assert client.get(f"/admin/volunteers/volunteer/{vol_b.pk}/change/").status_code == 404
    assert client.get(f"/admin/volunteers/volunteer/{vol_b.pk}/certificate/").status_code == 404


def test_change_form_keeps_masked_values_and_records_history(admin_client_for, users, vol_a):
    client = admin_client_for(users["cadre_a"])
    url = f"/admin/volunteers/volunteer/{vol_a.pk}/change/"
    page = client.get(url).content.decode()
    assert "138****5678" in page and "13812345678" not in page
    response = client.post(
        url,
        {
            "number": vol_a.number,
            "name": "张三丰",
            "gender": "",
            "id_number": vol_a.id_number[:6] + "********" + vol_a.id_number[-4:],
            "phone": "138****5678",
            "community": vol_a.community_id,
            "person_kind": "resident",
            "status": "registered",
            "availability": ["weekend"],
            "note": "",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    vol_a.refresh_from_db()
    assert vol_a.name == "张三丰" and vol_a.phone == "13812345678"
    assert vol_a.availability == ["weekend"]
    assert vol_a.history.count() == 2
    assert AuditLog.objects.filter(action="volunteer.update").count() == 1


def test_add_volunteer_through_the_service(admin_client_for, users, tree):
    client = admin_client_for(users["cadre_a"])
    response = client.post(
        "/admin/volunteers/volunteer/add/",
        {
            "number": "",
            "name": "周芳",
            "phone": "13600001111",
            "community": tree["community_a"].pk,
            "person_kind": "resident",
            "status": "registered",
        },
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    assert Volunteer.objects.get().number == "A-V000001"
    response = client.post(
        "/admin/volunteers/volunteer/add/",
        {
            "name": "越权",
            "phone": "13600001112",
            "community": tree["community_b"].pk,
            "person_kind": "resident",
            "status": "registered",
        },
    )
    assert response.status_code == 200  # B is not a valid choice for cadre A
    assert Volunteer.objects.count() == 1


def test_certificate_shows_total_and_stars(admin_client_for, users, vol_a):
    for day in range(1, 4):
        hours_award(
            actor=users["cadre_a"],
            volunteer=vol_a,
            hours=Decimal("20"),
            served_on=timezone.localdate() - timedelta(days=day),
            reason="社区疫情防控值守",
        )
    HoursEntry.objects.filter(volunteer=vol_a).update(hours=Decimal("40"))
    client = admin_client_for(users["cadre_a"])
    page = client.get(f"/admin/volunteers/volunteer/{vol_a.pk}/certificate/").content.decode()
    assert "志愿服务时长证明" in page and "120.00" in page and "★" in page
    assert "社区疫情防控值守" in page


def test_sign_up_actions_use_the_services(admin_client_for, users, tree, vol_a):
    activity = ActivityFactory(organizer=tree["community_a"], capacity=1)
    other = VolunteerFactory(community=tree["community_a"])
    client = admin_client_for(users["cadre_a"])
    for volunteer in (vol_a, other):
        response = client.post(
            "/admin/volunteers/signup/add/", {"activity": activity.pk, "volunteer": volunteer.pk}
        )
        assert response.status_code == 302
    first = SignUp.objects.get(volunteer=vol_a)
    response = client.post(
        "/admin/volunteers/signup/",
        {"action": "cancel", "_selected_action": [first.pk]},
        follow=True,
    )
    assert "成功 1 条" in response.content.decode()
    assert SignUp.objects.get(volunteer=other).status == "confirmed"
    response = client.post(
        "/admin/volunteers/signup/",
        {"action": "check_in_now", "_selected_action": [SignUp.objects.get(volunteer=other).pk]},
        follow=True,
    )
    assert "签到时间不在活动时段内" in response.content.decode()


def test_hours_ledger_is_append_only_in_admin(admin_client_for, users, vol_a):
    entry = hours_award(
        actor=users["cadre_a"],
        volunteer=vol_a,
        hours=3,
        served_on=timezone.localdate(),
        reason="补录",
    )
    client = admin_client_for(users["cadre_a"])
    response = client.post(
        "/admin/volunteers/hoursentry/add/",
        {"volunteer": vol_a.pk, "corrects": entry.pk, "hours": "2", "reason": "核减"},
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    assert HoursEntry.objects.count() == 2
    entry.refresh_from_db()
    assert entry.hours == 3
    change = client.post(f"/admin/volunteers/hoursentry/{entry.pk}/change/", {"hours": "9"})
    assert change.status_code == 403 or HoursEntry.objects.get(pk=entry.pk).hours == 3
    assert (
        client.post(f"/admin/volunteers/hoursentry/{entry.pk}/delete/", {"post": "yes"}).status_code
        == 403
    )


def test_wish_actions(admin_client_for, users, tree):
    client = admin_client_for(users["cadre_a"])
    response = client.post(
        "/admin/volunteers/wish/add/",
        {
            "community": tree["community_a"].pk,
            "title": "想要一副老花镜",
            "beneficiary_name": "陈奶奶",
            "beneficiary_phone": "13911112222",
            "source": "cadre",
        },
    )
    assert response.status_code == 302
    wish = Wish.objects.get()
    for action in ("approve", "publish"):
        client.post("/admin/volunteers/wish/", {"action": action, "_selected_action": [wish.pk]})
    wish.refresh_from_db()
    assert wish.status == "published"
    page = client.get("/admin/volunteers/wish/").content.decode()
    assert "139****2222" in page and "13911112222" not in page


@pytest.mark.parametrize(
    "url",
    [
        "/admin/volunteers/volunteer/",
        "/admin/volunteers/team/",
        "/admin/volunteers/activity/",
        "/admin/volunteers/signup/",
        "/admin/volunteers/hoursentry/",
    ],
)
def test_changelist_queries_do_not_grow_with_rows(admin_client_for, users, tree, url):
    client = admin_client_for(users["cadre_a"])

    def add(n):
        for _ in range(n):
            v = VolunteerFactory(community=tree["community_a"])
            TeamFactory(community=tree["community_a"], leader=v)
            a = ActivityFactory(
                organizer=tree["community_a"],
                starts_at=timezone.now() + timedelta(days=3 + Volunteer.objects.count()),
            )
            sign_up_create(actor=users["cadre_a"], activity=a, volunteer=v)
            hours_award(
                actor=users["cadre_a"],
                volunteer=v,
                hours=1,
                served_on=timezone.localdate(),
                reason="x",
            )

    add(3)
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client.get(url)
    with CaptureQueriesContext(connection) as few:
        assert client.get(url).status_code == 200
    add(12)
    with CaptureQueriesContext(connection) as many:
        assert client.get(url).status_code == 200
    assert len(many) == len(few), [q["sql"] for q in many.captured_queries]
