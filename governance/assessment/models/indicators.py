"""考核指标体系: aspects → items, each with a weight and a maximum score."""

from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import models

from core.links import LinkScope
from core.models import TimeStampedModel
from core.validators import validate_code
from governance.assessment.choices import IndicatorSource, SetStatus
from organizations.choices import OrgKind


def validate_kinds(value) -> None:
    if not isinstance(value, list) or not value:
        raise ValidationError("请至少选择一种被考核组织类型。")
    unknown = [k for k in value if k not in OrgKind.values]
    if unknown:
        raise ValidationError(f"未知的组织类型：{'、'.join(map(str, unknown))}。")


class IndicatorSet(TimeStampedModel):
    """Not scoped: indicator sets are shared templates (the district writes them in Excel)."""

    code = models.CharField("指标体系编码", max_length=64, unique=True, validators=[validate_code])
    name = models.CharField("名称", max_length=120)
    weight_total = models.DecimalField(
        "权重合计",
        max_digits=8,
        decimal_places=2,
        default=Decimal("100"),
        help_text="各方面权重之和必须等于此数；每个方面下各条目权重之和必须等于该方面权重。",
    )
    assessed_kinds = models.JSONField(
        "被考核组织类型",
        default=list,
        validators=[validate_kinds],
        help_text='例如 ["community_committee", "compound_branch"]',
    )
    status = models.CharField(
        "状态", max_length=16, choices=SetStatus.choices, default=SetStatus.DRAFT
    )
    note = models.TextField("说明", blank=True)

    workflow_fields = ("status",)

    class Meta:
        verbose_name = "考核指标体系"
        verbose_name_plural = "考核指标体系"
        ordering = ["code"]

    def __str__(self) -> str:
        return self.name

    @property
    def assessed_kind_labels(self) -> str:
        return "、".join(OrgKind(k).label for k in self.assessed_kinds if k in OrgKind.values)


class Indicator(models.Model):
    """An aspect (方面, no parent) or an item (条目, under an aspect)."""

    indicator_set = models.ForeignKey(
        IndicatorSet, verbose_name="指标体系", on_delete=models.CASCADE, related_name="indicators"
    )
    parent = models.ForeignKey(
        "self",
        verbose_name="所属方面",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="items",
    )
    code = models.CharField("指标编码", max_length=64, validators=[validate_code])
    name = models.CharField("名称", max_length=300)
    seq = models.PositiveIntegerField("序号", default=0)
    weight = models.DecimalField("权重", max_digits=8, decimal_places=2)
    max_score = models.DecimalField(
        "满分",
        max_digits=8,
        decimal_places=2,
        null=True,
        blank=True,
        help_text="条目必填；方面不填。",
    )
    source = models.CharField(
        "评分方式",
        max_length=16,
        choices=IndicatorSource.choices,
        default=IndicatorSource.MANUAL,
    )
    figure = models.CharField(
        "自动取数指标",
        max_length=64,
        blank=True,
        help_text="评分方式为“系统自动取数”时必填，见自动指标目录。",
    )
    criteria = models.TextField("评分标准", blank=True)

    # Indicator sets are shared reference data, kept by the district/street for everyone.
    link_scopes = {"indicator_set": LinkScope.UNSCOPED, "parent": LinkScope.UNSCOPED}

    class Meta:
        verbose_name = "考核指标"
        verbose_name_plural = "考核指标"
        ordering = ["indicator_set_id", "seq", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["indicator_set", "code"], name="uniq_indicator_set_code"
            )
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"

    @property
    def is_aspect(self) -> bool:
        return self.parent_id is None

    def clean(self) -> None:
        from governance.assessment.figures import FIGURES

        errors: dict[str, str] = {}
        if self.weight is not None and self.weight <= 0:
            errors["weight"] = "权重必须大于 0。"
        # ``parent`` (not parent_id): a file import links items to aspects not saved yet.
        parent = self.parent
        if parent is not None:
            if parent.parent_id or parent.parent is not None:
                errors["parent"] = "指标只有两级：条目只能挂在方面之下。"
            if parent.indicator_set_id != self.indicator_set_id:
                errors["parent"] = "所属方面必须属于同一指标体系。"
            if self.max_score is None or self.max_score <= 0:
                errors["max_score"] = "条目必须填写大于 0 的满分。"
        elif self.max_score is not None:
            errors["max_score"] = "方面不设满分，满分在条目上设置。"
        if self.source == IndicatorSource.AUTOMATIC:
            if parent is None:
                errors["source"] = "只有条目可以自动取数。"
            elif self.figure not in FIGURES:
                errors["figure"] = f"未知的自动取数指标“{self.figure}”。"
        elif self.figure:
            errors["figure"] = "人工评分的条目不填自动取数指标。"
        if errors:
            raise ValidationError(errors)
