"""The six needles (6根针) of a community and the 六有 checklist of its compound branches."""

from django.core.exceptions import ValidationError
from django.db import models
from mptt.models import TreeForeignKey

from core.links import LinkScope
from core.models import TimeStampedModel
from core.scope import ScopedQuerySet
from core.validators import validate_code, validate_phone
from organizations.choices import SIX_HAVES, BodyKind, OrgKind
from organizations.models.codes import CODE_HELP, ReadableCode

# Bodies that serve one residential compound (and so count in the compound coverage).
COMPOUND_BODY_KINDS = (BodyKind.PROPERTY_COMPANY, BodyKind.OWNERS_COMMITTEE)


class Body(ReadableCode, TimeStampedModel):
    """One of a community's six needles: work station, residents' committee, shareholding
    company, social organisation, property company or owners' committee."""

    code = models.CharField(
        "主体编码",
        max_length=64,
        unique=True,
        blank=True,
        default="",
        help_text=CODE_HELP,
        validators=[validate_code],
    )
    community = TreeForeignKey(
        "organizations.Organization",
        verbose_name="所在社区",
        on_delete=models.PROTECT,
        related_name="bodies",
    )
    kind = models.CharField("主体类型", max_length=24, choices=BodyKind.choices, db_index=True)
    name = models.CharField("名称", max_length=120)
    head_name = models.CharField("负责人", max_length=50, blank=True)
    phone = models.CharField("联系电话", max_length=32, blank=True, validators=[validate_phone])
    compound = TreeForeignKey(
        "organizations.Organization",
        verbose_name="服务小区（党支部）",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="compound_bodies",
        help_text="物业服务企业、业主委员会填写其服务的小区党支部。",
    )
    is_party_led = models.BooleanField(
        "党组织领导",
        default=False,
        help_text="业主委员会：是否在党组织领导下运行（党员占多数或书记兼任等）。",
    )
    property_branch = TreeForeignKey(
        "organizations.Organization",
        verbose_name="物业党支部",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="property_companies",
        help_text="物业服务企业：已建立的物业党支部（红色物业）。",
    )

    objects = ScopedQuerySet.as_manager()
    scope_path = "community"
    link_scopes = {
        "community": LinkScope.IN_SCOPE,
        "compound": LinkScope.IN_SCOPE,
        "property_branch": LinkScope.IN_SCOPE,
    }
    sensitive_fields = {"phone": "phone"}

    class Meta:
        verbose_name = "社区治理主体（6根针）"
        verbose_name_plural = "社区治理主体（6根针）"
        ordering = ["community__code", "kind", "name"]

    def __str__(self) -> str:
        return f"{self.name}（{self.get_kind_display()}）"

    @property
    def is_red_property(self) -> bool:
        return self.kind == BodyKind.PROPERTY_COMPANY and self.property_branch_id is not None

    def clean(self) -> None:
        errors: dict[str, list[str]] = {}
        community = self.community if self.community_id else None
        if community is not None and community.kind != OrgKind.COMMUNITY_COMMITTEE:
            errors["community"] = ["6根针只能挂在社区党组织下。"]

        def under_community(node) -> bool:
            return community is not None and (
                node.tree_id == community.tree_id and community.lft < node.lft < community.rght
            )

        if self.compound_id:
            if self.kind not in COMPOUND_BODY_KINDS:
                errors["compound"] = ["只有物业服务企业和业主委员会需要填写服务小区。"]
            elif self.compound.kind != OrgKind.COMPOUND_BRANCH or not under_community(
                self.compound
            ):
                errors["compound"] = ["服务小区应为本社区下的小区（楼院）党支部。"]
        if self.property_branch_id:
            if self.kind != BodyKind.PROPERTY_COMPANY:
                errors["property_branch"] = ["只有物业服务企业可以关联物业党支部。"]
            elif self.property_branch.kind != OrgKind.PROPERTY_BRANCH or not under_community(
                self.property_branch
            ):
                errors["property_branch"] = ["应为本社区下的物业党支部。"]
        if self.is_party_led and self.kind != BodyKind.OWNERS_COMMITTEE:
            errors["is_party_led"] = ["“党组织领导”只适用于业主委员会。"]
        if errors:
            raise ValidationError(errors)


