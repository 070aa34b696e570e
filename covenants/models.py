from django.db import models
from mptt.models import TreeForeignKey
from simple_history.models import HistoricalRecords

from core.models import TimeStampedModel
from core.scope import ScopedQuerySet
from core.validators import validate_code, validate_credit_code
from covenants.choices import UnitKind


class PartnerUnit(TimeStampedModel):
    """驻区单位 / 共驻共建单位, registered with (and scoped by) a street or community node."""

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

    history = HistoricalRecords()
    objects = ScopedQuerySet.as_manager()
    scope_path = "organization"

    class Meta:
        verbose_name = "共驻共建单位"
        verbose_name_plural = "共驻共建单位"
        ordering = ["code"]

    def __str__(self) -> str:
        return self.name
