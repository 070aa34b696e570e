import secrets

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from mptt.models import TreeForeignKey
from simple_history.models import HistoricalRecords

from core.links import LinkScope
from core.models import TimeStampedModel
from core.scope import ScopedQuerySet
from core.validators import (
    birth_date_from_id,
    normalize_id_number,
    validate_code,
    validate_id_number,
    validate_phone,
)
from grids.choices import CARE_FLAGS, Gender, GridLevel, Relation, ResidentType
from grids.placenames import building_number, split_aliases


class Compound(TimeStampedModel):
    """小区: a residential compound in one community, with the names residents call it by."""

    code = models.CharField("小区编码", max_length=64, unique=True, validators=[validate_code])
    name = models.CharField("小区名称", max_length=120)
    aliases = models.CharField(
        "别名",
        max_length=300,
        blank=True,
        help_text="居民常用的其他叫法，用顿号或逗号隔开，例如：园林花园、老园林。",
    )
    community = TreeForeignKey(
        "organizations.Organization",
        verbose_name="所属社区",
        on_delete=models.PROTECT,
        related_name="residential_compounds",
        limit_choices_to={"kind": "community_committee"},
    )
    address = models.CharField("地址", max_length=200, blank=True)

    objects = ScopedQuerySet.as_manager()
    scope_path = "community"
    link_scopes = {
        "community": LinkScope.IN_SCOPE,
    }

    class Meta:
        verbose_name = "小区"
        verbose_name_plural = "小区"
        ordering = ["code"]
        constraints = [
            models.UniqueConstraint(
                fields=["community", "name"],
                name="uniq_compound_name_in_community",
                violation_error_message="本社区已有同名小区。",
            )
        ]

    def __str__(self) -> str:
        return self.name

    def alias_list(self) -> list[str]:
        return [a for a in split_aliases(self.aliases) if a != self.name]

    def names(self) -> list[str]:
        """The name and every alias: what residents may call it."""
        return [self.name, *self.alias_list()]

    def clean(self) -> None:
        self.name = (self.name or "").strip()
        self.aliases = "、".join(self.alias_list())
        if len(self.aliases) > 300:
            raise ValidationError({"aliases": "别名太长了（最多 300 字）。"})
        if self.community_id and self.community.kind != "community_committee":
            raise ValidationError({"community": "所属社区必须是社区党组织。"})


class Building(TimeStampedModel):
    """楼栋: in one compound of one community and in one grid (all must agree); residents
    call it by its compound and number (“园林小区 3号楼”) and name its units (单元)."""

    code = models.CharField("楼栋编码", max_length=64, unique=True, validators=[validate_code])
    name = models.CharField("楼栋名称", max_length=120, help_text="例如：3号楼。")
    community = TreeForeignKey(
        "organizations.Organization",
        verbose_name="所属社区",
        on_delete=models.PROTECT,
        related_name="buildings",
        limit_choices_to={"kind": "community_committee"},
    )
    grid = TreeForeignKey(
        "grids.Grid",
        verbose_name="所属网格",
        on_delete=models.PROTECT,
        related_name="buildings",
        limit_choices_to={"level": GridLevel.GRID},
    )
    compound = models.ForeignKey(
        Compound,
        verbose_name="所在小区",
        on_delete=models.PROTECT,
        related_name="buildings",
    )
    number = models.CharField(
        "楼号",
        max_length=16,
        blank=True,
        help_text="居民说的几号楼、几栋，只写号，例如 3；留空时按楼栋名称取。",
    )
    units = models.PositiveSmallIntegerField(
        "单元数", null=True, blank=True, help_text="这栋楼有几个单元；不分单元的留空。"
    )
    address = models.CharField("地址", max_length=200, blank=True)
    floors = models.PositiveSmallIntegerField("层数", null=True, blank=True)

    objects = ScopedQuerySet.as_manager()
    scope_path = "community"
    link_scopes = {
        "community": LinkScope.IN_SCOPE,
        "grid": LinkScope.IN_SCOPE,
        "compound": LinkScope.IN_SCOPE,
    }

    class Meta:
        verbose_name = "楼栋"
        verbose_name_plural = "楼栋"
        ordering = ["code"]
        indexes = [models.Index(fields=["compound", "number"], name="building_compound_no_idx")]

    def __str__(self) -> str:
        return f"{self.compound.name}{self.name}" if self.compound_id else self.name

    def clean(self) -> None:
        self.number = building_number(self.number or self.name)
        errors: dict[str, list[str]] = {}
        if self.community_id and self.community.kind != "community_committee":
            errors.setdefault("community", []).append("所属社区必须是社区党组织。")
        if self.grid_id:
            if self.grid.level != GridLevel.GRID:
                errors.setdefault("grid", []).append("楼栋只能划入“网格”层级的节点。")
            if self.community_id and self.grid.community_id != self.community_id:
                errors.setdefault("grid", []).append(
                    f"网格“{self.grid}”属于{self.grid.community}，与楼栋所在社区“{self.community}”不一致。"
                )
        if (
            self.compound_id
            and self.community_id
            and self.compound.community_id != self.community_id
        ):
            errors.setdefault("compound", []).append(
                f"小区“{self.compound}”属于{self.compound.community}，与楼栋所在社区“{self.community}”不一致。"
            )
        if errors:
            raise ValidationError(errors)


