from celery import shared_task


@shared_task(name="covenants.expire_agreements")
def expire_agreements() -> int:
    """Daily: signed agreements whose term has ended become 已到期 (idempotent, audited)."""
    from covenants.services import agreements_expire

    return agreements_expire()
