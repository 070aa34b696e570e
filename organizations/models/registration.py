"""双报到: in-service members register with the community where they live, claim a post
(设岗定责), log their service, and the community's yearly feedback feeds 民主评议."""

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from mptt.models import TreeForeignKey

from core.links import LinkScope
from core.models import TimeStampedModel
from core.scope import ScopedQuerySet
from core.validators import validate_code
from organizations.choices import (
    COMMUNITY_BRANCH_KINDS,
    Grade,
    MemberCategory,
    OrgKind,
    PostKind,
)
from organizations.models.codes import CODE_HELP, ReadableCode


def community_error(org) -> str | None:
    if org is not None and org.kind != OrgKind.COMMUNITY_COMMITTEE:
        return f"“{org}”不是社区党组织（应为{OrgKind.COMMUNITY_COMMITTEE.label}）。"
    return None


class Post(ReadableCode, TimeStampedModel):
    """A post a community sets for registered members (设岗定责)."""

    code = models.CharField(
        "岗位编码",
        max_length=64,
        unique=True,
        blank=True,
        default="",
        help_text=CODE_HELP,
        validators=[validate_code],
    )
    community = TreeForeignKey(
        "organizations.Organization",
        verbose_name="设岗社区",
        on_delete=models.PROTECT,
        related_name="posts",
    )
    kind = models.CharField("岗位类别", max_length=16, choices=PostKind.choices)
    name = models.CharField("岗位名称", max_length=100)
    duties = models.TextField("岗位职责", blank=True)
    capacity = models.PositiveSmallIntegerField(
        "可认领人数", null=True, blank=True, help_text="留空表示不限人数。"
    )
    is_active = models.BooleanField("在用", default=True)

    objects = ScopedQuerySet.as_manager()
    scope_path = "community"
    link_scopes = {
        "community": LinkScope.IN_SCOPE,
    }

    class Meta:
        verbose_name = "服务岗位"
        verbose_name_plural = "服务岗位（设岗定责）"
        ordering = ["community__code", "kind", "name"]

    def __str__(self) -> str:
        return f"{self.name}（{self.get_kind_display()}）"

    def clean(self) -> None:
        message = community_error(self.community if self.community_id else None)
        if message:
            raise ValidationError({"community": [message]})
        if self.capacity == 0:
            raise ValidationError({"capacity": ["可认领人数至少为 1，不限人数请留空。"]})


class CommunityRegistration(ReadableCode, TimeStampedModel):
    """An in-service member's registration with the community where they live (双报到)."""

    code = models.CharField(
        "报到编号",
        max_length=64,
        unique=True,
        blank=True,
        default="",
        help_text=CODE_HELP,
        validators=[validate_code],
    )
    member = models.OneToOneField(
        "organizations.Member",
        verbose_name="党员",
        on_delete=models.PROTECT,
        related_name="registration",
    )
    community = TreeForeignKey(
        "organizations.Organization",
        verbose_name="报到社区",
        on_delete=models.PROTECT,
        related_name="registrations",
    )
    branch = TreeForeignKey(
        "organizations.Organization",
        verbose_name="编入小区（楼院）党支部",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="enrolled_registrations",
    )
    registered_on = models.DateField("报到日期")
    residence = models.CharField("居住地址", max_length=200, blank=True)

    objects = ScopedQuerySet.as_manager()
    scope_path = "community"
    link_scopes = {
        "member": LinkScope.STREET,
        "community": LinkScope.IN_SCOPE,
        "branch": LinkScope.IN_SCOPE,
    }

    class Meta:
        verbose_name = "双报到登记"
        verbose_name_plural = "双报到登记"
        ordering = ["-registered_on", "id"]

    def __str__(self) -> str:
        return f"{self.member.name} → {self.community}" if self.member_id else self.code

    def clean(self) -> None:
        errors: dict[str, list[str]] = {}
        if self.member_id and self.member.category != MemberCategory.IN_SERVICE:
            errors["member"] = [
                f"只有在职党员需要到社区双报到，{self.member.name}是"
                f"{self.member.get_category_display()}。"
            ]
        community = self.community if self.community_id else None
        message = community_error(community)
        if message:
            errors["community"] = [message]
        if self.branch_id and community is not None and not message:
            branch = self.branch
            if branch.kind not in COMMUNITY_BRANCH_KINDS or not (
                branch.tree_id == community.tree_id and community.lft < branch.lft < community.rght
            ):
                errors["branch"] = [f"“{branch}”不是“{community}”下属的党支部。"]
        if errors:
            raise ValidationError(errors)


