"""Joint meeting series (联席会议), their meetings, attendance and resolutions."""

from __future__ import annotations

from django.conf import settings
from django.contrib.contenttypes.fields import GenericForeignKey, GenericRelation
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.db import models
from mptt.models import TreeForeignKey

from core.links import LinkScope
from core.models import TimeStampedModel
from core.scope import ScopedQuerySet
from core.validators import validate_code
from governance.cadence import Period, period_of
from governance.choices import (
    Attendance,
    Cadence,
    MeetingStatus,
    MemberKind,
    ResolutionKind,
    SeriesKind,
)

MAX_DUE_DAYS = {
    Cadence.WEEKLY: 7,
    Cadence.MONTHLY: 31,
    Cadence.QUARTERLY: 92,
    Cadence.YEARLY: 366,
}


class MeetingSeries(TimeStampedModel):
    """A standing joint meeting of one body, owed once per period of its cadence."""

    code = models.CharField("系列编码", max_length=64, unique=True, validators=[validate_code])
    name = models.CharField("名称", max_length=120)
    kind = models.CharField("会议类型", max_length=32, choices=SeriesKind.choices)
    body = TreeForeignKey(
        "organizations.Organization",
        verbose_name="召集组织",
        on_delete=models.PROTECT,
        related_name="meeting_series",
    )
    cadence = models.CharField("频次", max_length=16, choices=Cadence.choices)
    due_within_days = models.PositiveSmallIntegerField(
        "须在每期前几天内召开",
        null=True,
        blank=True,
        help_text="例如“每季度第一周”填 7；留空表示本期内任何一天均可。",
    )
    starts_on = models.DateField("起始日期")
    ends_on = models.DateField("终止日期", null=True, blank=True)
    convenor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="召集人",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="convened_series",
    )
    default_place = models.CharField("默认地点", max_length=200, blank=True)
    rotating_chair = models.BooleanField(
        "轮值主席制", default=False, help_text="每次会议召开后，主席轮到下一个单位。"
    )
    current_chair = models.ForeignKey(
        "governance.SeriesMember",
        verbose_name="本届轮值主席",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    active = models.BooleanField("启用", default=True)

    objects = ScopedQuerySet.as_manager()
    scope_path = "body"
    link_scopes = {
        "body": LinkScope.IN_SCOPE,
        "convenor": LinkScope.IN_SCOPE_OR_ABOVE,
        "current_chair": LinkScope.SERVICE,
    }

    class Meta:
        verbose_name = "联席会议制度"
        verbose_name_plural = "联席会议制度"
        ordering = ["body__tree_id", "body__lft", "code"]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        errors: dict[str, list[str]] = {}
        if self.ends_on and self.starts_on and self.ends_on < self.starts_on:
            errors.setdefault("ends_on", []).append("终止日期不能早于起始日期。")
        if self.due_within_days is not None and self.cadence in MAX_DUE_DAYS:
            limit = MAX_DUE_DAYS[self.cadence]
            if not 1 <= self.due_within_days <= limit:
                errors.setdefault("due_within_days", []).append(
                    f"{Cadence(self.cadence).label}召开的会议，该天数应在 1–{limit} 之间。"
                )
        if self.current_chair_id and self.pk and self.current_chair.series_id != self.pk:
            errors.setdefault("current_chair", []).append("轮值主席必须是本会议制度的成员。")
        if errors:
            raise ValidationError(errors)

    def period_of(self, day) -> Period:
        return period_of(self.cadence, day, self.due_within_days)


class SeriesMember(models.Model):
    """A standing member of a series: a person, usually speaking for a unit."""

    series = models.ForeignKey(
        MeetingSeries, verbose_name="联席会议制度", on_delete=models.CASCADE, related_name="members"
    )
    kind = models.CharField("成员类别", max_length=32, choices=MemberKind.choices)
    name = models.CharField("姓名", max_length=60)
    unit_name = models.CharField("所在单位", max_length=120, blank=True)
    unit_type = models.ForeignKey(
        ContentType,
        verbose_name="单位类型",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    unit_id = models.PositiveBigIntegerField("单位", null=True, blank=True)
    unit = GenericForeignKey("unit_type", "unit_id")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="系统账号",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="series_memberships",
        help_text="有账号的成员会在后台收到站内提醒。",
    )
    email = models.EmailField("电子邮箱", blank=True)
    rotation_order = models.PositiveSmallIntegerField(
        "轮值顺序", null=True, blank=True, help_text="参加主席轮值的单位填顺序号；不参加留空。"
    )
    active = models.BooleanField("在任", default=True)

    objects = ScopedQuerySet.as_manager()
    scope_path = "series__body"
    link_scopes = {
        "series": LinkScope.IN_SCOPE,
        "unit_type": LinkScope.SERVICE,
        "user": LinkScope.IN_SCOPE_OR_ABOVE,
    }

    class Meta:
        verbose_name = "常设成员"
        verbose_name_plural = "常设成员"
        ordering = ["series", "rotation_order", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["series", "name", "unit_name"], name="uniq_series_member_name_unit"
            )
        ]

    def __str__(self) -> str:
        return f"{self.name}（{self.unit_name}）" if self.unit_name else self.name

    def clean(self) -> None:
        from governance.references import ASSIGNEE_MODELS, check_allowed

        if self.unit_type_id and self.unit_id:
            check_allowed(self.unit, ASSIGNEE_MODELS, "unit_type")
            if not self.unit_name:
                self.unit_name = str(self.unit)[:120]


