"""我要反映 and 查进度 against the grids case services."""

import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from portal.adapters import features
from portal.protection import SUBMIT_PER_PHONE
from tests.portal.conftest import challenge_from
from tests.portal.factories import PNG_BYTES, make_grid_with_building, resolve_case

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(not features()["cases"], reason="grids case services not installed"),
]


@pytest.fixture
def place(tree):
    grid, worker, building = make_grid_with_building(tree["community_a"])
    return {"grid": grid, "worker": worker, "building": building}


def form_data(client, place, **overrides):
    data = {
        "category": "facilities",
        "description": "3号楼二单元楼道灯坏了一个星期",
        "place": f"b:{place['building'].code}",
        "location": "二单元",
        "name": "王阿姨",
        "phone": "13912345678",
        **challenge_from(client.get("/report/").content.decode()),
    }
    data.update(overrides)
    return data


def submit(client, place, **overrides):
    return client.post("/report/", form_data(client, place, **overrides))


def code_after(client, response):
    assert response.status_code == 302, response.content.decode()[:3000]
    html = client.get(response["Location"]).content.decode()
    return html.split('id="tracking-code">')[1].split("<")[0]


def test_submit_creates_a_portal_case_and_shows_only_the_code(client, place):
    from grids.models import Case

    photo = SimpleUploadedFile("灯.png", PNG_BYTES, content_type="image/png")
    response = submit(client, place, photos=[photo])
    code = code_after(client, response)
    case = Case.objects.get(tracking_code=code)
    assert case.source == "portal" and case.building == place["building"]
    assert case.community == place["building"].community
    assert case.photos.count() == 1
    assert case.photos.get().file.name.endswith(".png")
    html = client.get("/report/done/").content.decode()
    assert "13912345678" not in html and "王阿姨" not in html


def test_duplicate_submission_within_minutes_is_merged(client, place):
    from grids.models import Case

    first = code_after(client, submit(client, place))
    second = code_after(
        client, submit(client, place, description=" 3号楼二单元楼道灯坏了一个星期 ")
    )
    assert first == second
    assert Case.objects.count() == 1
    third = code_after(client, submit(client, place, description="另外一件事：垃圾桶满了"))
    assert third != first and Case.objects.count() == 2


def test_same_problem_from_another_visitor_gets_its_own_code_linked_to_the_first(place):
    """Issue 15: a second visitor submitting the same phone, category, text and place must not
    receive the first reporter's tracking code; their report is linked as the same problem."""
    from grids.models import Case

    first_client = Client(REMOTE_ADDR="198.51.100.1", HTTP_USER_AGENT="浏览器甲")
    other_client = Client(REMOTE_ADDR="203.0.113.7", HTTP_USER_AGENT="浏览器乙")
    third_client = Client(REMOTE_ADDR="203.0.113.8", HTTP_USER_AGENT="浏览器丙")
    first = code_after(first_client, submit(first_client, place, name="王阿姨"))
    second = code_after(other_client, submit(other_client, place, name="冒充者"))
    third = code_after(third_client, submit(third_client, place, name="李先生"))
    assert len({first, second, third}) == 3
    original = Case.objects.get(tracking_code=first)
    for code, name in ((second, "冒充者"), (third, "李先生")):
        linked = Case.objects.get(tracking_code=code)
        assert linked.same_problem_as == original  # all linked to the first report
        assert linked.reporter_name == name
    assert original.same_problem_as is None
    assert set(original.same_problem_reports.values_list("tracking_code", flat=True)) == {
        second,
        third,
    }
    # Each sees only their own: the done page shows their own code, never the first one.
    done = other_client.get("/report/done/").content.decode()
    assert second in done and first not in done
    # Tracking the second code shows the second case, not the first reporter's data.
    html = other_client.post(
        "/track/", {"tracking_code": second, "phone_last4": "5678"}
    ).content.decode()
    assert "王阿姨" not in html and first not in html
    # Staff see the link in the admin and the API.
    from tests.conftest import make_user

    root = make_user("root-dup", superuser=True)
    staff = Client()
    staff.force_login(root)
    page = staff.get(f"/admin/grids/case/{original.pk}/change/").content.decode()
    assert second in page and third in page
    from rest_framework.test import APIClient

    api = APIClient()
    api.force_authenticate(root)
    assert api.get(f"/api/v1/cases/{second}/").json()["same_problem_as"] == first
    # The first visitor resubmitting is still merged into their own case.
    again = code_after(first_client, submit(first_client, place))
    assert again == first
    assert Case.objects.count() == 3


