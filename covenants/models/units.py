from django.db import models
from django.db.models import Exists, OuterRef
from mptt.models import TreeForeignKey
from simple_history.models import HistoricalRecords

from core.links import LinkScope
from core.models import TimeStampedModel
from core.scope import ScopedQuerySet, scope_q
from core.validators import validate_code, validate_credit_code, validate_phone
from covenants.choices import UnitKind


class PartnerUnitQuerySet(ScopedQuerySet):
    def visible_to(self, user):
        """A unit is visible to the scope of its registering node and to the scope of every
        organisation it co-builds with (``UnitPartnership``, added on signing an agreement).

        A community cadre therefore sees the units working with their community, never the
        agreements, activities or logs another community keeps with the same unit (those are
        scoped by their own 甲方 / community).
        """
        own = scope_q(user, "organization")
        if own is None:
            return self
        partner = scope_q(user, "organization")
        shared = UnitPartnership.objects.filter(partner, unit=OuterRef("pk"))
        return self.filter(own | Exists(shared))


class PartnerUnit(TimeStampedModel):
    """驻区单位 / 共驻共建单位, registered with (and owned by) a street or community node."""

    code = models.CharField("单位编码", max_length=64, unique=True, validators=[validate_code])
    name = models.CharField("单位名称", max_length=120)
    credit_code = models.CharField(
        "统一社会信用代码",
        max_length=18,
        unique=True,
        null=True,
        blank=True,
        validators=[validate_credit_code],
    )
    kind = models.CharField("单位类型", max_length=32, choices=UnitKind.choices)
    organization = TreeForeignKey(
        "organizations.Organization",
        verbose_name="登记组织（街道或社区）",
        on_delete=models.PROTECT,
        related_name="registered_units",
    )
    address = models.CharField("地址", max_length=200, blank=True)
    party_org_name = models.CharField("单位党组织名称", max_length=120, blank=True)
    party_secretary = models.CharField("党组织书记", max_length=40, blank=True)
    liaison_name = models.CharField("联络员", max_length=40, blank=True)
    liaison_title = models.CharField("联络员职务", max_length=60, blank=True)
    liaison_phone = models.CharField(
        "联络员电话", max_length=32, blank=True, validators=[validate_phone]
    )
    partners = models.ManyToManyField(
        "organizations.Organization",
        through="UnitPartnership",
        related_name="partner_units",
        verbose_name="共建社区/街道",
        blank=True,
    )
    note = models.TextField("备注", blank=True)

    history = HistoricalRecords(m2m_fields=[])
    objects = PartnerUnitQuerySet.as_manager()
    scope_path = "organization"
    link_scopes = {
        "organization": LinkScope.IN_SCOPE,
        "partners": LinkScope.IN_SCOPE,
    }
    sensitive_fields = {"liaison_phone": "phone"}

    class Meta:
        verbose_name = "共驻共建单位"
        verbose_name_plural = "共驻共建单位"
        ordering = ["code"]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        if self.credit_code:
            self.credit_code = self.credit_code.strip().upper()
        else:
            self.credit_code = None


class UnitPartnership(models.Model):
    """The unit co-builds with this street or community (共建关系)."""

    unit = models.ForeignKey(
        PartnerUnit, verbose_name="单位", on_delete=models.CASCADE, related_name="partnerships"
    )
    organization = TreeForeignKey(
        "organizations.Organization",
        verbose_name="共建组织",
        on_delete=models.PROTECT,
        related_name="unit_partnerships",
    )
    since = models.DateField("共建起始日期", null=True, blank=True)
    created_at = models.DateTimeField("创建时间", auto_now_add=True)

    objects = ScopedQuerySet.as_manager()
    scope_path = "organization"
    link_scopes = {
        "unit": LinkScope.IN_SCOPE_OR_ABOVE,
        "organization": LinkScope.IN_SCOPE,
    }

    class Meta:
        verbose_name = "共建关系"
        verbose_name_plural = "共建关系"
        constraints = [
            models.UniqueConstraint(fields=["unit", "organization"], name="uniq_unit_partner")
        ]

    def __str__(self) -> str:
        return f"{self.unit} ↔ {self.organization}"
