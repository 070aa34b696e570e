from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from mptt.models import TreeForeignKey

from core.links import LinkScope
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
    link_scopes = {
        "organization": LinkScope.IN_SCOPE,
    }

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
    meeting = models.ForeignKey(
        "governance.Meeting",
        verbose_name="通过会议（共治会议记录）",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="covenant_versions",
        help_text="已召开的、由本社区（小区所属社区）召集的会议，召开日期不晚于通过日期。",
    )
    # Free text kept for versions registered before governance meetings existed.
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
    link_scopes = {
        "covenant": LinkScope.IN_SCOPE,
        "meeting": LinkScope.IN_SCOPE,
        "created_by": LinkScope.SERVICE,
    }

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

    def clean(self) -> None:
        if not self.meeting_id or not self.covenant_id:
            return
        from governance.choices import MeetingStatus

        meeting = self.meeting
        errors: list[str] = []
        if meeting.status != MeetingStatus.HELD or meeting.held_on is None:
            errors.append(f"会议“{meeting.code}”尚未召开，不能作为通过公约的会议。")
        if meeting.series.body_id not in covenant_meeting_bodies(self.covenant.organization):
            errors.append(
                f"会议“{meeting.code}”由“{meeting.series.body}”召集，"
                f"不是“{self.covenant.organization}”所在社区的会议。"
            )
        if meeting.held_on and self.adopted_on and meeting.held_on > self.adopted_on:
            errors.append(f"会议召开日期 {meeting.held_on} 晚于通过日期 {self.adopted_on}。")
        if errors:
            raise ValidationError({"meeting": errors})


def covenant_meeting_bodies(organization) -> set[int]:
    """Bodies whose meetings may adopt the covenant: its community, or the compound and the
    community it belongs to."""
    bodies = {organization.pk}
    if organization.kind == OrgKind.COMPOUND_BRANCH and organization.parent_id:
        bodies.add(organization.parent_id)
    return bodies
