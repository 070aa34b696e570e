from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models

from core.links import LinkScope
from core.models import TimeStampedModel
from core.scope import ScopedQuerySet
from core.validators import validate_code
from covenants.choices import (
    ActivityKind,
    AgreementStatus,
    AttachmentKind,
    CoBuildCategory,
    Frequency,
    ProjectStatus,
)


class ServiceProject(TimeStampedModel):
    """认领项目: a service a unit claims under an agreement."""

    code = models.CharField("项目编码", max_length=64, unique=True, validators=[validate_code])
    agreement = models.ForeignKey(
        "covenants.Agreement",
        verbose_name="共建协议",
        on_delete=models.PROTECT,
        related_name="projects",
    )
    title = models.CharField("项目名称", max_length=120)
    category = models.CharField("共建类别", max_length=32, choices=CoBuildCategory.choices)
    target_group = models.CharField("服务对象", max_length=120, blank=True)
    frequency = models.CharField(
        "计划频次", max_length=16, choices=Frequency.choices, default=Frequency.MONTHLY
    )
    venue = models.CharField(
        "开放场地/设施",
        max_length=200,
        blank=True,
        help_text="资源共享类项目：单位向居民开放的场地",
    )
    description = models.TextField("项目内容", blank=True)
    status = models.CharField(
        "状态", max_length=16, choices=ProjectStatus.choices, default=ProjectStatus.CLAIMED
    )

    objects = ScopedQuerySet.as_manager()
    scope_path = "agreement__party_a"
    link_scopes = {
        "agreement": LinkScope.IN_SCOPE,
    }
    workflow_fields = ("status",)

    class Meta:
        verbose_name = "认领项目"
        verbose_name_plural = "认领项目"
        ordering = ["code"]

    def __str__(self) -> str:
        return f"{self.title}（{self.get_category_display()}）"

    def clean(self) -> None:
        if self.category == CoBuildCategory.RESOURCE_SHARING and not self.venue.strip():
            raise ValidationError({"venue": "资源共享类项目请填写单位开放的场地或设施。"})
        if (
            self.agreement_id
            and self._state.adding
            and self.agreement.status in (AgreementStatus.EXPIRED, AgreementStatus.TERMINATED)
        ):
            raise ValidationError(
                {"agreement": f"协议“{self.agreement.code}”已到期或终止，不能再认领项目。"}
            )


class ActivityRecord(TimeStampedModel):
    """活动记录: one activity a unit carried out under a claimed project."""

    code = models.CharField("活动编号", max_length=64, unique=True, validators=[validate_code])
    project = models.ForeignKey(
        ServiceProject,
        verbose_name="认领项目",
        on_delete=models.PROTECT,
        related_name="activities",
    )
    date = models.DateField("活动日期", db_index=True)
    kind = models.CharField("活动方式", max_length=32, choices=ActivityKind.choices)
    title = models.CharField("活动主题", max_length=120)
    place = models.CharField("活动地点", max_length=200, blank=True)
    staff_count = models.PositiveIntegerField("单位参与人数", default=0)
    member_count = models.PositiveIntegerField("在职党员人数", default=0)
    residents_served = models.PositiveIntegerField("服务居民人次", default=0)
    participants_note = models.TextField("参与人员", blank=True)
    description = models.TextField("活动内容", blank=True)
    confirmed_at = models.DateTimeField("社区确认时间", null=True, blank=True)
    confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="确认人",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    objects = ScopedQuerySet.as_manager()
    scope_path = "project__agreement__party_a"
    link_scopes = {
        "project": LinkScope.IN_SCOPE,
        "confirmed_by": LinkScope.SERVICE,
    }
    workflow_fields = ("confirmed_at",)

    class Meta:
        verbose_name = "活动记录"
        verbose_name_plural = "活动记录"
        ordering = ["-date", "code"]

    def __str__(self) -> str:
        return f"{self.date} {self.title}"

    @property
    def is_confirmed(self) -> bool:
        return self.confirmed_at is not None

    def clean(self) -> None:
        if not (self.project_id and self.date):
            return
        agreement = self.project.agreement
        if agreement.status == AgreementStatus.DRAFT:
            raise ValidationError({"project": f"协议“{agreement.code}”尚未签订，不能登记活动。"})
        if not agreement.covers(self.date):
            last = agreement.ends_on
            if agreement.status == AgreementStatus.TERMINATED and agreement.terminated_on:
                last = min(last, agreement.terminated_on)
            raise ValidationError(
                {
                    "date": f"活动日期 {self.date} 不在协议“{agreement.code}”的期限内"
                    f"（{agreement.starts_on} 至 {last}）。"
                }
            )


def attachment_path(instance, filename: str) -> str:
    return f"covenants/activities/{instance.activity.date:%Y/%m}/{filename}"


class ActivityAttachment(models.Model):
    """活动方案、记录和影像资料，交甲方保存（协议第四条）。"""

    activity = models.ForeignKey(
        ActivityRecord,
        verbose_name="活动",
        on_delete=models.CASCADE,
        related_name="attachments",
    )
    kind = models.CharField("资料类型", max_length=16, choices=AttachmentKind.choices)
    file = models.FileField("文件", upload_to=attachment_path, max_length=255)
    original_name = models.CharField("原文件名", max_length=200)
    size = models.PositiveIntegerField("大小（字节）")
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="上传人",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    uploaded_at = models.DateTimeField("上传时间", auto_now_add=True)

    objects = ScopedQuerySet.as_manager()
    scope_path = "activity__project__agreement__party_a"
    link_scopes = {
        "activity": LinkScope.IN_SCOPE,
        "uploaded_by": LinkScope.SERVICE,
    }

    class Meta:
        verbose_name = "活动资料"
        verbose_name_plural = "活动资料"
        ordering = ["activity", "kind", "id"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}：{self.original_name}"
