from celery import shared_task

from webhooks.services import delivery


@shared_task(name="webhooks.deliver")
def deliver(delivery_id: int) -> str:
    return delivery.deliver(delivery_id)


@shared_task(name="webhooks.deliver_many")
def deliver_many(delivery_ids: list[int]) -> dict:
    return delivery.deliver_many(delivery_ids)


@shared_task(name="webhooks.sweep")
def sweep() -> dict:
    return delivery.sweep()
