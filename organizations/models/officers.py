"""Officers (骨干) on every node: 书记 / 委员 of a party organisation, 党小组长, 中心户长, 名誉书记,
and the residents' posts on a community's buildings and grids (楼栋长, 单元长, 居民小组长).

One roster for all of them, anchored at the organisation node (for a building or grid post: the
community the building / grid belongs to), so the tree, the scope, the files and the API treat
them alike. 网格长 stays ``grids.GridWorker`` (role ``leader``): one record per fact.
"""

from __future__ import annotations

from datetime import date

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from mptt.models import TreeForeignKey

from core.links import LinkScope
from core.models import TimeStampedModel
from core.scope import ScopedQuerySet
from core.validators import validate_code, validate_phone
from organizations.choices import (
    BUILDING_POSITIONS,
    GRID_POSITIONS,
    POSITION_NODE_KINDS,
    SINGLE_HOLDER_POSITIONS,
    OfficerPosition,
    position_kinds_label,
)
from organizations.models.codes import CODE_HELP, ReadableCode
from organizations.models.standing import term_errors

P = OfficerPosition
_PARTY_SINGLES = sorted(SINGLE_HOLDER_POSITIONS - BUILDING_POSITIONS)


def current_q(on: date | None = None, prefix: str = "") -> Q:
    """Officers in post on ``on`` (today): started, and not ended before."""
    on = on or date.today()
    return Q(**{f"{prefix}term_start__lte": on}) & (
        Q(**{f"{prefix}term_end__isnull": True}) | Q(**{f"{prefix}term_end__gte": on})
    )


class OfficerQuerySet(ScopedQuerySet):
    def current(self, on: date | None = None):
        return self.filter(current_q(on))


