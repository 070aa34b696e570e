from celery import shared_task


@shared_task(name="core.ping")
def ping() -> str:
    """A no-op round trip through the broker and a worker (health checks, tests)."""
    return "pong"


@shared_task(name="core.count_organizations")
def count_organizations() -> int:
    """Reads the database from the worker: proves the worker is wired to the same database."""
    from organizations.models import Organization

    return Organization.objects.count()
