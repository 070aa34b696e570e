from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from mptt.managers import TreeManager
from mptt.models import MPTTModel, TreeForeignKey

from core.links import LinkScope
from core.models import TimeStampedModel
from core.scope import ScopedQuerySet
from core.validators import validate_code, validate_phone
from grids.choices import ALLOWED_PARENT_LEVELS, GridLevel, WorkerRole
from grids.validators import validate_boundary
from organizations.choices import COMMUNITY_BRANCH_KINDS, OrgKind

# Which organisation kinds may cover a grid node of each level (支部建在网格上).
COVERING_KINDS: dict[str, frozenset] = {
    GridLevel.SECTOR: COMMUNITY_BRANCH_KINDS,
    GridLevel.GRID: COMMUNITY_BRANCH_KINDS,
    GridLevel.MICRO_GRID: COMMUNITY_BRANCH_KINDS | {OrgKind.BUILDING_GROUP},
}


class GridQuerySet(ScopedQuerySet):
    pass


class GridManager(TreeManager.from_queryset(GridQuerySet)):
    pass


def parent_level_error(level: str, parent_level: str | None) -> str | None:
    if parent_level in ALLOWED_PARENT_LEVELS.get(level, ()):
        return None
    allowed = "、".join(
        GridLevel(p).label if p else "无上级（社区网格为根）"
        for p in sorted(ALLOWED_PARENT_LEVELS[level], key=str)
    )
    where = GridLevel(parent_level).label if parent_level else "根节点"
    return f"{GridLevel(level).label}不能设在{where}之下，上级应为：{allowed}。"


def covering_branch_errors(grid: "Grid") -> dict[str, list[str]]:
    """支部建在网格上: a grid or micro-grid (or sector) is covered by a branch of its own
    community; a micro-grid may also be covered by a building party group (楼栋党小组)."""
    if not grid.covering_branch_id:
        return {}
    branch = grid.covering_branch
    allowed = COVERING_KINDS.get(grid.level, frozenset())
    if branch.kind not in allowed:
        where = GridLevel(grid.level).label if grid.level else "网格"
        if not allowed:
            message = f"{where}不设覆盖党组织（只有片区、网格、微网格可以）。"
        else:
            kinds = "、".join(sorted(OrgKind(k).label for k in allowed))
            message = f"“{branch}”是{branch.get_kind_display()}，{where}的覆盖党组织应为：{kinds}。"
        return {"covering_branch": [message]}
    if grid.community_id and not (
        branch.tree_id == grid.community.tree_id
        and grid.community.lft < branch.lft < grid.community.rght
    ):
        return {"covering_branch": [f"“{branch}”不在{grid.community}之下。"]}
    return {}


class Grid(MPTTModel, TimeStampedModel):
    """A node of the grid tree: community → sector (片区) → grid (网格) → micro-grid (微网格).

    Every node is tied to its community's party organisation, which is also its scope.
    """

    code = models.CharField("网格编码", max_length=64, unique=True, validators=[validate_code])
    name = models.CharField("名称", max_length=120)
    level = models.CharField("层级", max_length=16, choices=GridLevel.choices, db_index=True)
    parent = TreeForeignKey(
        "self",
        verbose_name="上级网格",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
    )
    community = TreeForeignKey(
        "organizations.Organization",
        verbose_name="所属社区",
        on_delete=models.PROTECT,
        related_name="grids",
        limit_choices_to={"kind": "community_committee"},
    )
    boundary = models.JSONField(
        "边界（GeoJSON）",
        null=True,
        blank=True,
        validators=[validate_boundary],
        help_text="GeoJSON Polygon 或 MultiPolygon，坐标为 [经度, 纬度]。",
    )
    covering_branch = TreeForeignKey(
        "organizations.Organization",
        verbose_name="覆盖党组织",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="covered_grids",
        help_text="支部建在网格上：覆盖本网格的小区（功能型等）党支部，微网格可为楼栋党小组。",
    )
    note = models.CharField("备注", max_length=200, blank=True)

    objects = GridManager()
    scope_path = "community"
    link_scopes = {
        "parent": LinkScope.IN_SCOPE,
        "community": LinkScope.IN_SCOPE,
        "covering_branch": LinkScope.IN_SCOPE,
    }

    class MPTTMeta:
        # "level" is the grid level (community/sector/grid/micro_grid), so the tree depth
        # gets its own name.
        level_attr = "depth"
        order_insertion_by = ["code"]

    class Meta:
        verbose_name = "网格"
        verbose_name_plural = "网格"
        indexes = [models.Index(fields=["tree_id", "lft"], name="grid_tree_lft_idx")]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        errors: dict[str, list[str]] = {}
        if self.community_id and self.community.kind != "community_committee":
            errors.setdefault("community", []).append("所属社区必须是社区党组织。")
        if self.level:
            parent = self.parent if self.parent_id else None
            message = parent_level_error(self.level, parent.level if parent else None)
            if message:
                errors.setdefault("parent", []).append(message)
            if (
                parent is not None
                and self.community_id
                and parent.community_id != self.community_id
            ):
                errors.setdefault("parent", []).append(
                    f"上级网格“{parent}”属于另一个社区，网格不能跨社区挂接。"
                )
        errors.update(covering_branch_errors(self))
        if self.parent_id and self.pk:
            stored = Grid.objects.filter(pk=self.pk).values("tree_id", "lft", "rght").first()
            parent = self.parent
            if stored and (
                parent.pk == self.pk
                or (
                    parent.tree_id == stored["tree_id"]
                    and stored["lft"] <= parent.lft <= stored["rght"]
                )
            ):
                errors.setdefault("parent", []).append("上级网格不能是本网格或其下级网格。")
        if errors:
            raise ValidationError(errors)


class GridWorker(TimeStampedModel):
    """网格长 / 专职网格员 / 兼职网格员: a system user, or a person known by name and phone."""

    code = models.CharField("编号", max_length=64, unique=True, validators=[validate_code])
    grid = TreeForeignKey(
        Grid, verbose_name="网格", on_delete=models.PROTECT, related_name="workers"
    )
    role = models.CharField("岗位", max_length=16, choices=WorkerRole.choices)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="系统账号",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="grid_posts",
    )
    name = models.CharField("姓名", max_length=64)
    phone = models.CharField("电话", max_length=32, blank=True, validators=[validate_phone])
    work_phone = models.CharField(
        "工作电话",
        max_length=32,
        blank=True,
        validators=[validate_phone],
        help_text="对居民公开的值班 / 工作电话，显示在居民服务“找社区”页面；个人电话不公开。",
    )
    active = models.BooleanField("在岗", default=True)

    scope_path = "grid__community"
    link_scopes = {
        "grid": LinkScope.IN_SCOPE,
        "user": LinkScope.IN_SCOPE,
    }
    sensitive_fields = {"phone": "phone"}

    class Meta:
        verbose_name = "网格员"
        verbose_name_plural = "网格员"
        ordering = ["grid__code", "role", "code"]
        constraints = [
            models.UniqueConstraint(
                fields=["grid"],
                condition=Q(role="leader", active=True),
                name="uniq_active_grid_leader",
                violation_error_message="该网格已有在岗的网格长。",
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_role_display()} {self.name}"

    def clean(self) -> None:
        if not self.user_id and not self.phone:
            raise ValidationError({"phone": "没有系统账号的网格员必须填写电话。"})
