from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone
from mptt.models import TreeForeignKey

from core.links import LinkScope
from core.models import TimeStampedModel
from core.scope import ScopedQuerySet
from core.validators import validate_code
from grids.choices import CENTRAL_HOUSEHOLD_KINDS, VisitorKind


class CentralHouseholdLink(TimeStampedModel):
    """党员中心户 / 先锋岗 → a household it looks after (联系户): usually 1–5, at most 10."""

    organization = TreeForeignKey(
        "organizations.Organization",
        verbose_name="党员中心户/先锋岗",
        on_delete=models.PROTECT,
        related_name="linked_households",
        limit_choices_to={"kind__in": CENTRAL_HOUSEHOLD_KINDS},
    )
    household = models.ForeignKey(
        "grids.Household",
        verbose_name="联系户",
        on_delete=models.PROTECT,
        related_name="central_links",
    )
    since = models.DateField("联系起始日期", default=timezone.localdate)
    note = models.CharField("备注", max_length=200, blank=True)

    objects = ScopedQuerySet.as_manager()
    scope_path = "organization"
    link_scopes = {
        "organization": LinkScope.IN_SCOPE,
        "household": LinkScope.IN_SCOPE,
    }

    class Meta:
        verbose_name = "中心户联系户"
        verbose_name_plural = "中心户联系户"
        ordering = ["organization__code", "household__code"]
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "household"],
                name="uniq_central_household_link",
                violation_error_message="该户已是这个中心户的联系户。",
            )
        ]

    def __str__(self) -> str:
        return f"{self.organization} → {self.household}"

    def clean(self) -> None:
        errors: dict[str, list[str]] = {}
        org = self.organization if self.organization_id else None
        if org is not None and org.kind not in CENTRAL_HOUSEHOLD_KINDS:
            errors.setdefault("organization", []).append("只能选择党员中心户或党员先锋岗。")
        if org is not None and self.household_id:
            community = self.household.grid.community
            if not (
                community.tree_id == org.tree_id and community.lft <= org.lft <= community.rght
            ):
                errors.setdefault("household", []).append(
                    f"联系户属于{community}，不在该中心户所在社区。"
                )
        if errors:
            raise ValidationError(errors)


class VisitLog(TimeStampedModel):
    """民情日记 / 入户走访 by a grid worker, a member or a cadre; may turn into a case."""

    code = models.CharField("编号", max_length=64, unique=True, validators=[validate_code])
    household = models.ForeignKey(
        "grids.Household", verbose_name="走访户", on_delete=models.PROTECT, related_name="visits"
    )
    visitor_kind = models.CharField("走访人身份", max_length=16, choices=VisitorKind.choices)
    visitor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="走访人账号",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    visitor_name = models.CharField("走访人", max_length=64)
    member = models.ForeignKey(
        "organizations.Member",
        verbose_name="走访党员",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="visit_logs",
        help_text="党员入户走访时选择该党员（须在您的管辖范围内）；走访人默认为其姓名。",
    )
    central_household = TreeForeignKey(
        "organizations.Organization",
        verbose_name="所属中心户",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="visit_logs",
        limit_choices_to={"kind__in": CENTRAL_HOUSEHOLD_KINDS},
    )
    visited_on = models.DateField("走访日期", default=timezone.localdate)
    content = models.TextField("走访情况")
    needs = models.TextField("群众诉求", blank=True)
    case = models.OneToOneField(
        "grids.Case",
        verbose_name="转为诉求",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="visit",
    )

    objects = ScopedQuerySet.as_manager()
    scope_path = "household__grid__community"
    link_scopes = {
        "household": LinkScope.IN_SCOPE,
        "visitor": LinkScope.SERVICE,
        "member": LinkScope.IN_SCOPE,
        "central_household": LinkScope.IN_SCOPE,
        "case": LinkScope.IN_SCOPE,
    }

    class Meta:
        verbose_name = "民情日记"
        verbose_name_plural = "民情日记"
        ordering = ["-visited_on", "-id"]

    def __str__(self) -> str:
        return f"{self.visited_on} {self.visitor_name} 走访 {self.household}"

    def clean(self) -> None:
        if self.visited_on and self.visited_on > timezone.localdate():
            raise ValidationError({"visited_on": "走访日期不能晚于今天。"})
