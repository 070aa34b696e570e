"""Webhook endpoints (configured by the street in the admin) and their delivery outbox.

One ``Delivery`` row per event and matching endpoint is written in the transaction of the
event; a worker claims it (pending → sending, under a row lock with SKIP LOCKED), posts it and
records the outcome, so a delivered row is never sent again. Every try is a ``DeliveryAttempt``
(the delivery log).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from mptt.models import TreeForeignKey

from core.links import LinkScope
from core.scope import ScopedQuerySet
from webhooks.choices import DeliveryStatus


class Endpoint(models.Model):
    code = models.SlugField("编码", max_length=64, unique=True)
    name = models.CharField("名称", max_length=100)
    url = models.URLField("推送地址", max_length=500, help_text="仅限 http/https 公网地址。")
    secret = models.CharField(
        "签名密钥", max_length=128, blank=True, help_text="留空则自动生成；修改即轮换密钥。"
    )
    previous_secret = models.CharField("上一个密钥", max_length=128, blank=True, editable=False)
    secret_rotated_at = models.DateTimeField("密钥轮换时间", null=True, blank=True)
    event_kinds = models.JSONField("订阅事件", default=list, blank=True)
    organization = TreeForeignKey(
        "organizations.Organization",
        verbose_name="范围（组织及下级）",
        on_delete=models.PROTECT,
        related_name="+",
    )
    active = models.BooleanField("启用", default=True)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="负责人",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    include_personal_data = models.BooleanField(
        "包含个人信息",
        default=False,
        help_text="仅当负责人有查看完整个人信息的权限时生效。",
    )
    consecutive_failures = models.PositiveIntegerField("连续失败次数", default=0)
    disabled_at = models.DateTimeField("自动停用时间", null=True, blank=True)
    disabled_reason = models.CharField("停用原因", max_length=300, blank=True)
    created_at = models.DateTimeField("创建时间", auto_now_add=True)
    updated_at = models.DateTimeField("更新时间", auto_now=True)

    objects = ScopedQuerySet.as_manager()
    scope_path = "organization"
    link_scopes = {"organization": LinkScope.IN_SCOPE, "owner": LinkScope.SERVICE}
    workflow_fields = (
        "secret_rotated_at",
        "consecutive_failures",
        "disabled_at",
        "disabled_reason",
    )

    class Meta:
        verbose_name = "推送地址"
        verbose_name_plural = "推送地址"
        ordering = ["code"]

    def __str__(self) -> str:
        return f"{self.name}（{self.code}）"


class Delivery(models.Model):
    endpoint = models.ForeignKey(
        Endpoint, verbose_name="推送地址", on_delete=models.CASCADE, related_name="deliveries"
    )
    event_id = models.UUIDField("事件编号")
    kind = models.CharField("事件", max_length=40)
    payload = models.JSONField("内容")
    status = models.CharField(
        "状态", max_length=16, choices=DeliveryStatus.choices, default=DeliveryStatus.PENDING
    )
    attempts = models.PositiveIntegerField("已尝试次数", default=0)
    next_attempt_at = models.DateTimeField("下次尝试时间", null=True, blank=True)
    claimed_until = models.DateTimeField("占用至", null=True, blank=True)
    last_status_code = models.PositiveIntegerField("最近状态码", null=True, blank=True)
    last_duration_ms = models.PositiveIntegerField("最近耗时（毫秒）", null=True, blank=True)
    last_error = models.CharField("最近错误", max_length=300, blank=True)
    delivered_at = models.DateTimeField("送达时间", null=True, blank=True)
    created_at = models.DateTimeField("创建时间", auto_now_add=True, db_index=True)

    objects = ScopedQuerySet.as_manager()
    scope_path = "endpoint__organization"
    link_scopes = {"endpoint": LinkScope.SERVICE}
    workflow_fields = (
        "status",
        "attempts",
        "next_attempt_at",
        "claimed_until",
        "last_status_code",
        "last_duration_ms",
        "last_error",
        "delivered_at",
    )

    class Meta:
        verbose_name = "推送记录"
        verbose_name_plural = "推送记录"
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["endpoint", "event_id"], name="webhook_once_per_event")
        ]
        indexes = [
            models.Index(
                fields=["next_attempt_at"],
                name="webhook_delivery_due",
                condition=models.Q(status__in=["pending", "sending"]),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} → {self.endpoint_id}（{self.event_id}）"


class DeliveryAttempt(models.Model):
    delivery = models.ForeignKey(
        Delivery, verbose_name="推送记录", on_delete=models.CASCADE, related_name="log"
    )
    number = models.PositiveIntegerField("第几次")
    at = models.DateTimeField("时间", auto_now_add=True)
    status_code = models.PositiveIntegerField("状态码", null=True, blank=True)
    duration_ms = models.PositiveIntegerField("耗时（毫秒）")
    response_excerpt = models.CharField("响应摘要", max_length=500, blank=True)
    error = models.CharField("错误", max_length=300, blank=True)
    success = models.BooleanField("成功", default=False)

    objects = ScopedQuerySet.as_manager()
    scope_path = "delivery__endpoint__organization"
    link_scopes = {"delivery": LinkScope.SERVICE}

    class Meta:
        verbose_name = "推送尝试"
        verbose_name_plural = "推送尝试"
        ordering = ["delivery", "number"]

    def __str__(self) -> str:
        return f"#{self.number} {self.status_code or self.error}"
