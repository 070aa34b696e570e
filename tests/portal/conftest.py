"""Portal fixtures: a fresh cache per test (rate limits, lock-outs and duplicates live there)
and helpers that answer the human check the way a resident would."""

from __future__ import annotations

import re

import pytest
from django.core.cache import cache
from django.core.signing import loads

from portal.protection import _CHALLENGE_SALT


@pytest.fixture(autouse=True)
def _clear_cache():
    cache.clear()
    yield
    cache.clear()


def answer_for(token: str) -> str:
    data = loads(token, salt=_CHALLENGE_SALT)
    return str(data["a"] + data["b"] if data["o"] == "+" else data["a"] - data["b"])


def challenge_from(html: str) -> dict[str, str]:
    """Token and right answer from a rendered form."""
    token = re.search(r'name="challenge_token" value="([^"]+)"', html).group(1)
    return {"challenge_token": token, "challenge_answer": answer_for(token)}


@pytest.fixture
def solve():
    """``solve(client, url)`` → the human-check fields answered for a fresh form at url."""

    def get(client, url):
        response = client.get(url)
        return challenge_from(response.content.decode())

    return get


# -- browser tests (Playwright driving Debian's Chromium against live_server) -------------------

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-quic",
    "--disable-sync",
]


_PLAYWRIGHT: dict = {}


@pytest.fixture(scope="session")
def _playwright_browser(tmp_path_factory):
    import os

    if not os.path.exists(CHROMIUM):
        pytest.skip(f"{CHROMIUM} is not installed (apt-get install chromium)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        pytest.skip("playwright for Python is not installed (pip install -e .[dev])")
    profile = tmp_path_factory.mktemp("chromium-profile")
    # Playwright's sync API keeps an event loop running in this thread for the whole session;
    # the ORM calls the tests make between browser steps are still plain synchronous code.
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    with sync_playwright() as playwright:
        # A persistent context is the only way to hand Chromium a fresh user-data-dir.
        context = playwright.chromium.launch_persistent_context(
            str(profile),
            executable_path=CHROMIUM,
            args=CHROMIUM_ARGS,
            headless=True,
            locale="zh-CN",
            viewport={"width": 390, "height": 844},
        )
        _PLAYWRIGHT["driver"] = playwright
        _PLAYWRIGHT["profile_root"] = tmp_path_factory
        yield context
        for extra in _PLAYWRIGHT.pop("extra", []):
            extra.close()
        _PLAYWRIGHT.pop("driver", None)
        context.close()
    if previous is None:
        os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
    else:
        os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


@pytest.fixture
def browser(_playwright_browser, live_server):
    """A fresh page (cookies cleared) on the live server; ``page.base`` is its URL."""
    context = _playwright_browser
    context.clear_cookies()
    page = context.new_page()
    page.set_default_timeout(15_000)
    page.base = live_server.url
    yield page
    page.close()


@pytest.fixture(scope="session")
def _playwright_browser_nojs(_playwright_browser):
    """A second Chromium profile with JavaScript switched off (the pages must work without)."""
    profile = _PLAYWRIGHT["profile_root"].mktemp("chromium-profile-nojs")
    context = _PLAYWRIGHT["driver"].chromium.launch_persistent_context(
        str(profile),
        executable_path=CHROMIUM,
        args=CHROMIUM_ARGS,
        headless=True,
        locale="zh-CN",
        viewport={"width": 320, "height": 640},
        java_script_enabled=False,
    )
    _PLAYWRIGHT.setdefault("extra", []).append(context)
    return context


@pytest.fixture(params=["js", "nojs"])
def any_browser(request, _playwright_browser, live_server):
    """A fresh page with JavaScript on, then off; ``page.js`` says which."""
    if request.param == "js":
        context = _playwright_browser
    else:
        context = request.getfixturevalue("_playwright_browser_nojs")
    context.clear_cookies()
    page = context.new_page()
    page.set_default_timeout(15_000)
    page.base = live_server.url
    page.js = request.param == "js"
    yield page
    page.close()


def answer_on(page) -> str:
    """Answer the human check shown on ``page`` the way a resident would."""
    return answer_for(page.input_value("input[name=challenge_token]"))


@pytest.fixture
def sms(settings):
    """SMS through the fake gateway (tests/portal/fake_sms.py), cleared for each test."""
    from tests.portal.fake_sms import FakeSms

    settings.SMS_BACKEND = "tests.portal.fake_sms.FakeSms"
    FakeSms.sent = []
    FakeSms.failures = []
    return FakeSms
