"""The resident flows end to end in a real Chromium (Playwright) against live_server."""

from __future__ import annotations

from pathlib import Path

import pytest

from portal.adapters import features
from tests.portal.browser_checks import assert_page_ok
from tests.portal.conftest import answer_on
from tests.portal.factories import (
    PNG_BYTES,
    approve_volunteer,
    make_activity,
    make_grid_with_building,
    publish_wish,
    resolve_case,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

ARTIFACTS = Path(__file__).resolve().parents[2] / "artifacts"
PASSWORD = "Yuanlin-2026!"


def go(page, path):
    page.goto(page.base + path)


def register_resident(page, *, name, phone, community_pk):
    go(page, "/account/register/")
    page.fill("#id_name", name)
    page.fill("#id_phone", phone)
    page.select_option("#id_community", str(community_pk))
    page.fill("#id_password1", PASSWORD)
    page.fill("#id_password2", PASSWORD)
    page.fill("#id_challenge_answer", answer_on(page))
    page.click("button[type=submit]")
    page.wait_for_url("**/me/")


def pick_place(page, typed, building_code, *, unit=""):
    """Type part of a place name, wait for the suggestions (JavaScript), pick the building."""
    page.fill("#id_place_q", typed)
    option = page.locator(f"#place-found input[value='b:{building_code}']")
    option.wait_for()
    option.check()
    if unit:
        page.select_option("#id_unit", unit)


def fill_report(page, *, description, phone):
    page.select_option("#id_category", "facilities")
    page.fill("#id_description", description)
    page.fill("#id_name", "王阿姨")
    page.fill("#id_phone", phone)


@pytest.mark.skipif(not features()["cases"], reason="grids case services not installed")
@pytest.mark.parametrize("width", [320, 390])
def test_report_picks_building_and_unit_with_javascript(browser, tree, width):
    from grids.models import Case

    page = browser
    page.set_viewport_size({"width": width, "height": 800})
    _grid, _worker, building = make_grid_with_building(tree["community_a"])
    go(page, "/report/")
    fill_report(page, description="3号楼二单元楼道灯坏了", phone="13912345671")
    # An alias and a Chinese numeral: 春晖小区 is what residents call 春晖家园.
    pick_place(page, "春晖小区 三栋", building.code, unit="2")
    assert "赵网格" in page.inner_text("#place-found")
    assert "找到 1 处" in page.inner_text("#place-status")
    assert_page_ok(page, "report, place picked")
    page.fill("#id_door", "302")
    page.fill("#id_challenge_answer", answer_on(page))
    page.click("form.card > .actions button[type=submit]")
    page.wait_for_url("**/report/done/")
    assert_page_ok(page, "report done")
    case = Case.objects.get(reporter_phone="13912345671")
    assert case.building == building and case.location.startswith("2单元302室")


@pytest.mark.skipif(not features()["cases"], reason="grids case services not installed")
@pytest.mark.parametrize("width", [320, 390])
def test_report_picks_building_and_unit_without_javascript(browser, tree, width):
    from grids.models import Case

    page = browser
    page.route("**/*.js", lambda route: route.abort())  # the portal's scripts never load
    page.set_viewport_size({"width": width, "height": 800})
    _grid, _worker, building = make_grid_with_building(tree["community_a"])
    go(page, "/report/")
    fill_report(page, description="3号楼一单元门禁坏了", phone="13912345672")
    page.fill("#id_place_q", "幸福里 3栋")
    page.click("#place-picker button[value=search]")
    assert "没有找到“幸福里 3栋”" in page.inner_text("#place-status")
    assert_page_ok(page, "report, nothing found")
    page.fill("#id_place_q", "春晖 3号楼 1单元")
    page.click("#place-picker button[value=search]")
    # The form came back with everything typed and the building found, already picked.
    assert page.input_value("#id_description") == "3号楼一单元门禁坏了"
    assert page.is_checked(f"#place-found input[value='b:{building.code}']")
    assert page.input_value("#id_unit") == "1"
    assert_page_ok(page, "report, search step")
    page.fill("#id_challenge_answer", answer_on(page))
    page.click("form.card > .actions button[type=submit]")
    page.wait_for_url("**/report/done/")
    case = Case.objects.get(reporter_phone="13912345672")
    assert case.building == building and case.location.startswith("1单元")


@pytest.mark.skipif(not features()["cases"], reason="grids case services not installed")
def test_find_community_report_track_and_rate(browser, tree, users):
    page = browser
    grid, worker, building = make_grid_with_building(tree["community_a"])
    # Find my community from the home page by a partial compound + building name.
    go(page, "/")
    page.fill("#home-q", "春晖 3栋")
    page.click("form[role=search] button")
    page.click("#results a")
    assert page.locator("h1").inner_text() == "园林社区"  # the residents' committee's name
    assert "第一网格" in page.content()
    assert_page_ok(page, "community")

    # 我要反映 with a photo.
    go(page, "/report/")
    page.select_option("#id_category", "facilities")
    page.fill("#id_description", "3号楼二单元楼道灯坏了一个星期")
    page.set_input_files(
        "#id_photos", files=[{"name": "灯.png", "mimeType": "image/png", "buffer": PNG_BYTES}]
    )
    pick_place(page, "春晖 3栋", building.code, unit="2")
    page.fill("#id_name", "王阿姨")
    page.fill("#id_phone", "13912345678")
    page.fill("#id_challenge_answer", answer_on(page))
    page.click("form.card > .actions button[type=submit]")
    page.wait_for_url("**/report/done/")
    code = page.inner_text("#tracking-code").strip()
    assert len(code) == 10
    from grids.models import Case

    assert Case.objects.get(tracking_code=code).photos.count() == 1

    # Track it.
    go(page, "/track/")
    page.fill("#id_tracking_code", code)
    page.fill("#id_phone_last4", "5678")
    page.click("button[type=submit]")
    assert page.inner_text("#case-status") == "已上报"
    assert_page_ok(page, "track")

    # A cadre resolves it; the resident rates it once.
    resolve_case(code, users["cadre_a"], worker)
    go(page, "/track/")
    page.fill("#id_tracking_code", code)
    page.fill("#id_phone_last4", "5678")
    page.click("button[type=submit]")
    assert page.inner_text("#case-status") == "已办结"
    page.check("input[name=satisfaction][value='5']")
    page.fill("#id_comment", "修得很快，谢谢")
    page.click("text=提交评价")
    assert "您的评价：5 分" in page.inner_text("#rated")
    assert_page_ok(page, "rated")
    assert Case.objects.get(tracking_code=code).satisfaction == 5


@pytest.mark.skipif(not features()["wishes"], reason="volunteers services not installed")
def test_wish_post_and_claim_volunteer_sign_up(browser, tree, users, _playwright_browser):
    page = browser
    # A resident posts a wish; the community reviews and publishes it.
    register_resident(page, name="李叔", phone="13700001111", community_pk=tree["community_a"].pk)
    go(page, "/wishes/new/")
    page.fill("#id_title", "想要一台收音机")
    page.fill("#id_description", "听戏用")
    page.fill("#id_challenge_answer", answer_on(page))
    page.click("button[type=submit]")
    page.wait_for_url("**/wishes/")
    assert "社区审核通过后会公开" in page.content()
    assert "想要一台收音机" not in page.inner_text("#wishes")
    wish = publish_wish(users["cadre_a"], "想要一台收音机")
    page.reload()
    assert "想要一台收音机" in page.inner_text("#wishes")
    assert_page_ok(page, "wishes")
    go(page, "/me/")
    page.click("form[action='/account/logout/'] button")
    _playwright_browser.clear_cookies()

    # Another resident registers as a volunteer, is approved, signs up and claims the wish.
    make_activity(users["cadre_a"], tree["community_a"])
    register_resident(page, name="王阿姨", phone="13912345678", community_pk=tree["community_a"].pk)
    go(page, "/volunteer/")
    page.check("input[name=availability][value=weekend]")
    page.click("button[type=submit]")
    assert "等社区审核" in page.content()
    from django.contrib.auth import get_user_model

    approve_volunteer(users["cadre_a"], get_user_model().objects.get(username="13912345678"))
    go(page, "/volunteer/")
    assert page.inner_text("#volunteer-status") == "已注册"
    page.click("text=报名 敬老院义务打扫")
    assert "报名成功" in page.content()
    page.click("text=取消报名")
    assert "已取消" in page.content()
    page.click("text=报名 敬老院义务打扫")
    assert "报名成功" in page.content()
    assert_page_ok(page, "signed up")

    go(page, f"/wishes/{wish.code}/")
    page.click("text=我来认领这个心愿")
    assert "认领成功" in page.content()
    assert page.inner_text("#wish-status") == "已认领"
    assert_page_ok(page, "wish claimed")
    assert "李叔" not in page.content() and "13700001111" not in page.content()


def test_large_text_mode_persists_without_scripts(browser, tree):
    page = browser
    go(page, "/services/")
    normal = page.evaluate("parseFloat(getComputedStyle(document.body).fontSize)")
    assert normal >= 16
    page.click("#text-size")
    page.wait_for_url("**/services/")
    assert "large-text" in (page.get_attribute("html", "class") or "")
    large = page.evaluate("parseFloat(getComputedStyle(document.body).fontSize)")
    assert large > normal and large >= 20
    go(page, "/")
    assert "large-text" in (page.get_attribute("html", "class") or "")
    # Touch targets: every link in the menu and every button at least 44 px tall.
    heights = page.evaluate(
        "[...document.querySelectorAll('nav.main a, button, .btn')].map(e => e.getBoundingClientRect().height)"
    )
    assert heights and min(heights) >= 44
    assert_page_ok(page, "home, large text")


def test_320px_no_horizontal_scroll_small_pages_and_screenshot(browser, tree):
    page = browser
    page.set_viewport_size({"width": 320, "height": 640})
    from tests.portal.factories import ServiceCentreFactory, ServiceItemFactory

    ServiceCentreFactory(community=tree["community_a"])
    ServiceItemFactory(organization=tree["community_a"], title="高龄津贴申领")
    sizes: dict[str, int] = {}

    def count(response):
        try:
            sizes[page.url] = sizes.get(page.url, 0) + len(response.body())
        except Exception:  # redirects have no body
            pass

    page.on("response", count)
    paths = ["/", "/community/A/", "/community/?q=园林", "/services/", "/account/register/"]
    if features()["cases"]:
        paths += ["/report/", "/track/"]
    if features()["notices"]:
        paths += ["/notices/?community=A"]
    for path in paths:
        go(page, path)
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= 320, (path, width)
    page.remove_listener("response", count)
    for url, size in sizes.items():
        assert size < 200 * 1024, (url, size)
    go(page, "/report/" if features()["cases"] else "/")
    # Every visible form field has a label.
    unlabelled = page.evaluate(
        """[...document.querySelectorAll('input:not([type=hidden]),select,textarea')]
           .filter(e => !(e.labels && e.labels.length)).map(e => e.name)"""
    )
    assert unlabelled == []
    assert_page_ok(page, "report at 320 px")
    ARTIFACTS.mkdir(exist_ok=True)
    shot = ARTIFACTS / "portal-320.png"
    page.screenshot(path=str(shot))
    assert 0 < shot.stat().st_size < 300 * 1024


def test_cadre_adds_a_node_and_imports_a_file_in_the_admin(browser, tree, users):
    from organizations.models import Organization

    page = browser
    page.set_viewport_size({"width": 1280, "height": 900})
    go(page, "/admin/login/")
    page.fill("#id_username", "street")
    page.fill("#id_password", "pw-for-tests-123")
    page.click("input[type=submit]")
    page.wait_for_url("**/admin/")

    # Add a compound branch under community A (the parent is an autocomplete field).
    go(page, "/admin/organizations/organization/add/")
    page.fill("#id_code", "A-02")
    page.fill("#id_name", "园林社区二号院党支部")
    page.select_option("#id_kind", "compound_branch")
    page.click(".field-parent .select2-selection")
    page.fill(".select2-search__field", "园林社区大党委")
    page.click(".select2-results__option:has-text('园林社区大党委')")
    page.click("input[name=_save]")
    page.wait_for_url("**/admin/organizations/organization/")
    node = Organization.objects.get(code="A-02")
    assert node.parent == tree["community_a"]

    # Import a small CSV: upload → preview → confirm.
    csv = (
        "组织编码,名称,类型,上级组织编码,成立日期,结束日期,地址,联系电话\n"
        "A-02-B1,园林社区二号院1号楼党小组,楼栋党小组,A-02,2020-05-01,,,\n"
        "A-02-B2,园林社区二号院2号楼党小组,楼栋党小组,A-02,2020-05-01,,,\n"
    ).encode("utf-8-sig")
    go(page, "/admin/organizations/organization/import/")
    page.set_input_files(
        "#id_file", files=[{"name": "tree.csv", "mimeType": "text/csv", "buffer": csv}]
    )
    page.click("input[value='上传并预览']")
    assert "预览：文件检查通过" in page.content()
    assert not Organization.objects.filter(code="A-02-B1").exists()
    page.click("input[value='确认导入']")
    page.wait_for_url("**/admin/organizations/organization/")
    assert "导入完成" in page.content()
    assert Organization.objects.get(code="A-02-B2").parent.code == "A-02"