def household_rule_errors(household: "Household") -> dict[str, list[str]]:
    """Invariants of one household row, shared by clean() and the bulk roster import."""
    errors: dict[str, list[str]] = {}
    grid = household.grid if household.grid_id else None
    if grid is not None and grid.level != GridLevel.GRID:
        errors.setdefault("grid", []).append("户只能划入“网格”层级的节点。")
    if household.micro_grid_id:
        micro = household.micro_grid
        if micro.level != GridLevel.MICRO_GRID:
            errors.setdefault("micro_grid", []).append("微网格字段只能选择“微网格”层级的节点。")
        elif grid is not None and micro.parent_id != grid.pk:
            errors.setdefault("micro_grid", []).append(f"微网格“{micro}”不在网格“{grid}”之下。")
    if household.building_id and grid is not None and household.building.grid_id != grid.pk:
        errors.setdefault("building", []).append(
            f"楼栋“{household.building}”属于网格“{household.building.grid}”，与户所在网格“{grid}”不一致。"
        )
    return errors


class Household(TimeStampedModel):
    """户: a door in a building, held in a grid (and optionally a micro-grid)."""

    code = models.CharField("户编码", max_length=64, unique=True, validators=[validate_code])
    building = models.ForeignKey(
        Building,
        verbose_name="楼栋",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="households",
    )
    door_number = models.CharField("门牌号", max_length=64)
    grid = TreeForeignKey(
        "grids.Grid",
        verbose_name="网格",
        on_delete=models.PROTECT,
        related_name="households",
        limit_choices_to={"level": GridLevel.GRID},
    )
    micro_grid = TreeForeignKey(
        "grids.Grid",
        verbose_name="微网格",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="micro_households",
        limit_choices_to={"level": GridLevel.MICRO_GRID},
    )
    head_name = models.CharField("户主姓名", max_length=64)
    size = models.PositiveSmallIntegerField("户人数", default=1)
    note = models.CharField("备注", max_length=200, blank=True)

    history = HistoricalRecords()
    objects = ScopedQuerySet.as_manager()
    scope_path = "grid__community"
    link_scopes = {
        "building": LinkScope.IN_SCOPE,
        "grid": LinkScope.IN_SCOPE,
        "micro_grid": LinkScope.IN_SCOPE,
    }

    class Meta:
        verbose_name = "户"
        verbose_name_plural = "户"
        ordering = ["code"]

    def __str__(self) -> str:
        where = str(self.building) if self.building_id else ""
        return f"{where}{self.door_number}（{self.head_name}）"

    def clean(self) -> None:
        errors = household_rule_errors(self)
        if errors:
            raise ValidationError(errors)


def new_resident_code() -> str:
    # 60 random bits: a natural key for URLs and files that says nothing about the person.
    return "R" + secrets.token_hex(8)[:15].upper()


def resident_rule_errors(resident: "Resident") -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    if resident.birth_date and resident.id_number:
        born = birth_date_from_id(resident.id_number)
        if born and born != resident.birth_date:
            errors.setdefault("birth_date", []).append("出生日期与身份证号不一致。")
    return errors


class Resident(TimeStampedModel):
    """居民 of a household; ID number and phone are masked everywhere (core.sensitive)."""

    code = models.CharField(
        "居民编号",
        max_length=64,
        unique=True,
        default=new_resident_code,
        validators=[validate_code],
    )
    household = models.ForeignKey(
        Household, verbose_name="户", on_delete=models.PROTECT, related_name="residents"
    )
    name = models.CharField("姓名", max_length=64)
    id_number = models.CharField(
        "身份证号", max_length=18, blank=True, validators=[validate_id_number]
    )
    gender = models.CharField("性别", max_length=8, choices=Gender.choices, blank=True)
    birth_date = models.DateField("出生日期", null=True, blank=True)
    phone = models.CharField("电话", max_length=32, blank=True, validators=[validate_phone])
    relation = models.CharField("与户主关系", max_length=16, choices=Relation.choices)
    resident_type = models.CharField(
        "人员类型", max_length=16, choices=ResidentType.choices, default=ResidentType.REGISTERED
    )
    elderly_alone = models.BooleanField(CARE_FLAGS["elderly_alone"], default=False)
    empty_nest = models.BooleanField(CARE_FLAGS["empty_nest"], default=False)
    disabled = models.BooleanField(CARE_FLAGS["disabled"], default=False)
    low_income = models.BooleanField(CARE_FLAGS["low_income"], default=False)
    key_person = models.BooleanField(CARE_FLAGS["key_person"], default=False)
    left_behind_child = models.BooleanField(CARE_FLAGS["left_behind_child"], default=False)
    note = models.CharField("备注", max_length=200, blank=True)

    history = HistoricalRecords()
    objects = ScopedQuerySet.as_manager()
    scope_path = "household__grid__community"
    link_scopes = {
        "household": LinkScope.IN_SCOPE,
    }
    sensitive_fields = {"id_number": "id", "phone": "phone"}

    class Meta:
        verbose_name = "居民"
        verbose_name_plural = "居民"
        ordering = ["household__code", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["id_number"],
                condition=~Q(id_number=""),
                name="uniq_resident_id_number",
                violation_error_message="该身份证号已登记在其他户中。",
            )
        ]

    def __str__(self) -> str:
        return self.name

    def fill_from_id_number(self) -> None:
        """Birth date and gender follow the ID number (GB 11643: digit 17 odd = male)."""
        self.id_number = normalize_id_number(self.id_number)
        born = birth_date_from_id(self.id_number)
        if born is not None:
            self.birth_date = self.birth_date or born
            self.gender = Gender.MALE if int(self.id_number[16]) % 2 else Gender.FEMALE

    @property
    def care_flags(self) -> list[str]:
        return [label for name, label in CARE_FLAGS.items() if getattr(self, name)]

    def clean(self) -> None:
        errors = resident_rule_errors(self)
        if errors:
            raise ValidationError(errors)
