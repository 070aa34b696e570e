"""With a real Celery worker on Redis and a loopback receiver: an event committed in a real
transaction is posted by the worker, a 500 is retried by the worker's own countdown, and the
delivered row is never posted again."""

from __future__ import annotations

import time

import pytest

from tests.webhooks.test_delivery import make_endpoint, report, verify
from webhooks.choices import DeliveryStatus
from webhooks.models import Delivery
from webhooks.services import sweep

pytestmark = [pytest.mark.redis, pytest.mark.django_db(transaction=True)]


def wait(predicate, timeout=40.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.2)
    pytest.fail("等待超时")


def test_a_real_worker_posts_retries_and_delivers_exactly_once(
    worker, users, tree, roster, receiver, settings
):
    settings.WEBHOOK_BACKOFF_BASE_SECONDS = 1
    receiver.statuses = [500, 200]
    endpoint = make_endpoint(users["street"], tree["street"], receiver.url)
    report(roster)  # commits: the delivery row and, after the commit, its task
    delivery = wait(lambda: Delivery.objects.filter(status=DeliveryStatus.DELIVERED).first())
    assert delivery.attempts == 2
    assert [a.status_code for a in delivery.log.all()] == [500, 200]
    assert len(receiver.received) == 2
    assert all(verify(endpoint.secret, r.headers, r.body) for r in receiver.received)
    sweep()
    time.sleep(1.5)
    assert len(receiver.received) == 2  # delivered: never again
