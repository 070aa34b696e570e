"""The receiver of ``core.events``: one delivery row per matching endpoint, in the event's
transaction; the deliveries are queued after the commit."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import timedelta
from typing import Any

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from core import outbox
from core.events import Event
from core.models import SensitiveAccessLog
from core.scope import scope_ranges
from webhooks.models import Delivery, Endpoint
from webhooks.services.endpoints import subscribed_kinds

DELIVER_TASK = "webhooks.deliver"  # one row (kept for tasks queued before the batches)
DELIVER_MANY_TASK = "webhooks.deliver_many"
# Rows per queued task: the rows of one endpoint, at most this many (a slow endpoint holds up
# only its own batch; the worker processes still share the endpoints).
BATCH_SIZE = 100
# A queued delivery is left to its task this long before the sweep queues it again.
QUEUE_LEASE = timedelta(minutes=5)
PERSON_FIELDS = ("name", "reporter_name")


def natural_code(instance) -> str | None:
    for name in ("code", "tracking_code"):
        value = getattr(instance, name, None)
        if isinstance(value, str) and value:
            return value
    return None


def _scope_filter(event: Event, org) -> Q | None:
    if org is not None:
        return Q(
            organization__tree_id=org.tree_id,
            organization__lft__lte=org.lft,
            organization__rght__gte=org.rght,
        )
    ranges = scope_ranges(event.actor) if event.actor is not None else []
    if ranges is None:  # a superuser: only endpoints on a whole tree see it
        return Q(organization__level=0)
    if not ranges:
        return None
    q = Q()
    for tree_id, lft, rght in ranges:
        q |= Q(
            organization__tree_id=tree_id, organization__lft__lte=lft, organization__rght__gte=rght
        )
    return q


def base_payload(event: Event, org) -> dict[str, Any]:
    instance = event.instance
    return {
        "id": str(event.id),
        "event": event.kind,
        "occurred_at": timezone.localtime(event.occurred_at).isoformat(),
        "organization": {"id": org.pk, "code": org.code} if org is not None else None,
        "object": (
            {
                "type": instance._meta.label_lower,
                "id": instance.pk,
                "code": natural_code(instance),
                "status": getattr(instance, "status", None),
            }
            if instance is not None
            else None
        ),
        "data": event.data,
    }


def personal_data(instance) -> dict[str, Any]:
    if instance is None:
        return {}
    names = [*(getattr(instance, "sensitive_fields", None) or {}), *PERSON_FIELDS]
    return {n: getattr(instance, n) for n in names if isinstance(getattr(instance, n, None), str)}


def may_reveal(endpoint: Endpoint) -> bool:
    owner = endpoint.owner
    return bool(
        endpoint.include_personal_data
        and owner is not None
        and owner.is_active
        and owner.has_perm("core.view_sensitive")
    )


def on_event(event: Event) -> None:
    if event.kind not in subscribed_kinds():
        return
    org = event.organization
    scope = _scope_filter(event, org)
    if scope is None:
        return
    endpoints = [
        e
        for e in Endpoint.objects.filter(scope, active=True).select_related("owner")
        if event.kind in (e.event_kinds or [])
    ]
    if not endpoints:
        return
    payload = base_payload(event, org)
    now = timezone.now()
    rows = []
    for endpoint in endpoints:
        body = payload
        if may_reveal(endpoint) and (personal := personal_data(event.instance)):
            body = {**payload, "personal": personal}
            SensitiveAccessLog.objects.create(
                actor=endpoint.owner,
                kind=SensitiveAccessLog.Kind.EXPORT,
                target_type=event.instance._meta.label_lower,
                target_id=str(event.instance.pk),
                target_repr=str(natural_code(event.instance) or event.instance.pk)[:200],
                fields=",".join(personal)[:200],
                purpose=f"Webhook 推送 {endpoint.code}",
                organization=org,
            )
        rows.append(
            Delivery(
                endpoint=endpoint,
                event_id=event.id,
                kind=event.kind,
                payload=body,
                next_attempt_at=now,
                claimed_until=now + QUEUE_LEASE,
            )
        )
    Delivery.objects.bulk_create(rows)
    queue_after_commit((row.pk, row.endpoint_id) for row in rows)


def queue_now(rows: Iterable[tuple[int, int]]) -> int:
    """Publish ``webhooks.deliver_many`` for (delivery id, endpoint id) pairs: one task per
    endpoint and ``BATCH_SIZE`` rows. Returns the number of tasks published."""
    by_endpoint: dict[int, list[int]] = defaultdict(list)
    for pk, endpoint_id in rows:
        by_endpoint[endpoint_id].append(pk)
    published = 0
    for ids in by_endpoint.values():
        for start in range(0, len(ids), BATCH_SIZE):
            outbox.publish(DELIVER_MANY_TASK, [ids[start : start + BATCH_SIZE]], {})
            published += 1
    return published


class _AfterCommit:
    """The delivery rows written in one transaction, queued by one on-commit callback."""

    def __init__(self):
        self.rows: list[tuple[int, int]] = []
        self.done = False

    def __call__(self) -> None:
        self.done = True
        rows, self.rows = self.rows, []
        queue_now(rows)


def queue_after_commit(rows: Iterable[tuple[int, int]], *, join: bool = True) -> None:
    """Queue the rows after the current transaction commits, with the other rows of the same
    transaction (one callback per transaction, not one publish per row); at once outside one.

    The callback is reused while it is still registered and has not run: a rolled-back
    savepoint that registered it drops it (its rows are gone with it) and the next event
    registers a new one; a row of a rolled-back inner savepoint left in a kept callback is
    simply not found by the task. The sweep queues anything due that no task claimed.
    ``join=False`` (one call that queues many rows at once: the sweep, redeliver) registers
    its own callback."""
    connection = transaction.get_connection()
    if not connection.in_atomic_block:
        queue_now(rows)
        return
    pending = getattr(connection, "_webhook_after_commit", None)
    if (
        not join
        or pending is None
        or pending.done
        or not any(entry[1] is pending for entry in connection.run_on_commit)
    ):
        pending = _AfterCommit()
        if join:
            connection._webhook_after_commit = pending
        transaction.on_commit(pending)
    pending.rows.extend(rows)
