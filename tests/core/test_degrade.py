"""Degrade, don't fail: Redis and PostgreSQL really unreachable (closed ports, a private
redis-server killed mid-test), and the site answering without a 5xx (Redis) or with a plain 503
(database)."""

from __future__ import annotations

import logging
import shutil
import socket
import subprocess
import time

import pytest
from django.contrib import admin
from django.db import connections
from django.urls import NoReverseMatch, get_resolver, reverse

from core.models import TaskOutbox
from tests.portal.factories import make_grid_with_building, make_resident


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


CLOSED = f"redis://127.0.0.1:{_free_port()}/0"  # nothing listens there


def _wait_port(port: int, timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"redis-server did not start on {port}")


@pytest.fixture
def private_redis():
    """``start()`` → URL of a private ``redis-server`` (no disk), ``stop()`` kills it."""
    binary = shutil.which("redis-server")
    if not binary:
        pytest.skip("没有 redis-server 可执行文件，跳过需要真实 Redis 的降级测试")
    port = _free_port()
    procs: list[subprocess.Popen] = []

    class Server:
        url = f"redis://127.0.0.1:{port}/0"

        def start(self) -> str:
            procs.append(
                subprocess.Popen(
                    [binary, "--port", str(port), "--save", "", "--appendonly", "no"],
                    stdout=subprocess.DEVNULL,
                    stderr=subprocess.DEVNULL,
                )
            )
            _wait_port(port)
            return self.url

        def stop(self) -> None:
            for proc in procs:
                proc.kill()
                proc.wait(timeout=10)
            procs.clear()

    server = Server()
    yield server
    server.stop()


def _cache_settings(url: str, retry_after: float = 5.0) -> dict:
    return {
        "default": {
            "BACKEND": "core.cache.ResilientRedisCache",
            "LOCATION": url,
            "OPTIONS": {"RETRY_AFTER": retry_after},
        }
    }


def _reset_broker_pool(app) -> None:
    """Celery keeps the connection pool of the URL it first used; a test that points it
    elsewhere must drop that reference (kombu keeps one pool per URL)."""
    app._pool = None
    app.amqp._producer_pool = None


@pytest.fixture
def redis_down(settings):
    """The cache and the Celery broker and result backend on a closed port."""
    from config.celery import app
    from core import cache as resilient

    resilient._down_until.clear()
    settings.CACHES = _cache_settings(CLOSED)
    saved = {k: app.conf[k] for k in ("broker_url", "result_backend", "task_always_eager")}
    app.conf.update(broker_url=CLOSED, result_backend=CLOSED, task_always_eager=False)
    _reset_broker_pool(app)
    yield
    app.conf.update(saved)
    _reset_broker_pool(app)
    resilient._down_until.clear()


# -- the cache ------------------------------------------------------------------------------


def test_cache_error_is_a_miss_and_logged_once_a_minute(settings, caplog):
    from django.core.cache import cache

    from core import cache as resilient

    resilient._down_until.clear()
    resilient._last_logged.clear()
    settings.CACHES = _cache_settings(CLOSED, retry_after=0)
    started = time.monotonic()
    with caplog.at_level(logging.WARNING, logger="core.cache"):
        for _ in range(20):
            assert cache.get("k") is None or cache.get("k") == 1
            cache.set("k", 1)
        assert cache.add("once", 1) is True
        assert cache.add("once", 1) is False  # the fallback still counts
        assert cache.incr("once") == 2
        cache.delete("once")
        assert cache.get("once") is None
    assert time.monotonic() - started < 5
    warnings = [r for r in caplog.records if r.name == "core.cache"]
    assert len(warnings) == 1 and "不可用" in warnings[0].getMessage()
    resilient._down_until.clear()


def test_cache_uses_redis_falls_back_when_killed_and_returns(settings, private_redis):
    import redis
    from django.core.cache import cache

    from core import cache as resilient

    resilient._down_until.clear()
    url = private_redis.start()
    settings.CACHES = _cache_settings(url, retry_after=0.2)
    cache.set("page", "from-redis")
    assert redis.Redis.from_url(url).dbsize() == 1  # really in Redis
    private_redis.stop()
    assert cache.get("page") is None  # a miss, not an error
    cache.set("page", "local")
    assert cache.get("page") == "local"
    private_redis.start()  # empty again, as after a restart without persistence
    time.sleep(0.3)
    assert cache.get("page") is None  # back on Redis
    cache.set("page", "again")
    assert redis.Redis.from_url(url).get(":1:page") is not None
    resilient._down_until.clear()


