"""街乡吹哨、部门报到 and 社区吹哨、党员报到: the records a whistle goes to, and the accounts
that act for them.

- ``Department``: a 职能部门 (or a 驻区单位 taking part) under one street. A 吹哨 dispatch
  (``Case.dispatch_kind == "department"``) points at one (``Case.department``).
- ``DeskAccount``: a login that acts for a department, or for a registered in-service member
  (双报到 ``CommunityRegistration``) or a sent-down cadre (``SentDownCadre``). What such a user
  may see of cases is decided in one place, ``Case.objects.visible_to`` (``CaseQuerySet``).
"""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from mptt.models import TreeForeignKey

from core.links import LinkScope
from core.scope import ScopedQuerySet
from core.validators import validate_phone
from grids.choices import DepartmentKind


class Department(models.Model):
    """职能部门 / 驻区单位 that a street whistles to (吹哨报到)."""

    code = models.CharField("部门编码", max_length=32, unique=True)
    name = models.CharField("部门名称", max_length=120)
    kind = models.CharField(
        "类型", max_length=16, choices=DepartmentKind.choices, default=DepartmentKind.DEPARTMENT
    )
    street = TreeForeignKey(
        "organizations.Organization",
        verbose_name="所属街道",
        on_delete=models.PROTECT,
        related_name="departments",
        limit_choices_to={"kind": "street_committee"},
    )
    contact = models.CharField("联系人", max_length=64, blank=True)
    phone = models.CharField("联系电话", max_length=32, blank=True, validators=[validate_phone])
    active = models.BooleanField("在用", default=True)

    objects = ScopedQuerySet.as_manager()
    scope_path = "street"
    link_scopes = {"street": LinkScope.IN_SCOPE}

    class Meta:
        verbose_name = "职能部门"
        verbose_name_plural = "职能部门"
        ordering = ["street_id", "name"]
        constraints = [
            models.UniqueConstraint(fields=["street", "name"], name="uniq_department_street_name")
        ]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        if self.street_id and self.street.kind != "street_committee":
            raise ValidationError({"street": ["部门应挂在街道党工委节点下。"]})


class DeskAccount(models.Model):
    """派单账号: a user acting for exactly one department, registered member or sent-down
    cadre. ``organization`` (the scope anchor: the department's street, or the registration's
    / cadre's community) is filled by the service."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        verbose_name="用户",
        on_delete=models.CASCADE,
        related_name="desk_account",
    )
    organization = TreeForeignKey(
        "organizations.Organization",
        verbose_name="所属街道/社区",
        on_delete=models.PROTECT,
        related_name="+",
        editable=False,
    )
    department = models.ForeignKey(
        Department,
        verbose_name="职能部门",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="accounts",
    )
    registration = models.ForeignKey(
        "organizations.CommunityRegistration",
        verbose_name="双报到党员",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="desk_accounts",
    )
    cadre = models.ForeignKey(
        "organizations.SentDownCadre",
        verbose_name="下沉干部",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="desk_accounts",
    )

    objects = ScopedQuerySet.as_manager()
    scope_path = "organization"
    link_scopes = {
        # like organizations.ScopeAssignment: whoever may edit accounts picks the user
        "user": LinkScope.UNSCOPED,
        "department": LinkScope.IN_SCOPE,
        "registration": LinkScope.IN_SCOPE,
        "cadre": LinkScope.IN_SCOPE,
    }

    class Meta:
        verbose_name = "派单账号"
        verbose_name_plural = "派单账号（部门·党员）"
        constraints = [
            models.CheckConstraint(
                condition=(
                    models.Q(
                        department__isnull=False, registration__isnull=True, cadre__isnull=True
                    )
                    | models.Q(
                        department__isnull=True, registration__isnull=False, cadre__isnull=True
                    )
                    | models.Q(
                        department__isnull=True, registration__isnull=True, cadre__isnull=False
                    )
                ),
                name="desk_account_one_target",
            )
        ]

    def __str__(self) -> str:
        return f"{self.user} → {self.department or self.registration or self.cadre}"

    def clean(self) -> None:
        if (
            sum(x is not None for x in (self.department_id, self.registration_id, self.cadre_id))
            != 1
        ):
            raise ValidationError("请只选择一个：职能部门、双报到党员或下沉干部。")
