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
from django.test import Client

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


# -- the same outbox, in-process (SQLite or PostgreSQL), against the SMTP sink ----------------


@pytest.fixture
def smtp(settings):
    with SmtpSink(refuse=[REFUSED]) as sink:
        settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
        settings.EMAIL_HOST = "127.0.0.1"
        settings.EMAIL_PORT = sink.port
        settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
        yield sink


@pytest.mark.django_db
def test_refused_address_ends_failed_after_the_bounded_attempts(smtp, settings):
    from governance.reminders import emails_deliver

    settings.GOVERNANCE_EMAIL_MAX_ATTEMPTS = 3
    ids = _queue(3)
    assert emails_deliver() == {"sent": 3, "failed": 1}
    for _ in range(2):
        assert emails_deliver() == {"sent": 0, "failed": 1}
    refused = Notification.objects.get(pk=ids[0])
    assert refused.email_status == "failed" and refused.email_attempts == 3
    assert "550" in refused.email_last_error
    assert emails_deliver() == {"sent": 0, "failed": 0}  # no longer tried
    assert len(smtp.accepted) == 3


@pytest.mark.django_db
def test_each_message_carries_its_stable_message_id(smtp):
    from governance.reminders import emails_deliver

    ids = _queue(2)
    emails_deliver()
    sent = dict(smtp.accepted)
    for pk in ids[1:]:
        row = Notification.objects.get(pk=pk)
        assert notification_message_id(row) in sent
        assert sent[notification_message_id(row)] == row.email
    # A resend (as after a crash) carries the same id: the receiver can recognise it.
    Notification.objects.filter(pk=ids[1]).update(email_status="queued")
    emails_deliver()
    assert [m for m, _ in smtp.accepted].count(notification_message_id(row)) <= 2
    assert smtp.accepted[-1][0] == notification_message_id(Notification.objects.get(pk=ids[1]))


@pytest.mark.django_db
def test_temporary_errors_stay_queued_until_their_own_bound(settings):
    import smtplib

    from django.core.mail.backends.locmem import EmailBackend

    from governance.reminders import emails_deliver

    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    settings.GOVERNANCE_EMAIL_MAX_TRANSIENT_ATTEMPTS = 2
    ids = _queue(1)

    def busy(self, messages):
        raise smtplib.SMTPDataError(451, "try again later")

    original = EmailBackend.send_messages
    EmailBackend.send_messages = busy
    try:
        emails_deliver()
        assert set(Notification.objects.values_list("email_status", flat=True)) == {"queued"}
        emails_deliver()
    finally:
        EmailBackend.send_messages = original
    rows = Notification.objects.filter(pk__in=ids)
    assert {r.email_status for r in rows} == {"failed"}
    assert all("451" in r.email_last_error for r in rows)


@pytest.mark.django_db
def test_failed_messages_are_listed_with_their_error_in_the_admin(smtp, settings, users, tree):
    from governance.reminders import emails_deliver

    settings.GOVERNANCE_EMAIL_MAX_ATTEMPTS = 1
    ids = _queue(1)
    Notification.objects.filter(pk__in=ids).update(organization=tree["community_a"])
    emails_deliver()
    client = Client()
    client.force_login(users["cadre_a"])
    html = client.get("/admin/governance/emaildelivery/?email_status=failed").content.decode()
    assert REFUSED in html and "550" in html and "发送失败" in html
    assert "member0@example.org" not in html  # sent, not failed
    client.force_login(users["cadre_b"])  # another community: not in scope
    html = client.get("/admin/governance/emaildelivery/").content.decode()
    assert REFUSED not in html
