"""Celery tasks of the portal: housekeeping."""

from celery import shared_task


@shared_task(name="portal.sweep_pending_photos")
def sweep_pending_photos() -> dict:
    """Delete photos kept across a form error that nobody came back for."""
    from portal.pending_photos import sweep

    return {"removed": sweep()}
