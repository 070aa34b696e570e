"""Sending deliveries: claim, post, record; retries with back-off; auto-disable; sweep.

Exactly once per endpoint under normal operation: a worker claims a row by moving it from
``pending`` to ``sending`` under ``SELECT … FOR UPDATE SKIP LOCKED`` (two workers never hold the
same row), posts outside any transaction, then records the outcome. A ``delivered`` row is
never claimed again (only the admin's redeliver puts it back). A worker that dies between the
claim and the record leaves the row ``sending`` until ``claimed_until``; the sweep then puts it
back to ``pending`` and it is sent again with the same ``X-Webhook-Id`` (at least once; the
receiver drops a repeat by that id).
"""

from __future__ import annotations

import logging
import time
from collections import Counter, defaultdict
from datetime import timedelta

import requests
from django.conf import settings
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from core.scope import require_in_scope
from core.services import audit
from webhooks.choices import DeliveryStatus as S
from webhooks.models import Delivery, DeliveryAttempt, Endpoint
from webhooks.services.addresses import AddressRefused, check_url
from webhooks.services.alerts import alert_owner
from webhooks.services.endpoints import forget_kinds
from webhooks.services.events import (
    BATCH_SIZE,
    DELIVER_MANY_TASK,
    QUEUE_LEASE,
    queue_after_commit,
)
from webhooks.services.signing import body_bytes, sign

logger = logging.getLogger(__name__)

# After a rotation the old secret still signs (X-Signature-Previous) for this long.
PREVIOUS_SECRET_GRACE = timedelta(hours=24)
RESPONSE_EXCERPT = 500
USER_AGENT = "gongzhi-webhooks/1"


def backoff(attempts: int) -> timedelta:
    """Delay before try ``attempts + 1``: base × 2^(attempts − 1), capped."""
    base = settings.WEBHOOK_BACKOFF_BASE_SECONDS
    return timedelta(
        seconds=min(base * 2 ** max(attempts - 1, 0), settings.WEBHOOK_BACKOFF_CAP_SECONDS)
    )


def claim(delivery_id: int) -> Delivery | None:
    """pending and due → sending, or None when another worker holds it, it was sent, it is
    not due yet, or its endpoint is inactive."""
    now = timezone.now()
    with transaction.atomic():
        row = (
            Delivery.objects.select_for_update(skip_locked=True, of=("self",))
            .select_related("endpoint")
            .filter(
                pk=delivery_id,
                status=S.PENDING,
                next_attempt_at__lte=now,
                endpoint__active=True,
            )
            .first()
        )
        if row is None:
            return None
        row.status = S.SENDING
        row.attempts += 1
        row.claimed_until = now + timedelta(seconds=settings.WEBHOOK_TIMEOUT_SECONDS * 2 + 60)
        row.save(update_fields=["status", "attempts", "claimed_until"])
    return row


def headers_for(delivery: Delivery, body: bytes, timestamp: int) -> dict[str, str]:
    endpoint = delivery.endpoint
    headers = {
        "Content-Type": "application/json; charset=utf-8",
        "User-Agent": USER_AGENT,
        "X-Webhook-Id": str(delivery.pk),
        "X-Webhook-Event": delivery.kind,
        "X-Webhook-Timestamp": str(timestamp),
        "X-Signature": sign(endpoint.secret, timestamp, body),
    }
    rotated = endpoint.secret_rotated_at
    if (
        endpoint.previous_secret
        and rotated is not None
        and timezone.now() - rotated < PREVIOUS_SECRET_GRACE
    ):
        headers["X-Signature-Previous"] = sign(endpoint.previous_secret, timestamp, body)
    return headers


class Sender:
    """What the posts of one task share: one HTTP session, so consecutive posts to an endpoint
    reuse its kept-alive connection instead of opening one each, and each URL's address check,
    repeated when older than ``CHECK_EVERY`` seconds (DNS may change while a long batch runs).
    Use as a context manager; ``post`` alone makes a short-lived one."""

    CHECK_EVERY = 60.0

    def __init__(self):
        self.session = requests.Session()
        self.session.trust_env = False  # no proxy from the environment: the check is the rule
        self._checked: dict[str, tuple[float, str]] = {}

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.session.close()

    def refused(self, url: str) -> str:
        """The reason the URL is refused now, or "" (DNS may have changed since saving)."""
        now = time.monotonic()
        seen = self._checked.get(url)
        if seen is None or now - seen[0] >= self.CHECK_EVERY:
            try:
                check_url(url)
                seen = (now, "")
            except AddressRefused as exc:
                seen = (now, str(exc))
            self._checked[url] = seen
        return seen[1]

    def post(self, delivery: Delivery) -> tuple[int | None, str, str]:
        """One HTTP try: (status code or None, response excerpt, error)."""
        refused = self.refused(delivery.endpoint.url)
        if refused:
            return None, "", refused
        return _post(self.session, delivery)


