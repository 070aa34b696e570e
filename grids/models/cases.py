import hmac
import secrets

from django.conf import settings
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.core.validators import FileExtensionValidator, MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from mptt.models import TreeForeignKey

from core.links import LinkScope
from core.scope import ScopedQuerySet
from core.validators import validate_phone
from grids.choices import (
    DONE_STATUSES,
    OPEN_STATUSES,
    CaseAction,
    CaseCategory,
    CaseSource,
    CaseStatus,
    DispatchKind,
    ResolutionLevel,
    Triage,
)

# No 0/O/1/I/L: codes are read out over the phone and typed on a mobile.
TRACKING_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
TRACKING_LENGTH = 10  # 31**10 ≈ 8×10^14: not guessable, and says nothing about order


def new_tracking_code() -> str:
    return "".join(secrets.choice(TRACKING_ALPHABET) for _ in range(TRACKING_LENGTH))


def tracking_input(tracking_code: str, phone_last4: str) -> tuple[str, str, bool]:
    """The reporter's tracking input cleaned: (code, digits, well_formed). Lower case, spaces
    and dashes in the code are forgiven; anything else makes the pair ill-formed."""
    code = (tracking_code or "").strip().upper().replace("-", "").replace(" ", "")
    digits = (phone_last4 or "").strip()
    well_formed = (
        len(code) == TRACKING_LENGTH
        and all(c in TRACKING_ALPHABET for c in code)
        and len(digits) == 4
        and digits.isdigit()
    )
    return code, digits, well_formed


def reporter_phone_matches(reporter_phone: str | None, digits: str) -> bool:
    """Constant-time check of the last four digits; a missing case compares against a dummy,
    so a wrong code and wrong digits take the same path."""
    expected = reporter_phone[-4:] if reporter_phone is not None else "\x00\x00\x00\x00"
    return hmac.compare_digest(digits.encode(), expected.encode()) and reporter_phone is not None


class CaseQuerySet(ScopedQuerySet):
    def visible_to(self, user):
        """Staff see the cases of their subtrees; a department account sees only the cases
        whistled to its department, a member's or cadre's account only the cases dispatched to
        that person (``DeskAccount``). The one place this is decided. An account is looked up
        only for a user with no scope of their own (staff lists cost no extra query)."""
        from core.scope import scope_q, scope_ranges

        q = scope_q(user, self.model.scope_path)
        if q is None:
            return self
        account = desk_account_of(user) if not scope_ranges(user) else None
        if account is not None:
            if account.department_id:
                q |= Q(department_id=account.department_id)
            elif account.registration_id:
                q |= Q(registration_id=account.registration_id)
            elif account.cadre_id:
                q |= Q(cadre_id=account.cadre_id)
        return self.filter(q)


_ACCOUNT_CACHE = "_desk_account_cache"


def desk_account_of(user):
    """The user's ``DeskAccount`` (or None), cached on the user object for the request."""
    if user is None or not getattr(user, "is_authenticated", False) or not user.pk:
        return None
    cached = getattr(user, _ACCOUNT_CACHE, False)
    if cached is not False:
        return cached
    from grids.models.departments import DeskAccount

    account = DeskAccount.objects.filter(user_id=user.pk).first()
    setattr(user, _ACCOUNT_CACHE, account)
    return account


