"""The e-mail outbox under crashes: a real Celery worker process delivering to a real SMTP
server is killed (SIGKILL) five times mid-delivery and restarted; nothing is lost and each kill
re-sends at most the one message that was in flight. An address the server refuses (550) ends
``failed`` with its error instead of staying queued."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest
from django.db import connection

from governance.models import Notification
from governance.reminders import notification_message_id
from tests.conftest import redis_url
from tests.governance.mail import SmtpSink

ROOT = Path(__file__).resolve().parents[2]
MESSAGES = int(os.environ.get("OUTBOX_CRASH_MESSAGES", "5000"))
KILLS = 5
REFUSED = "nobody@refused.example"


def _requirements() -> str:
    url = redis_url()
    if not url:
        pytest.skip("REDIS_URL 未设置：需要真实的 Redis 和 Celery worker")
    try:
        import redis

        redis.Redis.from_url(url, socket_connect_timeout=2).ping()
    except Exception as exc:
        pytest.skip(f"Redis {url.rsplit('@', 1)[-1]} 无法连接：{exc}")
    if connection.vendor != "postgresql":
        pytest.skip("worker 进程需要与测试共享同一个数据库（PostgreSQL）")
    return url


def _queue(n: int) -> list[int]:
    rows = [
        Notification(
            email=REFUSED,
            recipient_key=f"e:{REFUSED}",
            dedup_key="crash-test",
            kind="task_reminder",
            title="退信测试",
            email_status="queued",
        )
    ] + [
        Notification(
            email=f"member{i}@example.org",
            recipient_key=f"e:member{i}@example.org",
            dedup_key="crash-test",
            kind="task_reminder",
            title=f"派单即将到期 {i}",
            body="请及时办理。",
            email_status="queued",
        )
        for i in range(n)
    ]
    Notification.objects.bulk_create(rows, batch_size=2000)
    return list(Notification.objects.order_by("id").values_list("id", flat=True))


@pytest.mark.redis
@pytest.mark.django_db(transaction=True)
def test_killed_worker_loses_nothing_and_resends_at_most_one_per_kill(settings):
    broker = _requirements()
    ids = _queue(MESSAGES)
    refused_id = ids[0]  # the lowest id: every delivery run tries it first
    db = settings.DATABASES["default"]
    auth = db["USER"] + (f":{db['PASSWORD']}" if db.get("PASSWORD") else "")
    from config.celery import app
    from governance.tasks import deliver_notification_emails

    app.conf.task_always_eager = False
    app.control.purge()

    with SmtpSink(refuse=[REFUSED]) as sink:
        env = {
            **os.environ,
            "DATABASE_URL": f"postgres://{auth}@{db['HOST']}:{db['PORT'] or 5432}/{db['NAME']}",
            "REDIS_URL": broker,
            "CELERY_BROKER_URL": broker,
            "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "EMAIL_HOST": "127.0.0.1",
            "EMAIL_PORT": str(sink.port),
            "GOVERNANCE_EMAIL_MAX_ATTEMPTS": "3",
        }

        def start_worker() -> subprocess.Popen:
            return subprocess.Popen(
                [sys.executable, "-m", "celery", "-A", "config", "worker", "-l", "warning",
                 "-P", "solo", "--without-gossip", "--without-mingle", "--without-heartbeat",
                 "-n", f"outbox-crash-{os.getpid()}@%h"],
                cwd=ROOT, env=env, start_new_session=True,
                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            )  # fmt: skip

        def deliver() -> None:
            deliver_notification_emails.apply_async(ignore_result=True)

        started = time.monotonic()
        kills = 0
        worker = start_worker()
        try:
            deliver()
            for k in range(1, KILLS + 1):
                target = MESSAGES * k // (KILLS + 1)
                deadline = time.monotonic() + 180
                while sink.count() < target:
                    assert time.monotonic() < deadline, f"stuck at {sink.count()} < {target}"
                    assert worker.poll() is None, "the worker exited by itself"
                    time.sleep(0.005)
                os.killpg(worker.pid, signal.SIGKILL)  # mid-delivery: no clean shutdown
                worker.wait(timeout=30)
                kills += 1
                worker = start_worker()
                deliver()  # beat would queue it within 15 minutes
            # After the last restart: runs until nothing is queued (the refused address needs
            # three tries to be given up).
            deadline = time.monotonic() + 180
            while Notification.objects.filter(email_status="queued").exists():
                assert time.monotonic() < deadline, "delivery did not finish"
                time.sleep(0.5)
                if not Notification.objects.filter(
                    email_status="queued", pk__gt=refused_id
                ).exists():
                    deliver()
        finally:
            os.killpg(worker.pid, signal.SIGKILL)
            worker.wait(timeout=30)
            app.control.purge()
            import redis

            # A killed worker's unacknowledged task would come back in an hour: drop it.
            redis.Redis.from_url(broker).delete("unacked", "unacked_index")
        elapsed = time.monotonic() - started
        accepted = list(sink.accepted)

    expected = {
        notification_message_id(n): n.email
        for n in Notification.objects.exclude(pk=refused_id).only("pk", "email")
    }
    got = Counter(message_id for message_id, _ in accepted)
    lost = set(expected) - set(got)
    duplicates = sum(count - 1 for count in got.values())
    print(f"\n{MESSAGES} messages, {kills} kills, {duplicates} duplicates, {elapsed:.1f} s")
    assert kills == KILLS
    assert lost == set()
    assert set(got) == set(expected)  # nothing else (no message without its stable id)
    assert duplicates <= KILLS
    assert Notification.objects.filter(email_status="sent").count() == MESSAGES
    refused = Notification.objects.get(pk=refused_id)
    assert refused.email_status == "failed"
    assert refused.email_attempts == 3
    assert "550" in refused.email_last_error
