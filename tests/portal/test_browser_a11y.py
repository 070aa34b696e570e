"""适老化 and the resident loop in a real Chromium at 320 px, JavaScript on and off, large text
on and off: no horizontal overflow and no list link / tap-to-call target under 44 px on every
portal page; 我的反映, 问题没解决, the kept photo and the error summary's focus.

Skipped where Chromium or Playwright is missing (CI installs both)."""

from __future__ import annotations

import pytest

from portal.adapters import features
from tests.portal.browser_checks import assert_page_ok, heavy_pages, page_problems, track_weight
from tests.portal.conftest import answer_on
from tests.portal.factories import (
    PNG_BYTES,
    ServiceCentreFactory,
    ServiceItemFactory,
    make_activity,
    make_grid_with_building,
    make_resident,
    publish_wish,
    resolve_case,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = "13912345678"
PASSWORD = "Yuanlin-2026!"


def _go(page, path):
    page.goto(page.base + path)


def _large_text(page, on: bool):
    page.context.clear_cookies()
    if on:
        page.context.add_cookies([{"name": "portal_text", "value": "large", "url": page.base}])


def _log_in(page):
    _go(page, "/account/login/")
    page.fill("#id_phone", PHONE)
    page.fill("#id_password", PASSWORD)
    page.click("main button[type=submit]")
    page.wait_for_url("**/me/")


def _world(tree, users):
    """Data behind every portal page: a centre with phones, handbook entries, a case with a
    photo that is resolved, an activity that is full, a published wish, a resident.
    Returns (community, handbook item, case or None, wish or None)."""
    from grids.services.cases import case_report

    community = tree["community_a"]
    ServiceCentreFactory(community=community)
    item = ServiceItemFactory(organization=community, title="高龄津贴申领", phone="0412-22210019")
    make_resident_account(community)
    case = wish = None
    if features()["cases"]:
        from django.core.files.uploadedfile import SimpleUploadedFile

        grid, worker, building = make_grid_with_building(community)
        case = case_report(
            source="portal",
            reporter_name="王阿姨",
            reporter_phone=PHONE,
            category="facilities",
            description="3号楼二单元楼道灯坏了一个星期，晚上上下楼看不见",
            building=building,
            location="二单元",
            photos=[SimpleUploadedFile("灯.png", PNG_BYTES, content_type="image/png")],
        )
        resolve_case(case.tracking_code, users["cadre_a"], worker)
    if features()["wishes"]:
        from volunteers.services.wishes import wish_post

        wish_post(
            actor=users["cadre_a"],
            community=community,
            title="想要一台收音机",
            beneficiary_name="李奶奶",
        )
        wish = publish_wish(users["cadre_a"], "想要一台收音机")
        make_activity(users["cadre_a"], community, capacity=1)
    return community, item, case, wish


def make_resident_account(community):
    from django.test import Client

    return make_resident(Client(), community, phone=PHONE)


# Every named portal URL is either a page checked below (name → path in the world built by
# ``_world``; None where the page's app is missing) or listed here with why it is not a page
# of its own. A new URL name fails test_every_portal_url_name_is_checked until it is placed.
NOT_PAGES = {
    "text_size": "a link that sets a cookie and redirects back",
    "logout": "POST only, redirects home",
    "sms_preference": "POST only, redirects to 我的",
    "place_suggest": "JSON for the place picker (its list is checked on /report/ in the flows)",
    "track_rate": "POST only: its answer is the tracking page (checked in the flows)",
    "track_reopen": "POST only: its answer is the tracking page (checked in the flows)",
    "activity_sign_up": "POST only, redirects to 志愿服务",
    "activity_cancel": "POST only, redirects to 志愿服务",
    "report_done": "needs the session of a filed report: checked in every report flow",
    "bench_ceiling": "the load bench's bare view, mounted only with PORTAL_BENCH_CEILING=1",
    "register_verify": "needs a pending registration: checked in test_browser_loop.py",
}
SIGNED_IN = {"me", "my_requests", "my_request", "volunteer", "wish_new"}


def _portal_url_names() -> set[str]:
    from portal import urls

    return {p.name for p in urls.urlpatterns} | {"bench_ceiling"}


def _page_paths(world) -> dict[str, str | None]:
    community, item, case, wish = world
    return {
        "home": "/",
        "community_search": "/community/?q=园林",
        "community_detail": f"/community/{community.code}/",
        "handbook": "/services/",
        "handbook_item": f"/services/{item.pk}/",
        "login": "/account/login/",
        "register": "/account/register/",
        "report": "/report/" if case else None,
        "track": "/track/" if case else None,
        "notices": f"/notices/?community={community.code}" if features()["notices"] else None,
        "wishes": "/wishes/" if wish else None,
        "wish_detail": f"/wishes/{wish.code}/" if wish else None,
        "me": "/me/",
        "my_requests": "/me/requests/" if case else None,
        "my_request": f"/me/requests/{case.tracking_code}/" if case else None,
        "volunteer": "/volunteer/" if wish else None,
        "wish_new": "/wishes/new/" if wish else None,
    }


def test_every_portal_url_name_is_checked():
    checked = {
        "home", "community_search", "community_detail", "handbook", "handbook_item", "login",
        "register", "report", "track", "notices", "wishes", "wish_detail", "verify_phone",
    } | SIGNED_IN  # fmt: skip
    assert _portal_url_names() == checked | set(NOT_PAGES)
    assert not checked & set(NOT_PAGES)


def _check(page, label, problems, sizes):
    problems += page_problems(page, label)
    problems += [(label, "weight", url, size) for url, size in heavy_pages(sizes)]
    sizes.clear()


@pytest.mark.parametrize("width", [320, 1280], ids=["320px", "desktop"])
@pytest.mark.parametrize("large", [False, True], ids=["normal-text", "large-text"])
def test_every_portal_page_passes_axe_fits_and_has_44px_targets(
    any_browser, tree, users, large, width, settings
):
    """axe at 0 violations, no horizontal overflow, no target under 44 px and < 200 KB on every
    portal page (and the 404 page and a tracking answer), at 320 px and desktop, JavaScript on
    and off, large text on and off."""
    page = any_browser
    page.set_viewport_size({"width": width, "height": 640 if width == 320 else 800})
    world = _world(tree, users)
    paths = _page_paths(world)
    _large_text(page, large)
    problems: list = []
    sizes = track_weight(page)
    for name, path in paths.items():
        if path is None or name in SIGNED_IN:
            continue
        _go(page, path)
        _check(page, name, problems, sizes)
    _go(page, "/no-such-page/")
    _check(page, "404", problems, sizes)
    case = world[2]
    if case:  # the tracking answer (a POST's page)
        _go(page, "/track/")
        page.fill("#id_tracking_code", case.tracking_code)
        page.fill("#id_phone_last4", PHONE[-4:])
        page.click("main form button[type=submit]")
        page.locator("#case-status").wait_for()
        _check(page, "track answer", problems, sizes)
    _log_in(page)
    for name in SIGNED_IN:
        if paths[name] is None:
            continue
        _go(page, paths[name])
        _check(page, name, problems, sizes)
    # 验证手机号 is offered to an account whose phone is not verified yet.
    from portal.models import ResidentProfile

    ResidentProfile.objects.filter(phone=PHONE).update(phone_verified_at=None)
    settings.SMS_BACKEND = "tests.portal.fake_sms.FakeSms"  # verification needs a gateway
    _go(page, "/me/verify-phone/")
    page.locator("#resend").wait_for()
    _check(page, "verify_phone", problems, sizes)
    assert problems == [], problems


@pytest.mark.skipif(not features()["cases"], reason="grids case services not installed")
@pytest.mark.parametrize("large", [False, True], ids=["normal-text", "large-text"])
def test_my_request_and_not_fixed_in_the_browser(any_browser, tree, users, large):
    page = any_browser
    page.set_viewport_size({"width": 320, "height": 640})
    _world(tree, users)
    _large_text(page, large)
    _log_in(page)
    assert "条新进展" in page.inner_text("#my-updates")
    _go(page, "/me/requests/")
    page.click("#my-requests a")
    assert "春晖家园3号楼" in page.inner_text("#case-place")
    assert page.locator("ul.photos img").count() == 1
    assert_page_ok(page, "my request")
    page.fill("#id_reopen-reason", "灯还是不亮")
    page.click("#reopen button[type=submit]")
    assert page.locator("#reopened").is_visible()
    assert_page_ok(page, "reopened")


@pytest.mark.skipif(not features()["cases"], reason="grids case services not installed")
def test_photo_kept_after_an_error_and_summary_takes_focus(any_browser, tree, users):
    from grids.models import Case

    page = any_browser
    page.set_viewport_size({"width": 320, "height": 640})
    _world(tree, users)
    _go(page, "/report/")
    page.select_option("#id_category", "facilities")
    # The place first (without JavaScript its search step sends the form back), then the photo.
    page.fill("#id_place_q", "春晖 3号楼")  # the building of make_grid_with_building
    if page.js:
        page.locator("#place-found input[value='b:BLD1']").wait_for()
    else:
        page.click("#place-picker button[value=search]")
    page.locator("#place-found input[value='b:BLD1']").check()
    page.set_input_files(
        "#id_photos", files=[{"name": "灯.png", "mimeType": "image/png", "buffer": PNG_BYTES}]
    )
    page.fill("#id_name", "王阿姨")
    page.fill("#id_phone", "13900001111")
    page.fill("#id_challenge_answer", answer_on(page))
    page.click("form.card > .actions button[type=submit]")  # no description: an error
    assert page.locator("#kept-photos img").count() == 1
    assert page.locator('#form-errors a[href="#id_description"]').count() == 1
    if page.js:
        assert page.evaluate("document.activeElement.id") == "form-errors"
    assert_page_ok(page, "report with errors and a kept photo")
    page.fill("#id_description", "3号楼二单元楼道灯坏了一个星期")
    page.fill("#id_challenge_answer", answer_on(page))
    page.click("form.card > .actions button[type=submit]")
    page.wait_for_url("**/report/done/")
    assert_page_ok(page, "report done")
    code = page.inner_text("#tracking-code")
    assert Case.objects.get(tracking_code=code).photos.count() == 1