# -- the walk with Redis down ---------------------------------------------------------------


@pytest.fixture
def site(tree, users):
    make_grid_with_building(tree["community_a"])
    return tree


def _portal_urls() -> list[str]:
    urls = []
    for pattern in get_resolver().url_patterns:
        if (
            getattr(pattern, "app_name", None) == "portal"
            or getattr(pattern, "namespace", None) == "portal"
        ):
            for sub in pattern.url_patterns:
                try:
                    urls.append(reverse(f"portal:{sub.name}"))
                except NoReverseMatch:
                    kwargs = {"code": "A"} if "code" in str(sub.pattern) else {"pk": 1}
                    urls.append(reverse(f"portal:{sub.name}", kwargs=kwargs))
    return urls


def _api_list_urls() -> list[str]:
    from config import api_urls

    urls = []
    for entry in api_urls.urlpatterns:
        for pattern in getattr(entry, "url_patterns", []):
            name = getattr(pattern, "name", "") or ""
            if name.endswith("-list"):
                try:
                    urls.append(reverse(name))
                except NoReverseMatch:
                    continue  # nested lists need a parent code
    return urls


def _changelist_urls() -> list[str]:
    return [
        reverse(f"admin:{m._meta.app_label}_{m._meta.model_name}_changelist")
        for m in admin.site._registry
    ]


def test_every_page_list_and_changelist_answers_with_redis_down(
    client, site, users, redis_down, api
):
    portal = _portal_urls()
    assert "/" in portal and "/community/" in portal and "/services/" in portal
    failures = []
    for url in portal:
        response = client.get(url)
        if response.status_code >= 500:
            failures.append((url, response.status_code))

    # The resident login POST (rate limit and lock-out counters live in the cache).
    make_resident(client, site["community_a"])
    client.post("/account/logout/")
    response = client.post("/account/login/", {"phone": "13912345678", "password": "wrong"})
    assert response.status_code == 200 and "密码" in response.content.decode()
    response = client.post("/account/login/", {"phone": "13912345678", "password": "Yuanlin-2026!"})
    assert response.status_code == 302
    for url in portal:  # and every page as a logged-in resident
        response = client.get(url)
        if response.status_code >= 500:
            failures.append((url, response.status_code))

    lists = _api_list_urls()
    assert len(lists) > 20
    client_api = api(users["root"])
    for url in lists:
        response = client_api.get(url)
        if response.status_code >= 500:
            failures.append((url, response.status_code))

    changelists = _changelist_urls()
    assert len(changelists) > 20
    client.force_login(users["root"])
    for url in changelists:
        response = client.get(url)
        if response.status_code >= 500:
            failures.append((url, response.status_code))
    assert client.get("/admin/").status_code == 200
    assert failures == []


# -- tasks with the broker down -------------------------------------------------------------


def test_queuing_with_the_broker_down_fails_fast_into_the_outbox(
    db, redis_down, django_capture_on_commit_callbacks
):
    from core.outbox import enqueue
    from core.tasks import ping

    started = time.monotonic()
    with django_capture_on_commit_callbacks(execute=True):
        enqueue(ping)
        enqueue(ping)
    elapsed = time.monotonic() - started
    assert elapsed <= 2.0, elapsed
    rows = list(TaskOutbox.objects.all())
    assert [r.task_name for r in rows] == ["core.ping", "core.ping"]
    assert all(r.attempts == 1 and "OperationalError" in r.last_error for r in rows)


