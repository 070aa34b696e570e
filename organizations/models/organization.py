from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from mptt.managers import TreeManager
from mptt.models import MPTTModel, TreeForeignKey
from simple_history.models import HistoricalRecords

from core.links import LinkScope
from core.models import TimeStampedModel
from core.scope import ScopedQuerySet
from core.validators import validate_code, validate_phone
from organizations.choices import ALLOWED_PARENT_KINDS, OrgKind, allowed_parent_labels


def parent_kind_error(kind: str, parent_kind: str | None) -> str | None:
    """Why a node of ``kind`` may not hang under a node of ``parent_kind`` (None if it may)."""
    if kind not in ALLOWED_PARENT_KINDS or parent_kind in ALLOWED_PARENT_KINDS[kind]:
        return None
    where = OrgKind(parent_kind).label if parent_kind else "根节点"
    return f"{OrgKind(kind).label}不能设在{where}之下，上级应为：{allowed_parent_labels(kind)}。"


class OrganizationQuerySet(ScopedQuerySet):
    pass


class OrganizationManager(TreeManager.from_queryset(OrganizationQuerySet)):
    pass


class Organization(MPTTModel, TimeStampedModel):
    """A node of the party organisation tree; the tree is also the permission scope."""

    code = models.CharField("组织编码", max_length=64, unique=True, validators=[validate_code])
    name = models.CharField("名称", max_length=120)
    kind = models.CharField("类型", max_length=32, choices=OrgKind.choices, db_index=True)
    parent = TreeForeignKey(
        "self",
        verbose_name="上级组织",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
    )
    established_on = models.DateField("成立日期", null=True, blank=True)
    ended_on = models.DateField("撤销/结束日期", null=True, blank=True)
    address = models.CharField("地址", max_length=200, blank=True)
    phone = models.CharField("联系电话", max_length=32, blank=True, validators=[validate_phone])

    history = HistoricalRecords(excluded_fields=["lft", "rght", "tree_id", "level"])
    objects = OrganizationManager()

    # ScopedQuerySet: the organisation is itself the scope anchor.
    scope_path = ""
    link_scopes = {
        "parent": LinkScope.IN_SCOPE,
    }

    class MPTTMeta:
        order_insertion_by = ["code"]

    class Meta:
        verbose_name = "党组织"
        verbose_name_plural = "党组织"
        # The scope range (tree_id, lft BETWEEN …) every scoped query filters on, and the
        # tree order of the organisations list.
        indexes = [models.Index(fields=["tree_id", "lft"], name="org_tree_lft_idx")]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        errors = self.date_errors()
        parent_error = parent_kind_error(self.kind, self.parent.kind if self.parent_id else None)
        if parent_error:
            errors.setdefault("parent", []).append(parent_error)
        if self.parent_id and self.pk:
            if self.parent_id == self.pk or self.is_ancestor_of_candidate(self.parent):
                errors.setdefault("parent", []).append("上级组织不能是本组织或其下级组织。")
        errors.setdefault("kind", []).extend(self.children_kind_errors())
        errors = {name: messages for name, messages in errors.items() if messages}
        if errors:
            raise ValidationError(errors)

    def children_kind_errors(self) -> list[str]:
        """A stored node whose kind changes must still suit the children it already has."""
        if self.pk is None:
            return []
        stored_kind = Organization.objects.filter(pk=self.pk).values_list("kind", flat=True).first()
        if stored_kind is None or stored_kind == self.kind:
            return []
        messages = []
        for code, kind in self.children.values_list("code", "kind").order_by("code"):
            if parent_kind_error(kind, self.kind):
                messages.append(
                    f"下级组织“{code}”是{OrgKind(kind).label}，不能挂在{OrgKind(self.kind).label}之下，"
                    "请先调整下级组织。"
                )
        return messages

    def date_errors(self) -> dict[str, list[str]]:
        errors: dict[str, list[str]] = {}
        if self.established_on and self.ended_on and self.ended_on < self.established_on:
            errors.setdefault("ended_on", []).append("结束日期不能早于成立日期。")
        if self.kind == OrgKind.TEMPORARY_BRANCH and not self.ended_on:
            errors.setdefault("ended_on", []).append("临时党支部必须填写结束日期。")
        return errors

    def is_ancestor_of_candidate(self, candidate: "Organization") -> bool:
        """Whether ``candidate`` lies in this node's stored subtree (checked before a move)."""
        stored = Organization.objects.filter(pk=self.pk).values("tree_id", "lft", "rght").first()
        if not stored or candidate is None:
            return False
        return (
            candidate.tree_id == stored["tree_id"]
            and stored["lft"] <= candidate.lft <= stored["rght"]
        )

    @property
    def is_community(self) -> bool:
        return self.kind == OrgKind.COMMUNITY_COMMITTEE


class ScopeAssignment(models.Model):
    """A staff user works within the subtree of this node."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="用户",
        on_delete=models.CASCADE,
        related_name="scope_assignments",
    )
    organization = TreeForeignKey(
        Organization,
        verbose_name="管辖组织",
        on_delete=models.CASCADE,
        related_name="scope_assignments",
    )
    created_at = models.DateTimeField("创建时间", auto_now_add=True)

    # Scope is granted to an account by whoever may edit accounts (the user admin).
    link_scopes = {"user": LinkScope.UNSCOPED, "organization": LinkScope.IN_SCOPE}

    class Meta:
        verbose_name = "管辖范围"
        verbose_name_plural = "管辖范围"
        constraints = [
            models.UniqueConstraint(fields=["user", "organization"], name="uniq_scope_user_org")
        ]

    def __str__(self) -> str:
        return f"{self.user} → {self.organization}"
