"""准入: work a department asks of a community outside the list ("权随责走、人随事走、费随事转")."""

from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from mptt.models import TreeForeignKey

from core.links import LinkScope
from core.models import TimeStampedModel
from core.scope import ScopedQuerySet
from core.validators import validate_code
from governance.assessment.choices import AdmissionStatus


class AdmissionRequest(TimeStampedModel):
    code = models.CharField("申请编号", max_length=64, unique=True, validators=[validate_code])
    community = TreeForeignKey(
        "organizations.Organization",
        verbose_name="承接社区",
        on_delete=models.PROTECT,
        related_name="admission_requests",
        limit_choices_to={"kind": "community_committee"},
    )
    department = models.CharField("提出部门", max_length=120)
    title = models.CharField("工作事项", max_length=200)
    description = models.TextField("工作内容", blank=True)
    legal_authority = models.CharField("法律法规或政策依据", max_length=500, blank=True)
    staff_count = models.PositiveSmallIntegerField("随事配备人员（人）", default=0)
    funds = models.DecimalField(
        "随事拨付经费（元）", max_digits=14, decimal_places=2, default=Decimal("0")
    )
    starts_on = models.DateField("开始日期")
    ends_on = models.DateField("结束日期", null=True, blank=True)
    refusable = models.BooleanField(
        "社区可拒绝",
        default=False,
        editable=False,
        help_text="未同步落实人员或经费的工作，社区有权拒绝。",
    )
    status = models.CharField(
        "状态",
        max_length=20,
        choices=AdmissionStatus.choices,
        default=AdmissionStatus.PENDING,
        db_index=True,
    )
    filed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="登记人",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        editable=False,
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="审批人",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        editable=False,
    )
    decided_at = models.DateTimeField("审批/拒绝时间", null=True, blank=True, editable=False)
    decision_reason = models.TextField("审批意见/拒绝理由", blank=True, editable=False)

    objects = ScopedQuerySet.as_manager()
    scope_path = "community"
    link_scopes = {
        "community": LinkScope.IN_SCOPE,
    }
    workflow_fields = ("status", "decided_at", "decision_reason")

    class Meta:
        verbose_name = "准入申请"
        verbose_name_plural = "准入申请"
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.department}：{self.title}"

    def clean(self) -> None:
        errors = {}
        if self.community_id and self.community.kind != "community_committee":
            errors["community"] = "准入申请的承接方必须是社区。"
        if self.starts_on and self.ends_on and self.ends_on < self.starts_on:
            errors["ends_on"] = "结束日期不能早于开始日期。"
        if self.funds is not None and self.funds < 0:
            errors["funds"] = "经费不能为负数。"
        if errors:
            raise ValidationError(errors)

    @property
    def missing_resources(self) -> list[str]:
        missing = []
        if not self.staff_count:
            missing.append("人员")
        if not self.funds:
            missing.append("经费")
        return missing
