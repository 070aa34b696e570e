from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from mptt.models import TreeForeignKey
from simple_history.models import HistoricalRecords

from core.links import LinkScope
from core.models import TimeStampedModel
from core.scope import ScopedQuerySet
from core.validators import validate_code
from covenants.choices import AgreementStatus
from organizations.choices import OrgKind

PARTY_A_KINDS = (OrgKind.STREET_COMMITTEE, OrgKind.COMMUNITY_COMMITTEE)


def party_a_error(organization) -> str | None:
    if organization is not None and organization.kind not in PARTY_A_KINDS:
        return (
            f"甲方应为街道党工委或社区大党委，“{organization}”是{organization.get_kind_display()}。"
        )
    return None


class AgreementTemplate(TimeStampedModel):
    """A street's clause template for its agreements (seed 004's ten clauses by default)."""

    organization = TreeForeignKey(
        "organizations.Organization",
        verbose_name="所属街道",
        on_delete=models.CASCADE,
        related_name="agreement_templates",
    )
    title = models.CharField("协议标题", max_length=120, default="共驻共建协议书")
    preamble = models.TextField("协议前言")
    party_a_seal_label = models.CharField("甲方盖章栏", max_length=60, default="街道党工委（盖章）")
    party_b_seal_label = models.CharField("乙方盖章栏", max_length=60, default="辖区单位（盖章）")

    objects = ScopedQuerySet.as_manager()
    scope_path = "organization"
    link_scopes = {
        "organization": LinkScope.IN_SCOPE,
    }

    class Meta:
        verbose_name = "协议条款模板"
        verbose_name_plural = "协议条款模板"
        constraints = [
            models.UniqueConstraint(fields=["organization"], name="uniq_template_per_street")
        ]

    def __str__(self) -> str:
        return f"{self.organization}：{self.title}"

    def clean(self) -> None:
        if self.organization_id and self.organization.kind != OrgKind.STREET_COMMITTEE:
            raise ValidationError({"organization": "条款模板按街道维护，请选择街道党工委。"})


class TemplateClause(models.Model):
    template = models.ForeignKey(
        AgreementTemplate, verbose_name="模板", on_delete=models.CASCADE, related_name="clauses"
    )
    number = models.PositiveSmallIntegerField("序号")
    text = models.TextField("条款内容")

    objects = ScopedQuerySet.as_manager()
    scope_path = "template__organization"
    link_scopes = {
        "template": LinkScope.IN_SCOPE,
    }

    class Meta:
        verbose_name = "模板条款"
        verbose_name_plural = "模板条款"
        ordering = ["template", "number"]
        constraints = [
            models.UniqueConstraint(fields=["template", "number"], name="uniq_template_clause")
        ]

    def __str__(self) -> str:
        return f"第{self.number}条"


class Agreement(TimeStampedModel):
    """共建协议: 甲方 a street or community committee, 乙方 a partner unit."""

    code = models.CharField("协议编号", max_length=64, unique=True, validators=[validate_code])
    title = models.CharField("协议标题", max_length=120, default="共驻共建协议书")
    party_a = TreeForeignKey(
        "organizations.Organization",
        verbose_name="甲方（街道/社区党组织）",
        on_delete=models.PROTECT,
        related_name="unit_agreements",
    )
    unit = models.ForeignKey(
        "covenants.PartnerUnit",
        verbose_name="乙方（共建单位）",
        on_delete=models.PROTECT,
        related_name="agreements",
    )
    starts_on = models.DateField("协议期限起")
    ends_on = models.DateField("协议期限止")
    status = models.CharField(
        "状态",
        max_length=16,
        choices=AgreementStatus.choices,
        default=AgreementStatus.DRAFT,
        db_index=True,
    )
    preamble = models.TextField("协议前言", blank=True)
    party_a_signatory = models.CharField("甲方负责人（签字）", max_length=40, blank=True)
    party_b_signatory = models.CharField("乙方负责人（签字）", max_length=40, blank=True)
    party_a_seal_label = models.CharField("甲方盖章栏", max_length=60, default="街道党工委（盖章）")
    party_b_seal_label = models.CharField("乙方盖章栏", max_length=60, default="辖区单位（盖章）")
    signed_on = models.DateField("签订日期", null=True, blank=True)
    terminated_on = models.DateField("终止日期", null=True, blank=True)
    termination_reason = models.TextField("终止原因", blank=True)
    signed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="登记签订人",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    history = HistoricalRecords()
    objects = ScopedQuerySet.as_manager()
    scope_path = "party_a"
    link_scopes = {
        "party_a": LinkScope.IN_SCOPE,
        "unit": LinkScope.IN_SCOPE_OR_ABOVE,
        "signed_by": LinkScope.SERVICE,
    }
    workflow_fields = ("status", "signed_on", "terminated_on", "termination_reason")

    class Meta:
        verbose_name = "共建协议"
        verbose_name_plural = "共建协议"
        ordering = ["-starts_on", "code"]
        indexes = [models.Index(fields=["status", "ends_on"])]

    def __str__(self) -> str:
        return f"{self.code} {self.title}"

    def clean(self) -> None:
        errors: dict[str, list[str]] = {}
        if self.starts_on and self.ends_on and self.ends_on < self.starts_on:
            errors.setdefault("ends_on", []).append(
                f"协议期限止（{self.ends_on}）不能早于期限起（{self.starts_on}）。"
            )
        message = party_a_error(self.party_a if self.party_a_id else None)
        if message:
            errors.setdefault("party_a", []).append(message)
        if self.status == AgreementStatus.TERMINATED and not self.termination_reason.strip():
            errors.setdefault("termination_reason", []).append("终止协议必须填写终止原因。")
        if self.status != AgreementStatus.DRAFT and not self.signed_on:
            errors.setdefault("signed_on", []).append("已签订的协议必须有签订日期。")
        if errors:
            raise ValidationError(errors)

    def covers(self, day) -> bool:
        """Whether ``day`` lies in the term (up to the termination date if terminated)."""
        last = self.ends_on
        if self.status == AgreementStatus.TERMINATED and self.terminated_on:
            last = min(last, self.terminated_on)
        return self.starts_on <= day <= last


class AgreementClause(models.Model):
    agreement = models.ForeignKey(
        Agreement, verbose_name="协议", on_delete=models.CASCADE, related_name="clauses"
    )
    number = models.PositiveSmallIntegerField("序号")
    text = models.TextField("条款内容")

    objects = ScopedQuerySet.as_manager()
    scope_path = "agreement__party_a"
    link_scopes = {
        "agreement": LinkScope.IN_SCOPE,
    }

    class Meta:
        verbose_name = "协议条款"
        verbose_name_plural = "协议条款"
        ordering = ["agreement", "number"]
        constraints = [
            models.UniqueConstraint(fields=["agreement", "number"], name="uniq_agreement_clause")
        ]

    def __str__(self) -> str:
        return f"第{self.number}条"