def test_admin_rollup_button_with_the_broker_down_answers_fast_and_keeps_the_task(
    admin_client_for, users, tree, redis_down, django_capture_on_commit_callbacks
):
    from governance.assessment.models import RollupRun
    from tests.assessment.factories import AssessmentFactory, IndicatorSetFactory

    assessment = AssessmentFactory(organizer=tree["street"], indicator_set=IndicatorSetFactory())
    client = admin_client_for(users["street"])
    started = time.monotonic()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            "/admin/assessment/assessment/",
            {"action": "rollup", "_selected_action": [assessment.pk]},
        )
    assert time.monotonic() - started <= 2.0
    assert response.status_code == 302
    run = RollupRun.objects.get(assessment=assessment)
    row = TaskOutbox.objects.get()
    assert row.task_name == "assessment.rollup" and row.args == [run.pk]


def test_outbox_is_swept_into_the_broker_when_it_is_back(db, private_redis, settings):
    import redis
    from django.test import override_settings

    from config.celery import app
    from core.outbox import outbox_sweep, publish

    saved = {k: app.conf[k] for k in ("broker_url", "task_always_eager")}
    app.conf.update(broker_url=private_redis.url, task_always_eager=False)
    _reset_broker_pool(app)
    try:
        with override_settings(CACHES=_cache_settings(CLOSED)):
            assert publish("core.ping", [], {}) is False  # the broker is not running yet
            assert publish("core.count_organizations", [], {}) is False
            assert outbox_sweep() == {"sent": 0, "left": 2}
            assert TaskOutbox.objects.order_by("id").first().attempts == 2
            private_redis.start()
            assert outbox_sweep() == {"sent": 2, "left": 0}
        queued = redis.Redis.from_url(private_redis.url).lrange("celery", 0, -1)
        assert len(queued) == 2
        assert b"core.ping" in queued[-1] or b"core.ping" in queued[0]
    finally:
        app.conf.update(saved)
        _reset_broker_pool(app)


def test_worker_start_queues_a_sweep():
    from celery.signals import worker_ready

    from config.celery import _sweep_outbox_on_start

    sent = []

    class App:
        def send_task(self, name, **kwargs):
            sent.append(name)

    class Consumer:
        app = App()

    assert any(r[1]() is _sweep_outbox_on_start for r in worker_ready.receivers if r[1]())
    _sweep_outbox_on_start(sender=Consumer())
    assert sent == ["core.outbox_sweep"]


def test_beat_sweeps_the_outbox_every_minute(settings):
    entry = settings.CELERY_BEAT_SCHEDULE["core-outbox-sweep"]
    assert entry["task"] == "core.outbox_sweep" and entry["schedule"] <= 60


# -- /healthz -------------------------------------------------------------------------------


def test_healthz_reports_broker_down_as_degraded_with_the_backlog(client, db, redis_down):
    TaskOutbox.objects.create(task_name="core.ping")
    started = time.monotonic()
    response = client.get("/healthz")
    assert time.monotonic() - started < 3
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "degraded" and body["failed"] == ["broker"]
    assert body["database"]["ok"] is True and body["outbox"] == {"backlog": 1}


def test_healthz_is_cheap(client, db, django_assert_num_queries):
    with django_assert_num_queries(1):
        assert client.get("/healthz").status_code == 200


# -- PostgreSQL down ------------------------------------------------------------------------


@pytest.fixture
def database_down():
    """``stop()`` swaps ``connections['default']`` for a PostgreSQL connection to a closed
    port: every query of a request then fails to connect, as with the server stopped."""
    from django.db.backends.postgresql.base import DatabaseWrapper

    saved = connections["default"]
    swapped = []

    def stop() -> None:
        down = DatabaseWrapper(
            {
                **saved.settings_dict,
                "ENGINE": "django.db.backends.postgresql",
                "HOST": "127.0.0.1",
                "PORT": _free_port(),
                "NAME": "gone",
                "USER": "postgres",
                "PASSWORD": "",
                "OPTIONS": {"connect_timeout": 2},
                "CONN_MAX_AGE": 0,
                "CONN_HEALTH_CHECKS": False,
            },
            alias="default",
        )
        swapped.append(down)
        connections["default"] = down

    yield stop
    for down in swapped:
        down.close()
    connections["default"] = saved


@pytest.fixture
def client(db):
    """Errors answered as in production (handler500), not re-raised into the test."""
    from django.test import Client

    return Client(raise_request_exception=False)