class Case(models.Model):
    """民情诉求: reported → accepted → dispatched → resolved → evaluated (services only)."""

    tracking_code = models.CharField(
        "查询码", max_length=16, unique=True, default=new_tracking_code, editable=False
    )
    source = models.CharField("来源", max_length=16, choices=CaseSource.choices)
    category = models.CharField("类别", max_length=16, choices=CaseCategory.choices)
    description = models.TextField("诉求内容")
    reporter_name = models.CharField("反映人", max_length=64)
    reporter_phone = models.CharField("反映人电话", max_length=32, validators=[validate_phone])
    reporter_resident = models.ForeignKey(
        "grids.Resident",
        verbose_name="反映人（居民）",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="cases",
    )
    community = TreeForeignKey(
        "organizations.Organization",
        verbose_name="所属社区",
        on_delete=models.PROTECT,
        related_name="cases",
        limit_choices_to={"kind": "community_committee"},
    )
    grid = TreeForeignKey(
        "grids.Grid",
        verbose_name="网格",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="cases",
    )
    building = models.ForeignKey(
        "grids.Building",
        verbose_name="楼栋",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="cases",
    )
    household = models.ForeignKey(
        "grids.Household",
        verbose_name="户",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="cases",
    )
    location = models.CharField("位置说明", max_length=200, blank=True)
    reported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="登记人",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="网格员巡查、入户走访或窗口代填时的工作人员；居民自行上报时为空。",
    )
    same_problem_as = models.ForeignKey(
        "self",
        verbose_name="同一问题（首报诉求）",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="same_problem_reports",
        help_text="另一位居民几分钟内在门户反映了完全相同的问题：各自有查询码，办理时一并处理。",
    )

    status = models.CharField(
        "状态", max_length=16, choices=CaseStatus.choices, default=CaseStatus.REPORTED
    )
    triage = models.CharField("三事分办", max_length=16, choices=Triage.choices, blank=True)
    reported_at = models.DateTimeField("上报时间", default=timezone.now, db_index=True)
    due_at = models.DateTimeField("办结时限")
    accepted_at = models.DateTimeField("受理时间", null=True, blank=True)
    dispatched_at = models.DateTimeField("派单时间", null=True, blank=True)
    resolved_at = models.DateTimeField("办结时间", null=True, blank=True)
    evaluated_at = models.DateTimeField("评价时间", null=True, blank=True)

    dispatch_kind = models.CharField(
        "派单对象类型", max_length=16, choices=DispatchKind.choices, blank=True
    )
    target_content_type = models.ForeignKey(
        ContentType,
        verbose_name="派单对象模型",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    target_object_id = models.PositiveBigIntegerField("派单对象编号", null=True, blank=True)
    target = GenericForeignKey("target_content_type", "target_object_id")
    target_label = models.CharField("派单对象", max_length=200, blank=True)
    department = models.ForeignKey(
        "grids.Department",
        verbose_name="承办部门",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="cases",
    )
    department_name = models.CharField(
        "承办部门（原文）",
        max_length=120,
        blank=True,
        help_text="部门记录启用前手填的部门名称，保留作历史。",
    )
    registration = models.ForeignKey(
        "organizations.CommunityRegistration",
        verbose_name="承办党员（双报到）",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="cases",
    )
    cadre = models.ForeignKey(
        "organizations.SentDownCadre",
        verbose_name="承办下沉干部",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="cases",
    )
    department_due_at = models.DateTimeField("部门办结时限", null=True, blank=True)
    extension_count = models.PositiveSmallIntegerField("延期次数", default=0)
    ack_escalated_at = models.DateTimeField("报到超期上报街道", null=True, blank=True)
    due_escalated_at = models.DateTimeField("办结超期上报街道", null=True, blank=True)
    ack_due_at = models.DateTimeField("部门报到时限", null=True, blank=True)
    acknowledged_at = models.DateTimeField("部门报到时间", null=True, blank=True)

    resolution = models.TextField("办理结果", blank=True)
    resolution_level = models.CharField(
        "解决层级", max_length=16, choices=ResolutionLevel.choices, blank=True
    )
    resolved_on_time = models.BooleanField("按时办结", null=True, blank=True)
    satisfaction = models.PositiveSmallIntegerField(
        "满意度",
        null=True,
        blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(5)],
        help_text="1–5 分",
    )
    evaluation_comment = models.TextField("评价意见", blank=True)
    reopen_count = models.PositiveSmallIntegerField("退回重办次数", default=0)

    objects = CaseQuerySet.as_manager()
    scope_path = "community"
    link_scopes = {
        "department": LinkScope.SERVICE,
        "registration": LinkScope.SERVICE,
        "cadre": LinkScope.SERVICE,
        "reporter_resident": LinkScope.IN_SCOPE,
        "community": LinkScope.IN_SCOPE,
        "grid": LinkScope.IN_SCOPE,
        "building": LinkScope.IN_SCOPE,
        "household": LinkScope.IN_SCOPE,
        "reported_by": LinkScope.SERVICE,
        "target_content_type": LinkScope.SERVICE,
        "same_problem_as": LinkScope.SERVICE,  # set by case_report on a duplicate
    }
    workflow_fields = (
        "status",
        "accepted_at",
        "dispatched_at",
        "resolved_at",
        "evaluated_at",
        "acknowledged_at",
        "department_due_at",
        "extension_count",
        "ack_escalated_at",
        "due_escalated_at",
        "resolved_on_time",
        "reopen_count",
        "satisfaction",
        "evaluation_comment",
    )
    sensitive_fields = {"reporter_phone": "phone"}

    class Meta:
        verbose_name = "民情诉求"
        verbose_name_plural = "民情诉求"
        ordering = ["-reported_at", "-id"]
        indexes = [
            models.Index(fields=["status", "category"]),
            models.Index(fields=["target_content_type", "target_object_id"]),
            models.Index(fields=["department", "status"], name="case_department_status_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.get_category_display()}：{self.description[:30]}"

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES

    def is_overdue(self, now=None) -> bool:
        now = now or timezone.now()
        if self.status in DONE_STATUSES:
            return self.resolved_on_time is False
        return self.due_at < now

    is_overdue.boolean = True
    is_overdue.short_description = "超期"

    def is_ack_overdue(self, now=None) -> bool:
        now = now or timezone.now()
        return bool(
            self.dispatch_kind == DispatchKind.DEPARTMENT
            and self.acknowledged_at is None
            and self.ack_due_at
            and self.ack_due_at < now
        )

    def is_department_overdue(self, now=None) -> bool:
        """吹哨报到 past the department's resolution deadline, still open."""
        now = now or timezone.now()
        return bool(
            self.status in OPEN_STATUSES
            and self.department_id
            and self.department_due_at
            and self.department_due_at < now
        )

    def clean(self) -> None:
        errors: dict[str, list[str]] = {}
        if self.grid_id and self.community_id and self.grid.community_id != self.community_id:
            errors.setdefault("grid", []).append("网格不属于该社区。")
        if (
            self.building_id
            and self.community_id
            and self.building.community_id != self.community_id
        ):
            errors.setdefault("building", []).append("楼栋不属于该社区。")
        if self.household_id and self.grid_id and self.household.grid_id != self.grid_id:
            errors.setdefault("household", []).append("户不在所选网格中。")
        if errors:
            raise ValidationError(errors)


class CaseEvent(models.Model):
    """One step of a case's history: who (user, or the resident by name), what, when."""

    case = models.ForeignKey(
        Case, verbose_name="诉求", on_delete=models.CASCADE, related_name="events"
    )
    action = models.CharField("动作", max_length=16, choices=CaseAction.choices)
    from_status = models.CharField("原状态", max_length=16, choices=CaseStatus.choices, blank=True)
    to_status = models.CharField("新状态", max_length=16, choices=CaseStatus.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="操作人",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    actor_name = models.CharField("操作人姓名", max_length=64)
    note = models.TextField("说明", blank=True)
    detail = models.JSONField("详情", default=dict, blank=True)
    created_at = models.DateTimeField("时间", default=timezone.now, db_index=True)

    objects = ScopedQuerySet.as_manager()
    scope_path = "case__community"
    link_scopes = {
        "case": LinkScope.SERVICE,
        "actor": LinkScope.SERVICE,
    }

    class Meta:
        verbose_name = "诉求办理记录"
        verbose_name_plural = "诉求办理记录"
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"{self.created_at:%Y-%m-%d %H:%M} {self.get_action_display()} {self.actor_name}"


class CasePhoto(models.Model):
    case = models.ForeignKey(
        Case, verbose_name="诉求", on_delete=models.CASCADE, related_name="photos"
    )
    file = models.FileField(
        "照片",
        upload_to="cases/%Y/%m/",
        validators=[FileExtensionValidator(["jpg", "jpeg", "png", "webp", "heic"])],
    )
    uploaded_at = models.DateTimeField("上传时间", auto_now_add=True)

    objects = ScopedQuerySet.as_manager()
    scope_path = "case__community"
    link_scopes = {
        "case": LinkScope.IN_SCOPE,
    }

    class Meta:
        verbose_name = "诉求照片"
        verbose_name_plural = "诉求照片"

    def __str__(self) -> str:
        return self.file.name