class PostClaim(ReadableCode, TimeStampedModel):
    """A registered member claims a post (认领岗位)."""

    code = models.CharField(
        "认领编号",
        max_length=64,
        unique=True,
        blank=True,
        default="",
        help_text=CODE_HELP,
        validators=[validate_code],
    )
    registration = models.ForeignKey(
        CommunityRegistration,
        verbose_name="双报到登记",
        on_delete=models.CASCADE,
        related_name="claims",
    )
    post = models.ForeignKey(
        Post, verbose_name="岗位", on_delete=models.PROTECT, related_name="claims"
    )
    claimed_on = models.DateField("认领日期")

    objects = ScopedQuerySet.as_manager()
    scope_path = "registration__community"
    link_scopes = {
        "registration": LinkScope.IN_SCOPE,
        "post": LinkScope.IN_SCOPE,
    }

    class Meta:
        verbose_name = "岗位认领"
        verbose_name_plural = "岗位认领"
        ordering = ["-claimed_on", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["registration", "post"], name="uniq_claim_registration_post"
            )
        ]

    def __str__(self) -> str:
        return f"{self.registration.member.name} 认领 {self.post.name}"

    def clean(self) -> None:
        if not (self.registration_id and self.post_id):
            return
        errors: dict[str, list[str]] = {}
        if self.post.community_id != self.registration.community_id:
            errors["post"] = ["只能认领报到社区设立的岗位。"]
        if not self.post.is_active:
            errors.setdefault("post", []).append("该岗位已停用。")
        taken = PostClaim.objects.filter(registration_id=self.registration_id, post_id=self.post_id)
        if self.pk:
            taken = taken.exclude(pk=self.pk)
        if taken.exists():
            errors.setdefault("post", []).append(
                f"{self.registration.member.name}已认领过“{self.post.name}”。"
            )
        if self.post.capacity:
            others = PostClaim.objects.filter(post_id=self.post_id)
            if self.pk:
                others = others.exclude(pk=self.pk)
            if others.count() >= self.post.capacity:
                errors.setdefault("post", []).append(
                    f"“{self.post.name}”已有 {self.post.capacity} 人认领，名额已满。"
                )
        if errors:
            raise ValidationError(errors)


class MemberActivity(ReadableCode, TimeStampedModel):
    """One line of a registered member's activity record card (活动记录卡)."""

    code = models.CharField(
        "记录编号",
        max_length=64,
        unique=True,
        blank=True,
        default="",
        help_text=CODE_HELP,
        validators=[validate_code],
    )
    registration = models.ForeignKey(
        CommunityRegistration,
        verbose_name="双报到登记",
        on_delete=models.CASCADE,
        related_name="activities",
    )
    post = models.ForeignKey(
        Post,
        verbose_name="所在岗位",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="activities",
    )
    date = models.DateField("活动日期", db_index=True)
    hours = models.DecimalField("服务时长（小时）", max_digits=5, decimal_places=1)
    content = models.CharField("活动内容", max_length=300)
    confirmed_by = models.CharField("确认人", max_length=50, blank=True)

    objects = ScopedQuerySet.as_manager()
    scope_path = "registration__community"
    link_scopes = {
        "registration": LinkScope.IN_SCOPE,
        "post": LinkScope.IN_SCOPE,
    }

    class Meta:
        verbose_name = "报到活动记录"
        verbose_name_plural = "报到活动记录"
        ordering = ["-date", "id"]

    def __str__(self) -> str:
        return f"{self.date:%Y-%m-%d} {self.content[:30]}"

    def clean(self) -> None:
        errors: dict[str, list[str]] = {}
        if self.hours is not None and not (0 < self.hours <= 24):
            errors["hours"] = ["服务时长应大于 0 且不超过 24 小时。"]
        if self.registration_id and self.date and self.date < self.registration.registered_on:
            errors["date"] = ["活动日期不能早于报到日期。"]
        if self.post_id and self.registration_id:
            if self.post.community_id != self.registration.community_id:
                errors["post"] = ["岗位不属于报到社区。"]
        if errors:
            raise ValidationError(errors)


class Appraisal(ReadableCode, TimeStampedModel):
    """A member's yearly democratic appraisal (民主评议), fed by the community's feedback form
    to the work unit (报到社区反馈表)."""

    code = models.CharField(
        "评议编号",
        max_length=64,
        unique=True,
        blank=True,
        default="",
        help_text=CODE_HELP,
        validators=[validate_code],
    )
    member = models.ForeignKey(
        "organizations.Member",
        verbose_name="党员",
        on_delete=models.CASCADE,
        related_name="appraisals",
    )
    year = models.PositiveSmallIntegerField("年度")
    feedback_community = TreeForeignKey(
        "organizations.Organization",
        verbose_name="反馈社区",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    feedback_grade = models.CharField(
        "社区反馈等次", max_length=16, choices=Grade.choices, blank=True
    )
    feedback_hours = models.DecimalField(
        "年度服务时长（小时）", max_digits=7, decimal_places=1, null=True, blank=True
    )
    feedback_comment = models.TextField("社区反馈意见", blank=True)
    feedback_sent_on = models.DateField("反馈日期", null=True, blank=True)
    grade = models.CharField("民主评议结果", max_length=16, choices=Grade.choices, blank=True)
    award_eligible = models.BooleanField(
        "可参加当年评先评优",
        default=True,
        help_text="民主评议为“不合格”的党员不能参加当年评先评优。",
    )

    objects = ScopedQuerySet.as_manager()
    scope_path = "member__branch"
    link_scopes = {
        "member": LinkScope.STREET,
        "feedback_community": LinkScope.SERVICE,
    }

    class Meta:
        verbose_name = "民主评议"
        verbose_name_plural = "民主评议"
        ordering = ["-year", "id"]
        constraints = [
            models.UniqueConstraint(fields=["member", "year"], name="uniq_appraisal_member_year"),
            models.CheckConstraint(
                condition=~Q(grade=Grade.UNQUALIFIED) | Q(award_eligible=False),
                name="appraisal_unqualified_not_eligible",
                violation_error_message="民主评议不合格的党员不能参加当年评先评优。",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.member.name} {self.year} 年民主评议"

    def clean(self) -> None:
        if self.grade == Grade.UNQUALIFIED:
            self.award_eligible = False
        if self.year and not (1921 <= self.year <= 2100):
            raise ValidationError({"year": ["年度无效。"]})
