"""The daily reminder task through Redis and a real Celery worker process."""

import datetime as dt
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from django.db import connection

from governance.cadence import shanghai_today
from governance.models import Notification
from governance.services import meeting_plan
from tests.conftest import redis_url

ROOT = Path(__file__).resolve().parents[2]


def _requirements() -> str:
    url = redis_url()
    if not url:
        pytest.skip("REDIS_URL 未设置：需要真实的 Redis 和 Celery worker")
    try:
        import redis

        redis.Redis.from_url(url, socket_connect_timeout=2).ping()
    except Exception as exc:
        pytest.skip(f"Redis {url} 无法连接：{exc}")
    if connection.vendor != "postgresql":
        pytest.skip("worker 进程需要与测试共享同一个数据库（PostgreSQL）")
    return url


@pytest.mark.redis
@pytest.mark.django_db(transaction=True)
def test_daily_reminders_through_a_real_worker_are_exactly_once(series_a, users, settings):
    broker = _requirements()
    meeting_plan(
        actor=users["cadre_a"], series=series_a, planned_on=shanghai_today() + dt.timedelta(days=1)
    )
    db = settings.DATABASES["default"]
    auth = db["USER"] + (f":{db['PASSWORD']}" if db.get("PASSWORD") else "")
    env = {
        **os.environ,
        "DATABASE_URL": f"postgres://{auth}@{db['HOST']}:{db['PORT'] or 5432}/{db['NAME']}",
        "REDIS_URL": broker,
        "CELERY_BROKER_URL": broker,
        "EMAIL_BACKEND": "django.core.mail.backends.locmem.EmailBackend",
    }
    from config.celery import app
    from governance.tasks import send_daily_reminders

    app.conf.task_always_eager = False
    app.control.purge()
    worker = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "config", "worker", "-l", "warning", "-c", "1",
         "--without-gossip", "--without-mingle", "--without-heartbeat",
         "-n", f"gov-test-{os.getpid()}@%h"],
        cwd=ROOT, env=env, start_new_session=True,
    )  # fmt: skip
    try:
        first = send_daily_reminders.delay().get(timeout=120)
        second = send_daily_reminders.delay().get(timeout=120)
    finally:
        os.killpg(worker.pid, signal.SIGTERM)
        try:
            worker.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(worker.pid, signal.SIGKILL)
    assert first["created"] == Notification.objects.count() > 0
    assert Notification.objects.filter(kind="meeting_reminder").count() == 3
    assert second["created"] == 0
    keys = list(Notification.objects.values_list("dedup_key", "recipient_key"))
    assert len(keys) == len(set(keys))
