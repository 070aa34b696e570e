from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from mptt.models import TreeForeignKey

from core.models import TimeStampedModel
from core.scope import ScopedQuerySet
from core.validators import validate_code
from covenants.choices import CovenantKind
from organizations.choices import OrgKind

COVENANT_OWNER_KINDS = (OrgKind.COMMUNITY_COMMITTEE, OrgKind.COMPOUND_BRANCH)


class Covenant(TimeStampedModel):
    """居民公约 / 小区自治章程 of one community or compound; its texts are versions."""

    code = models.CharField("编码", max_length=64, unique=True, validators=[validate_code])
    organization = TreeForeignKey(
        "organizations.Organization",
        verbose_name="所属社区/小区",
        on_delete=models.PROTECT,
        related_name="covenants",
    )
    kind = models.CharField("类型", max_length=32, choices=CovenantKind.choices)
    title = models.CharField("名称", max_length=120)

    objects = ScopedQuerySet.as_manager()
    scope_path = "organization"

    class Meta:
        verbose_name = "居民公约"
        verbose_name_plural = "居民公约"
        ordering = ["code"]

    def __str__(self) -> str:
        return self.title

    def clean(self) -> None:
        if self.organization_id and self.organization.kind not in COVENANT_OWNER_KINDS:
            raise ValidationError(
                {"organization": "公约属于社区（社区大党委）或小区（小区党支部）。"}
            )


class CovenantVersion(models.Model):
    """One adopted text. The latest adopted version is the current, public one."""

    covenant = models.ForeignKey(
        Covenant, verbose_name="公约", on_delete=models.CASCADE, related_name="versions"
    )
    number = models.PositiveSmallIntegerField("版本号")
    text = models.TextField("正文")
    adopted_on = models.DateField("通过日期")
    adopted_by = models.CharField("通过会议", max_length=120, default="居民议事会")
    # Governance meetings are another app; a nullable FK to them can be added when it exists.
    meeting_reference = models.CharField("会议记录编号", max_length=64, blank=True)
    is_current = models.BooleanField("现行版本（门户公开）", default=False)
    created_at = models.DateTimeField("登记时间", auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="登记人",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    objects = ScopedQuerySet.as_manager()
    scope_path = "covenant__organization"

    class Meta:
        verbose_name = "公约版本"
        verbose_name_plural = "公约版本"
        ordering = ["covenant", "-number"]
        constraints = [
            models.UniqueConstraint(fields=["covenant", "number"], name="uniq_covenant_version"),
            models.UniqueConstraint(
                fields=["covenant"],
                condition=models.Q(is_current=True),
                name="uniq_covenant_current",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.covenant} 第{self.number}版（{self.adopted_on}）"
