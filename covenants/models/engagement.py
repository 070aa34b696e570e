"""Liaison log (工作手册), 三项清单 (needs, resources, projects) and the yearly unit assessment."""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from mptt.models import TreeForeignKey

from core.links import LinkScope
from core.models import TimeStampedModel
from core.scope import ScopedQuerySet
from core.validators import validate_code
from covenants.choices import (
    CoBuildCategory,
    ContactMode,
    Grade,
    MatchStatus,
    NeedSource,
    NeedStatus,
    ResourceKind,
)


class LiaisonLog(TimeStampedModel):
    """One contact of a unit's liaison officer with a community (每月联系会商，填写工作手册)."""

    unit = models.ForeignKey(
        "covenants.PartnerUnit",
        verbose_name="单位",
        on_delete=models.PROTECT,
        related_name="liaison_logs",
    )
    organization = TreeForeignKey(
        "organizations.Organization",
        verbose_name="联系的社区/街道",
        on_delete=models.PROTECT,
        related_name="unit_liaison_logs",
    )
    date = models.DateField("联系日期", db_index=True)
    mode = models.CharField("联系方式", max_length=16, choices=ContactMode.choices)
    liaison_name = models.CharField("联络员", max_length=40, blank=True)
    content = models.TextField("会商内容")
    follow_ups = models.TextField("后续事项", blank=True)

    objects = ScopedQuerySet.as_manager()
    scope_path = "organization"
    link_scopes = {
        "unit": LinkScope.IN_SCOPE,
        "organization": LinkScope.IN_SCOPE,
    }

    class Meta:
        verbose_name = "联络工作手册"
        verbose_name_plural = "联络工作手册"
        ordering = ["-date", "-id"]
        indexes = [models.Index(fields=["unit", "date"])]

    def __str__(self) -> str:
        return f"{self.date} {self.unit}"


class Need(TimeStampedModel):
    """需求清单: what residents need, from cases, wishes, surveys or meetings."""

    code = models.CharField("需求编码", max_length=64, unique=True, validators=[validate_code])
    organization = TreeForeignKey(
        "organizations.Organization",
        verbose_name="所属社区",
        on_delete=models.PROTECT,
        related_name="resident_needs",
    )
    title = models.CharField("需求", max_length=120)
    category = models.CharField("共建类别", max_length=32, choices=CoBuildCategory.choices)
    source = models.CharField("来源", max_length=16, choices=NeedSource.choices)
    source_ref = models.CharField(
        "来源编号", max_length=64, blank=True, help_text="诉求、心愿或会议的编号"
    )
    description = models.TextField("说明", blank=True)
    beneficiaries = models.PositiveIntegerField("受益人数", default=0)
    reported_on = models.DateField("登记日期")
    status = models.CharField(
        "状态", max_length=16, choices=NeedStatus.choices, default=NeedStatus.OPEN
    )

    objects = ScopedQuerySet.as_manager()
    scope_path = "organization"
    link_scopes = {
        "organization": LinkScope.IN_SCOPE,
    }
    workflow_fields = ("status",)

    class Meta:
        verbose_name = "需求清单"
        verbose_name_plural = "需求清单"
        ordering = ["-reported_on", "code"]

    def __str__(self) -> str:
        return self.title


class Resource(TimeStampedModel):
    """资源清单: what a unit offers (venues, skills, funds, equipment) to a street or community."""

    code = models.CharField("资源编码", max_length=64, unique=True, validators=[validate_code])
    unit = models.ForeignKey(
        "covenants.PartnerUnit",
        verbose_name="提供单位",
        on_delete=models.PROTECT,
        related_name="resources",
    )
    organization = TreeForeignKey(
        "organizations.Organization",
        verbose_name="面向社区/街道",
        on_delete=models.PROTECT,
        related_name="unit_resources",
    )
    kind = models.CharField("资源类型", max_length=16, choices=ResourceKind.choices)
    title = models.CharField("资源", max_length=120)
    description = models.TextField("说明", blank=True)
    capacity = models.CharField("规模/数量", max_length=60, blank=True)
    available = models.BooleanField("可用", default=True)

    objects = ScopedQuerySet.as_manager()
    scope_path = "organization"
    link_scopes = {
        "unit": LinkScope.IN_SCOPE,
        "organization": LinkScope.IN_SCOPE,
    }

    class Meta:
        verbose_name = "资源清单"
        verbose_name_plural = "资源清单"
        ordering = ["code"]

    def __str__(self) -> str:
        return f"{self.title}（{self.unit}）"


