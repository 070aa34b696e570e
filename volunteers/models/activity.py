from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from mptt.models import TreeForeignKey

from core.links import LinkScope
from core.models import TimeStampedModel
from core.scope import ScopedQuerySet
from core.validators import validate_code
from volunteers.choices import ActivityStatus, SignUpStatus
from volunteers.models.volunteer import Skill, Team, Volunteer


class Activity(TimeStampedModel):
    """志愿活动: organised by a street or community node (optionally run by a team)."""

    code = models.CharField("活动编码", max_length=64, unique=True, validators=[validate_code])
    title = models.CharField("活动名称", max_length=120)
    organizer = TreeForeignKey(
        "organizations.Organization",
        verbose_name="主办组织",
        on_delete=models.PROTECT,
        related_name="volunteer_activities",
    )
    team = models.ForeignKey(
        Team,
        verbose_name="承办服务队",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="activities",
    )
    starts_at = models.DateTimeField("开始时间", db_index=True)
    ends_at = models.DateTimeField("结束时间")
    place = models.CharField("地点", max_length=200)
    capacity = models.PositiveIntegerField("名额")
    required_skills = models.ManyToManyField(
        Skill, verbose_name="所需技能", blank=True, related_name="activities"
    )
    description = models.TextField("活动内容", blank=True)
    status = models.CharField(
        "状态", max_length=16, choices=ActivityStatus.choices, default=ActivityStatus.OPEN
    )
    cancel_reason = models.CharField("取消原因", max_length=200, blank=True)

    objects = ScopedQuerySet.as_manager()
    scope_path = "organizer"
    link_scopes = {
        "organizer": LinkScope.IN_SCOPE,
        "team": LinkScope.IN_SCOPE,
        "required_skills": LinkScope.UNSCOPED,
    }
    workflow_fields = ("status", "cancel_reason")

    class Meta:
        verbose_name = "志愿活动"
        verbose_name_plural = "志愿活动"
        ordering = ["-starts_at", "code"]

    def __str__(self) -> str:
        return self.title

    @property
    def window_hours(self):
        from decimal import Decimal

        seconds = (self.ends_at - self.starts_at).total_seconds()
        return (Decimal(seconds) / Decimal(3600)).quantize(Decimal("0.01"))

    def clean(self) -> None:
        errors: dict[str, list[str]] = {}
        if self.starts_at and self.ends_at and self.ends_at <= self.starts_at:
            errors["ends_at"] = ["结束时间必须晚于开始时间。"]
        if self.capacity is not None and self.capacity < 1:
            errors["capacity"] = ["名额至少为 1。"]
        if self.team_id and self.organizer_id:
            community, organizer = self.team.community, self.organizer
            inside = (
                community.tree_id == organizer.tree_id
                and organizer.lft <= community.lft <= organizer.rght
            )
            if not inside:
                errors["team"] = [f"服务队“{self.team}”不属于“{organizer}”。"]
        if errors:
            raise ValidationError(errors)


class SignUp(models.Model):
    """One volunteer's sign-up for one activity: confirmed or waitlisted, then attendance."""

    activity = models.ForeignKey(
        Activity, verbose_name="活动", on_delete=models.CASCADE, related_name="sign_ups"
    )
    volunteer = models.ForeignKey(
        Volunteer, verbose_name="志愿者", on_delete=models.PROTECT, related_name="sign_ups"
    )
    status = models.CharField("状态", max_length=16, choices=SignUpStatus.choices)
    created_at = models.DateTimeField("报名时间", auto_now_add=True, db_index=True)
    signed_up_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="报名经办人",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    cancelled_at = models.DateTimeField("取消时间", null=True, blank=True)
    cancel_reason = models.CharField("取消原因", max_length=200, blank=True)
    checked_in_at = models.DateTimeField("签到时间", null=True, blank=True)
    checked_out_at = models.DateTimeField("签退时间", null=True, blank=True)

    objects = ScopedQuerySet.as_manager()
    scope_path = "activity__organizer"
    link_scopes = {
        "activity": LinkScope.IN_SCOPE_OR_ABOVE,
        "volunteer": LinkScope.IN_SCOPE,
        "signed_up_by": LinkScope.SERVICE,
    }
    workflow_fields = ("status", "cancelled_at", "cancel_reason", "checked_in_at", "checked_out_at")

    class Meta:
        verbose_name = "活动报名"
        verbose_name_plural = "活动报名"
        ordering = ["activity", "created_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["activity", "volunteer"],
                condition=~Q(status="cancelled"),
                name="uniq_active_signup",
            )
        ]

    def __str__(self) -> str:
        return f"{self.volunteer} → {self.activity}"
