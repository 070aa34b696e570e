"""The daily digest through Redis and real Celery worker processes: a worker killed (SIGKILL)
in the middle of the run, then two schedulers firing the task at once — one digest per user."""

import time

import pytest
from django.db import connection

from governance.models import Notification
from tests.core.test_import_jobs import worker_process  # noqa: F401 (fixture)
from tests.governance.test_digest import overdue  # noqa: F401 (fixture)

pytestmark = pytest.mark.redis


class NotificationTableHeld:
    """An EXCLUSIVE lock on the notification table from another connection: reads go on, the
    digest's INSERT waits inside its transaction until released."""

    def __init__(self):
        import psycopg2

        s = connection.settings_dict
        self.conn = psycopg2.connect(
            dbname=s["NAME"], user=s["USER"], password=s["PASSWORD"] or None,
            host=s["HOST"] or "127.0.0.1", port=s["PORT"] or 5432,
        )  # fmt: skip
        with self.conn.cursor() as cursor:
            cursor.execute("LOCK TABLE governance_notification IN EXCLUSIVE MODE")

    def waiting_pid(self):
        with self.conn.cursor() as cursor:
            cursor.execute(
                "SELECT pid FROM pg_locks WHERE NOT granted AND relation = "
                "'governance_notification'::regclass AND mode = 'RowExclusiveLock'"
            )
            row = cursor.fetchone()
        return row[0] if row else None

    def release(self):
        self.conn.rollback()
        self.conn.autocommit = True

    def backend_alive(self, pid) -> bool:
        with self.conn.cursor() as cursor:
            cursor.execute("SELECT 1 FROM pg_stat_activity WHERE pid = %s", [pid])
            return cursor.fetchone() is not None


def _wait(condition, timeout=90.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.1)
    pytest.fail("等待超时")


@pytest.mark.django_db(transaction=True)
def test_killed_worker_then_two_schedulers_store_one_digest_per_user(
    overdue,  # noqa: F811
    users,
    worker_process,  # noqa: F811
):
    from config.celery import app
    from governance.tasks import send_daily_digest

    app.control.purge()
    held = NotificationTableHeld()
    try:
        first = worker_process()
        send_daily_digest.delay()
        pid = _wait(held.waiting_pid)  # the run has read everything and waits at its INSERT
        first.kill()  # SIGKILL: no clean shutdown, the transaction never commits
        first.wait(timeout=30)
    finally:
        held.release()
    _wait(lambda: not held.backend_alive(pid))
    held.conn.close()
    assert not Notification.objects.filter(kind="daily_digest").exists()

    # Two schedulers (or beat plus a manual run) fire the task at once, on two workers.
    worker_process()
    worker_process()
    results = [send_daily_digest.delay(), send_daily_digest.delay()]
    counts = [r.get(timeout=120) for r in results]
    assert sum(c["created"] for c in counts) == 5
    assert Notification.objects.filter(kind="daily_digest").count() == 5
    keys = list(Notification.objects.values_list("dedup_key", "recipient_key"))
    assert len(keys) == len(set(keys))
    assert set(Notification.objects.values_list("recipient_id", flat=True)) == {
        users[name].pk for name in ("street", "cadre_a", "cadre_b", "grid_a", "district")
    }