def post(delivery: Delivery) -> tuple[int | None, str, str]:
    """One HTTP try on its own (a fresh session and address check)."""
    with Sender() as sender:
        return sender.post(delivery)


def _post(session: requests.Session, delivery: Delivery) -> tuple[int | None, str, str]:
    body = body_bytes(delivery.payload)
    # Signed at sending with the endpoint's current secret: a rotation reaches pending retries.
    timestamp = int(time.time())
    timeout = settings.WEBHOOK_TIMEOUT_SECONDS
    try:
        with session.post(
            delivery.endpoint.url,
            data=body,
            headers=headers_for(delivery, body, timestamp),
            timeout=(timeout, timeout),
            allow_redirects=False,  # a redirect could lead to an internal address
            stream=True,
        ) as response:
            raw = response.raw.read(RESPONSE_EXCERPT * 4, decode_content=True) or b""
            excerpt = raw.decode(response.encoding or "utf-8", "replace")[:RESPONSE_EXCERPT]
            return response.status_code, excerpt, ""
    except requests.Timeout:
        return None, "", f"超时（{timeout} 秒无响应）"
    except requests.RequestException as exc:
        return None, "", f"{type(exc).__name__}: {exc}"[:300]


def deliver(delivery_id: int, *, retries: dict | None = None, sender: Sender | None = None) -> str:
    """Claim, send and record one delivery; returns what happened (for logs and tests).

    A failed try is queued again with its back-off after the record commits, or, given
    ``retries`` (delay → ids), collected there for the caller to queue in one task per delay."""
    row = claim(delivery_id)
    if row is None:
        return "skipped"
    started = time.monotonic()
    status_code, excerpt, error = sender.post(row) if sender is not None else post(row)
    duration_ms = int((time.monotonic() - started) * 1000)
    ok = status_code is not None and 200 <= status_code < 300
    if status_code is not None and not ok:
        error = f"HTTP {status_code}"
    return record(row, ok=ok, status_code=status_code, duration_ms=duration_ms,
                  excerpt=excerpt, error=error, retries=retries)  # fmt: skip


def deliver_many(delivery_ids: list[int]) -> dict[str, int]:
    """The task of a batch (one endpoint's rows of one transaction, or of a sweep): each row
    is claimed on its own just before its post, so a long batch never holds a claim that could
    expire; rows another task holds or already sent are skipped. The failed ones are queued
    again in one countdown task per back-off delay."""
    outcomes: Counter = Counter()
    retries: dict[float, list[int]] = defaultdict(list)
    with Sender() as sender:
        for pk in delivery_ids:
            outcomes[deliver(pk, retries=retries, sender=sender)] += 1
    for seconds, ids in retries.items():
        schedule_retry(ids, timedelta(seconds=seconds))
    return dict(outcomes)


@transaction.atomic
def record(
    row: Delivery,
    *,
    ok: bool,
    status_code,
    duration_ms: int,
    excerpt: str,
    error: str,
    retries: dict | None = None,
) -> str:
    now = timezone.now()
    DeliveryAttempt.objects.create(
        delivery=row,
        number=row.attempts,
        status_code=status_code,
        duration_ms=duration_ms,
        response_excerpt=excerpt,
        error=error[:300],
        success=ok,
    )
    row.last_status_code = status_code
    row.last_duration_ms = duration_ms
    row.last_error = error[:300]
    if ok:
        row.status = S.DELIVERED
        row.delivered_at = now
        row.claimed_until = None
        outcome = "delivered"
        # No lock and no write unless a failure streak is to be reset.
        Endpoint.objects.filter(pk=row.endpoint_id, consecutive_failures__gt=0).update(
            consecutive_failures=0
        )
    elif row.attempts >= settings.WEBHOOK_MAX_ATTEMPTS:
        row.status = S.FAILED
        row.claimed_until = None
        outcome = "failed"
        endpoint = Endpoint.objects.select_for_update().get(pk=row.endpoint_id)
        endpoint.consecutive_failures = F("consecutive_failures") + 1
        endpoint.save(update_fields=["consecutive_failures"])
        endpoint.refresh_from_db(fields=["consecutive_failures"])
        if (
            endpoint.active
            and endpoint.consecutive_failures >= settings.WEBHOOK_DISABLE_AFTER_FAILURES
        ):
            disable(
                endpoint, reason=f"连续 {endpoint.consecutive_failures} 条推送失败：{error}"[:300]
            )
    else:
        row.status = S.PENDING
        delay = backoff(row.attempts)
        row.next_attempt_at = now + delay
        row.claimed_until = row.next_attempt_at + QUEUE_LEASE
        outcome = "retry"
        if retries is None:
            transaction.on_commit(lambda: schedule_retry([row.pk], delay))
        else:
            pk = row.pk
            transaction.on_commit(lambda: retries[delay.total_seconds()].append(pk))
    row.save(update_fields=[
        "status", "delivered_at", "claimed_until", "next_attempt_at",
        "last_status_code", "last_duration_ms", "last_error",
    ])  # fmt: skip
    return outcome


