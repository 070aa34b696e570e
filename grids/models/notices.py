"""Notices about a case's steps: to the reporter (portal 我的 and an SMS), and to the grid
worker and community when a resident says the problem is not fixed.

Exactly once per (step, audience): a unique constraint on the pair lets every writer
insert-or-skip. The SMS delivery state (the delivery log) sits on the same row; the text
carries nothing personal beyond the tracking code, and the phone is read from the case at
sending time, never copied here.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from mptt.models import TreeForeignKey

from core.links import LinkScope
from core.scope import ScopedQuerySet
from grids.choices import NoticeAudience, SmsStatus
from grids.models.cases import Case, CaseEvent


class CaseNotice(models.Model):
    case = models.ForeignKey(
        Case, verbose_name="诉求", on_delete=models.CASCADE, related_name="notices"
    )
    event = models.ForeignKey(
        CaseEvent, verbose_name="办理步骤", on_delete=models.CASCADE, related_name="notices"
    )
    audience = models.CharField("通知对象", max_length=16, choices=NoticeAudience.choices)
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="接收人",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    organization = TreeForeignKey(
        "organizations.Organization",
        verbose_name="社区",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
    )
    text = models.CharField("内容", max_length=200)
    created_at = models.DateTimeField("时间", auto_now_add=True, db_index=True)
    read_at = models.DateTimeField("已读时间", null=True, blank=True)
    sms_status = models.CharField(
        "短信状态", max_length=16, choices=SmsStatus.choices, default=SmsStatus.NONE
    )
    sms_attempts = models.PositiveSmallIntegerField("短信尝试次数", default=0)
    sms_sent_at = models.DateTimeField("短信发送时间", null=True, blank=True)
    sms_reference = models.CharField("短信网关编号", max_length=64, blank=True)
    sms_error = models.CharField("最近一次发送错误", max_length=200, blank=True)
    sms_next_at = models.DateTimeField("下次重试时间", null=True, blank=True)

    objects = ScopedQuerySet.as_manager()
    scope_path = "case__community"
    link_scopes = {
        "case": LinkScope.SERVICE,
        "event": LinkScope.SERVICE,
        "recipient": LinkScope.SERVICE,
        "organization": LinkScope.SERVICE,
    }
    workflow_fields = (
        "read_at",
        "sms_status",
        "sms_attempts",
        "sms_sent_at",
        "sms_reference",
        "sms_error",
        "sms_next_at",
    )

    class Meta:
        verbose_name = "诉求通知"
        verbose_name_plural = "诉求通知"
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["event", "audience"], name="grids_casenotice_once_per_step"
            )
        ]
        indexes = [models.Index(fields=["sms_status", "created_at"])]

    def __str__(self) -> str:
        return self.text
