"""考核: an indicator set applied in a period by an organiser (上考下评), its scores and results."""

from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from mptt.models import TreeForeignKey

from core.links import LinkScope
from core.models import TimeStampedModel
from core.scope import ScopedQuerySet
from core.validators import validate_code
from governance.assessment.choices import (
    IndicatorSource,
    PeriodKind,
    RunStatus,
    RunTrigger,
    VoterKind,
)

ORG = "organizations.Organization"


class Assessment(TimeStampedModel):
    code = models.CharField("考核编码", max_length=64, unique=True, validators=[validate_code])
    name = models.CharField("考核名称", max_length=120)
    organizer = TreeForeignKey(
        ORG, verbose_name="组织考核的党组织", on_delete=models.PROTECT, related_name="assessments"
    )
    indicator_set = models.ForeignKey(
        "assessment.IndicatorSet",
        verbose_name="指标体系",
        on_delete=models.PROTECT,
        related_name="assessments",
    )
    period_kind = models.CharField("考核周期", max_length=16, choices=PeriodKind.choices)
    starts_on = models.DateField("周期开始")
    ends_on = models.DateField("周期结束")
    top_down_weight = models.DecimalField(
        "上考权重",
        max_digits=4,
        decimal_places=2,
        default=Decimal("0.70"),
        validators=[MinValueValidator(0), MaxValueValidator(1)],
    )
    bottom_up_weight = models.DecimalField(
        "下评权重",
        max_digits=4,
        decimal_places=2,
        default=Decimal("0.30"),
        validators=[MinValueValidator(0), MaxValueValidator(1)],
    )
    last_rolled_up_at = models.DateTimeField("最近汇总时间", null=True, blank=True, editable=False)

    objects = ScopedQuerySet.as_manager()
    scope_path = "organizer"
    link_scopes = {
        "organizer": LinkScope.IN_SCOPE,
        "indicator_set": LinkScope.UNSCOPED,
    }

    class Meta:
        verbose_name = "考核"
        verbose_name_plural = "考核"
        ordering = ["-starts_on", "code"]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        errors = {}
        if self.starts_on and self.ends_on and self.ends_on < self.starts_on:
            errors["ends_on"] = "周期结束不能早于周期开始。"
        if (
            self.top_down_weight is not None
            and self.bottom_up_weight is not None
            and self.top_down_weight + self.bottom_up_weight != 1
        ):
            errors["bottom_up_weight"] = "上考权重与下评权重之和必须等于 1。"
        if errors:
            raise ValidationError(errors)


class Score(models.Model):
    """上考: one item's score for one organisation, entered by the level above (or automatic)."""

    assessment = models.ForeignKey(
        Assessment, verbose_name="考核", on_delete=models.CASCADE, related_name="scores"
    )
    organization = TreeForeignKey(
        ORG, verbose_name="被考核组织", on_delete=models.PROTECT, related_name="assessment_scores"
    )
    indicator = models.ForeignKey(
        "assessment.Indicator",
        verbose_name="考核条目",
        on_delete=models.PROTECT,
        related_name="scores",
    )
    value = models.DecimalField("得分", max_digits=8, decimal_places=2)
    source = models.CharField(
        "来源", max_length=16, choices=IndicatorSource.choices, default=IndicatorSource.MANUAL
    )
    evidence = models.TextField("评分依据/佐证", blank=True)
    evidence_file = models.FileField("佐证材料", upload_to="assessment/evidence/%Y/%m/", blank=True)
    scored_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="评分人",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    scored_at = models.DateTimeField("评分时间", auto_now=True)

    objects = ScopedQuerySet.as_manager()
    scope_path = "organization"
    link_scopes = {
        "assessment": LinkScope.IN_SCOPE_OR_ABOVE,
        "organization": LinkScope.IN_SCOPE,
        "indicator": LinkScope.UNSCOPED,
        "scored_by": LinkScope.SERVICE,
    }

    class Meta:
        verbose_name = "上考评分"
        verbose_name_plural = "上考评分"
        ordering = ["assessment_id", "organization_id", "indicator_id"]
        constraints = [
            models.UniqueConstraint(
                fields=["assessment", "organization", "indicator"], name="uniq_score_cell"
            )
        ]

    def __str__(self) -> str:
        return f"{self.organization} · {self.indicator.code}：{self.value}"

    def clean(self) -> None:
        if self.indicator_id is None or self.value is None:
            return
        indicator = self.indicator
        if indicator.is_aspect:
            raise ValidationError({"indicator": "只能对条目评分，不能对方面评分。"})
        if self.value < 0:
            raise ValidationError({"value": "得分不能为负数。"})
        if self.value > indicator.max_score:
            raise ValidationError(
                {"value": f"得分 {self.value} 超过该条目满分 {indicator.max_score}。"}
            )


