"""Demo webhooks: an endpoint of the street (switched off, so a demo site posts nowhere), one
of 园林 that was disabled after failures, and a delivered and a given-up delivery with their
attempt log. Written directly (the endpoint service resolves the URL, which a demo machine
without DNS cannot); idempotent."""

from __future__ import annotations

import uuid
from datetime import timedelta

from django.contrib.auth import get_user_model
from django.utils import timezone

from core import links
from organizations.models import Organization
from webhooks.choices import DeliveryStatus, EventKind
from webhooks.models import Delivery, DeliveryAttempt, Endpoint
from webhooks.services.endpoints import new_secret

DEMO_EVENT = uuid.UUID("00000000-0000-4000-8000-00000000d001")


def seed(stdout) -> None:
    if Endpoint.objects.filter(code="td-zq-12345").exists():
        return
    owner = get_user_model().objects.filter(username="street").first()
    now = timezone.now()
    with links.system():
        street = Endpoint.objects.create(
            code="td-zq-12345",
            name="12345 政务服务便民热线",
            url="https://hooks.example.gov.cn/gongzhi/cases",
            secret=new_secret(),
            event_kinds=[k for k in EventKind.values if k.startswith("case.")],
            organization=Organization.objects.get(code="TD-ZQ"),
            active=False,
            owner=owner,
        )
        Endpoint.objects.create(
            code="td-zq-yl-board",
            name="园林社区大屏",
            url="https://screen.example.com/yl/hook",
            secret=new_secret(),
            event_kinds=["meeting.plan", "meeting.hold", "resolution.public"],
            organization=Organization.objects.get(code="TD-ZQ-YL"),
            active=False,
            owner=owner,
            consecutive_failures=10,
            disabled_at=now - timedelta(days=2),
            disabled_reason="连续 10 条推送失败：HTTP 503",
        )
        payload = {
            "id": str(DEMO_EVENT),
            "event": "case.report",
            "occurred_at": timezone.localtime(now - timedelta(days=3)).isoformat(),
            "organization": {"code": "TD-ZQ-YL"},
            "object": {"type": "grids.case", "id": None, "code": None, "status": "reported"},
            "data": {},
        }
        delivered = Delivery.objects.create(
            endpoint=street, event_id=DEMO_EVENT, kind="case.report", payload=payload,
            status=DeliveryStatus.DELIVERED, attempts=2, last_status_code=200,
            last_duration_ms=84, delivered_at=now - timedelta(days=3),
        )  # fmt: skip
        DeliveryAttempt.objects.create(
            delivery=delivered, number=1, status_code=502, duration_ms=1210, error="HTTP 502"
        )
        DeliveryAttempt.objects.create(
            delivery=delivered, number=2, status_code=200, duration_ms=84, success=True,
            response_excerpt='{"ok": true}',
        )  # fmt: skip
    stdout.write("webhooks: 2 endpoints (switched off), 1 delivery with its log\n")
