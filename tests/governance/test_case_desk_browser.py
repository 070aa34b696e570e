"""The case desk in a real Chromium at 1366 px: the next steps are visible primary buttons above
the read-only form, and the case list shows 办结时限 / 超期 / 满意度 without horizontal overflow.

Skipped where Chromium or Playwright is missing (as tests/portal/test_browser_a11y.py)."""

import datetime as dt

import pytest
from django.conf import settings
from django.test import Client
from django.utils import timezone

from tests.governance.test_digest import make_case

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_case_page_and_list_at_1366(browser, tree, users):
    now = timezone.now()
    case = make_case(tree["community_a"], code="BR1", due=now + dt.timedelta(days=2))
    make_case(tree["community_a"], code="BR2", due=now - dt.timedelta(days=1),
              status="evaluated", satisfaction=4)  # fmt: skip
    client = Client()
    client.force_login(users["cadre_a"])
    cookie = client.cookies[settings.SESSION_COOKIE_NAME].value
    browser.context.add_cookies(
        [{"name": settings.SESSION_COOKIE_NAME, "value": cookie, "url": browser.base}]
    )
    browser.set_viewport_size({"width": 1366, "height": 900})
    browser.goto(f"{browser.base}/admin/grids/case/{case.pk}/change/")
    button = browser.locator("a.case-step").first
    assert button.is_visible()
    first_field = browser.locator("fieldset").first.bounding_box()
    box = button.bounding_box()
    assert box["y"] < first_field["y"] and box["height"] >= 30
    browser.goto(f"{browser.base}/admin/grids/case/")
    width = browser.evaluate("() => document.documentElement.scrollWidth")
    assert width <= 1366
    for header in ("办结时限", "超期", "满意度"):
        cell = browser.locator("#result_list thead th", has_text=header).first
        right = cell.bounding_box()
        assert right["x"] + right["width"] <= 1366, header
    assert "4 分" in browser.locator("#result_list").inner_text()