class FinancialDisclosure(ReadableCode, TimeStampedModel):
    """信息公开 of a shareholding company: a period's accounts, public on the portal once marked."""

    code = models.CharField(
        "公开编号",
        max_length=64,
        unique=True,
        blank=True,
        default="",
        help_text=CODE_HELP,
        validators=[validate_code],
    )
    body = models.ForeignKey(
        Body,
        verbose_name="股份合作公司",
        on_delete=models.CASCADE,
        related_name="disclosures",
    )
    period = models.CharField("公开期间", max_length=40, help_text="如 2025年第3季度、2025年度。")
    period_start = models.DateField("期间开始")
    period_end = models.DateField("期间结束")
    title = models.CharField("标题", max_length=200)
    income = models.DecimalField("收入（元）", max_digits=14, decimal_places=2, default=0)
    expenditure = models.DecimalField("支出（元）", max_digits=14, decimal_places=2, default=0)
    dividend = models.DecimalField("分红（元）", max_digits=14, decimal_places=2, default=0)
    summary = models.TextField("说明", blank=True)
    file = models.FileField("公开文件", upload_to="disclosures/%Y/", blank=True)
    is_public = models.BooleanField("在门户公开", default=False)
    published_on = models.DateField("公开日期", null=True, blank=True)

    objects = ScopedQuerySet.as_manager()
    scope_path = "body__community"
    link_scopes = {
        "body": LinkScope.IN_SCOPE,
    }
    workflow_fields = ("is_public", "published_on")

    class Meta:
        verbose_name = "财务信息公开"
        verbose_name_plural = "财务信息公开"
        ordering = ["-period_end", "id"]

    def __str__(self) -> str:
        return self.title

    @property
    def balance(self):
        return self.income - self.expenditure

    def clean(self) -> None:
        errors: dict[str, list[str]] = {}
        if self.body_id and self.body.kind != BodyKind.SHAREHOLDING_COMPANY:
            errors["body"] = ["只有股份合作公司发布财务信息公开。"]
        if self.period_start and self.period_end and self.period_end < self.period_start:
            errors["period_end"] = ["期间结束不能早于期间开始。"]
        if self.is_public and not self.published_on:
            errors["published_on"] = ["在门户公开须填写公开日期。"]
        for name in ("income", "expenditure", "dividend"):
            if getattr(self, name) is not None and getattr(self, name) < 0:
                errors[name] = ["金额不能为负数。"]
        if errors:
            raise ValidationError(errors)


class SixHaves(TimeStampedModel):
    """The 六有 checklist of one compound branch."""

    branch = models.OneToOneField(
        "organizations.Organization",
        verbose_name="小区（楼院）党支部",
        on_delete=models.CASCADE,
        related_name="six_haves",
    )
    has_approval = models.BooleanField("有批复文件", default=False)
    approval_document = models.CharField("批复文号", max_length=100, blank=True)
    has_members = models.BooleanField("有党员", default=False)
    has_commissioner = models.BooleanField("有党建专员", default=False)
    has_rules = models.BooleanField("有制度", default=False)
    has_venue = models.BooleanField("有场所", default=False)
    has_activities = models.BooleanField("有常态活动", default=False)
    checked_on = models.DateField("核查日期", null=True, blank=True)
    note = models.CharField("备注", max_length=200, blank=True)

    objects = ScopedQuerySet.as_manager()
    scope_path = "branch"
    link_scopes = {
        "branch": LinkScope.IN_SCOPE,
    }

    class Meta:
        verbose_name = "六有核查"
        verbose_name_plural = "六有核查"
        ordering = ["branch__code"]

    def __str__(self) -> str:
        return f"{self.branch} 六有"

    @property
    def score(self) -> int:
        return sum(bool(getattr(self, name)) for name, _ in SIX_HAVES)

    @property
    def complete(self) -> bool:
        return self.score == len(SIX_HAVES)

    def clean(self) -> None:
        errors: dict[str, list[str]] = {}
        if self.branch_id and self.branch.kind != OrgKind.COMPOUND_BRANCH:
            errors["branch"] = ["六有核查只针对小区（楼院）党支部。"]
        if self.has_approval and not self.approval_document.strip():
            errors["approval_document"] = ["勾选“有批复文件”须填写批复文号。"]
        if errors:
            raise ValidationError(errors)
