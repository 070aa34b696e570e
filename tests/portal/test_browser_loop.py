"""The residents' loop end to end in a real Chromium at 320 px, JavaScript on and off, with
axe, overflow and 44 px checks on every page it passes through:

register (SMS code) → 我要反映 with the place picker and a photo → track it → the staff
accept, dispatch and resolve (grids services) → 我的 shows the unread updates and the fake
gateway got one SMS per step (a 429 first: waited and retried, nothing sent twice) → 问题没解决
with a photo → the case is reopened, its deadline restarted, grid worker and community
notified → resolved again → the resident rates it."""

from __future__ import annotations

import pytest

from core.sms import SmsRateLimited
from portal.adapters import features
from tests.portal.browser_checks import assert_page_ok, heavy_pages, track_weight
from tests.portal.conftest import answer_on
from tests.portal.factories import PNG_BYTES, make_grid_with_building

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(not features()["cases"], reason="grids case services not installed"),
]

PHONE = "13912345678"
PASSWORD = "Yuanlin-2026!"


def _go(page, path):
    page.goto(page.base + path)


def _photo(name):
    return [{"name": name, "mimeType": "image/png", "buffer": PNG_BYTES}]


def test_residents_loop_end_to_end(any_browser, tree, users, sms, monkeypatch):
    from grids.models import Case, CaseNotice
    from grids.services.cases import case_accept, case_dispatch, case_resolve
    from grids.services.notices import deliver_case_sms

    # The Celery worker, run by hand: what the steps queue through the outbox is delivered
    # when the test says so.
    queued: list[int] = []
    monkeypatch.setattr("grids.services.notices.enqueue", lambda task, *ids: queued.extend(ids))

    def worker_runs():
        results = [deliver_case_sms(pk) for pk in queued]
        retry = [pk for pk, r in zip(queued, results, strict=True) if r["state"] == "retry"]
        queued.clear()
        return retry

    page = any_browser
    page.set_viewport_size({"width": 320, "height": 640})
    sizes = track_weight(page)
    community = tree["community_a"]
    _grid, worker, building = make_grid_with_building(community)

    # Register; the account exists once the SMS code comes back.
    _go(page, "/account/register/")
    page.fill("#id_name", "王阿姨")
    page.fill("#id_phone", PHONE)
    page.select_option("#id_community", str(community.pk))
    page.fill("#id_password1", PASSWORD)
    page.fill("#id_password2", PASSWORD)
    page.fill("#id_challenge_answer", answer_on(page))
    page.click("main form button[type=submit]")
    page.wait_for_url("**/account/register/verify/")
    assert_page_ok(page, "verify phone")
    page.fill("#id_code", sms.last_code(PHONE))
    page.click("#verify button[type=submit]")
    page.wait_for_url("**/me/")
    assert_page_ok(page, "me, new")

    # 我要反映: the place picker finds the building as residents name it, then a photo.
    _go(page, "/report/")
    assert page.input_value("#id_phone") == PHONE  # from the account
    page.select_option("#id_category", "facilities")
    page.fill("#id_description", "3号楼二单元楼道灯坏了一个星期")
    page.fill("#id_place_q", "春晖 3栋")
    if not page.js:
        page.click("#place-picker button[value=search]")  # the server-side search step
    option = page.locator(f"#place-found input[value='b:{building.code}']")
    option.wait_for()
    option.check()
    page.select_option("#id_unit", "2")
    assert "赵网格" in page.inner_text("#place-found")
    page.set_input_files("#id_photos", files=_photo("灯.png"))
    page.fill("#id_challenge_answer", answer_on(page))
    assert_page_ok(page, "report, filled")
    page.click("form.card > .actions button[type=submit]")
    page.wait_for_url("**/report/done/")
    assert_page_ok(page, "report done")
    code = page.inner_text("#tracking-code").strip()
    case = Case.objects.get(tracking_code=code)
    assert case.building == building and case.photos.count() == 1

    # Track it by code and the last four digits: status, place and photo.
    _go(page, "/track/")
    page.fill("#id_tracking_code", code)
    page.fill("#id_phone_last4", PHONE[-4:])
    page.click("main form button[type=submit]")
    assert page.inner_text("#case-status") == "已上报"
    assert "春晖家园3号楼" in page.inner_text("#case-place")
    assert page.locator("#case ul.photos img").count() == 1
    assert_page_ok(page, "track")

    # The staff work it through the services; the gateway is rate-limited at first.
    sms.failures = [SmsRateLimited("429 Too Many Requests", retry_after=60)]
    cadre = users["cadre_a"]
    case = case_accept(actor=cadre, case=case, triage="minor")
    case = case_dispatch(actor=cadre, case=case, kind="grid_worker", target=worker)
    case = case_resolve(actor=cadre, case=case, resolution="已更换楼道灯。")
    waiting = worker_runs()
    assert len(waiting) == 1  # the 429: kept queued with a retry time, not lost
    CaseNotice.objects.filter(pk__in=waiting).update(sms_next_at=None)  # its retry time came
    queued.extend(waiting)
    assert worker_runs() == []
    texts = [t for t in sms.to(PHONE) if "验证码" not in t]  # after the registration's code
    assert len(texts) == 3 and all(code in t for t in texts)
    assert not any("王阿姨" in t or "楼道灯" in t for t in texts)  # only the tracking code
    queued.extend(CaseNotice.objects.filter(case=case).values_list("pk", flat=True))
    worker_runs()
    assert len(sms.to(PHONE)) == 4  # delivered again: nothing sent twice

    # 我的: three unread updates; opening the request reads them.
    _go(page, "/me/")
    assert "3 条新进展" in page.inner_text("#my-updates")
    assert_page_ok(page, "me, unread")
    _go(page, "/me/requests/")
    assert_page_ok(page, "my requests")
    page.click(f"#my-requests a[href$='/{code}/']")
    assert page.inner_text("#case-status") == "已办结"
    assert_page_ok(page, "my request, resolved")
    _go(page, "/me/")
    assert "新进展" not in page.inner_text("#my-updates").replace("暂时没有新进展", "")

    # 问题没解决, with a photo: reopened, the deadline restarts, worker and community told.
    due_before = Case.objects.get(pk=case.pk).due_at
    _go(page, f"/me/requests/{code}/")
    page.fill("#id_reopen-reason", "灯换了还是不亮")
    page.set_input_files("#id_reopen-photos", files=_photo("还是黑的.png"))
    page.click("#reopen button[type=submit]")
    page.locator("#reopened").wait_for()
    assert_page_ok(page, "reopened")
    case = Case.objects.get(pk=case.pk)
    assert case.status == "dispatched" and case.reopen_count == 1
    assert case.due_at > due_before and case.photos.count() == 2
    told = set(
        CaseNotice.objects.filter(case=case, event__action="reopen").values_list(
            "audience", flat=True
        )
    )
    assert told == {"resident", "worker", "community"}
    worker_runs()
    assert len(sms.to(PHONE)) == 5

    # Resolved again; the resident rates it on their request's page.
    case = case_resolve(actor=cadre, case=case, resolution="换了整条线路，灯亮了。")
    worker_runs()
    assert len(sms.to(PHONE)) == 6
    _go(page, f"/me/requests/{code}/")
    page.check("input[name=satisfaction][value='5']")
    page.fill("#id_comment", "这回修好了，谢谢")
    page.click("text=提交评价")
    assert "您的评价：5 分" in page.inner_text("#rated")
    assert_page_ok(page, "rated")
    case = Case.objects.get(pk=case.pk)
    assert case.status == "evaluated" and case.satisfaction == 5
    assert heavy_pages(sizes) == []
