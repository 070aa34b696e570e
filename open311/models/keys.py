"""An integrator's Open311 key (接入密钥): issued by a street administrator for one subtree of
the organisation tree, stored only as its SHA-256, shown once, revocable."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from mptt.models import TreeForeignKey

from core.links import LinkScope
from core.scope import ScopedQuerySet


class ApiKey(models.Model):
    name = models.CharField(
        "接入方名称", max_length=100, help_text="例如：“12345 热线转办平台”“某某小程序”。"
    )
    organization = TreeForeignKey(
        "organizations.Organization",
        verbose_name="可提交范围",
        on_delete=models.PROTECT,
        related_name="open311_keys",
        help_text="街道或社区：这把密钥只能为该节点及其下级的社区提交诉求。",
    )
    key_prefix = models.CharField("密钥前缀", max_length=16, editable=False, db_index=True)
    key_hash = models.CharField("密钥摘要", max_length=64, unique=True, editable=False)
    active = models.BooleanField("有效", default=True, editable=False)
    revoked_at = models.DateTimeField("吊销时间", null=True, blank=True, editable=False)
    created_at = models.DateTimeField("签发时间", auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="签发人",
        null=True,
        blank=True,
        editable=False,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    last_used_at = models.DateTimeField("最近使用", null=True, blank=True, editable=False)
    use_count = models.PositiveIntegerField("使用次数", default=0, editable=False)

    objects = ScopedQuerySet.as_manager()
    scope_path = "organization"
    link_scopes = {"organization": LinkScope.IN_SCOPE}
    workflow_fields = ("active", "revoked_at", "last_used_at", "use_count")

    class Meta:
        verbose_name = "Open311 接入密钥"
        verbose_name_plural = "Open311 接入密钥"
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.name}（{self.key_prefix}…）"