@pytest.mark.parametrize(
    "url", ["/", "/community/", "/community/A/", "/services/", "/services/1/", "/wishes/"]
)
def test_pages_with_the_database_down_are_a_plain_chinese_503(
    client, site, url, database_down, settings
):
    # A cold page cache: a page cached by an earlier test would (rightly) still be served.
    settings.CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "cold"}
    }
    database_down()
    response = client.get(url)
    assert response.status_code == 503
    html = response.content.decode()
    assert "系统暂时无法使用" in html and "Traceback" not in html
    assert response["Retry-After"]


@pytest.mark.parametrize("url", ["/track/", "/admin/", "/admin/login/", "/report/"])
def test_pages_that_need_no_query_still_answer_with_the_database_down(
    client, site, url, database_down
):
    database_down()
    response = client.get(url)
    assert response.status_code in (200, 302, 503), response.status_code


def test_logins_and_changelists_with_the_database_down(client, site, users, database_down):
    client.force_login(users["street"])
    database_down()
    for url in ("/admin/organizations/organization/", "/admin/grids/case/", "/me/"):
        response = client.get(url)
        assert response.status_code == 503, url
        assert "系统暂时无法使用" in response.content.decode()
    from django.test import Client

    anonymous = Client(raise_request_exception=False)
    response = anonymous.post("/account/login/", {"phone": "13912345678", "password": "x"})
    assert response.status_code == 503
    response = anonymous.post("/admin/login/", {"username": "street", "password": "x"})
    assert response.status_code == 503


def test_api_with_the_database_down_is_a_503_in_the_error_shape(client, site, database_down):
    database_down()
    for url in ("/api/v1/organizations/", "/api/v1/cases/", "/api/v1/auth/token/"):
        response = (
            client.post(url, {"username": "a", "password": "b"})
            if "token" in url
            else client.get(url, HTTP_AUTHORIZATION="Token 0123456789abcdef")
        )
        assert response.status_code == 503, url
        assert response.json() == {
            "status": 503,
            "code": "service_unavailable",
            "detail": "数据库暂时无法连接，请稍后重试。",
            "errors": {},
        }


def test_healthz_with_the_database_down_is_503_naming_it(client, db, database_down):
    database_down()
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["failed"] == ["database"]


def test_database_error_raised_outside_a_view_is_a_503_too(rf):
    from django.db import OperationalError

    from core.middleware import server_error

    request = rf.get("/community/")
    try:
        raise OperationalError("could not connect to server")
    except OperationalError:
        response = server_error(request)
    assert response.status_code == 503
    try:
        raise ValueError("a bug")
    except ValueError:
        response = server_error(request)
    assert response.status_code == 500


def test_kept_tasks_are_visible_to_superusers_only(admin_client_for, users):
    from django.test import Client

    TaskOutbox.objects.create(task_name="assessment.rollup", args=[7], last_error="refused")
    html = admin_client_for(users["root"]).get("/admin/core/taskoutbox/").content.decode()
    assert "assessment.rollup" in html and "refused" in html
    street = Client()
    street.force_login(users["street"])
    assert street.get("/admin/core/taskoutbox/").status_code == 403


def test_a_large_import_confirmed_with_the_broker_down_stays_queued_and_says_why(
    users, api, redis_down, settings, django_capture_on_commit_callbacks
):
    """The confirm answers fast (202); the run is kept in the outbox, the job stays queued and
    its page says so — nothing is written until a worker takes it (or it is given up)."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    from core.models import ImportJob
    from tests.core.test_import_jobs import skills_file
    from volunteers.models import Skill

    settings.IMPORT_BACKGROUND_ROWS = 3
    client = api(users["cadre_a"])
    started = time.monotonic()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            "/api/v1/volunteer-skills/import/",
            {"file": SimpleUploadedFile("s.csv", skills_file(5)), "dry_run": "false"},
            format="multipart",
        )
    assert time.monotonic() - started <= 5.0
    assert response.status_code == 202, response.json()
    job = ImportJob.objects.get()
    row = TaskOutbox.objects.get()
    assert row.task_name == "core.run_import_job" and row.args == [job.pk]
    body = client.get(response.json()["url"]).json()
    assert body["status"] == "queued" and "消息队列暂不可用" in body["message"]
    assert not Skill.objects.exists()
