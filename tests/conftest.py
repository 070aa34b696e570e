"""Fixtures shared by every app's tests: the demo-shaped tree, users in roles and scopes,
API clients, and Celery switched to in-process execution unless a test asks for a worker."""

from __future__ import annotations

import os

import pytest
from django.contrib.auth.models import Group
from rest_framework.test import APIClient

from core.roles import (
    COMMUNITY_CADRE,
    COMMUNITY_SECRETARY,
    DISTRICT_READONLY,
    GRID_WORKER,
    STREET_ADMIN,
    setup_roles,
)
from tests.factories import OrganizationFactory, UserFactory


@pytest.fixture(autouse=True)
def _celery_eager(request, settings):
    """Tasks run in-process, except in tests marked ``redis`` that start a real worker."""
    from config.celery import app

    if request.node.get_closest_marker("redis"):
        yield
        return
    previous = app.conf.task_always_eager
    app.conf.task_always_eager = True
    settings.CELERY_TASK_ALWAYS_EAGER = True
    yield
    app.conf.task_always_eager = previous


@pytest.fixture(scope="session", autouse=True)
def _link_guard():
    """Every request in the suite is an actor's: a save of an actor-chosen link that did not go
    through ``core.links`` (check_links / check_many / derived) is refused (core/links.py)."""
    from celery.signals import task_postrun, task_prerun
    from django.core.handlers.base import BaseHandler

    from core import links

    links.install_guard()
    original = BaseHandler.get_response

    def get_response(self, request):
        with links.guarded():
            return original(self, request)

    tokens = {}

    def prerun(task_id=None, **kwargs):  # a Celery job has no actor, even when run eagerly
        tokens[task_id] = links.system()
        tokens[task_id].__enter__()

    def postrun(task_id=None, **kwargs):
        manager = tokens.pop(task_id, None)
        if manager is not None:
            manager.__exit__(None, None, None)

    BaseHandler.get_response = get_response
    task_prerun.connect(prerun, weak=False, dispatch_uid="tests.links.prerun")
    task_postrun.connect(postrun, weak=False, dispatch_uid="tests.links.postrun")
    yield
    BaseHandler.get_response = original


@pytest.fixture(autouse=True)
def _links_checked(_link_guard):
    from core import links

    links.take_violations()
    yield
    found = links.take_violations()
    assert not found, "links saved without core.links: " + "; ".join(found)


@pytest.fixture(autouse=True)
def _media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def roles(db):
    setup_roles()
    return {g.name: g for g in Group.objects.all()}


@pytest.fixture
def tree(db):
    """district → street → two communities (A, B), each with a compound branch and a building group."""
    district = OrganizationFactory(code="D", name="铁东区", kind="district_committee", parent=None)
    street = OrganizationFactory(
        code="S", name="站前街道党工委", kind="street_committee", parent=district
    )
    nodes = {"district": district, "street": street}
    for key, code, name in (("a", "A", "园林社区"), ("b", "B", "胜利社区")):
        community = OrganizationFactory(
            code=code, name=f"{name}大党委", kind="community_committee", parent=street
        )
        branch = OrganizationFactory(
            code=f"{code}-01", name=f"{name}一号院党支部", kind="compound_branch", parent=community
        )
        group = OrganizationFactory(
            code=f"{code}-01-B1", name=f"{name}1号楼党小组", kind="building_group", parent=branch
        )
        nodes.update(
            {f"community_{key}": community, f"branch_{key}": branch, f"group_{key}": group}
        )
    for node in nodes.values():
        node.refresh_from_db()
    return nodes


def make_user(username, *, role=None, scope=(), superuser=False, perms=()):
    from django.contrib.auth.models import Permission

    from organizations.models import ScopeAssignment

    user = UserFactory(username=username, is_superuser=superuser, is_staff=True)
    if role:
        user.groups.add(Group.objects.get(name=role))
    for org in scope:
        ScopeAssignment.objects.create(user=user, organization=org)
    for perm in perms:
        app_label, codename = perm.split(".")
        user.user_permissions.add(
            Permission.objects.get(content_type__app_label=app_label, codename=codename)
        )
    return user


@pytest.fixture
def users(tree, roles):
    """street admin, cadre of A (secretary), cadre of B, grid worker of A, district read-only, superuser."""
    return {
        "street": make_user("street", role=STREET_ADMIN, scope=[tree["street"]]),
        "cadre_a": make_user("cadre_a", role=COMMUNITY_SECRETARY, scope=[tree["community_a"]]),
        "cadre_b": make_user("cadre_b", role=COMMUNITY_CADRE, scope=[tree["community_b"]]),
        "grid_a": make_user("grid_a", role=GRID_WORKER, scope=[tree["community_a"]]),
        "district": make_user("district", role=DISTRICT_READONLY, scope=[tree["district"]]),
        "root": make_user("root", superuser=True),
    }


@pytest.fixture
def api():
    """``api(user)`` → an APIClient authenticated as that user (None: anonymous)."""

    def make(user=None):
        client = APIClient()
        if user is not None:
            client.force_authenticate(user)
        return client

    return make


@pytest.fixture
def admin_client_for(client):
    """``admin_client_for(user)`` → the Django test client logged in as that user."""

    def make(user):
        client.force_login(user)
        return client

    return make


def redis_url() -> str | None:
    return os.environ.get("REDIS_URL") or os.environ.get("CELERY_BROKER_URL")


# -- browser tests (Playwright driving Debian's Chromium against live_server) -------------------
# Here, not in an app's conftest: a session-scoped Chromium must have exactly one definition. A
# test module that imported these fixtures got its own session-scoped copy, whose Playwright
# loop was still running when the next copy started ("Sync API inside the asyncio loop").

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