def test_flood_is_rate_limited_per_phone_with_a_friendly_message(client, place):
    for n in range(SUBMIT_PER_PHONE.count):
        code_after(client, submit(client, place, description=f"第 {n} 件不同的问题描述"))
    response = submit(client, place, description="又一件不同的问题描述")
    html = response.content.decode()
    assert response.status_code == 200
    assert "太频繁" in html
    assert "又一件不同的问题描述" in html  # the typed text is kept


def test_wrong_human_check_keeps_the_typed_text(client, place):
    response = submit(client, place, challenge_answer="99")
    html = response.content.decode()
    assert "验证题答案不对" in html
    assert "3号楼二单元楼道灯坏了一个星期" in html and 'value="王阿姨"' in html


def test_a_phone_that_is_not_a_phone(client, place):
    html = submit(client, place, phone="12345abc").content.decode()
    assert "手机号格式不对" in html and 'value="12345abc"' in html


def test_empty_required_fields_are_named_and_text_kept(client, place):
    html = submit(client, place, name="", category="").content.decode()
    assert html.count("这一项必须填写") >= 2
    assert "3号楼二单元楼道灯坏了一个星期" in html


@pytest.mark.parametrize(
    "upload, message",
    [
        (
            SimpleUploadedFile("a.png", b"MZ\x90\x00 not an image", content_type="image/png"),
            "不是图片",
        ),
        (
            SimpleUploadedFile("a.exe", b"\x7fELF....", content_type="application/octet-stream"),
            "不是图片",
        ),
        (
            SimpleUploadedFile(
                "big.png", PNG_BYTES + b"\0" * (5 * 1024 * 1024), content_type="image/png"
            ),
            "超过每张",
        ),
    ],
)
def test_oversized_or_non_image_uploads_are_refused(client, place, upload, message):
    from grids.models import Case

    response = submit(client, place, photos=[upload])
    html = response.content.decode()
    assert response.status_code == 200 and message in html
    assert Case.objects.count() == 0


def test_script_in_text_fields_is_rendered_inert(client, place, users):
    script = "<script>alert(1)</script>"
    code = code_after(client, submit(client, place, description=f"灯坏了 {script}", name=script))
    html = client.post("/track/", {"tracking_code": code, "phone_last4": "5678"}).content.decode()
    assert script not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    html = submit(client, place, description=script * 2, phone="x").content.decode()
    assert script not in html


def test_track_shows_history_and_handler(client, place):
    code = code_after(client, submit(client, place))
    html = client.post(
        "/track/", {"tracking_code": code.lower(), "phone_last4": "5678"}
    ).content.decode()
    assert "已上报" in html and "您的反映已提交" in html
    assert "王阿姨" not in html and "13912345678" not in html


def steps(html: str) -> int:
    return re.search(r'<ol class="history">(.*?)</ol>', html, re.S).group(1).count("<li>")


def test_track_lookup_is_one_query_however_long_the_history(
    client, place, users, django_assert_num_queries
):
    code = code_after(client, submit(client, place))
    lookup = {"tracking_code": code, "phone_last4": "5678"}
    client = Client()  # a visitor without a session (with one, reading it adds a query)
    with django_assert_num_queries(1):  # the case, its names and its steps in one
        html = client.post("/track/", lookup).content.decode()
    assert steps(html) == 1
    resolve_case(code, users["cadre_a"], place["worker"])
    with django_assert_num_queries(1):
        html = client.post("/track/", lookup).content.decode()
    assert "已办结" in html and steps(html) >= 4


