"""志愿服务 and 微心愿 through the volunteers services."""

import pytest
from django.test import Client

from portal.adapters import features
from tests.portal.conftest import challenge_from
from tests.portal.factories import approve_volunteer, make_activity, make_resident, publish_wish

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(not features()["wishes"], reason="volunteers services not installed"),
]


def register_volunteer(client, users, tree):
    profile = make_resident(client, tree["community_a"])
    response = client.post(
        "/volunteer/", {"name": "王阿姨", "phone": "13912345678", "availability": ["weekend"]}
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    return profile


def test_volunteering_needs_an_account(client, tree):
    assert "需要先登录居民账号" in client.get("/volunteer/").content.decode()


def test_register_then_sign_up_and_cancel(client, users, tree):
    profile = register_volunteer(client, users, tree)
    make_activity(users["cadre_a"], tree["community_a"])
    make_activity(users["cadre_b"], tree["community_b"], code="ACTB", title="胜利社区活动")
    html = client.get("/volunteer/").content.decode()
    assert "等社区审核" in html and "敬老院义务打扫" in html
    assert "胜利社区活动" not in html  # only my community's activities
    assert "报名 敬老院义务打扫" not in html  # not approved yet
    approve_volunteer(users["cadre_a"], profile.user)
    html = client.get("/volunteer/").content.decode()
    assert "报名 敬老院义务打扫" in html
    response = client.post("/volunteer/activities/ACT1/sign-up/")
    html = client.get(response["Location"]).content.decode()
    assert "报名成功" in html and "取消报名" in html
    response = client.post("/volunteer/activities/ACT1/cancel/")
    html = client.get(response["Location"]).content.decode()
    assert "已取消" in html and "报名 敬老院义务打扫" in html


def test_my_hours_and_stars(client, users, tree):
    from decimal import Decimal

    from volunteers.models import Volunteer
    from volunteers.services.hours import hours_award

    profile = register_volunteer(client, users, tree)
    approve_volunteer(users["cadre_a"], profile.user)
    volunteer = Volunteer.objects.get(user=profile.user)
    from django.utils import timezone

    for _ in range(6):
        hours_award(
            actor=users["cadre_a"],
            volunteer=volunteer,
            hours=Decimal("20"),
            served_on=timezone.localdate(),
            reason="纸质记录补录",
        )
    html = client.get("/volunteer/").content.decode()
    assert "120 小时" in html and "★" in html


def test_post_wish_is_reviewed_before_it_shows_and_hides_personal_data(client, users, tree):
    make_resident(client, tree["community_a"])
    data = {
        "title": "想要一台收音机",
        "description": "听戏用",
        "name": "王阿姨",
        "phone": "13912345678",
        **challenge_from(client.get("/wishes/new/").content.decode()),
    }
    response = client.post("/wishes/new/", data)
    assert response.status_code == 302, response.content.decode()[:3000]
    anonymous = Client()
    assert "想要一台收音机" not in anonymous.get("/wishes/").content.decode()
    wish = publish_wish(users["cadre_a"], "想要一台收音机")
    html = anonymous.get("/wishes/").content.decode()
    assert "想要一台收音机" in html
    detail = anonymous.get(f"/wishes/{wish.code}/").content.decode()
    assert "听戏用" in detail
    for personal in ("王阿姨", "13912345678", "9123"):
        assert personal not in html and personal not in detail


def test_post_wish_requires_login(client, tree):
    response = client.get("/wishes/new/")
    assert response.status_code == 302 and "/account/login/" in response["Location"]


def test_claim_wish_as_registered_volunteer(client, users, tree):
    poster = Client()
    make_resident(poster, tree["community_a"], phone="13700001111", name="李叔")
    data = {
        "title": "需要有人帮忙修理轮椅",
        "description": "",
        "name": "李叔",
        "phone": "13700001111",
        **challenge_from(poster.get("/wishes/new/").content.decode()),
    }
    assert poster.post("/wishes/new/", data).status_code == 302
    wish = publish_wish(users["cadre_a"], "需要有人帮忙修理轮椅")
    profile = register_volunteer(client, users, tree)
    html = client.get(f"/wishes/{wish.code}/").content.decode()
    assert "审核通过后就可以认领" in html
    approve_volunteer(users["cadre_a"], profile.user)
    response = client.post(f"/wishes/{wish.code}/")
    html = client.get(response["Location"]).content.decode()
    assert "认领成功" in html and "已认领" in html
    response = client.post(f"/wishes/{wish.code}/")
    html = client.get(response["Location"]).content.decode()
    assert "已被" in html or "不能认领" in html


def test_wish_form_keeps_text_and_names_missing_fields(client, tree):
    make_resident(client, tree["community_a"])
    data = {
        "title": "",
        "description": "<script>alert(1)</script>",
        "name": "王阿姨",
        "phone": "abc",
    }
    html = client.post("/wishes/new/", data).content.decode()
    assert "这一项必须填写" in html and "手机号格式不对" in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html and "<script>alert(1)" not in html


def test_my_sign_ups_calendar_link(client, users, tree):
    """The volunteer page links my sign-ups as a calendar feed; the link opens it (no scope)."""
    import html as html_lib
    import re

    from icalendar import Calendar

    profile = register_volunteer(client, users, tree)
    approve_volunteer(users["cadre_a"], profile.user)
    make_activity(users["cadre_a"], tree["community_a"])
    client.post("/volunteer/activities/ACT1/sign-up/")
    page = client.get("/volunteer/").content.decode()
    match = re.search(r'id="calendar-feed">[^<]*<a href="([^"]+)"', page)
    assert match, page[:3000]
    url = html_lib.unescape(match.group(1)).replace("http://testserver", "")
    anonymous = Client()
    response = anonymous.get(url)
    assert response.status_code == 200
    cal = Calendar.from_ical(response.content)
    assert [str(e["UID"]) for e in cal.walk("VEVENT")] == ["activity-ACT1@testserver"]
    assert anonymous.get(url + "x").status_code == 404
