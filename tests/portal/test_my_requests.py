"""我的反映: a signed-in resident sees every request filed with their phone (and those filed
for them at the desk) with status, place, photos and the plain-words timeline; unread
updates on 我的; SMS opt-out. The tracking page shows place and photos too."""

import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from portal.adapters import features
from tests.portal.factories import PNG_BYTES, make_grid_with_building, make_resident, resolve_case
from tests.portal.test_cases import code_after, submit

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(not features()["cases"], reason="grids case services not installed"),
]


@pytest.fixture
def place(tree):
    grid, worker, building = make_grid_with_building(tree["community_a"])
    return {"grid": grid, "worker": worker, "building": building}


def _photo():
    return SimpleUploadedFile("灯.png", PNG_BYTES, content_type="image/png")


def test_my_requests_lists_own_and_desk_cases_not_others(client, place, users, tree):
    from grids.services.cases import case_file_at_desk

    mine = code_after(client, submit(client, place, photos=[_photo()]))
    someone = Client()
    other = code_after(someone, submit(someone, place, phone="13800001111"))
    desk = case_file_at_desk(
        actor=users["cadre_a"],
        reporter_name="王阿姨",
        reporter_phone="13912345678",
        category="environment",
        description="门口垃圾没人清",
        building=place["building"],
    ).tracking_code
    make_resident(client, tree["community_a"])
    html = client.get("/me/requests/").content.decode()
    assert mine in html and desk in html and other not in html
    assert "春晖家园3号楼" in html and "已上报" in html
    # the detail is the tracking page's view: place, photos (protected route), timeline
    html = client.get(f"/me/requests/{mine}/").content.decode()
    assert 'id="case-place"' in html and "春晖家园3号楼" in html and "您的反映已提交" in html
    thumb = re.search(r'<img src="([^"]+)"', html).group(1)
    assert thumb.startswith("/files/thumb/cases/")
    assert client.get(thumb).status_code == 200
    assert Client().get(thumb).status_code == 404  # not for anyone else
    # someone else's code answers like an unknown one
    assert client.get(f"/me/requests/{other}/").status_code == 404
    assert client.get("/me/requests/ABCDEFGHJK/").status_code == 404


def test_my_requests_needs_a_resident_login(client):
    response = client.get("/me/requests/")
    assert response.status_code == 302 and "/account/login/" in response["Location"]


def test_tracking_page_shows_place_and_photos_through_expiring_signed_links(client, place):
    code = code_after(client, submit(client, place, photos=[_photo()]))
    visitor = Client()
    html = visitor.post("/track/", {"tracking_code": code, "phone_last4": "5678"}).content.decode()
    assert "春晖家园3号楼" in html and "二单元" in html
    thumb = re.search(r'<img src="([^"]+)"', html).group(1)
    assert thumb.startswith("/files/signed/")
    assert visitor.get(thumb).status_code == 200
    assert visitor.get(thumb[:-3] + "xx/").status_code == 404  # tampered


def test_status_changes_show_as_unread_updates_and_reading_clears_them(client, place, users, tree):
    code = code_after(client, submit(client, place))
    resolve_case(code, users["cadre_a"], place["worker"])
    make_resident(client, tree["community_a"])
    html = client.get("/me/").content.decode()
    assert 'id="unread-count">3 条新进展' in html  # accepted, dispatched, resolved
    assert f"查询码 {code}）已办结" in html
    client.get(f"/me/requests/{code}/")
    html = client.get("/me/").content.decode()
    assert "unread-count" not in html and "暂时没有新进展" in html


def test_signed_in_resident_reopens_from_my_request(client, place, users, tree):
    code = code_after(client, submit(client, place))
    resolve_case(code, users["cadre_a"], place["worker"])
    make_resident(client, tree["community_a"])
    html = client.get(f"/me/requests/{code}/").content.decode()
    digits = re.search(r'name="phone_last4" value="(\d{4})"', html).group(1)
    html = client.post(
        "/track/reopen/",
        {"tracking_code": code, "phone_last4": digits, "reopen-reason": "灯又灭了"},
    ).content.decode()
    assert 'id="reopened"' in html


def test_sms_opt_out_per_resident(client, tree):
    profile = make_resident(client, tree["community_a"])
    assert "不再接收短信" in client.get("/me/").content.decode()
    client.post("/me/sms/", {"sms": "off"})
    profile.refresh_from_db()
    assert profile.sms_opt_out
    assert "开启短信通知" in client.get("/me/").content.decode()
    client.post("/me/sms/", {"sms": "on"})
    profile.refresh_from_db()
    assert not profile.sms_opt_out
