"""Honest buttons: a full activity says 报名候补（已满） before the click; a waiting-list sign-up
says so neutrally with the position; 公开信息 and 办事指南 open on the resident's community."""

import pytest

from portal.adapters import features
from tests.portal.factories import make_resident

pytestmark = pytest.mark.django_db


def _volunteer(tree, users, phone):
    from django.test import Client

    from tests.portal.factories import approve_volunteer

    client = Client()
    profile = make_resident(client, tree["community_a"], phone=phone)
    response = client.post(
        "/volunteer/", {"name": "王阿姨", "phone": phone, "availability": ["weekend"]}
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    approve_volunteer(users["cadre_a"], profile.user)
    return client


@pytest.mark.skipif(not features()["wishes"], reason="volunteers services not installed")
def test_full_activity_offers_the_waiting_list_and_says_the_position(tree, users):
    from tests.portal.factories import make_activity

    make_activity(users["cadre_a"], tree["community_a"], capacity=1)
    first = _volunteer(tree, users, "13912345678")
    first.post("/volunteer/activities/ACT1/sign-up/")
    second = _volunteer(tree, users, "13912340000")
    html = second.get("/volunteer/").content.decode()
    assert "报名候补（已满）" in html and "报名 敬老院义务打扫" not in html
    html = second.post("/volunteer/activities/ACT1/sign-up/", follow=True).content.decode()
    assert 'class="alert info"' in html and "您已排在候补第 1 位" in html
    assert "alert success" not in html


def test_notices_and_handbook_open_on_the_residents_community(client, tree):
    make_resident(client, tree["community_a"])
    code = tree["community_a"].code
    if features()["notices"]:
        html = client.get("/notices/").content.decode()
        assert f'<option value="{code}" selected' in html
        html = client.get("/notices/?community=").content.decode()
        assert f'<option value="{code}" selected' not in html
    html = client.get("/services/").content.decode()
    assert f'<option value="{code}" selected' in html
