"""Tasks (派单) dispatched from resolutions (and later cases and admitted work), with progress
notes and two-way evaluation."""

from __future__ import annotations

from django.conf import settings
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from mptt.models import TreeForeignKey

from core.links import LinkScope
from core.models import TimeStampedModel
from core.scope import ScopedQuerySet, scope_q, scope_ranges
from core.validators import validate_code
from governance.choices import EvaluationSide, TaskStatus


class TaskQuerySet(ScopedQuerySet):
    def visible_to(self, user):
        """Both sides see a task: the dispatching organisation's scope and the assignee's."""
        mine = scope_q(user, "organization")
        if mine is None:
            return self
        theirs = scope_q(user, "assignee_organization")
        q = mine | theirs
        if getattr(user, "pk", None):
            q |= models.Q(assignee_type__app_label="auth", assignee_id=user.pk)
            # A member's / cadre's desk login (no scope of its own): the tasks dispatched to
            # that person only. Staff lists cost no extra query.
            from governance.references import desk_person

            person = desk_person(user) if not scope_ranges(user) else None
            if person is not None:
                app_label, model = person[0].split(".")
                q |= models.Q(
                    assignee_type__app_label=app_label,
                    assignee_type__model=model,
                    assignee_id=person[1],
                )
        return self.filter(q)


class Task(TimeStampedModel):
    code = models.CharField("派单编号", max_length=96, unique=True, validators=[validate_code])
    title = models.CharField("事项", max_length=200)
    description = models.TextField("要求", blank=True)
    organization = TreeForeignKey(
        "organizations.Organization",
        verbose_name="派单组织",
        on_delete=models.PROTECT,
        related_name="dispatched_tasks",
    )
    assigned_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="派单人",
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    source_type = models.ForeignKey(
        ContentType,
        verbose_name="来源类型",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    source_id = models.PositiveBigIntegerField("来源", null=True, blank=True)
    source = GenericForeignKey("source_type", "source_id")
    source_label = models.CharField("来源", max_length=200, blank=True)
    assignee_type = models.ForeignKey(
        ContentType, verbose_name="承办方类型", on_delete=models.PROTECT, related_name="+"
    )
    assignee_id = models.PositiveBigIntegerField("承办方")
    assignee = GenericForeignKey("assignee_type", "assignee_id")
    assignee_label = models.CharField("承办方", max_length=200)
    assignee_organization = TreeForeignKey(
        "organizations.Organization",
        verbose_name="承办方所属组织",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="assigned_tasks",
    )
    deadline = models.DateField("办结期限")
    status = models.CharField(
        "状态", max_length=16, choices=TaskStatus.choices, default=TaskStatus.DISPATCHED
    )
    reject_reason = models.CharField("退回理由", max_length=300, blank=True)
    accepted_at = models.DateTimeField("接单时间", null=True, blank=True)
    done_at = models.DateTimeField("办结时间", null=True, blank=True)
    evaluated_at = models.DateTimeField("评价时间", null=True, blank=True)

    objects = TaskQuerySet.as_manager()
    scope_path = "organization"
    link_scopes = {
        "organization": LinkScope.IN_SCOPE,
        "assigned_by": LinkScope.SERVICE,
        "source_type": LinkScope.SERVICE,
        "assignee_type": LinkScope.SERVICE,
        "assignee_organization": LinkScope.SERVICE,
    }
    workflow_fields = ("status", "reject_reason", "accepted_at", "done_at", "evaluated_at")

    class Meta:
        verbose_name = "派单"
        verbose_name_plural = "派单"
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["status", "deadline"]),
            models.Index(fields=["source_type", "source_id"]),
            models.Index(fields=["assignee_type", "assignee_id"]),
        ]

    def __str__(self) -> str:
        return self.title

    def clean(self) -> None:
        from governance.references import ASSIGNEE_MODELS, SOURCE_MODELS, check_allowed

        if self.status == TaskStatus.REJECTED and not self.reject_reason.strip():
            raise ValidationError({"reject_reason": "退回必须说明理由。"})
        if self.assignee_type_id and self.assignee_id:
            check_allowed(self.assignee, ASSIGNEE_MODELS, "assignee_type")
        if self.source_type_id and self.source_id:
            check_allowed(self.source, SOURCE_MODELS, "source_type")


class TaskProgress(models.Model):
    task = models.ForeignKey(
        Task, verbose_name="派单", on_delete=models.CASCADE, related_name="progress_notes"
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="填写人",
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    note = models.TextField("进展")
    created_at = models.DateTimeField("时间", auto_now_add=True)

    objects = ScopedQuerySet.as_manager()
    scope_path = "task__organization"
    link_scopes = {
        "task": LinkScope.IN_SCOPE,
        "author": LinkScope.SERVICE,
    }

    class Meta:
        verbose_name = "办理进展"
        verbose_name_plural = "办理进展"
        ordering = ["task", "created_at", "id"]

    def __str__(self) -> str:
        return self.note[:40]


class Evaluation(models.Model):
    """双向评价: the assigner rates the work, the assignee rates the request's clarity and support."""

    task = models.ForeignKey(
        Task, verbose_name="派单", on_delete=models.CASCADE, related_name="evaluations"
    )
    side = models.CharField("评价方", max_length=16, choices=EvaluationSide.choices)
    rating = models.PositiveSmallIntegerField(
        "评分（1–5）", validators=[MinValueValidator(1), MaxValueValidator(5)]
    )
    comment = models.CharField("评语", max_length=300, blank=True)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="评价人",
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField("时间", auto_now_add=True)

    objects = ScopedQuerySet.as_manager()
    scope_path = "task__organization"
    link_scopes = {
        "task": LinkScope.IN_SCOPE,
        "author": LinkScope.SERVICE,
    }

    class Meta:
        verbose_name = "双向评价"
        verbose_name_plural = "双向评价"
        ordering = ["task", "side"]
        constraints = [
            models.UniqueConstraint(fields=["task", "side"], name="uniq_evaluation_side")
        ]

    def __str__(self) -> str:
        return f"{self.get_side_display()}：{self.rating}"