@pytest.mark.parametrize("wrong", ["code", "digits", "both", "malformed"])
def test_tracking_reveals_nothing_on_mismatch(client, place, wrong):
    code = code_after(client, submit(client, place))
    data = {
        "code": {"tracking_code": "ABCDEFGHJK", "phone_last4": "5678"},
        "digits": {"tracking_code": code, "phone_last4": "0000"},
        "both": {"tracking_code": "ABCDEFGHJK", "phone_last4": "0000"},
        "malformed": {"tracking_code": "x", "phone_last4": "9999"},
    }[wrong]
    html = client.post("/track/", data).content.decode()
    assert "没有查到。请核对查询码和手机号后四位是否填写正确。" in html
    assert "已上报" not in html and "楼道灯" not in html


def test_rating_once_after_resolution(client, place, users):
    code = code_after(client, submit(client, place))
    lookup = {"tracking_code": code, "phone_last4": "5678"}
    assert "提交评价" not in client.post("/track/", lookup).content.decode()
    resolve_case(code, users["cadre_a"], place["worker"])
    html = client.post("/track/", lookup).content.decode()
    assert "已办结" in html and "已更换楼道灯" in html and "提交评价" in html
    assert "第一网格网格员" in html and "赵网格" not in html  # the unit, not the person
    html = client.post(
        "/track/rate/", {**lookup, "satisfaction": "5", "comment": "很快"}
    ).content.decode()
    assert "您的评价：5 分" in html
    html = client.post("/track/rate/", {**lookup, "satisfaction": "1"}).content.decode()
    assert "每件只能评价一次" in html
    from grids.models import Case

    assert Case.objects.get(tracking_code=code).satisfaction == 5


def test_rating_with_wrong_digits_reveals_nothing(client, place, users):
    code = code_after(client, submit(client, place))
    resolve_case(code, users["cadre_a"], place["worker"])
    html = client.post(
        "/track/rate/", {"tracking_code": code, "phone_last4": "0000", "satisfaction": "1"}
    ).content.decode()
    assert "没有查到" in html and "已办结" not in html


def test_tracking_is_rate_limited_per_ip(client, place):
    from portal.protection import TRACK_PER_IP

    for _ in range(TRACK_PER_IP.count):
        client.post("/track/", {"tracking_code": "ABCDEFGHJK", "phone_last4": "0000"})
    html = client.post(
        "/track/", {"tracking_code": "ABCDEFGHJK", "phone_last4": "0000"}
    ).content.decode()
    assert "太频繁" in html


def test_community_page_lists_grid_and_find_by_building(client, place):
    html = client.get("/community/A/").content.decode()
    assert "第一网格" in html and "赵网格" in html
    assert "/report/?community=A" in html
    assert "13944445555" not in html  # a personal phone is not a public work phone
    html = client.get("/community/", {"q": "春晖 3栋"}).content.decode()
    assert "/community/A/" in html.split('id="results"')[1]


def test_cached_track_form_carries_each_visitors_own_csrf_token(place):
    from django.test import Client

    pages = []
    for _ in range(2):
        client = Client(enforce_csrf_checks=True)
        html = client.get("/track/").content.decode()
        token = html.split('name="csrfmiddlewaretoken" value="')[1].split('"')[0]
        assert "__portal_csrf_token__" not in html
        response = client.post(
            "/track/",
            {"csrfmiddlewaretoken": token, "tracking_code": "ABCDEFGHJK", "phone_last4": "1234"},
        )
        assert response.status_code == 200 and "没有查到" in response.content.decode()
        pages.append(token)
    assert pages[0] != pages[1]
