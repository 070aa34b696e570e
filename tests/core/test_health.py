"""/healthz: 200 with the database and the broker up; the broker down is a 200 "degraded"
(pages still work, tasks wait in the outbox); the database down is a 503. Each names what
failed."""

from __future__ import annotations

import time

import pytest

from tests.conftest import redis_url


@pytest.fixture
def broker():
    """``broker(url)`` points the Celery app at a real broker URL for this test."""
    from config.celery import app

    saved = (app.conf.task_always_eager, app.conf.broker_url)

    def use(url: str) -> None:
        app.conf.task_always_eager = False
        app.conf.broker_url = url

    yield use
    app.conf.task_always_eager, app.conf.broker_url = saved


def _redis_reachable(url: str | None) -> bool:
    if not url:
        return False
    import redis

    try:
        redis.Redis.from_url(url, socket_connect_timeout=1).ping()
    except Exception:
        return False
    return True


def test_healthy_on_the_embedded_default(client, db):
    response = client.get("/healthz")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert body["database"]["ok"] is True and body["broker"]["ok"] is True
    assert "eager" in body["broker"]["detail"]


@pytest.mark.redis
def test_healthy_with_a_real_redis_broker(client, db, broker):
    url = redis_url()
    if not _redis_reachable(url):
        pytest.skip("REDIS_URL 未设置或 Redis 不可达，跳过真实 broker 检查")
    broker(url)
    response = client.get("/healthz")
    assert response.status_code == 200, response.json()
    assert response.json()["broker"]["ok"] is True


@pytest.mark.parametrize(
    "url",
    [
        "redis://127.0.0.1:1/1",  # nothing listens: refused
        "redis://:secret-password@127.0.0.1:1/1",  # credentials must not leak into the answer
    ],
)
def test_unreachable_broker_is_degraded_naming_the_broker_quickly(client, db, broker, url):
    broker(url)
    started = time.monotonic()
    response = client.get("/healthz")
    elapsed = time.monotonic() - started
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "degraded"
    assert body["failed"] == ["broker"]
    assert body["broker"]["ok"] is False and body["database"]["ok"] is True
    assert "127.0.0.1:1" in body["broker"]["detail"]
    assert "secret-password" not in response.content.decode()
    assert elapsed <= 3.0, elapsed


def test_unanswering_broker_times_out_within_three_seconds(client, db, broker):
    """A host that accepts the connection but never answers: the socket timeout bounds it."""
    import socket
    import threading

    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(1)
    port = server.getsockname()[1]
    accepted = []
    threading.Thread(target=lambda: accepted.append(server.accept()), daemon=True).start()
    try:
        broker(f"redis://127.0.0.1:{port}/1")
        started = time.monotonic()
        response = client.get("/healthz")
        elapsed = time.monotonic() - started
    finally:
        for conn, _ in accepted:
            conn.close()
        server.close()
    assert response.status_code == 200
    assert response.json()["failed"] == ["broker"]
    assert elapsed <= 3.0, elapsed


def test_database_failure_is_503_naming_the_database(client, db, monkeypatch):
    from django.db import OperationalError

    class Unreachable:
        vendor = "postgresql"

        def cursor(self):
            raise OperationalError("connection refused")

    monkeypatch.setattr("core.views.connection", Unreachable())
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["failed"] == ["database"]
    assert "OperationalError" in response.json()["database"]["detail"]


def test_health_is_get_only_and_not_cached(client, db):
    assert client.post("/healthz").status_code == 405
    assert "no-cache" in client.get("/healthz")["Cache-Control"]
