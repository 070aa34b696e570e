"""Files of the grids app, by code: grids (a tree), grid workers, buildings, residents,
central-household links, visit diaries, cases; and the fast household/resident roster.

All follow core.importing: Chinese headers, every bad row reported as "第 N 行 列: 原因",
nothing written unless the whole file is clean, one transaction.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count, Q
from django.utils import timezone

from core.importing import (
    _KEY_TAKEN,
    BaseImporter,
    Column,
    RowError,
    RowInvalid,
    choice_parser,
    parse_bool,
    parse_date,
    parse_int,
)
from core.links import linkable
from core.masking import mask_id_number
from core.scope import in_scope
from core.services import audit
from core.validators import normalize_id_number, normalize_phone
from grids.choices import (
    CARE_FLAGS,
    CENTRAL_HOUSEHOLD_KINDS,
    CENTRAL_HOUSEHOLD_MAX,
    CaseCategory,
    CaseSource,
    GridLevel,
    Relation,
    ResidentType,
    VisitorKind,
    WorkerRole,
)
from grids.models import (
    Building,
    Case,
    CentralHouseholdLink,
    Compound,
    Grid,
    GridWorker,
    Household,
    Resident,
    VisitLog,
)
from grids.models.grid import covering_branch_errors, parent_level_error
from grids.services.cases import case_report, location_of
from grids.services.grid import lock_grid_tree
from grids.services.visits import require_visit_member_in_scope
from organizations.models import Member, Organization

FLAG_FIELDS = list(CARE_FLAGS)


def _code(obj) -> str:
    return obj.code if obj is not None else ""


class _Lookup:
    """Rows referred to by code, loaded once per file (and only within the user's scope)."""

    def __init__(self, user, model, *, scoped: bool = True, link=None, **filters):
        """``link``: ``(model, field)`` whose declared reach (``core.links.linkable``) bounds
        the lookup, so a record out of reach is "not found" exactly like an unknown code."""
        self.user, self.model, self.scoped, self.filters = user, model, scoped, filters
        self.base = linkable(user, *link) if link else model._default_manager.all()
        self.cache: dict[str, Any] = {}

    def load(self, codes) -> None:
        wanted = [c for c in set(codes) if c and c not in self.cache]
        for start in range(0, len(wanted), 5000):
            chunk = wanted[start : start + 5000]
            for obj in self.base.filter(code__in=chunk, **self.filters):
                self.cache[obj.code] = obj
            for code in chunk:
                self.cache.setdefault(code, None)

    def get(self, code: str, header: str, label: str):
        if not code:
            return None
        obj = self.cache.get(code)
        if obj is None:
            raise RowInvalid([(header, f"找不到{label}“{code}”。")])
        return obj


def _require_scope(user, org, header: str, code: str, label: str = "") -> None:
    """A backstop behind the ``linkable`` lookups: out of scope answers like unknown."""
    if not in_scope(user, org):
        raise RowInvalid([(header, f"找不到{label}“{code}”。")])


class GridImporter(BaseImporter):
    """The grid tree: parents by code (in the file or the system), each node's community."""

    model = Grid
    title = sheet_name = "网格"
    columns = [
        Column("code", "网格编码", required=True, help="全系统唯一"),
        Column("name", "名称", required=True),
        Column(
            "level",
            "层级",
            required=True,
            parse=choice_parser(GridLevel),
            help="社区网格、片区、网格、微网格",
            export=lambda g: g.get_level_display(),
        ),
        Column(
            "parent_code", "上级网格编码", help="社区网格留空", export=lambda g: _code(g.parent)
        ),
        Column("community_code", "所属社区编码", required=True, export=lambda g: g.community.code),
        Column(
            "covering_branch_code",
            "覆盖党组织编码",
            help="支部建在网格上：小区等党支部编码，微网格可填楼栋党小组；留空为无",
            export=lambda g: _code(g.covering_branch),
        ),
        Column("note", "备注"),
    ]

    def prepare(self, rows):
        super().prepare(rows)
        self.branches = {
            o.code: o
            for o in linkable(self.user, Grid, "covering_branch").filter(
                code__in={v.get("covering_branch_code") for _, v in rows} - {None, ""}
            )
        }
        # Communities and stored parents as far as the API reaches (core.links): anything
        # else is "not found", like an unknown code.
        self.communities = {
            o.code: o
            for o in linkable(self.user, Grid, "community").filter(
                code__in={v.get("community_code") for _, v in rows}
            )
        }
        self.linkable_parents = set(
            linkable(self.user, Grid, "parent")
            .filter(code__in={v.get("parent_code") for _, v in rows})
            .values_list("code", flat=True)
        )
        self.db_nodes = {
            code: (parent, level, community_id)
            for code, parent, level, community_id in Grid.objects.values_list(
                "code", "parent__code", "level", "community_id"
            )
        }
        self.file_parent: dict[str, str | None] = {}

    def build(self, row, values):
        code = values["code"]
        community = self.communities.get(values["community_code"])
        if community is None:
            raise RowInvalid([("所属社区编码", f"找不到社区“{values['community_code']}”。")])
        if community.kind != "community_committee":
            raise RowInvalid([("所属社区编码", f"“{community.code}”不是社区党组织。")])
        _require_scope(self.user, community, "所属社区编码", community.code, "社区")
        obj = self.existing.get(code) or Grid(code=code)
        if obj.pk and not in_scope(self.user, obj.community):
            raise RowInvalid([("网格编码", _KEY_TAKEN.format(code))])
        obj.name, obj.level, obj.note = values["name"], values["level"], values.get("note", "")
        obj.community = community
        if "covering_branch_code" in values:
            branch_code = values["covering_branch_code"]
            branch = self.branches.get(branch_code) if branch_code else None
            if branch_code and branch is None:
                raise RowInvalid([("覆盖党组织编码", f"找不到党组织“{branch_code}”。")])
            obj.covering_branch = branch
            problems = covering_branch_errors(obj)
            if problems:
                raise RowInvalid([("覆盖党组织编码", problems["covering_branch"][0])])
        self.file_parent[code] = values.get("parent_code") or None
        return obj

    def clean_instance(self, obj):
        obj.clean_fields(exclude=["code", "parent", "community", "lft", "rght", "tree_id", "level"])

    def check_all(self, items):
        errors: list[RowError] = []
        file_nodes = {obj.code: obj for _, obj in items}

        def info(code):
            if code in file_nodes:
                n = file_nodes[code]
                return self.file_parent[code], n.level, n.community_id
            return self.db_nodes.get(code)

        for row, obj in items:
            parent_code = self.file_parent[obj.code]
            parent = info(parent_code) if parent_code else None
            reachable = parent_code in file_nodes or parent_code in self.linkable_parents
            if parent_code and (parent is None or not reachable):
                errors.append(RowError(row, "上级网格编码", f"找不到上级网格“{parent_code}”。"))
                continue
            message = parent_level_error(obj.level, parent[1] if parent else None)
            if message:
                errors.append(RowError(row, "上级网格编码", message))
            if parent and parent[2] != obj.community_id:
                errors.append(RowError(row, "上级网格编码", "上级网格属于另一个社区。"))
            seen, cursor = {obj.code}, parent_code
            while cursor:
                if cursor in seen:
                    errors.append(RowError(row, "上级网格编码", "上级关系形成循环。"))
                    break
                seen.add(cursor)
                node = info(cursor)
                cursor = node[0] if node else None
        return errors

    def save(self, new, changed):
        lock_grid_tree()
        for obj in new:
            obj.tree_id = obj.lft = obj.rght = obj.depth = 0
            obj.parent = None
        Grid.objects.bulk_create(new, batch_size=self.batch_size)
        Grid.objects.bulk_update(changed, ["name", "level", "note", "community", "covering_branch"])
        ids = dict(Grid.objects.values_list("code", "pk"))
        relinked = []
        for obj in [*new, *changed]:
            parent = self.file_parent[obj.code]
            obj.parent_id = ids[parent] if parent else None
            relinked.append(obj)
        Grid.objects.bulk_update(relinked, ["parent"], batch_size=self.batch_size)
        Grid.objects.rebuild()

    def export_queryset(self, queryset):
        return queryset.select_related("parent", "community", "covering_branch").order_by(
            "tree_id", "lft"
        )

    def after_save(self, result):
        audit(
            actor=self.user,
            action="grid.import",
            target_type="grids.grid",
            target_repr=f"导入网格 {result.created + result.updated} 条",
            detail={"created": result.created, "updated": result.updated},
        )


class GridWorkerImporter(BaseImporter):
    model = GridWorker
    title = sheet_name = "网格员"
    columns = [
        Column("code", "编号", required=True),
        Column("grid_code", "网格编码", required=True, export=lambda w: w.grid.code),
        Column(
            "role",
            "岗位",
            required=True,
            parse=choice_parser(WorkerRole),
            export=lambda w: w.get_role_display(),
        ),
        Column("name", "姓名", required=True),
        Column("phone", "电话", parse=normalize_phone),
        Column("work_phone", "工作电话", parse=normalize_phone),
        Column("username", "系统账号", export=lambda w: w.user.username if w.user_id else ""),
        Column("active", "在岗", parse=lambda v: parse_bool(v or "是")),
    ]

    def prepare(self, rows):
        super().prepare(rows)
        self.grids = _Lookup(self.user, Grid, link=(GridWorker, "grid"))
        self.grids.load(v.get("grid_code") for _, v in rows)
        names = {v.get("username") for _, v in rows if v.get("username")}
        allowed = linkable(self.user, GridWorker, "user")  # as the API: else "not found"
        self.users = {u.username: u for u in allowed.filter(username__in=names)}

    def build(self, row, values):
        grid = self.grids.get(values["grid_code"], "网格编码", "网格")
        _require_scope(self.user, grid.community, "网格编码", grid.code, "网格")
        obj = self.existing.get(values["code"]) or GridWorker(code=values["code"])
        if obj.pk and not in_scope(self.user, obj.grid.community):
            raise RowInvalid([("编号", _KEY_TAKEN.format(obj.code))])
        username = values.get("username")
        if username and username not in self.users:
            raise RowInvalid([("系统账号", f"找不到账号“{username}”。")])
        obj.grid, obj.role, obj.name = grid, values["role"], values["name"]
        obj.phone = values.get("phone", obj.phone)
        obj.work_phone = values.get("work_phone", obj.work_phone)
        obj.user = self.users.get(username) if username else None
        obj.active = values.get("active", True)
        return obj

    def check_all(self, items):
        errors, leaders = [], {}
        for row, obj in items:
            if obj.role == WorkerRole.LEADER and obj.active:
                if obj.grid_id in leaders:
                    errors.append(
                        RowError(
                            row,
                            "岗位",
                            f"与第 {leaders[obj.grid_id]} 行重复：一个网格只有一名网格长。",
                        )
                    )
                leaders[obj.grid_id] = row
        existing = GridWorker.objects.filter(
            grid_id__in=leaders, role=WorkerRole.LEADER, active=True
        ).exclude(code__in=[obj.code for _, obj in items])
        for worker in existing.select_related("grid"):
            errors.append(
                RowError(
                    leaders[worker.grid_id],
                    "岗位",
                    f"网格“{worker.grid}”已有网格长 {worker.name}。",
                )
            )
        return errors

    def export_queryset(self, queryset):
        return queryset.select_related("grid", "user")


class CompoundImporter(BaseImporter):
    """小区 with the names residents use (别名, separated by 、 or commas)."""

    model = Compound
    title = sheet_name = "小区"
    columns = [
        Column("code", "小区编码", required=True, help="全系统唯一", example="TD-ZQ-YL-XQ01"),
        Column("name", "小区名称", required=True, example="园林小区"),
        Column(
            "aliases", "别名", help="居民常用的其他叫法，用顿号隔开", example="园林花园、老园林"
        ),
        Column(
            "community_code",
            "所属社区编码",
            required=True,
            export=lambda c: c.community.code,
            example="TD-ZQ-YL",
        ),
        Column("address", "地址"),
    ]

    def prepare(self, rows):
        super().prepare(rows)
        self.communities = _Lookup(
            self.user, Organization, link=(Compound, "community"), kind="community_committee"
        )
        self.communities.load(v.get("community_code") for _, v in rows)

    def build(self, row, values):
        community = self.communities.get(values["community_code"], "所属社区编码", "社区")
        _require_scope(self.user, community, "所属社区编码", community.code, "社区")
        obj = self.existing.get(values["code"]) or Compound(code=values["code"])
        if obj.pk and not in_scope(self.user, obj.community):
            raise RowInvalid([("小区编码", _KEY_TAKEN.format(obj.code))])
        obj.community = community
        for name in ("name", "aliases", "address"):
            if name in values:
                setattr(obj, name, values[name])
        return obj

    def column_header(self, field_name):
        return {"community": "所属社区编码"}.get(field_name) or super().column_header(field_name)

    def export_queryset(self, queryset):
        return queryset.select_related("community")


class BuildingImporter(BaseImporter):
    model = Building
    title = sheet_name = "楼栋"
    columns = [
        Column("code", "楼栋编码", required=True),
        Column("name", "楼栋名称", required=True, example="3号楼"),
        Column("community_code", "所属社区编码", required=True, export=lambda b: b.community.code),
        Column("grid_code", "网格编码", required=True, export=lambda b: b.grid.code),
        Column(
            "compound_code",
            "小区编码",
            required=True,
            help="先在“小区”中登记",
            export=lambda b: b.compound.code,
        ),
        Column("number", "楼号", help="居民说的几号楼，只写号；留空按楼栋名称取", example="3"),
        Column("units", "单元数", parse=parse_int, example="2"),
        Column("address", "地址"),
        Column("floors", "层数", parse=parse_int),
    ]

    def prepare(self, rows):
        super().prepare(rows)
        self.grids = _Lookup(self.user, Grid, link=(Building, "grid"))
        self.grids.load(v.get("grid_code") for _, v in rows)
        self.communities = _Lookup(
            self.user, Organization, link=(Building, "community"), kind="community_committee"
        )
        self.communities.load(v.get("community_code") for _, v in rows)
        self.compounds = _Lookup(self.user, Compound, link=(Building, "compound"))
        self.compounds.load(v.get("compound_code") for _, v in rows)

    def build(self, row, values):
        community = self.communities.get(values["community_code"], "所属社区编码", "社区")
        grid = self.grids.get(values["grid_code"], "网格编码", "网格")
        compound = self.compounds.get(values["compound_code"], "小区编码", "小区")
        _require_scope(self.user, community, "所属社区编码", community.code, "社区")
        obj = self.existing.get(values["code"]) or Building(code=values["code"])
        if obj.pk and not in_scope(self.user, obj.community):
            raise RowInvalid([("楼栋编码", _KEY_TAKEN.format(obj.code))])
        obj.community, obj.grid, obj.compound = community, grid, compound
        for name in ("name", "number", "units", "address", "floors"):
            if name in values:
                setattr(obj, name, values[name])
        return obj

    def clean_instance(self, obj):
        super().clean_instance(obj)

    def column_header(self, field_name):
        return {
            "grid": "网格编码",
            "community": "所属社区编码",
            "compound": "小区编码",
        }.get(field_name) or super().column_header(field_name)

    def export_queryset(self, queryset):
        return queryset.select_related("community", "grid", "compound")


class ResidentImporter(BaseImporter):
    """Residents keyed by ID number, each pointing at an existing household by code."""

    model = Resident
    title = sheet_name = "居民"
    key_field = "id_number"
    columns = [
        Column("id_number", "身份证号", required=True, parse=normalize_id_number),
        Column("name", "姓名", required=True),
        Column("household_code", "户编码", required=True, export=lambda r: r.household.code),
        Column(
            "relation",
            "与户主关系",
            required=True,
            parse=choice_parser(Relation),
            export=lambda r: r.get_relation_display(),
        ),
        Column(
            "resident_type",
            "人员类型",
            parse=choice_parser(ResidentType),
            export=lambda r: r.get_resident_type_display(),
        ),
        Column("phone", "电话", parse=normalize_phone),
        *[Column(f, label, parse=parse_bool) for f, label in CARE_FLAGS.items()],
        Column("note", "备注"),
    ]

    def prepare(self, rows):
        super().prepare(rows)
        self.households = _Lookup(self.user, Household, link=(Resident, "household"))
        self.households.load(v.get("household_code") for _, v in rows)

    def build(self, row, values):
        household = self.households.get(values["household_code"], "户编码", "户")
        _require_scope(self.user, household.grid.community, "户编码", household.code, "户")
        obj = self.existing.get(values["id_number"])
        if obj is None:
            obj = Resident(id_number=values["id_number"])
        elif obj.household_id != household.pk:
            raise RowInvalid(
                [
                    (
                        "身份证号",
                        f"该身份证号已登记在户“{obj.household.code}”，不能重复登记到其他户。",
                    )
                ]
            )
        obj.household = household
        for name, value in values.items():
            if name not in ("household_code", "id_number"):
                setattr(obj, name, value)
        obj.fill_from_id_number()
        return obj

    def load_existing(self, keys):
        found = {}
        for start in range(0, len(keys), 5000):
            for obj in Resident.objects.filter(
                id_number__in=keys[start : start + 5000]
            ).select_related("household"):
                found[obj.id_number] = obj
        return found

    def clean_instance(self, obj):
        obj.full_clean(
            exclude=["code", "household"], validate_unique=False, validate_constraints=False
        )

    def save(self, new, changed):
        Resident.objects.bulk_create(new, batch_size=self.batch_size)
        Resident.history.bulk_history_create(new, default_user=self.user)
        if changed:
            Resident.objects.bulk_update(changed, self.update_fields(), batch_size=self.batch_size)
            Resident.history.bulk_history_create(changed, update=True, default_user=self.user)

    def update_fields(self):
        return [
            "household",
            "name",
            "relation",
            "resident_type",
            "phone",
            "note",
            "gender",
            "birth_date",
            *FLAG_FIELDS,
        ]

    def export_queryset(self, queryset):
        return queryset.select_related("household")

    def preview_row(self, row, obj):
        return {
            "row": row,
            "action": "新增" if obj._state.adding else "更新",
            "key": mask_id_number(obj.id_number),
            "label": obj.name,
        }


class CentralHouseholdLinkImporter(BaseImporter):
    """联系户: central household (or pioneer post) code + household code."""

    model = CentralHouseholdLink
    title = sheet_name = "中心户联系户"
    key_field = "key"
    columns = [
        Column(
            "organization_code",
            "中心户组织编码",
            required=True,
            export=lambda link: link.organization.code,
        ),
        Column("household_code", "户编码", required=True, export=lambda link: link.household.code),
        Column("since", "联系起始日期", parse=parse_date),
        Column("note", "备注"),
    ]

    def prepare(self, rows):
        for _, values in rows:
            values["key"] = (values.get("organization_code"), values.get("household_code"))
        self.orgs = _Lookup(
            self.user,
            Organization,
            link=(CentralHouseholdLink, "organization"),
            kind__in=CENTRAL_HOUSEHOLD_KINDS,
        )
        self.orgs.load(v["organization_code"] for _, v in rows)
        self.households = _Lookup(self.user, Household, link=(CentralHouseholdLink, "household"))
        self.households.load(v["household_code"] for _, v in rows)
        q = Q(pk__in=[])
        for _, values in rows:
            q |= Q(organization__code=values["key"][0], household__code=values["key"][1])
        self.existing = {
            (link.organization.code, link.household.code): link
            for link in CentralHouseholdLink.objects.filter(q).select_related(
                "organization", "household"
            )
        }

    def build(self, row, values):
        org = self.orgs.get(values["organization_code"], "中心户组织编码", "党员中心户/先锋岗")
        household = self.households.get(values["household_code"], "户编码", "户")
        _require_scope(self.user, org, "中心户组织编码", org.code, "党员中心户/先锋岗")
        obj = self.existing.get(values["key"]) or CentralHouseholdLink(
            organization=org, household=household
        )
        if values.get("since"):
            obj.since = values["since"]
        obj.note = values.get("note", obj.note)
        return obj

    def clean_instance(self, obj):
        obj.full_clean(validate_unique=False, validate_constraints=False)

    def column_header(self, field_name):
        return {"organization": "中心户组织编码", "household": "户编码"}.get(
            field_name
        ) or super().column_header(field_name)

    def check_all(self, items):
        counts = dict(
            CentralHouseholdLink.objects.filter(
                organization__in={obj.organization_id for _, obj in items}
            )
            .values("organization")
            .annotate(n=Count("pk"))
            .values_list("organization", "n")
        )
        errors = []
        for row, obj in items:
            if obj._state.adding:
                counts[obj.organization_id] = counts.get(obj.organization_id, 0) + 1
                if counts[obj.organization_id] > CENTRAL_HOUSEHOLD_MAX:
                    errors.append(
                        RowError(
                            row,
                            "中心户组织编码",
                            f"“{obj.organization}”联系户超过 {CENTRAL_HOUSEHOLD_MAX} 户上限。",
                        )
                    )
        return errors

    def export_queryset(self, queryset):
        return queryset.select_related("organization", "household")

    def preview_row(self, row, obj):
        return {
            "row": row,
            "action": "新增" if obj._state.adding else "更新",
            "key": f"{obj.organization.code} → {obj.household.code}",
            "label": str(obj),
        }


class VisitLogImporter(BaseImporter):
    model = VisitLog
    title = sheet_name = "民情日记"
    columns = [
        Column("code", "编号", required=True),
        Column("household_code", "户编码", required=True, export=lambda v: v.household.code),
        Column(
            "visitor_kind",
            "走访人身份",
            required=True,
            parse=choice_parser(VisitorKind),
            export=lambda v: v.get_visitor_kind_display(),
        ),
        Column("visitor_name", "走访人", required=True),
        Column("visited_on", "走访日期", required=True, parse=parse_date),
        Column("content", "走访情况", required=True),
        Column("needs", "群众诉求"),
        Column(
            "member_code",
            "走访党员编号",
            help="走访人是党员时填其党员编号（须在管辖范围内），否则留空",
            export=lambda v: _code(v.member),
        ),
        Column(
            "central_household_code",
            "中心户组织编码",
            export=lambda v: _code(v.central_household),
        ),
        Column(
            "case_code", "诉求查询码", export=lambda v: v.case.tracking_code if v.case_id else ""
        ),
    ]

    def prepare(self, rows):
        super().prepare(rows)
        self.households = _Lookup(self.user, Household, link=(VisitLog, "household"))
        self.households.load(v.get("household_code") for _, v in rows)
        self.orgs = _Lookup(
            self.user,
            Organization,
            link=(VisitLog, "central_household"),
            kind__in=CENTRAL_HOUSEHOLD_KINDS,
        )
        self.orgs.load(v.get("central_household_code") for _, v in rows)
        self.members = _Lookup(self.user, Member, link=(VisitLog, "member"))
        self.members.load(v.get("member_code") for _, v in rows)
        # As visit_log_create: a visit for a central household is to one of its linked households.
        households = [h.pk for h in self.households.cache.values() if h is not None]
        self.links = set(
            CentralHouseholdLink.objects.filter(household_id__in=households).values_list(
                "organization_id", "household_id"
            )
        )

    def build(self, row, values):
        household = self.households.get(values["household_code"], "户编码", "户")
        _require_scope(self.user, household.grid.community, "户编码", household.code, "户")
        obj = self.existing.get(values["code"]) or VisitLog(code=values["code"])
        if obj.pk and not in_scope(self.user, obj.household.grid.community):
            raise RowInvalid([("编号", _KEY_TAKEN.format(obj.code))])
        obj.household = household
        if obj.pk is None and getattr(self.user, "pk", None):
            obj.visitor = self.user  # who entered the diary, as in visit_log_create
        obj.central_household = self.orgs.get(
            values.get("central_household_code"), "中心户组织编码", "党员中心户/先锋岗"
        )
        central = obj.central_household
        if central is not None and (central.pk, household.pk) not in self.links:
            raise RowInvalid(
                [("中心户组织编码", f"户“{household.code}”不是“{central.code}”的联系户。")]
            )
        if "member_code" in values:
            stored = obj.member if obj.member_id else None
            obj.member = self._member(values["member_code"], current=obj.member_id, stored=stored)
        for name in ("visitor_kind", "visitor_name", "visited_on", "content", "needs"):
            if name in values:
                setattr(obj, name, values[name])
        return obj

    def _member(
        self, code: str, *, current: int | None, stored: Member | None = None
    ) -> Member | None:
        if stored is not None and code and stored.code == code:
            return stored  # already on the visit (set by a wider scope): it may stay
        member = self.members.get(code, "走访党员编号", "党员")
        # As in visit_log_update: a member already on the visit may stay.
        if member is not None and member.pk != current:
            try:
                require_visit_member_in_scope(self.user, member)
            except PermissionDenied as exc:
                raise RowInvalid([("走访党员编号", str(exc))]) from None
        return member

    def export_queryset(self, queryset):
        return queryset.select_related("household", "central_household", "member", "case")


def _target_code(case: Case) -> str:
    target = case.target if case.target_object_id else None
    return getattr(target, "code", "") if target is not None else case.department_name


class CaseImporter(BaseImporter):
    """Export of cases with their workflow state; import files paper or hotline cases as new
    cases at the desk (each through ``case_report``, so each gets its history)."""

    model = Case
    title = sheet_name = "民情诉求"
    key_field = "row_key"
    batch_size = 500
    columns = [
        Column("tracking_code", "查询码", help="导入时留空，系统生成"),
        Column(
            "category",
            "类别",
            required=True,
            parse=choice_parser(CaseCategory),
            export=lambda c: c.get_category_display(),
        ),
        Column("description", "诉求内容", required=True),
        Column("reporter_name", "反映人", required=True),
        Column("reporter_phone", "反映人电话", required=True, parse=normalize_phone),
        Column("community_code", "所属社区编码", export=lambda c: c.community.code),
        Column("grid_code", "网格编码", export=lambda c: _code(c.grid)),
        Column("building_code", "楼栋编码", export=lambda c: _code(c.building)),
        Column("household_code", "户编码", export=lambda c: _code(c.household)),
        Column("location", "位置说明"),
        Column("source", "来源", export=lambda c: c.get_source_display()),
        Column("status", "状态", export=lambda c: c.get_status_display()),
        Column("triage", "三事分办", export=lambda c: c.get_triage_display()),
        Column("reported_at", "上报时间", export=lambda c: c.reported_at),
        Column("due_at", "办结时限", export=lambda c: c.due_at),
        Column("dispatch_target", "派单对象", export=lambda c: c.target_label),
        Column("target_code", "派单对象编码", export=_target_code),
        Column("resolved_at", "办结时间", export=lambda c: c.resolved_at),
        Column("resolution_level", "解决层级", export=lambda c: c.get_resolution_level_display()),
        Column("overdue", "超期", export=lambda c: c.is_overdue()),
        Column("satisfaction", "满意度", export=lambda c: c.satisfaction),
        Column("reopen_count", "退回重办次数", export=lambda c: c.reopen_count),
    ]
    IMPORTED = {
        "category",
        "description",
        "reporter_name",
        "reporter_phone",
        "community_code",
        "grid_code",
        "building_code",
        "household_code",
        "location",
    }

    def prepare(self, rows):
        for row, values in rows:
            values["row_key"] = row
        self.lookups = {
            "community_code": _Lookup(
                self.user, Organization, link=(Case, "community"), kind="community_committee"
            ),
            "grid_code": _Lookup(self.user, Grid, link=(Case, "grid")),
            "building_code": _Lookup(self.user, Building, link=(Case, "building")),
            "household_code": _Lookup(self.user, Household, link=(Case, "household")),
        }
        for name, lookup in self.lookups.items():
            lookup.load(v.get(name) for _, v in rows)
        self.pending: dict[int, dict[str, Any]] = {}

    def build(self, row, values):
        if values.get("tracking_code"):
            raise RowInvalid([("查询码", "只能导入新诉求，查询码请留空。")])
        place = {}
        for name, label in (
            ("community_code", "社区"),
            ("grid_code", "网格"),
            ("building_code", "楼栋"),
            ("household_code", "户"),
        ):
            header = next(c.header for c in self.columns if c.field == name)
            place[name.removesuffix("_code")] = self.lookups[name].get(
                values.get(name, ""), header, label
            )
        try:
            community, grid, building, household = location_of(**place)
        except ValidationError as exc:
            raise RowInvalid(
                [(self.column_header(k), " ".join(v)) for k, v in exc.message_dict.items()]
            ) from None
        _require_scope(self.user, community, "所属社区编码", community.code, "社区")
        data = {
            k: values.get(k, "")
            for k in ("category", "description", "reporter_name", "reporter_phone", "location")
        }
        data.update(community=community, grid=grid, building=building, household=household)
        self.pending[row] = data
        obj = Case(**data, source=CaseSource.DESK, due_at=timezone.now())
        obj.row_key = row
        return obj

    def clean_instance(self, obj):
        obj.full_clean(exclude=["tracking_code", "due_at"], validate_unique=False)

    def column_header(self, field_name):
        return {
            "community": "所属社区编码",
            "grid": "网格编码",
            "building": "楼栋编码",
            "household": "户编码",
        }.get(field_name) or super().column_header(field_name)

    def save(self, new, changed):
        for obj in new:
            case_report(actor=self.user, source=CaseSource.DESK, **self.pending[obj.row_key])

    def export_queryset(self, queryset):
        return queryset.select_related(
            "community", "grid", "building", "household", "target_content_type"
        ).prefetch_related("target")

    def preview_row(self, row, obj):
        return {"row": row, "action": "新增", "key": row, "label": str(obj)}
