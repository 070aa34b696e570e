"""The alert to an endpoint's owner when it is switched off: an in-app notification (the
governance reminders' ``Notification``, which also carries the e-mail outbox state) and the
e-mail, delivered by the governance mail task."""

from __future__ import annotations

from core.outbox import enqueue
from governance import tasks as governance_tasks
from governance.choices import EmailStatus
from governance.models import Notification
from webhooks.models import Endpoint

KIND = "webhook_disabled"


def alert_owner(endpoint: Endpoint) -> Notification | None:
    owner = endpoint.owner
    if owner is None:
        return None
    email = owner.email or ""
    note, _ = Notification.objects.get_or_create(
        dedup_key=f"webhook:{endpoint.pk}:{endpoint.disabled_at:%Y%m%d%H%M%S%f}",
        recipient_key=f"u:{owner.pk}",
        defaults={
            "recipient": owner,
            "email": email,
            "kind": KIND,
            "organization": endpoint.organization,
            "title": f"推送地址“{endpoint.name}”已自动停用",
            "body": (
                f"推送地址 {endpoint.url}（{endpoint.code}）连续推送失败，系统已自动停用。\n"
                f"原因：{endpoint.disabled_reason}\n"
                "请检查接收方后在管理后台重新启用；停用期间的推送会保留，启用后继续投递。"
            ),
            "email_status": EmailStatus.QUEUED if email else EmailStatus.NONE,
        },
    )
    if email:
        enqueue(governance_tasks.deliver_notification_emails)
    return note
