"""Celery: roll-ups on demand (admin/API) and at period end (beat)."""

from __future__ import annotations

from datetime import timedelta

from celery import shared_task
from django.utils import timezone

from governance.assessment.services.rollup import ROLLUP_TASK


@shared_task(name=ROLLUP_TASK)
def rollup_task(run_id: int) -> int:
    from governance.assessment.services import rollup_execute

    return rollup_execute(run_id=run_id).result_count


@shared_task(name="assessment.rollup_due")
def rollup_due_task() -> list[int]:
    """Daily: queue a roll-up for each assessment whose period has ended and that has no
    completed run since its end. Re-running the same day queues nothing new."""
    from governance.assessment.selectors import assessments_due_for_rollup
    from governance.assessment.services import rollup_request

    today = timezone.localdate()
    runs = []
    for assessment in assessments_due_for_rollup(today - timedelta(days=1)):
        runs.append(rollup_request(actor=None, assessment=assessment, trigger="schedule").pk)
    return runs
