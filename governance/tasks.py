"""Celery tasks of the governance app: the daily reminder run and the e-mail outbox."""

from celery import shared_task
from django.db import OperationalError


@shared_task(
    name="governance.send_daily_reminders",
    ignore_result=False,  # the bench and the worker test read its counts
    autoretry_for=(OperationalError,),
    retry_backoff=True,
    max_retries=5,
)
def send_daily_reminders() -> dict:
    """Beat runs this every morning; retries and duplicate runs create nothing twice.

    The e-mails go out through the outbox task, queued once the notifications are committed."""
    from core.outbox import enqueue
    from governance.reminders import reminders_run

    result = reminders_run()
    if result.created:
        enqueue(deliver_notification_emails)
    return {
        "day": result.day.isoformat(),
        "candidates": result.candidates,
        "created": result.created,
        "already_stored": result.already_stored,
        "cpu_seconds": round(result.cpu_seconds, 3),
        "by_kind": result.by_kind,
    }


@shared_task(name="governance.deliver_notification_emails")
def deliver_notification_emails() -> dict:
    """Retry queued e-mails (a mail server that was down is tried again)."""
    from governance.reminders import emails_deliver

    return emails_deliver()


@shared_task(
    name="governance.send_daily_digest",
    ignore_result=False,
    autoretry_for=(OperationalError,),
    retry_backoff=True,
    max_retries=5,
)
def send_daily_digest() -> dict:
    """Beat runs this every morning: one digest of everything overdue per user and day.

    Exactly once like the reminders (the same unique (dedup_key, recipient_key) pair); the
    e-mails go out through the outbox task once the digests are committed."""
    from core.outbox import enqueue
    from governance.digest import digest_run

    result = digest_run()
    if result.created:
        enqueue(deliver_notification_emails)
    return {
        "day": result.day.isoformat(),
        "candidates": result.candidates,
        "created": result.created,
        "already_stored": result.already_stored,
        "cpu_seconds": round(result.cpu_seconds, 3),
    }
