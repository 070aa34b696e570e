"""问题没解决: the reporter sends a resolved case back within 15 days (code + last four digits,
or signed in), with a reason and an optional photo; a low score asks whether to reopen; after
15 days or without the right digits a plain refusal and nothing changed."""

from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from portal.adapters import features
from tests.portal.factories import PNG_BYTES, resolve_case
from tests.portal.test_cases import code_after, submit

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(not features()["cases"], reason="grids case services not installed"),
]


@pytest.fixture
def place(tree):
    from tests.portal.factories import make_grid_with_building

    grid, worker, building = make_grid_with_building(tree["community_a"])
    return {"grid": grid, "worker": worker, "building": building}


@pytest.fixture
def resolved(client, place, users):
    code = code_after(client, submit(client, place))
    resolve_case(code, users["cadre_a"], place["worker"])
    return {"tracking_code": code, "phone_last4": "5678"}


def _case(code):
    from grids.models import Case

    return Case.objects.get(tracking_code=code)


def test_resolved_case_offers_not_fixed_and_reopens_with_reason_and_photo(client, resolved):
    from grids.models import CaseNotice

    html = client.post("/track/", resolved).content.decode()
    assert "问题没解决，退回重办" in html
    before = _case(resolved["tracking_code"])
    photo = SimpleUploadedFile("还坏着.png", PNG_BYTES, content_type="image/png")
    html = client.post(
        "/track/reopen/",
        {**resolved, "reopen-reason": "灯还是不亮", "reopen-photos": [photo]},
    ).content.decode()
    assert 'id="reopened"' in html and "已退回重新办理" in html
    case = _case(resolved["tracking_code"])
    assert case.status == "dispatched" and case.reopen_count == 1
    assert case.due_at > before.due_at  # the deadline restarts
    assert case.photos.count() == 1
    assert case.events.filter(action="reopen", note="灯还是不亮").exists()
    audiences = set(
        CaseNotice.objects.filter(case=case, event__action="reopen").values_list(
            "audience", flat=True
        )
    )
    assert audiences == {"resident", "worker", "community"}
    worker = CaseNotice.objects.get(case=case, audience="worker")
    assert "灯还是不亮" in worker.text and case.tracking_code in worker.text
    assert "问题没解决，退回重办" not in html  # not offered again until resolved again


def test_low_score_asks_whether_to_reopen_and_the_rating_is_replaced_by_the_reopen(
    client, resolved
):
    html = client.post("/track/rate/", {**resolved, "satisfaction": "1"}).content.decode()
    assert "您打了 1 分，问题是不是还没解决？" in html
    client.post("/track/reopen/", {**resolved, "reopen-reason": "根本没人来"})
    case = _case(resolved["tracking_code"])
    assert case.status == "dispatched" and case.satisfaction is None
    assert case.events.get(action="reopen").detail["previous_satisfaction"] == 1


def test_a_good_score_does_not_ask_but_still_allows_not_fixed(client, resolved):
    html = client.post("/track/rate/", {**resolved, "satisfaction": "5"}).content.decode()
    assert "问题是不是还没解决" not in html and "问题没解决？" in html


def test_after_15_days_a_plain_refusal_and_nothing_changes(client, resolved):
    from grids.models import Case

    Case.objects.filter(tracking_code=resolved["tracking_code"]).update(
        resolved_at=timezone.now() - timedelta(days=15, minutes=1)
    )
    html = client.post("/track/", resolved).content.decode()
    assert "问题没解决，退回重办" not in html
    html = client.post("/track/reopen/", {**resolved, "reopen-reason": "还是坏的"}).content.decode()
    assert "只有办结后 15 天内" in html and "请重新反映" in html
    case = _case(resolved["tracking_code"])
    assert case.status == "resolved" and case.reopen_count == 0


def test_wrong_digits_reveal_nothing_and_change_nothing(client, resolved):
    html = client.post(
        "/track/reopen/",
        {"tracking_code": resolved["tracking_code"], "phone_last4": "0000", "reopen-reason": "x坏"},
    ).content.decode()
    assert "没有查到" in html and "已办结" not in html
    assert _case(resolved["tracking_code"]).status == "resolved"


