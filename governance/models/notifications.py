"""In-app notifications with an e-mail outbox state.

Exactly once per (meeting or period or task, window, recipient): ``dedup_key`` names the
occasion and window, ``recipient_key`` the person ("u:<user id>" or "e:<address>"), and a unique
constraint on the pair lets every run insert-or-skip. E-mail delivery is a separate state on the
same row: queued until a delivery run has handed it to the mail server.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from mptt.models import TreeForeignKey

from core.links import LinkScope
from core.scope import ScopedQuerySet
from governance.choices import EmailStatus, NotificationKind


class NotificationQuerySet(ScopedQuerySet):
    def for_user(self, user):
        return self.filter(recipient=user)

    def unread(self):
        return self.filter(read_at__isnull=True)


class Notification(models.Model):
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="接收人",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="governance_notifications",
    )
    email = models.EmailField("电子邮箱", blank=True)
    recipient_key = models.CharField("接收人标识", max_length=200)
    dedup_key = models.CharField("提醒标识", max_length=120)
    kind = models.CharField("类型", max_length=32, choices=NotificationKind.choices)
    window_days = models.SmallIntegerField("提前天数", null=True, blank=True)
    organization = TreeForeignKey(
        "organizations.Organization",
        verbose_name="所属组织",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
    )
    series = models.ForeignKey(
        "governance.MeetingSeries",
        verbose_name="联席会议制度",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="notifications",
    )
    meeting = models.ForeignKey(
        "governance.Meeting",
        verbose_name="会议",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="notifications",
    )
    task = models.ForeignKey(
        "governance.Task",
        verbose_name="派单",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="notifications",
    )
    period_start = models.DateField("周期起", null=True, blank=True)
    title = models.CharField("标题", max_length=200)
    body = models.TextField("内容", blank=True)
    created_at = models.DateTimeField("时间", auto_now_add=True, db_index=True)
    read_at = models.DateTimeField("已读时间", null=True, blank=True)
    email_status = models.CharField(
        "邮件状态", max_length=16, choices=EmailStatus.choices, default=EmailStatus.NONE
    )
    email_attempts = models.PositiveSmallIntegerField("发送尝试次数", default=0)
    email_last_error = models.CharField("最近一次发送错误", max_length=300, blank=True)
    email_sent_at = models.DateTimeField("邮件发送时间", null=True, blank=True)

    objects = NotificationQuerySet.as_manager()
    scope_path = "organization"
    link_scopes = {
        "recipient": LinkScope.SERVICE,
        "organization": LinkScope.SERVICE,
        "series": LinkScope.SERVICE,
        "meeting": LinkScope.SERVICE,
        "task": LinkScope.SERVICE,
    }

    class Meta:
        verbose_name = "提醒通知"
        verbose_name_plural = "提醒通知"
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["dedup_key", "recipient_key"], name="uniq_notification_once"
            )
        ]
        indexes = [
            models.Index(fields=["recipient", "read_at"]),
            models.Index(
                fields=["email_status"],
                name="gov_notif_email_queued",
                condition=models.Q(email_status="queued"),
            ),
        ]

    def __str__(self) -> str:
        return self.title


class EmailDelivery(Notification):
    """The e-mail side of notifications, for the people who run the outbox: every queued,
    sent and failed message in their scope, with its attempts and last error."""

    class Meta:
        proxy = True
        verbose_name = "邮件发送记录"
        verbose_name_plural = "邮件发送记录"
        ordering = ["-created_at", "-id"]
