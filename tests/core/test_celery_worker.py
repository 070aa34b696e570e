"""A real Celery worker on the Redis broker runs the project's tasks (skipped without Redis)."""

from __future__ import annotations

import pytest

from tests.conftest import redis_url

pytestmark = pytest.mark.redis


def _reachable_redis() -> str:
    url = redis_url()
    if not url:
        pytest.skip("未设置 REDIS_URL（或 CELERY_BROKER_URL），跳过真实 Celery worker 测试")
    import redis

    try:
        redis.Redis.from_url(url, socket_connect_timeout=2).ping()
    except Exception as exc:
        pytest.skip(f"Redis {url.rsplit('@', 1)[-1]} 不可达（{type(exc).__name__}），跳过")
    return url


@pytest.fixture
def worker():
    """A worker thread on the configured Redis broker (its database number keeps parallel runs
    apart). Queues are left alone: Celery caches them app-wide on first use."""
    from celery.contrib.testing.worker import start_worker
    from celery.signals import task_postrun
    from django.db import connections

    from config.celery import app

    url = _reachable_redis()
    saved = {key: app.conf[key] for key in ("broker_url", "result_backend", "task_always_eager")}
    app.conf.update(broker_url=url, result_backend=url, task_always_eager=False)

    def close_worker_connections(**kwargs):
        # The worker thread has its own database connection; do not leave it open.
        connections.close_all()

    task_postrun.connect(close_worker_connections, weak=False)
    try:
        with start_worker(app, pool="solo", perform_ping_check=False):
            yield app
    finally:
        task_postrun.disconnect(close_worker_connections)
        app.conf.update(saved)


def test_ping_round_trips_through_redis_and_a_worker(worker):
    from core.tasks import ping

    result = ping.delay()
    assert result.get(timeout=20) == "pong"
    # Really through the broker: a result backend entry, not an eager EagerResult.
    assert type(result).__name__ == "AsyncResult"


@pytest.mark.django_db(transaction=True)
def test_worker_reads_the_same_database(worker):
    from core.tasks import count_organizations
    from tests.factories import OrganizationFactory

    OrganizationFactory(code="W1", kind="district_committee")
    OrganizationFactory(code="W2", kind="district_committee")
    assert count_organizations.delay().get(timeout=20) == 2