def test_not_resolved_yet_cannot_be_reopened(client, place):
    code = code_after(client, submit(client, place))
    html = client.post(
        "/track/reopen/", {"tracking_code": code, "phone_last4": "5678", "reopen-reason": "没修"}
    ).content.decode()
    assert "只有办结后 15 天内" in html
    assert _case(code).status == "reported"


def test_reason_is_required_and_a_bad_photo_refused(client, resolved):
    html = client.post("/track/reopen/", {**resolved, "reopen-reason": " "}).content.decode()
    assert "这一项必须填写" in html or "请写明" in html
    bad = SimpleUploadedFile("a.png", b"not an image", content_type="image/png")
    html = client.post(
        "/track/reopen/", {**resolved, "reopen-reason": "还是坏", "reopen-photos": [bad]}
    ).content.decode()
    assert "不是图片文件" in html
    assert _case(resolved["tracking_code"]).status == "resolved"


def test_reopen_count_feeds_the_satisfaction_figures(client, resolved, users, place):
    from grids.models import Case
    from grids.selectors import case_figures
    from grids.services.cases import case_resolve

    client.post("/track/reopen/", {**resolved, "reopen-reason": "灯还是不亮"})
    case_resolve(actor=users["cadre_a"], case=_case(resolved["tracking_code"]), resolution="换好")
    client.post("/track/rate/", {**resolved, "satisfaction": "5"})
    figures = case_figures(Case.objects.all())
    assert figures["reopened"] == 1 and figures["reopens"] == 1
    assert figures["avg_satisfaction"] == 3.0  # (5 + one "not fixed" as 1★) / 2


def _reopen_token(html):
    import re

    return re.search(r'name="reopen-photos_token" value="([^"]+)"', html).group(1)


def test_reopen_keeps_its_photo_across_a_form_error(client, resolved):
    """The reopen form keeps a chosen photo when the reason is missing (the report form's
    pending-photos mechanism): the thumbnail shows, and sending the reason files it."""
    photo = SimpleUploadedFile("还坏着.png", PNG_BYTES, content_type="image/png")
    html = client.post(
        "/track/reopen/", {**resolved, "reopen-reason": " ", "reopen-photos": [photo]}
    ).content.decode()
    assert 'id="reopen-kept-photos"' in html and "已保留您选的 1 张照片" in html
    assert "照片也保留着" in html
    assert _case(resolved["tracking_code"]).status == "resolved"  # nothing half-written
    token = _reopen_token(html)
    html = client.post(
        "/track/reopen/",
        {**resolved, "reopen-reason": "灯还是不亮", "reopen-photos_token": token},
    ).content.decode()
    assert 'id="reopened"' in html
    case = _case(resolved["tracking_code"])
    assert case.status == "dispatched" and case.photos.count() == 1


def test_reopen_with_a_dropped_or_expired_kept_photo(client, resolved, monkeypatch):
    from portal import pending_photos

    photo = SimpleUploadedFile("还坏着.png", PNG_BYTES, content_type="image/png")
    html = client.post(
        "/track/reopen/", {**resolved, "reopen-reason": "", "reopen-photos": [photo]}
    ).content.decode()
    token = _reopen_token(html)
    monkeypatch.setattr(pending_photos, "MAX_AGE", -1)  # the token has expired
    html = client.post(
        "/track/reopen/", {**resolved, "reopen-reason": "灯还是不亮", "reopen-photos_token": token}
    ).content.decode()
    assert "保留时间（1 小时）已过" in html
    assert _case(resolved["tracking_code"]).status == "resolved"
    monkeypatch.undo()
    html = client.post(
        "/track/reopen/",
        {
            **resolved,
            "reopen-reason": "灯还是不亮",
            "reopen-photos_token": token,
            "reopen-photos_drop": "1",
        },
    ).content.decode()
    assert 'id="reopened"' in html
    assert _case(resolved["tracking_code"]).photos.count() == 0