class Project(TimeStampedModel):
    """项目清单: one need met with one resource."""

    code = models.CharField("项目编码", max_length=64, unique=True, validators=[validate_code])
    organization = TreeForeignKey(
        "organizations.Organization",
        verbose_name="所属社区",
        on_delete=models.PROTECT,
        related_name="matched_projects",
    )
    need = models.ForeignKey(
        Need, verbose_name="需求", on_delete=models.PROTECT, related_name="projects"
    )
    resource = models.ForeignKey(
        Resource, verbose_name="资源", on_delete=models.PROTECT, related_name="projects"
    )
    service_project = models.ForeignKey(
        "covenants.ServiceProject",
        verbose_name="对应认领项目",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="matches",
    )
    title = models.CharField("项目名称", max_length=120)
    status = models.CharField(
        "状态", max_length=16, choices=MatchStatus.choices, default=MatchStatus.PLANNED
    )
    started_on = models.DateField("开始日期", null=True, blank=True)
    finished_on = models.DateField("完成日期", null=True, blank=True)

    objects = ScopedQuerySet.as_manager()
    scope_path = "organization"
    link_scopes = {
        "organization": LinkScope.IN_SCOPE,
        "need": LinkScope.IN_SCOPE,
        "resource": LinkScope.IN_SCOPE,
        "service_project": LinkScope.IN_SCOPE,
    }
    workflow_fields = ("status",)

    class Meta:
        verbose_name = "项目清单"
        verbose_name_plural = "项目清单"
        ordering = ["code"]

    def __str__(self) -> str:
        return self.title

    def clean(self) -> None:
        errors: dict[str, str] = {}
        if self.started_on and self.finished_on and self.finished_on < self.started_on:
            errors["finished_on"] = "完成日期不能早于开始日期。"
        if (
            self.need_id
            and self.organization_id
            and self.need.organization_id != self.organization_id
        ):
            errors["need"] = f"需求“{self.need}”不属于{self.organization}。"
        if self.resource_id and self.resource.organization_id and self.organization_id:
            offered_to = self.resource.organization
            if not offered_to.is_ancestor_of(self.organization, include_self=True):
                errors["resource"] = (
                    f"资源“{self.resource.title}”面向{offered_to}，不面向{self.organization}。"
                )
        if errors:
            raise ValidationError(errors)


class UnitAssessment(TimeStampedModel):
    """The yearly grade a community gives a unit (单位责任考核), handed to the district."""

    unit = models.ForeignKey(
        "covenants.PartnerUnit",
        verbose_name="单位",
        on_delete=models.PROTECT,
        related_name="assessments",
    )
    organization = TreeForeignKey(
        "organizations.Organization",
        verbose_name="评定社区/街道",
        on_delete=models.PROTECT,
        related_name="unit_assessments",
    )
    year = models.PositiveSmallIntegerField(
        "年度", validators=[MinValueValidator(2000), MaxValueValidator(2100)]
    )
    activity_count = models.PositiveIntegerField("活动次数", default=0)
    handout_count = models.PositiveIntegerField("其中走访慰问", default=0)
    contact_months = models.PositiveSmallIntegerField("有联系的月数", default=0)
    meetings_held = models.PositiveSmallIntegerField(
        "共建联席会召开次数", null=True, blank=True, help_text="无会议数据时留空，不计入得分"
    )
    meetings_attended = models.PositiveSmallIntegerField("出席次数", null=True, blank=True)
    score = models.DecimalField(
        "得分",
        max_digits=5,
        decimal_places=1,
        validators=[MinValueValidator(0), MaxValueValidator(100)],
    )
    grade = models.CharField("等次", max_length=16, choices=Grade.choices)
    comment = models.TextField("评语", blank=True)
    assessed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="评定人",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    objects = ScopedQuerySet.as_manager()
    scope_path = "organization"
    link_scopes = {
        "unit": LinkScope.IN_SCOPE,
        "organization": LinkScope.IN_SCOPE,
        "assessed_by": LinkScope.SERVICE,
    }

    class Meta:
        verbose_name = "单位考核"
        verbose_name_plural = "单位考核"
        ordering = ["-year", "organization", "unit"]
        constraints = [
            models.UniqueConstraint(
                fields=["unit", "organization", "year"], name="uniq_unit_assessment_year"
            )
        ]

    def __str__(self) -> str:
        return f"{self.year} {self.unit} {self.get_grade_display()}"

    def clean(self) -> None:
        if (
            self.meetings_held is not None
            and self.meetings_attended is not None
            and self.meetings_attended > self.meetings_held
        ):
            raise ValidationError({"meetings_attended": "出席次数不能多于召开次数。"})
