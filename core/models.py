from django.conf import settings
from django.db import models

from core.links import LinkScope


class TimeStampedModel(models.Model):
    created_at = models.DateTimeField("创建时间", auto_now_add=True)
    updated_at = models.DateTimeField("更新时间", auto_now=True)

    class Meta:
        abstract = True


class AuditLog(models.Model):
    """One row per workflow step or sensitive action: who did what to which record, when.

    Services write it in the same transaction as the change they record.
    """

    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="操作人",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    action = models.CharField("动作", max_length=64, db_index=True)
    target_type = models.CharField("对象类型", max_length=100)
    target_id = models.CharField("对象编号", max_length=64)
    target_repr = models.CharField("对象", max_length=200, blank=True)
    organization = models.ForeignKey(
        "organizations.Organization",
        verbose_name="所属组织",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    detail = models.JSONField("详情", default=dict, blank=True)
    ip_address = models.GenericIPAddressField("来源 IP", null=True, blank=True)
    created_at = models.DateTimeField("时间", auto_now_add=True, db_index=True)

    scope_path = "organization"
    link_scopes = {
        "actor": LinkScope.SERVICE,
        "organization": LinkScope.SERVICE,
    }

    class Meta:
        verbose_name = "操作日志"
        verbose_name_plural = "操作日志"
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["target_type", "target_id"])]
        permissions = [
            ("view_sensitive", "可申请查看完整身份证号和电话"),
            ("export_sensitive", "可导出未脱敏的个人信息"),
        ]

    def __str__(self) -> str:
        return f"{self.created_at:%Y-%m-%d %H:%M} {self.action} {self.target_repr}"


class SensitiveAccessLog(models.Model):
    """Every reveal of a masked value and every unmasked export (PIPL): who, whom, when, why."""

    class Kind(models.TextChoices):
        REVEAL = "reveal", "查看单条"
        EXPORT = "export", "未脱敏导出"

    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="操作人",
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    kind = models.CharField("类型", max_length=16, choices=Kind.choices)
    target_type = models.CharField("对象类型", max_length=100)
    target_id = models.CharField("对象编号", max_length=64, blank=True)
    target_repr = models.CharField("对象", max_length=200, blank=True)
    fields = models.CharField("字段", max_length=200, blank=True)
    row_count = models.PositiveIntegerField("条数", default=1)
    purpose = models.CharField("用途", max_length=200)
    organization = models.ForeignKey(
        "organizations.Organization",
        verbose_name="所属组织",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField("时间", auto_now_add=True, db_index=True)

    scope_path = "organization"
    link_scopes = {
        "actor": LinkScope.SERVICE,
        "organization": LinkScope.SERVICE,
    }

    class Meta:
        verbose_name = "个人信息查看记录"
        verbose_name_plural = "个人信息查看记录"
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.actor} {self.get_kind_display()} {self.target_repr}"


class TaskOutbox(models.Model):
    """A Celery task that could not be queued (the broker was unreachable), kept until a sweep
    (``core.outbox.outbox_sweep``: beat every minute, and each worker on start) queues it."""

    task_name = models.CharField("任务", max_length=200)
    args = models.JSONField("位置参数", default=list, blank=True)
    kwargs = models.JSONField("关键字参数", default=dict, blank=True)
    created = models.DateTimeField("记录时间", auto_now_add=True, db_index=True)
    attempts = models.PositiveIntegerField("投递尝试次数", default=0)
    last_error = models.CharField("最近一次错误", max_length=300, blank=True)

    class Meta:
        verbose_name = "待投递任务"
        verbose_name_plural = "待投递任务"
        ordering = ["created", "id"]

    def __str__(self) -> str:
        return f"{self.task_name}{tuple(self.args)}"


class ImportJob(models.Model):
    """One confirmed file import: who, which importer, which file (by its SHA-256), and how far.

    Small files run in the request; large ones (``IMPORT_BACKGROUND_ROWS``) on a Celery worker,
    which reports ``rows_done`` and a heartbeat as it goes. At most one queued or running job per
    user, importer and file: a second confirm of the same file finds the first job. A queued job
    may be cancelled by its owner, and is given up after ``IMPORT_JOB_QUEUE_TIMEOUT_SECONDS``.
    """

    class Status(models.TextChoices):
        QUEUED = "queued", "排队中"
        RUNNING = "running", "导入中"
        DONE = "done", "已完成"
        FAILED = "failed", "失败"
        CANCELLED = "cancelled", "已取消"

    ACTIVE = (Status.QUEUED, Status.RUNNING)

    link_scopes = {"user": LinkScope.SERVICE}
    # Set by the job runner only (core.import_jobs), never through a form or the API.
    workflow_fields = (
        "status",
        "rows_total",
        "rows_done",
        "result",
        "error",
        "started_at",
        "heartbeat_at",
        "finished_at",
    )

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="导入人",
        on_delete=models.CASCADE,
        related_name="import_jobs",
    )
    importer = models.CharField("导入器", max_length=200)
    filename = models.CharField("文件名", max_length=255, blank=True)
    digest = models.CharField("文件摘要（SHA-256）", max_length=64)
    staged_name = models.CharField("暂存文件", max_length=255, blank=True)
    status = models.CharField(
        "状态", max_length=16, choices=Status.choices, default=Status.QUEUED, db_index=True
    )
    background = models.BooleanField("后台执行", default=False)
    attempt = models.PositiveIntegerField("执行次数", default=0)
    rows_total = models.PositiveIntegerField("总行数", default=0)
    rows_done = models.PositiveIntegerField("已处理行数", default=0)
    result = models.JSONField("结果", null=True, blank=True)
    error = models.TextField("错误", blank=True)
    created_at = models.DateTimeField("确认时间", auto_now_add=True)
    started_at = models.DateTimeField("开始时间", null=True, blank=True)
    heartbeat_at = models.DateTimeField("最近进展", null=True, blank=True)
    finished_at = models.DateTimeField("结束时间", null=True, blank=True)

    class Meta:
        verbose_name = "导入任务"
        verbose_name_plural = "导入任务"
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "importer", "digest"],
                condition=models.Q(status__in=["queued", "running"]),
                name="core_importjob_one_active_per_file",
            )
        ]

    def __str__(self) -> str:
        return f"{self.filename or self.digest[:12]} {self.get_status_display()}"

    @property
    def active(self) -> bool:
        return self.status in self.ACTIVE

    @property
    def percent(self) -> int:
        if self.status == self.Status.DONE:
            return 100
        return min(100, self.rows_done * 100 // self.rows_total) if self.rows_total else 0


class ApiToken(models.Model):
    """An API token (``Authorization: Token …``). Only a SHA-256 of the key is stored; the key
    is shown once. A token expires, and dies when its user's password changes (the stamp of
    the password hash no longer matches) or the user is deactivated: ``core.tokens``."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="用户",
        on_delete=models.CASCADE,
        related_name="api_tokens",
    )
    name = models.CharField("名称", max_length=100, blank=True)
    key_hash = models.CharField("令牌摘要", max_length=64, unique=True, editable=False)
    prefix = models.CharField("令牌前缀", max_length=8, editable=False)
    password_stamp = models.CharField("密码印记", max_length=64, editable=False)
    created_at = models.DateTimeField("创建时间", auto_now_add=True)
    last_used_at = models.DateTimeField("最近使用", null=True, blank=True)
    expires_at = models.DateTimeField("过期时间", db_index=True)

    link_scopes = {"user": LinkScope.SERVICE}

    class Meta:
        verbose_name = "API 令牌"
        verbose_name_plural = "API 令牌"
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.prefix}…"