def schedule_retry(delivery_ids: list[int], delay: timedelta) -> None:
    """Queue the retries with a countdown on a real broker (one task per ``BATCH_SIZE``); in
    eager mode (no broker) and when the broker is down the sweep picks them up when due."""
    from config.celery import app

    if app.conf.task_always_eager:
        return
    try:
        for start in range(0, len(delivery_ids), BATCH_SIZE):
            app.send_task(DELIVER_MANY_TASK, args=[delivery_ids[start : start + BATCH_SIZE]],
                          countdown=delay.total_seconds(), ignore_result=True)  # fmt: skip
    except Exception as exc:  # the sweep queues it when due
        logger.warning("webhook retry not queued (%s); the sweep will", type(exc).__name__)


def disable(endpoint: Endpoint, *, reason: str) -> None:
    """Switch the endpoint off and alert its owner (in-app notification and e-mail)."""
    now = timezone.now()
    Endpoint.objects.filter(pk=endpoint.pk).update(
        active=False, disabled_at=now, disabled_reason=reason
    )
    endpoint.active, endpoint.disabled_at, endpoint.disabled_reason = False, now, reason
    audit(
        actor=None,
        action="webhook_endpoint.disable",
        target=endpoint,
        organization=endpoint.organization,
        detail={"reason": reason},
    )
    forget_kinds()
    alert_owner(endpoint)


def sweep(*, batch_size: int = 1000) -> dict[str, int]:
    """Beat, every 30 s: put back rows whose worker died mid-send, and queue due rows whose
    task was lost (broker restart, worker killed). Returns counts."""
    now = timezone.now()
    reclaimed = Delivery.objects.filter(status=S.SENDING, claimed_until__lt=now).update(
        status=S.PENDING, next_attempt_at=now, claimed_until=None
    )
    queued = 0
    while True:
        with transaction.atomic():
            ids = list(
                Delivery.objects.select_for_update(skip_locked=True, of=("self",))
                .filter(status=S.PENDING, next_attempt_at__lte=now, endpoint__active=True)
                .filter(Q(claimed_until__isnull=True) | Q(claimed_until__lt=now))
                .order_by("next_attempt_at", "id")
                .values_list("id", "endpoint_id")[:batch_size]
            )
            if not ids:
                break
            Delivery.objects.filter(pk__in=[pk for pk, _ in ids]).update(
                claimed_until=now + QUEUE_LEASE
            )
            queue_after_commit(ids, join=False)
        queued += len(ids)
        if len(ids) < batch_size:
            break
    return {"reclaimed": reclaimed, "queued": queued}


@transaction.atomic
def redeliver(*, actor, deliveries) -> int:
    """The admin's 重新投递: put the chosen rows (any status) back to pending and queue them;
    the attempt log is kept and the count starts again."""
    now = timezone.now()
    rows = list(Delivery.objects.select_for_update().filter(pk__in=[d.pk for d in deliveries])
                .exclude(status=S.SENDING).select_related("endpoint__organization"))  # fmt: skip
    for row in rows:
        require_in_scope(actor, row.endpoint.organization)
        Delivery.objects.filter(pk=row.pk).update(
            status=S.PENDING, attempts=0, next_attempt_at=now, claimed_until=now + QUEUE_LEASE,
            delivered_at=None,
        )  # fmt: skip
        audit(actor=actor, action="webhook_delivery.redeliver", target=row,
              organization=row.endpoint.organization, detail={"was": row.status})  # fmt: skip
    queue_after_commit(((row.pk, row.endpoint_id) for row in rows), join=False)
    return len(rows)
