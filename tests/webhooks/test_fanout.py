"""Fan-out is cheap: one transaction emitting N events publishes one task per endpoint (and
per ``BATCH_SIZE`` rows), not one per delivery row; every row is still posted exactly once,
a rolled-back savepoint's rows are not, and the sweep queues its rows in batches too."""

from __future__ import annotations

from unittest import mock

import pytest
from django.db import transaction

from core import outbox
from core.events import emit
from tests.webhooks.test_delivery import make_endpoint
from webhooks.choices import DeliveryStatus
from webhooks.models import Delivery
from webhooks.services import sweep
from webhooks.services.events import BATCH_SIZE, DELIVER_MANY_TASK

pytestmark = pytest.mark.django_db


@pytest.fixture
def publishes():
    """Every publish of core.outbox, recorded and passed on (tasks run in-process)."""
    calls: list[tuple[str, list]] = []
    real = outbox.publish

    def spy(task_name, args, kwargs):
        calls.append((task_name, args))
        return real(task_name, args, kwargs)

    with mock.patch.object(outbox, "publish", spy):
        yield calls


def two_endpoints(users, tree, receiver):
    return [
        make_endpoint(users["street"], tree["street"], f"{receiver.url}?n={i}", code=f"ep{i}")
        for i in range(2)
    ]


@pytest.mark.parametrize("events", [3, 40])
def test_one_transaction_of_n_events_publishes_one_task_per_endpoint(
    users, tree, receiver, publishes, events, django_capture_on_commit_callbacks
):
    endpoints = two_endpoints(users, tree, receiver)
    with django_capture_on_commit_callbacks(execute=True):
        with transaction.atomic():
            for _ in range(events):
                emit("case.report", organization=tree["community_a"])
    assert len(publishes) == 2  # O(endpoints), whatever N
    assert {name for name, _ in publishes} == {DELIVER_MANY_TASK}
    for endpoint in endpoints:
        rows = set(Delivery.objects.filter(endpoint=endpoint).values_list("pk", flat=True))
        assert len(rows) == events
        assert [set(args[0]) for _, args in publishes].count(rows) == 1
    # Every row posted exactly once, by its id.
    got = receiver.wait_for(2 * events)
    ids = [r.headers["X-Webhook-Id"] for r in got]
    assert len(ids) == len(set(ids)) == 2 * events
    assert set(Delivery.objects.values_list("status", flat=True)) == {DeliveryStatus.DELIVERED}


def test_more_rows_than_a_batch_make_a_few_tasks(
    users, tree, receiver, publishes, django_capture_on_commit_callbacks
):
    make_endpoint(users["street"], tree["street"], receiver.url, kinds=["meeting.plan"])
    n = BATCH_SIZE + 5
    with mock.patch("webhooks.services.delivery.deliver", return_value="skipped"):
        with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
            for _ in range(n):
                emit("meeting.plan", organization=tree["community_a"])
    assert [len(args[0]) for _, args in publishes] == [BATCH_SIZE, 5]


def test_a_rolled_back_savepoint_drops_its_rows_and_the_rest_is_queued(
    users, tree, receiver, publishes, django_capture_on_commit_callbacks
):
    make_endpoint(users["street"], tree["street"], receiver.url)
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        try:
            with transaction.atomic():
                emit("case.report", organization=tree["community_a"])
                raise RuntimeError("rolled back")
        except RuntimeError:
            pass
        emit("case.report", organization=tree["community_b"])
        emit("case.report", organization=tree["community_b"])
    (row_a, row_b) = Delivery.objects.order_by("pk")
    assert [args[0] for _, args in publishes] == [[row_a.pk, row_b.pk]]
    assert len(receiver.wait_for(2)) == 2
    assert set(Delivery.objects.values_list("status", flat=True)) == {DeliveryStatus.DELIVERED}


def test_a_rolled_back_transaction_publishes_nothing(users, tree, receiver, publishes):
    make_endpoint(users["street"], tree["street"], receiver.url)
    with pytest.raises(RuntimeError), transaction.atomic():
        emit("case.report", organization=tree["community_a"])
        raise RuntimeError("rolled back")
    assert publishes == [] and not Delivery.objects.exists()


def test_the_sweep_queues_lost_rows_in_batches(
    users, tree, receiver, publishes, django_capture_on_commit_callbacks
):
    two_endpoints(users, tree, receiver)
    for _ in range(5):
        emit("case.report", organization=tree["community_a"])  # callbacks never run: lost
    Delivery.objects.update(claimed_until=None)
    with django_capture_on_commit_callbacks(execute=True):
        assert sweep() == {"reclaimed": 0, "queued": 10}
    assert len(publishes) == 2
    assert len({r.headers["X-Webhook-Id"] for r in receiver.wait_for(10)}) == 10
    assert Delivery.objects.filter(status=DeliveryStatus.DELIVERED).count() == 10