class SatisfactionTally(models.Model):
    """下评: the counted ballots of one satisfaction vote (党员 or 居民群众) on one organisation."""

    assessment = models.ForeignKey(
        Assessment, verbose_name="考核", on_delete=models.CASCADE, related_name="tallies"
    )
    organization = TreeForeignKey(
        ORG,
        verbose_name="被评议组织",
        on_delete=models.PROTECT,
        related_name="satisfaction_tallies",
    )
    voter_kind = models.CharField("评议人", max_length=16, choices=VoterKind.choices)
    satisfied = models.PositiveIntegerField("满意（票）", default=0)
    basically_satisfied = models.PositiveIntegerField("基本满意（票）", default=0)
    dissatisfied = models.PositiveIntegerField("不满意（票）", default=0)
    held_on = models.DateField("测评日期", null=True, blank=True)
    note = models.CharField("备注", max_length=200, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="录入人",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        editable=False,
    )

    objects = ScopedQuerySet.as_manager()
    scope_path = "organization"
    link_scopes = {
        "assessment": LinkScope.IN_SCOPE_OR_ABOVE,
        "organization": LinkScope.IN_SCOPE,
    }

    class Meta:
        verbose_name = "下评满意度测评"
        verbose_name_plural = "下评满意度测评"
        ordering = ["assessment_id", "organization_id", "voter_kind"]
        constraints = [
            models.UniqueConstraint(
                fields=["assessment", "organization", "voter_kind"], name="uniq_tally_cell"
            )
        ]

    def __str__(self) -> str:
        return f"{self.organization} · {self.get_voter_kind_display()}测评"

    @property
    def ballots(self) -> int:
        return self.satisfied + self.basically_satisfied + self.dissatisfied

    def clean(self) -> None:
        if not self.ballots:
            raise ValidationError("至少要有一张有效票。")


class RollupRun(models.Model):
    """One computation of an assessment's results; the admin polls its progress."""

    assessment = models.ForeignKey(
        Assessment, verbose_name="考核", on_delete=models.CASCADE, related_name="runs"
    )
    trigger = models.CharField(
        "触发方式", max_length=16, choices=RunTrigger.choices, default=RunTrigger.MANUAL
    )
    status = models.CharField(
        "状态", max_length=16, choices=RunStatus.choices, default=RunStatus.QUEUED
    )
    progress = models.PositiveSmallIntegerField("进度（%）", default=0)
    message = models.CharField("当前步骤", max_length=200, blank=True)
    result_count = models.PositiveIntegerField("结果条数", default=0)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="发起人",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField("发起时间", auto_now_add=True)
    started_at = models.DateTimeField("开始时间", null=True, blank=True)
    finished_at = models.DateTimeField("完成时间", null=True, blank=True)

    objects = ScopedQuerySet.as_manager()
    scope_path = "assessment__organizer"
    link_scopes = {
        "assessment": LinkScope.IN_SCOPE,
        "requested_by": LinkScope.SERVICE,
    }
    workflow_fields = ("status", "progress", "message", "result_count", "started_at", "finished_at")

    class Meta:
        verbose_name = "汇总计算"
        verbose_name_plural = "汇总计算"
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.assessment} 汇总 #{self.pk}"


class Result(models.Model):
    """Stored outcome per organisation: read by rankings and reports, never recomputed there."""

    assessment = models.ForeignKey(
        Assessment, verbose_name="考核", on_delete=models.CASCADE, related_name="results"
    )
    organization = TreeForeignKey(
        ORG, verbose_name="组织", on_delete=models.CASCADE, related_name="assessment_results"
    )
    kind = models.CharField("组织类型", max_length=32)
    top_down = models.DecimalField("上考得分", max_digits=10, decimal_places=4, null=True)
    bottom_up = models.DecimalField(
        "下评满意度（百分制）", max_digits=10, decimal_places=4, null=True
    )
    own_score = models.DecimalField("本级综合得分", max_digits=10, decimal_places=4, null=True)
    subtree_count = models.PositiveIntegerField("含下级被考核组织数")
    subtree_average = models.DecimalField("含下级平均分", max_digits=10, decimal_places=4)
    rank_score = models.DecimalField("排名得分", max_digits=10, decimal_places=4)
    rank = models.PositiveIntegerField("同类排名")
    rank_of = models.PositiveIntegerField("同类参评数")
    run = models.ForeignKey(
        RollupRun, verbose_name="汇总计算", null=True, on_delete=models.SET_NULL, related_name="+"
    )

    objects = ScopedQuerySet.as_manager()
    scope_path = "organization"
    link_scopes = {
        "assessment": LinkScope.SERVICE,
        "organization": LinkScope.SERVICE,
        "run": LinkScope.SERVICE,
    }

    class Meta:
        verbose_name = "考核结果"
        verbose_name_plural = "考核结果"
        ordering = ["assessment_id", "kind", "rank"]
        constraints = [
            models.UniqueConstraint(fields=["assessment", "organization"], name="uniq_result")
        ]

    def __str__(self) -> str:
        return f"{self.organization}：{self.rank_score}"