class MeetingQuerySet(ScopedQuerySet):
    pass


class Meeting(TimeStampedModel):
    """One meeting of a series, fulfilling one period (week, month, quarter, year)."""

    code = models.CharField("会议编号", max_length=80, unique=True, validators=[validate_code])
    series = models.ForeignKey(
        MeetingSeries,
        verbose_name="联席会议制度",
        on_delete=models.PROTECT,
        related_name="meetings",
    )
    period_start = models.DateField("所属周期起", db_index=True)
    period_end = models.DateField("所属周期止")
    title = models.CharField("会议名称", max_length=200)
    planned_on = models.DateField("计划日期")
    starts_at = models.TimeField("开始时间", null=True, blank=True)
    place = models.CharField("地点", max_length=200, blank=True)
    status = models.CharField(
        "状态", max_length=16, choices=MeetingStatus.choices, default=MeetingStatus.PLANNED
    )
    held_on = models.DateField("实际召开日期", null=True, blank=True)
    chair = models.ForeignKey(
        SeriesMember,
        verbose_name="主持（轮值主席）",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="chaired_meetings",
    )
    minutes = models.TextField("会议纪要", blank=True)

    objects = MeetingQuerySet.as_manager()
    scope_path = "series__body"
    link_scopes = {
        "series": LinkScope.IN_SCOPE,
        "chair": LinkScope.SERVICE,
    }
    workflow_fields = ("status", "held_on")

    class Meta:
        verbose_name = "会议"
        verbose_name_plural = "会议"
        ordering = ["-planned_on", "code"]
        indexes = [models.Index(fields=["status", "planned_on"])]
        constraints = [
            models.UniqueConstraint(fields=["series", "planned_on"], name="uniq_meeting_series_day")
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def period(self) -> Period:
        return self.series.period_of(self.period_start)

    @property
    def held_on_time(self) -> bool:
        return (
            self.status == MeetingStatus.HELD
            and self.held_on is not None
            and self.held_on <= self.period.due
        )

    def clean(self) -> None:
        errors: dict[str, list[str]] = {}
        if self.series_id and self.period_start:
            period = self.series.period_of(self.period_start)
            if period.start != self.period_start:
                errors.setdefault("period_start", []).append(
                    f"周期起始日应为 {period.start:%Y-%m-%d}（{period.label}）。"
                )
            self.period_end = period.end
            if self.planned_on and not period.contains(self.planned_on):
                errors.setdefault("planned_on", []).append(
                    f"计划日期 {self.planned_on:%Y-%m-%d} 不在所属周期“{period.label}”"
                    f"（{period.start:%m-%d} 至 {period.end:%m-%d}）内。"
                )
            if self.planned_on and self.planned_on < self.series.starts_on:
                errors.setdefault("planned_on", []).append("计划日期早于会议制度的起始日期。")
        if self.status == MeetingStatus.HELD and not self.held_on:
            errors.setdefault("held_on", []).append("已召开的会议必须填写实际召开日期。")
        if self.held_on and self.period_start and self.held_on < self.period_start:
            errors.setdefault("held_on", []).append("召开日期不能早于所属周期。")
        if self.chair_id and self.series_id and self.chair.series_id != self.series_id:
            errors.setdefault("chair", []).append("主持人必须是本会议制度的成员。")
        if errors:
            raise ValidationError(errors)


class AgendaItem(models.Model):
    meeting = models.ForeignKey(
        Meeting, verbose_name="会议", on_delete=models.CASCADE, related_name="agenda_items"
    )
    position = models.PositiveSmallIntegerField("序号", default=1)
    title = models.CharField("议题", max_length=200)
    presenter = models.CharField("汇报人", max_length=60, blank=True)
    notes = models.TextField("说明", blank=True)

    objects = ScopedQuerySet.as_manager()
    scope_path = "meeting__series__body"
    link_scopes = {
        "meeting": LinkScope.IN_SCOPE,
    }

    class Meta:
        verbose_name = "议题"
        verbose_name_plural = "议题"
        ordering = ["meeting", "position", "id"]

    def __str__(self) -> str:
        return self.title


class Invitation(models.Model):
    """An invitee of one meeting and their attendance."""

    meeting = models.ForeignKey(
        Meeting, verbose_name="会议", on_delete=models.CASCADE, related_name="invitations"
    )
    member = models.ForeignKey(
        SeriesMember,
        verbose_name="常设成员",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="invitations",
    )
    name = models.CharField("姓名", max_length=60)
    unit_name = models.CharField("所在单位", max_length=120, blank=True)
    attendance = models.CharField(
        "出席情况", max_length=16, choices=Attendance.choices, default=Attendance.UNKNOWN
    )
    note = models.CharField("备注", max_length=200, blank=True)

    objects = ScopedQuerySet.as_manager()
    scope_path = "meeting__series__body"
    link_scopes = {
        "meeting": LinkScope.IN_SCOPE,
        "member": LinkScope.IN_SCOPE,
    }

    class Meta:
        verbose_name = "参会人员"
        verbose_name_plural = "参会人员"
        ordering = ["meeting", "id"]
        constraints = [
            models.UniqueConstraint(fields=["meeting", "name"], name="uniq_invitation_name")
        ]

    def __str__(self) -> str:
        return f"{self.name}（{self.unit_name}）" if self.unit_name else self.name


class MeetingAttachment(models.Model):
    meeting = models.ForeignKey(
        Meeting, verbose_name="会议", on_delete=models.CASCADE, related_name="attachments"
    )
    title = models.CharField("标题", max_length=200)
    file = models.FileField("文件", upload_to="governance/meetings/%Y/%m/")
    uploaded_at = models.DateTimeField("上传时间", auto_now_add=True)

    objects = ScopedQuerySet.as_manager()
    scope_path = "meeting__series__body"
    link_scopes = {
        "meeting": LinkScope.IN_SCOPE,
    }

    class Meta:
        verbose_name = "会议附件"
        verbose_name_plural = "会议附件"
        ordering = ["meeting", "id"]

    def __str__(self) -> str:
        return self.title


class Resolution(TimeStampedModel):
    """决议 of a held meeting, in one of the four kinds; it may become tasks."""

    code = models.CharField("决议编号", max_length=96, unique=True, validators=[validate_code])
    meeting = models.ForeignKey(
        Meeting, verbose_name="会议", on_delete=models.PROTECT, related_name="resolutions"
    )
    kind = models.CharField("类别", max_length=16, choices=ResolutionKind.choices)
    title = models.CharField("决议事项", max_length=200)
    content = models.TextField("内容", blank=True)
    public = models.BooleanField(
        "向居民公开",
        default=False,
        help_text="勾选后，决议事项和内容显示在居民服务“公开信息”页面。",
    )
    tasks = GenericRelation(
        "governance.Task",
        content_type_field="source_type",
        object_id_field="source_id",
        related_query_name="resolution",
    )

    objects = ScopedQuerySet.as_manager()
    scope_path = "meeting__series__body"
    link_scopes = {
        "meeting": LinkScope.IN_SCOPE,
    }

    class Meta:
        verbose_name = "决议"
        verbose_name_plural = "决议"
        ordering = ["-meeting__planned_on", "code"]

    def __str__(self) -> str:
        return self.title

    def clean(self) -> None:
        if self.meeting_id and self.meeting.status != MeetingStatus.HELD:
            raise ValidationError("会议尚未召开，不能形成决议。")
