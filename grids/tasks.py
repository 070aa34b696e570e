"""Celery tasks of the grids app: SMS to residents about their requests."""

from celery import shared_task
from django.db import OperationalError


@shared_task(
    name="grids.send_case_sms",
    bind=True,
    autoretry_for=(OperationalError,),
    retry_backoff=True,
    max_retries=None,
)
def send_case_sms(self, notice_id: int) -> dict:
    """Send one notice's SMS; a gateway that is down or rate-limiting (429) is tried again
    after a growing wait (the notice row keeps the count and the next time)."""
    from grids.services.notices import deliver_case_sms

    result = deliver_case_sms(notice_id)
    if result["state"] in ("retry", "not_due"):
        raise self.retry(countdown=max(1, int(result["countdown"])))
    return result


@shared_task(name="grids.retry_case_sms")
def retry_case_sms() -> dict:
    from grids.services.notices import requeue_stale_sms

    return {"requeued": requeue_stale_sms()}


@shared_task(name="grids.escalate_overdue_cases")
def escalate_overdue_cases() -> dict:
    """吹哨报到 past a department's deadline is escalated to the street, once per case and
    deadline (see ``grids.services.cases.escalate_overdue``)."""
    from grids.services.cases import escalate_overdue

    return escalate_overdue()
