"""社区工作事项清单: a street publishes list versions; its communities inherit the current one."""

from django.core.exceptions import ValidationError
from django.db import models
from mptt.models import TreeForeignKey

from core.links import LinkScope
from core.models import TimeStampedModel
from core.scope import ScopedQuerySet, scope_q, scope_ranges
from core.validators import validate_code
from governance.assessment.choices import Holder, ListStatus, Responsibility


class InheritedListQuerySet(ScopedQuerySet):
    """A list is visible in its street's subtree and also to the communities that inherit it:
    a community cadre reads (but cannot change) the street's lists."""

    street_path = "street"

    def visible_to(self, user):
        own = scope_q(user, self.street_path)
        if own is None:
            return self
        inherited = models.Q(pk__in=[])
        for tree_id, lft, rght in scope_ranges(user) or []:
            inherited |= models.Q(
                **{
                    f"{self.street_path}__tree_id": tree_id,
                    f"{self.street_path}__lft__lt": lft,
                    f"{self.street_path}__rght__gt": rght,
                }
            )
        return self.filter(own | inherited)


class WorkItemQuerySet(InheritedListQuerySet):
    street_path = "version__street"


class WorkListVersion(TimeStampedModel):
    code = models.CharField("版本编码", max_length=64, unique=True, validators=[validate_code])
    street = TreeForeignKey(
        "organizations.Organization",
        verbose_name="发布街道",
        on_delete=models.PROTECT,
        related_name="work_list_versions",
        limit_choices_to={"kind": "street_committee"},
    )
    title = models.CharField("清单名称", max_length=120)
    status = models.CharField(
        "状态", max_length=16, choices=ListStatus.choices, default=ListStatus.DRAFT, db_index=True
    )
    effective_on = models.DateField("施行日期", null=True, blank=True)
    published_at = models.DateTimeField("发布时间", null=True, blank=True)
    note = models.TextField("说明", blank=True)

    objects = InheritedListQuerySet.as_manager()
    scope_path = "street"
    link_scopes = {
        "street": LinkScope.IN_SCOPE,
    }
    workflow_fields = ("status", "published_at")

    class Meta:
        verbose_name = "社区工作事项清单"
        verbose_name_plural = "社区工作事项清单"
        ordering = ["street_id", "-published_at", "-id"]

    def __str__(self) -> str:
        return f"{self.title}（{self.get_status_display()}）"

    def clean(self) -> None:
        if self.street_id and self.street.kind != "street_committee":
            raise ValidationError({"street": "工作事项清单只能由街道党工委发布。"})


class WorkItem(models.Model):
    version = models.ForeignKey(
        WorkListVersion, verbose_name="清单版本", on_delete=models.CASCADE, related_name="items"
    )
    code = models.CharField("事项编码", max_length=64, unique=True, validators=[validate_code])
    seq = models.PositiveSmallIntegerField("序号")
    holder = models.CharField("责任主体", max_length=32, choices=Holder.choices)
    responsibility = models.CharField("责任类型", max_length=16, choices=Responsibility.choices)
    title = models.CharField("事项名称", max_length=200)
    description = models.TextField("事项内容", blank=True)
    legal_basis = models.CharField("法律法规及政策依据", max_length=500, blank=True)
    is_public = models.BooleanField("在居民门户公开", default=True)

    objects = WorkItemQuerySet.as_manager()
    scope_path = "version__street"
    link_scopes = {
        "version": LinkScope.IN_SCOPE,
    }

    class Meta:
        verbose_name = "工作事项"
        verbose_name_plural = "工作事项"
        ordering = ["version_id", "seq"]
        constraints = [
            models.UniqueConstraint(fields=["version", "seq"], name="uniq_workitem_version_seq")
        ]

    def __str__(self) -> str:
        return f"{self.seq}. {self.title}"