class Officer(ReadableCode, TimeStampedModel):
    """One person holding one position on one node for a term (任期)."""

    code = models.CharField(
        "任职编号",
        max_length=64,
        unique=True,
        blank=True,
        default="",
        help_text=CODE_HELP,
        validators=[validate_code],
    )
    organization = TreeForeignKey(
        "organizations.Organization",
        verbose_name="所在组织",
        on_delete=models.PROTECT,
        related_name="officers",
        blank=True,
        help_text="党组织职务填所在党组织；楼栋长、单元长、居民小组长可留空（取楼栋或网格所属社区）。",
    )
    position = models.CharField("职务", max_length=24, choices=OfficerPosition.choices)
    building = models.ForeignKey(
        "grids.Building",
        verbose_name="楼栋",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="officers",
        help_text="楼栋长、单元长必填。",
    )
    unit_number = models.PositiveSmallIntegerField(
        "单元", null=True, blank=True, help_text="单元长必填：第几单元。"
    )
    grid = models.ForeignKey(
        "grids.Grid",
        verbose_name="网格",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="officers",
        help_text="居民小组长必填：所在网格或微网格。",
    )
    person_name = models.CharField("姓名", max_length=50)
    member = models.ForeignKey(
        "organizations.Member",
        verbose_name="对应党员",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="offices",
    )
    resident = models.ForeignKey(
        "grids.Resident",
        verbose_name="对应居民",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="offices",
    )
    phone = models.CharField("联系电话", max_length=32, blank=True, validators=[validate_phone])
    term_start = models.DateField("任期开始")
    term_end = models.DateField("任期结束", null=True, blank=True)
    note = models.CharField("备注", max_length=200, blank=True)

    objects = OfficerQuerySet.as_manager()
    scope_path = "organization"
    link_scopes = {
        "organization": LinkScope.IN_SCOPE,
        "building": LinkScope.IN_SCOPE,
        "grid": LinkScope.IN_SCOPE,
        "member": LinkScope.IN_SCOPE,
        "resident": LinkScope.IN_SCOPE,
    }
    sensitive_fields = {"phone": "phone"}

    class Meta:
        verbose_name = "骨干任职"
        verbose_name_plural = "骨干任职（书记、委员、党小组长、中心户长、楼栋长…）"
        ordering = ["organization__code", "position", "-term_start", "code"]
        indexes = [
            models.Index(fields=["organization", "position"], name="officer_org_position_idx")
        ]
        constraints = [
            # Open-ended terms (no end date): the database keeps one holder per single post,
            # whatever the writer; overlapping dated terms are refused by the services.
            models.UniqueConstraint(
                fields=["organization", "position"],
                condition=Q(term_end__isnull=True, position__in=_PARTY_SINGLES),
                name="uniq_open_officer_per_node",
                violation_error_message="该组织此职务已有在任人员（任期未结束）。",
            ),
            models.UniqueConstraint(
                fields=["building"],
                condition=Q(term_end__isnull=True, position=P.BUILDING_LEADER),
                name="uniq_open_building_leader",
                violation_error_message="该楼栋已有在任楼栋长（任期未结束）。",
            ),
            models.UniqueConstraint(
                fields=["building", "unit_number"],
                condition=Q(term_end__isnull=True, position=P.UNIT_LEADER),
                name="uniq_open_unit_leader",
                violation_error_message="该单元已有在任单元长（任期未结束）。",
            ),
            models.CheckConstraint(
                condition=Q(term_end__isnull=True) | Q(term_end__gte=models.F("term_start")),
                name="officer_term_order",
                violation_error_message="任期结束早于任期开始。",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_position_display()} {self.person_name}"

    @property
    def is_current(self) -> bool:
        today = date.today()
        return self.term_start <= today and (self.term_end is None or self.term_end >= today)

    def place_label(self) -> str:
        if self.building_id:
            unit = f"{self.unit_number}单元" if self.unit_number else ""
            return f"{self.building}{unit}"
        if self.grid_id:
            return str(self.grid)
        return str(self.organization) if self.organization_id else ""

    place_label.short_description = "任职位置"

    def validate_constraints(self, exclude=None) -> None:
        # The single-holder indexes and the term order are the database's last guard; forms and
        # services check the same rules first with messages that name the clashing holder
        # (``officer_rule_errors``, ``organizations.services.officer_clash_errors``).
        return

    def clean(self) -> None:
        # A building or grid post may leave the organisation blank: it is their community.
        if not self.organization_id:
            if self.building_id:
                self.organization_id = self.building.community_id
            elif self.grid_id:
                self.organization_id = self.grid.community_id
        errors = officer_rule_errors(self)
        if errors:
            raise ValidationError(errors)


def officer_rule_errors(officer: Officer) -> dict[str, list[str]]:
    """Row rules (no query beyond the loaded links), shared by ``clean`` and the import."""
    errors: dict[str, list[str]] = term_errors(officer.term_start, officer.term_end)
    position = officer.position
    if not position or position not in POSITION_NODE_KINDS:
        return errors
    label = P(position).label

    def add(field: str, message: str) -> None:
        errors.setdefault(field, []).append(message)

    if not officer.organization_id:
        add("organization", "请填写所在组织（楼栋长、单元长、居民小组长可由楼栋或网格带出）。")
        return errors
    kind = officer.organization.kind
    if kind not in POSITION_NODE_KINDS[position]:
        add(
            "position",
            f"“{label}”不能设在{officer.organization.get_kind_display()}"
            f"“{officer.organization}”，只能设在：{position_kinds_label(position)}。",
        )
    if position in BUILDING_POSITIONS:
        if not officer.building_id:
            add("building", f"{label}须填写楼栋。")
        elif officer.building.community_id != officer.organization_id:
            add("building", f"楼栋“{officer.building}”不属于“{officer.organization}”。")
        if officer.grid_id:
            add("grid", f"{label}按楼栋任职，不填网格。")
        if position == P.UNIT_LEADER:
            if not officer.unit_number:
                add("unit_number", "单元长须填写第几单元。")
            elif (
                officer.building_id
                and officer.building.units
                and (officer.unit_number > officer.building.units)
            ):
                add(
                    "unit_number",
                    f"楼栋“{officer.building}”只有 {officer.building.units} 个单元。",
                )
        elif officer.unit_number:
            add("unit_number", "只有单元长填写单元。")
    elif position in GRID_POSITIONS:
        if not officer.grid_id:
            add("grid", f"{label}须填写所在网格或微网格。")
        else:
            if officer.grid.level not in ("grid", "micro_grid"):
                add("grid", f"{label}只能设在“网格”或“微网格”。")
            if officer.grid.community_id != officer.organization_id:
                add("grid", f"网格“{officer.grid}”不属于“{officer.organization}”。")
        if officer.building_id:
            add("building", f"{label}按网格任职，不填楼栋。")
        if officer.unit_number:
            add("unit_number", "只有单元长填写单元。")
    else:
        for field, value in (
            ("building", officer.building_id),
            ("grid", officer.grid_id),
            ("unit_number", officer.unit_number),
        ):
            if value:
                add(field, f"{label}是党组织职务，不填楼栋、网格或单元。")
    if officer.resident_id and officer.organization_id:
        grid = officer.resident.household.grid
        if grid.community_id != _community_id(officer):
            add("resident", "该居民不住在本社区。")
    return errors


def _community_id(officer: Officer) -> int | None:
    """The community of the officer's node (the node itself for a community post)."""
    org = officer.organization
    if org.kind == "community_committee":
        return org.pk
    found = getattr(officer, "_community_cache", None)
    if found is None:
        from organizations.models.organization import Organization

        found = (
            Organization.objects.filter(
                tree_id=org.tree_id,
                lft__lte=org.lft,
                rght__gte=org.rght,
                kind="community_committee",
            )
            .values_list("pk", flat=True)
            .first()
        )
        officer._community_cache = found
    return found


def single_key(officer: Officer) -> tuple | None:
    """What 'the same post' means for a single-holder position (None: many may hold it)."""
    if officer.position not in SINGLE_HOLDER_POSITIONS:
        return None
    if officer.position == P.BUILDING_LEADER:
        return (officer.position, "b", officer.building_id)
    if officer.position == P.UNIT_LEADER:
        return (officer.position, "b", officer.building_id, officer.unit_number)
    return (officer.position, "o", officer.organization_id)


def terms_overlap(a_start, a_end, b_start, b_end) -> bool:
    return (a_end is None or b_start <= a_end) and (b_end is None or a_start <= b_end)


def overlap_message(officer: Officer, other_name: str, other_start, other_end) -> str:
    label = P(officer.position).label
    end = f"{other_end:%Y-%m-%d}" if other_end else "至今"
    where = officer.place_label()
    return (
        f"“{where}”的{label}在此任期内已有 {other_name}（{other_start:%Y-%m-%d}—{end}），"
        f"同一时间只能有一位{label}；请先填写前任的任期结束日期。"
    )


def overlapping_officers_q(officer: Officer) -> Q | None:
    """The stored officers whose term clashes with ``officer``'s on the same single post."""
    key = single_key(officer)
    if key is None or not officer.term_start:
        return None
    q = Q(position=officer.position)
    if key[1] == "b":
        q &= Q(building_id=officer.building_id)
        if officer.position == P.UNIT_LEADER:
            q &= Q(unit_number=officer.unit_number)
    else:
        q &= Q(organization_id=officer.organization_id)
    q &= Q(term_end__isnull=True) | Q(term_end__gte=officer.term_start)
    if officer.term_end is not None:
        q &= Q(term_start__lte=officer.term_end)
    if officer.pk is not None:
        q &= ~Q(pk=officer.pk)
    return q
