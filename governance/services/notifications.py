from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from governance.models import Notification


@transaction.atomic
def notification_mark_read(*, actor, ids: list[int] | None = None) -> int:
    """Mark the actor's own notifications read (all unread ones when ``ids`` is None)."""
    queryset = Notification.objects.for_user(actor).unread()
    if ids is not None:
        queryset = queryset.filter(pk__in=ids)
    return queryset.update(read_at=timezone.now())
