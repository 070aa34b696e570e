from celery import shared_task


@shared_task(name="core.ping", ignore_result=False)
def ping() -> str:
    """A no-op round trip through the broker and a worker (health checks, tests)."""
    return "pong"


@shared_task(name="core.count_organizations", ignore_result=False)
def count_organizations() -> int:
    """Reads the database from the worker: proves the worker is wired to the same database."""
    from organizations.models import Organization

    return Organization.objects.count()


@shared_task(name="core.outbox_sweep")
def outbox_sweep() -> dict:
    """Queue the tasks kept in the database while the broker was down (beat, worker start)."""
    from core.outbox import outbox_sweep as sweep

    return sweep()


@shared_task(name="core.run_import_job", acks_late=True, reject_on_worker_lost=True)
def run_import_job(job_id: int) -> str:
    """Run one confirmed large import. A redelivered task (its worker died) takes the job over
    only once its heartbeat is stale; a finished or failed job is left alone."""
    from core.import_jobs import import_job_run

    result = import_job_run(job_id=job_id)
    return "done" if result is not None and result.committed else "not run or failed"
