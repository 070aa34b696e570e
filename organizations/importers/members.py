"""CSV/XLSX import and export for members, 双报到, seats, standing posts, the six needles
and 六有, on the foundation's ``BaseImporter``: everything is linked by codes and ID numbers,
looked up once per file, checked against the importer's scope, and written all or nothing.
"""

from __future__ import annotations

import csv
import io
import operator
import re
from collections import Counter
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from functools import reduce
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import MaxLengthValidator
from django.db import connection, models
from django.db.models import Q, signals
from django.db.models.base import ModelState
from django.utils import timezone
from simple_history.utils import bulk_create_with_history, bulk_update_with_history

from core.importing import (
    _KEY_TAKEN,
    BaseImporter,
    Column,
    ImportResult,
    RowError,
    RowInvalid,
    choice_parser,
    parse_bool,
    parse_date,
    parse_decimal,
    parse_int,
)
from core.links import linkable
from core.scope import in_scope, scope_anchor
from core.validators import (
    birth_date_from_id,
    normalize_id_number,
    normalize_phone,
    validate_code,
    validate_id_number,
)
from covenants.models import PartnerUnit
from organizations.choices import (
    COMMUNITY_BRANCH_KINDS,
    AppointmentKind,
    BodyKind,
    Gender,
    Grade,
    MemberCategory,
    MemberStatus,
    OrgKind,
    PostKind,
    SeatType,
    Weekday,
)
from organizations.models import (
    Appraisal,
    Body,
    CommitteeSeat,
    CommunityRegistration,
    DutyShift,
    FinancialDisclosure,
    Member,
    MemberActivity,
    Organization,
    Post,
    PostClaim,
    SentDownCadre,
    SixHaves,
    StandingAppointment,
    codes,
)
from organizations.models.standing import COMMITTEE_KINDS
from organizations.selectors import linkable_units_q


def code_parser(generate=None):
    """A code column: blank means a new record (it gets a readable code from its community
    when the file is written, ``LinkedImporter.assign_codes``); anything else must be a valid
    code. ``generate`` is no longer used (kept for callers)."""

    def parse(value: str) -> str:
        value = value.strip()
        if value:
            validate_code(value)
        return value

    return parse


def parse_phone(value: str) -> str:
    return normalize_phone(value)


def parse_id_number(value: str) -> str:
    value = normalize_id_number(value)
    validate_id_number(value)
    return value


_WEEKDAY_WORDS = {"一": 0, "二": 1, "三": 2, "四": 3, "五": 4}


def parse_weekdays(value: str) -> list[int]:
    """“一、三、五”, “周一,周三”, “1,3,5” (Monday = 1) → [0, 2, 4]."""
    days: set[int] = set()
    for part in re.split(r"[、,，;；\s/]+", value.strip()):
        part = part.removeprefix("星期").removeprefix("周")
        if not part:
            continue
        if part in _WEEKDAY_WORDS:
            days.add(_WEEKDAY_WORDS[part])
        elif part.isdigit() and 1 <= int(part) <= 5:
            days.add(int(part) - 1)
        else:
            raise ValidationError(f"值班日“{part}”无效，只能是星期一至星期五（如：一、三、五）。")
    return sorted(days)


def _path(obj, path: str):
    for part in path.split("__"):
        obj = getattr(obj, part, None) if obj is not None else None
    return obj


def _code_of(path: str):
    return lambda obj: _path(obj, path) or ""


@dataclass(frozen=True)
class Link:
    """A column that names a related record by a natural key (code, credit code, ID number)."""

    column: str  # key in the parsed row, e.g. "community_code"
    field: str  # the model's foreign key, e.g. "community"
    model: type[models.Model]
    lookups: tuple[str, ...] = ("code",)
    required: bool = True
    scoped: bool = True  # the target must lie in the importer's scope
    kinds: tuple[str, ...] = ()  # allowed organisation kinds
    select_related: tuple[str, ...] = ()
    label: str = ""


class LinkedImporter(BaseImporter):
    """Rows keyed by ``code``; ``links`` resolved once per file; plain fields copied as is."""

    links: tuple[Link, ...] = ()
    plain_fields: tuple[str, ...] = ()

    def parse_rows(self, table, result: ImportResult) -> list[tuple[int, dict[str, Any]]]:
        rows = super().parse_rows(table, result)
        # A file without a code column describes new records: each gets a fresh code.
        for _, values in rows:
            values.setdefault(self.key_field, "")
        return rows

    def assign_codes(self, new: list[models.Model]) -> None:
        if self.key_field != "code":
            return
        by_anchor: dict[Any, list[models.Model]] = {}
        self.generated = [obj for obj in new if not obj.code]  # retried by ``write`` on a clash
        for obj in self.generated:
            by_anchor.setdefault(scope_anchor(obj), []).append(obj)
        for anchor, objs in by_anchor.items():
            for obj, code in zip(
                objs, codes.readable_codes(self.model, anchor, len(objs)), strict=True
            ):
                obj.code = code

    def preview_row(self, row, obj):
        item = super().preview_row(row, obj)
        if not item["key"]:
            item["key"] = "（系统生成）"
        return item

    def prepare(self, rows: list[tuple[int, dict[str, Any]]]) -> None:
        super().prepare(rows)
        self.targets: dict[str, dict[str, Any]] = {}
        for link in self.links:
            wanted = {values[link.column] for _, values in rows if values.get(link.column)}
            self.targets[link.column] = self.resolve(link, wanted)

    def resolve(self, link: Link, wanted: set[str]) -> dict[str, Any]:
        found: dict[str, Any] = {}
        wanted_list = sorted(wanted)
        for start in range(0, len(wanted_list), 2000):
            chunk = wanted_list[start : start + 2000]
            q = reduce(operator.or_, (Q(**{f"{lookup}__in": chunk}) for lookup in link.lookups))
            queryset = self.link_queryset(link).filter(q)
            if link.select_related:
                queryset = queryset.select_related(*link.select_related)
            for obj in queryset:
                for lookup in link.lookups:
                    key = _path(obj, lookup)
                    if key in wanted:
                        found[key] = obj
        return found

    def declared_link(self, link: Link) -> bool:
        """The link is a foreign key of the model with a declared reach (core.links)."""
        return (
            link.scoped
            and "__" not in link.field
            and link.field in (getattr(self.model, "link_scopes", None) or {})
        )

    def link_queryset(self, link: Link) -> models.QuerySet:
        """Where a link's targets are looked up: for a declared foreign key, exactly what the
        API and the services accept (``core.links.linkable``), so a target out of reach is
        "not found", like an unknown code."""
        if self.declared_link(link):
            return linkable(self.user, self.model, link.field)
        return link.model._default_manager.all()

    def load_existing(self, keys: list[Any]) -> dict[Any, models.Model]:
        found: dict[Any, models.Model] = {}
        path = self.model.scope_path
        for start in range(0, len(keys), 5000):
            queryset = self.model._default_manager.filter(code__in=keys[start : start + 5000])
            if path:
                queryset = queryset.select_related(path)
            for obj in queryset:
                found[obj.code] = obj
        return found

    def link_header(self, link: Link) -> str:
        return link.label or self.column_header(link.column)

    def link_target_in_scope(self, link: Link, target) -> bool:
        if link.model is Organization:
            return in_scope(self.user, target)
        if link.model is PartnerUnit:
            q = linkable_units_q(self.user)
            if q is None:
                return True
            if "_units_ok" not in self.__dict__:
                # One query for every unit the file names.
                named = {
                    unit.pk
                    for column, found in self.targets.items()
                    for unit in found.values()
                    if isinstance(unit, PartnerUnit)
                }
                self._units_ok = set(
                    PartnerUnit.objects.filter(q, pk__in=named).values_list("pk", flat=True)
                )
            return target.pk in self._units_ok
        return in_scope(self.user, scope_anchor(target))

    def new_instance(self, code: str) -> models.Model:
        """``self.model(code=code)`` for many rows: when nothing listens to the model's init
        signals and no field but the code has a callable default, a copy of one instance's
        defaults (evaluated once, immutable values only) instead of ``Model.__init__``'s
        per-field work on every row."""
        proto = self.__dict__.get("_prototype", False)
        if proto is False:
            proto = self._prototype = self._make_prototype()
        if proto is None:
            return self.model(code=code)
        obj = self.model.__new__(self.model)
        obj.__dict__.update(proto)
        obj._state = ModelState()
        obj.code = code
        return obj

    def _make_prototype(self) -> dict[str, Any] | None:
        model = self.model
        if signals.pre_init.has_listeners(model) or signals.post_init.has_listeners(model):
            return None
        for field in model._meta.concrete_fields:
            if field.name != "code" and field.has_default() and callable(field.default):
                return None
        values = dict(model(code="").__dict__)
        values.pop("_state")
        immutable = (str, int, float, bool, type(None), date, Decimal)
        if not all(isinstance(v, immutable) for v in values.values()):
            return None
        return values

    def build(self, row: int, values: dict[str, Any]) -> models.Model:
        code = values["code"]
        obj = self.existing.get(code) if code else None
        code_header = self.column_header("code")
        if obj is None:
            obj = self.new_instance(code)
        elif not in_scope(self.user, scope_anchor(obj)):
            # Stored but not visible: the base refuses it before build (编码已被使用); kept
            # for records visible yet not anchored in scope, answered the same way.
            raise RowInvalid([(code_header, _KEY_TAKEN.format(code))])
        errors: list[tuple[str, str]] = []
        for name in self.plain_fields:
            if name in values:
                setattr(obj, name, values[name])
        for link in self.links:
            raw = values.get(link.column)
            if not raw:
                if link.required:
                    errors.append((self.link_header(link), "必填，不能为空。"))
                elif link.column in values:
                    setattr(obj, link.field, None)
                continue
            target = self.targets[link.column].get(raw)
            if target is None or (
                link.scoped
                and not self.declared_link(link)
                and not self.link_target_in_scope(link, target)
            ):
                # Out of reach answers like unknown: nothing about a record one may not see.
                errors.append((self.link_header(link), f"找不到“{raw}”。"))
            elif link.kinds and target.kind not in link.kinds:
                allowed = "、".join(OrgKind(k).label for k in link.kinds)
                errors.append(
                    (
                        self.link_header(link),
                        f"“{raw}”是{target.get_kind_display()}，应为{allowed}。",
                    )
                )
            else:
                setattr(obj, link.field, target)
        if not errors:
            self.build_extra(row, values, obj, errors)
        if not errors and not self.anchor_in_scope(scope_anchor(obj)):
            # A link may reach wider than the record's own scope (e.g. a member anywhere in
            # the street): the record then lies outside. Said on the link that anchors it in
            # the words for an unknown code, so a row cannot tell that the code exists.
            head = (self.model.scope_path or "").split("__")[0]
            anchor = next((link for link in self.links if link.field == head), None)
            if anchor is not None and values.get(anchor.column):
                raw = values[anchor.column]
                errors.append((self.link_header(anchor), f"找不到“{raw}”。"))
            else:
                errors.append(("", "该记录不在您的管辖范围内。"))
        if errors:
            raise RowInvalid(errors)
        return obj

    def anchor_in_scope(self, anchor) -> bool:
        """``in_scope(user, anchor)``, answered once per anchor organisation of the file."""
        if anchor is None:
            return in_scope(self.user, anchor)
        cache = self.__dict__.setdefault("_anchors_in_scope", {})
        key = (anchor.pk, anchor.tree_id, anchor.lft)
        if key not in cache:
            cache[key] = in_scope(self.user, anchor)
        return cache[key]

    def build_extra(self, row: int, values: dict[str, Any], obj, errors) -> None:
        """Per-row checks beyond the links (append (column, message) to ``errors``)."""

    @property
    def skip_clean_fields(self) -> tuple[str, ...]:
        # Links were checked against the preloaded targets; validating them again would cost
        # one query per row and foreign key.
        if "_skip" not in self.__dict__:
            self._skip = tuple(link.field for link in self.links)
        return self._skip

    def column_header(self, field_name: str) -> str:
        cache = self.__dict__.setdefault("_headers", {})
        if field_name not in cache:
            cache[field_name] = self._column_header(field_name)
        return cache[field_name]

    def _column_header(self, field_name: str) -> str:
        for link in self.links:
            if field_name in (link.field, link.column):
                for column in self.columns:
                    if column.field == link.column:
                        return column.header
        return super().column_header(field_name)

    def update_fields(self) -> list[str]:
        return [*self.plain_fields, *(link.field for link in self.links)]

    def export_queryset(self, queryset):
        related = [link.field for link in self.links if "__" not in link.field]
        return queryset.select_related(*related) if related else queryset


def duplicate_errors(items, key, header: str, message: str) -> list[RowError]:
    """Rows whose ``key(obj)`` repeats an earlier row of the same file."""
    first: dict[Any, int] = {}
    errors: list[RowError] = []
    for row, obj in items:
        value = key(obj)
        if value is None:
            continue
        if value in first:
            errors.append(RowError(row, header, message.format(row=first[value])))
        else:
            first[value] = row
    return errors


UNIT_HELP = "共驻共建单位编码或统一社会信用代码"
CODE_HELP = "留空为新增，编号由系统按社区生成"
ORG_CODE = _code_of


# ---------------------------------------------------------------- members


class MemberImporter(LinkedImporter):
    """党员名册. Keyed by 党员编号 (blank: a new member); the ID number must be unique."""

    model = Member
    title = "党员"
    sheet_name = "党员"
    columns = [
        Column(
            "code",
            "党员编号",
            parse=code_parser(),
            help="留空为新增党员（或按身份证号匹配已有党员），编号由系统按社区生成，如 DY-YL-0001",
        ),
        Column("name", "姓名", required=True),
        Column("id_number", "身份证号", required=True, parse=parse_id_number),
        Column(
            "gender",
            "性别",
            parse=choice_parser(Gender),
            export=lambda m: m.get_gender_display(),
            help="男、女；留空按身份证号",
        ),
        Column("birth_date", "出生日期", parse=parse_date, help="留空按身份证号"),
        Column("phone", "联系电话", parse=parse_phone),
        Column(
            "category",
            "党员类别",
            required=True,
            parse=choice_parser(MemberCategory),
            export=lambda m: m.get_category_display(),
            help="、".join(str(label) for _, label in MemberCategory.choices),
        ),
        Column(
            "status",
            "党员状态",
            parse=choice_parser(MemberStatus),
            export=lambda m: m.get_status_display(),
            help="正式党员、预备党员；留空为正式党员",
        ),
        Column("branch_code", "所在党组织编码", required=True, export=ORG_CODE("branch__code")),
        Column("join_date", "入党日期", parse=parse_date),
        Column("work_unit_code", "工作单位", export=ORG_CODE("work_unit__code"), help=UNIT_HELP),
        Column("address", "居住地址"),
    ]
    links = (
        Link("branch_code", "branch", Organization),
        Link(
            "work_unit_code",
            "work_unit",
            PartnerUnit,
            lookups=("code", "credit_code"),
            required=False,
        ),
    )
    plain_fields = (
        "name",
        "id_number",
        "gender",
        "birth_date",
        "phone",
        "category",
        "status",
        "join_date",
        "address",
    )

    def prepare(self, rows):
        super().prepare(rows)
        ids = [values["id_number"] for _, values in rows]
        self.id_owner: dict[str, tuple[str, int, int]] = {}
        for start in range(0, len(ids), 5000):
            for id_number, code, tree_id, lft in Member.objects.filter(
                id_number__in=ids[start : start + 5000]
            ).values_list("id_number", "code", "branch__tree_id", "branch__lft"):
                self.id_owner[id_number] = (code, tree_id, lft)

    alternate_key_field = "id_number"

    def build(self, row, values):
        if not values.get("status"):
            values["status"] = MemberStatus.FULL
        id_number = values["id_number"]
        if not values.get("birth_date"):
            values["birth_date"] = birth_date_from_id(id_number)
        if not values.get("gender") and id_number[16].isdigit():
            values["gender"] = Gender.MALE if int(id_number[16]) % 2 else Gender.FEMALE
        return super().build(row, values)

    def build_extra(self, row, values, obj, errors) -> None:
        owner = self.id_owner.get(obj.id_number)
        if owner is not None and owner[0] != obj.code:
            code, tree_id, lft = owner
            visible = in_scope(self.user, _Node(tree_id, lft))
            where = f"（党员编号 {code}）" if visible else "（在其他党组织，请办理组织关系转接）"
            errors.append(("身份证号", f"该身份证号已在系统中登记{where}。"))

    # Checked while parsing the cell (code, ID number, dates, choices) or by the links.
    PARSED_FIELDS = frozenset(
        {"code", "id_number", "gender", "birth_date", "category", "status", "join_date"}
    )

    def clean_instance(self, obj: Member) -> None:
        """Full validation without checking twice what the cell parsers already checked: the
        fields ``clean_fields`` would look at, in its order, except a text value that is
        blank-allowed-and-blank or plainly within its ``max_length`` with no other validator
        and no choices (which ``Field.clean`` would pass as is)."""
        if "_clean_plan" not in self.__dict__:
            plan = []
            for f in Member._meta.fields:
                if f.name in self.PARSED_FIELDS or f.name in self.skip_clean_fields:
                    continue
                plain_text = (
                    isinstance(f, models.CharField)
                    and not f.choices
                    and all(isinstance(v, MaxLengthValidator) for v in f.validators)
                )
                plan.append((f, f.attname, plain_text, f.max_length or 0))
            self._clean_plan = plan
        errors: dict[str, list[str]] = {}
        for field, attname, plain_text, max_length in self._clean_plan:
            raw = getattr(obj, attname)
            if field.blank and raw in field.empty_values:
                continue
            if plain_text and type(raw) is str and raw and len(raw) <= max_length:
                continue
            try:
                setattr(obj, attname, field.clean(raw, obj))
            except ValidationError as exc:
                errors[field.name] = list(exc.messages)
        try:
            obj.clean()
        except ValidationError as exc:
            for name, messages in exc.message_dict.items():
                errors.setdefault(name, []).extend(messages)
        if errors:
            raise ValidationError(errors)

    def check_all(self, items):
        return duplicate_errors(
            items, lambda m: m.id_number, "身份证号", "身份证号与第 {row} 行重复。"
        )

    # New members go in with COPY on PostgreSQL (set False to force the ORM path).
    use_copy = True

    def save(self, new, changed) -> None:
        # Bulk writes that still leave one history row per member, stamped with the importer.
        if new and self.use_copy and connection.vendor == "postgresql":
            copy_with_history(new, Member, user=self.user)
        elif new:
            bulk_create_with_history(
                new, Member, batch_size=self.batch_size, default_user=self.user
            )
        if changed:
            bulk_update_with_history(
                changed,
                Member,
                self.update_fields(),
                batch_size=self.batch_size,
                default_user=self.user,
            )


def _copy(cursor, table: str, columns: list[str], text: list[str], rows) -> None:
    # CSV through the C writer; NULL is spelled \N, and never matched in text columns (all NOT
    # NULL here), so a cell that really says "\N" stays text.
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerows(rows)
    buffer.seek(0)
    quote = connection.ops.quote_name
    force = f", FORCE_NOT_NULL ({', '.join(quote(c) for c in text)})" if text else ""
    cursor.copy_expert(
        f"COPY {quote(table)} ({', '.join(quote(c) for c in columns)}) FROM STDIN "
        f"WITH (FORMAT csv, NULL '\\N'{force})",
        buffer,
    )


def _cell(value):
    return "\\N" if value is None else value


def copy_with_history(objs: list[models.Model], model: type[models.Model], *, user) -> None:
    """PostgreSQL: insert new ``objs`` and one "+" history row each with COPY — the same rows
    as ``bulk_create_with_history`` (ids from the table's sequence, set on the instances;
    ``created_at``/``updated_at``/``history_date`` one timestamp for the whole file; history
    user the importer, no change reason), without Django's per-field SQL compilation."""
    now = timezone.now()
    now_text = str(now)  # what the CSV writer would make of it, once instead of per cell
    fields = model._meta.concrete_fields
    stamped = []
    for position, field in enumerate(fields):
        if getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False):
            stamped.append(position)
            for obj in objs:
                setattr(obj, field.attname, now)
    history = model.history.model
    tracked = [f for f in history._meta.concrete_fields if f.attname != "history_id"]
    extra = {
        "history_date": now_text,
        "history_change_reason": None,
        "history_type": "+",
        "history_user_id": getattr(user, "pk", None),
    }
    text_types = (models.CharField, models.TextField)
    with connection.cursor() as raw, connection.wrap_database_errors:
        cursor = raw.cursor
        cursor.execute(
            "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
            [model._meta.db_table, model._meta.pk.column, len(objs)],
        )
        for obj, (pk,) in zip(objs, cursor.fetchall(), strict=True):
            obj.pk = pk
        names = [f.attname for f in fields]
        # One C-level attrgetter per row; only the nullable columns are looked at for None
        # (spelled \N). A NOT NULL column holding None still fails as NULL, as before.
        getter = operator.attrgetter(*names)
        nullable = [i for i, f in enumerate(fields) if f.null]
        rows = [list(getter(obj)) for obj in objs]
        if nullable or stamped:
            for row in rows:
                for i in nullable:
                    if row[i] is None:
                        row[i] = "\\N"
                for i in stamped:
                    row[i] = now_text
        _copy(
            cursor,
            model._meta.db_table,
            [f.column for f in fields],
            [f.column for f in fields if isinstance(f, text_types) and not f.null],
            rows,
        )
        # History rows: the member's values followed by the fixed ones, picked by position.
        position = {name: i for i, name in enumerate(names)}
        fixed = [_cell(extra.get(f.attname)) for f in tracked if f.attname not in position]
        plan, extra_at = [], len(names)
        for f in tracked:
            if f.attname in position:
                plan.append(position[f.attname])
            else:
                plan.append(extra_at)
                extra_at += 1
        pick = operator.itemgetter(*plan)
        _copy(
            cursor,
            history._meta.db_table,
            [f.column for f in tracked],
            [f.column for f in tracked if isinstance(f, text_types) and not f.null],
            (pick(row + fixed) for row in rows),
        )
    alias = connection.alias  # the proxy's attribute lookup is not free: once, not per row
    for obj in objs:
        state = obj._state
        state.adding = False
        state.db = alias


@dataclass(frozen=True)
class _Node:
    """Just enough of an Organization for ``in_scope``."""

    tree_id: int
    lft: int


# ---------------------------------------------------------------- 双报到

MEMBER_ID = "member_id_number"
COMMUNITY = (OrgKind.COMMUNITY_COMMITTEE,)


class PostImporter(LinkedImporter):
    model = Post
    title = "服务岗位"
    sheet_name = "服务岗位"
    columns = [
        Column("code", "岗位编码", parse=code_parser(), help=CODE_HELP),
        Column("community_code", "设岗社区编码", required=True, export=ORG_CODE("community__code")),
        Column(
            "kind",
            "岗位类别",
            required=True,
            parse=choice_parser(PostKind),
            export=lambda p: p.get_kind_display(),
            help="、".join(str(label) for _, label in PostKind.choices),
        ),
        Column("name", "岗位名称", required=True),
        Column("duties", "岗位职责"),
        Column("capacity", "可认领人数", parse=parse_int, help="留空为不限"),
        Column("is_active", "在用", parse=parse_bool, help="是/否"),
    ]
    links = (Link("community_code", "community", Organization, kinds=COMMUNITY),)
    plain_fields = ("kind", "name", "duties", "capacity", "is_active")


class _RegistrationLinks:
    """Rows naming a member by ID number: the member's registration, and its export masked."""

    masked_columns = {MEMBER_ID: "id"}

    registration_link = Link(
        MEMBER_ID,
        "registration",
        CommunityRegistration,
        lookups=("member__id_number",),
        select_related=("member", "community"),
        label="党员身份证号",
    )


def member_id_column(export_path: str) -> Column:
    return Column(
        MEMBER_ID,
        "党员身份证号",
        required=True,
        parse=parse_id_number,
        export=_code_of(export_path),
    )


class RegistrationImporter(LinkedImporter):
    model = CommunityRegistration
    title = "双报到登记"
    sheet_name = "双报到登记"
    masked_columns = {MEMBER_ID: "id"}
    columns = [
        Column("code", "报到编号", parse=code_parser(), help=CODE_HELP),
        member_id_column("member__id_number"),
        Column("member_name", "党员姓名", export=_code_of("member__name"), help="仅核对用"),
        Column("community_code", "报到社区编码", required=True, export=ORG_CODE("community__code")),
        Column("branch_code", "编入党支部编码", export=ORG_CODE("branch__code")),
        Column("registered_on", "报到日期", required=True, parse=parse_date),
        Column("residence", "居住地址"),
    ]
    links = (
        # The member's own branch may lie anywhere (often at the work unit): not scoped.
        Link(
            MEMBER_ID, "member", Member, lookups=("id_number",), scoped=False, label="党员身份证号"
        ),
        Link("community_code", "community", Organization, kinds=COMMUNITY),
        Link(
            "branch_code",
            "branch",
            Organization,
            required=False,
            kinds=tuple(COMMUNITY_BRANCH_KINDS),
        ),
    )
    plain_fields = ("registered_on", "residence")

    def prepare(self, rows):
        super().prepare(rows)
        members = [m.pk for m in self.targets[MEMBER_ID].values()]
        self.registered = dict(
            CommunityRegistration.objects.filter(member_id__in=members).values_list(
                "member_id", "code"
            )
        )

    def build_extra(self, row, values, obj, errors) -> None:
        name = values.get("member_name")
        if name and name != obj.member.name:
            errors.append(("党员姓名", f"与身份证号对应的党员姓名“{obj.member.name}”不一致。"))
        existing = self.registered.get(obj.member_id)
        if existing and existing != obj.code:
            errors.append(("党员身份证号", f"该党员已有双报到登记（报到编号 {existing}）。"))

    def check_all(self, items):
        return duplicate_errors(
            items, lambda r: r.member_id, "党员身份证号", "该党员与第 {row} 行重复报到。"
        )

    def update_fields(self) -> list[str]:
        return ["registered_on", "residence", "community", "branch"]


class PostClaimImporter(_RegistrationLinks, LinkedImporter):
    model = PostClaim
    title = "岗位认领"
    sheet_name = "岗位认领"
    columns = [
        Column("code", "认领编号", parse=code_parser(), help=CODE_HELP),
        member_id_column("registration__member__id_number"),
        Column("post_code", "岗位编码", required=True, export=ORG_CODE("post__code")),
        Column("claimed_on", "认领日期", required=True, parse=parse_date),
    ]
    links = (
        _RegistrationLinks.registration_link,
        Link("post_code", "post", Post, select_related=("community",)),
    )
    plain_fields = ("claimed_on",)

    def check_all(self, items):
        errors = duplicate_errors(
            items,
            lambda c: (c.registration_id, c.post_id),
            "岗位编码",
            "同一党员重复认领同一岗位（与第 {row} 行重复）。",
        )
        # Capacity across the file: earlier claims in the database plus this file's rows.
        taken = Counter(
            dict(
                PostClaim.objects.filter(post_id__in={c.post_id for _, c in items})
                .exclude(code__in=[c.code for _, c in items])
                .values("post_id")
                .annotate(n=models.Count("pk"))
                .values_list("post_id", "n")
            )
        )
        for row, claim in items:
            taken[claim.post_id] += 1
            if claim.post.capacity and taken[claim.post_id] > claim.post.capacity:
                errors.append(
                    RowError(
                        row,
                        "岗位编码",
                        f"“{claim.post.name}”认领人数超过 {claim.post.capacity} 人。",
                    )
                )
        return errors

    def export_queryset(self, queryset):
        return queryset.select_related("registration__member", "post")


class MemberActivityImporter(_RegistrationLinks, LinkedImporter):
    model = MemberActivity
    title = "报到活动记录"
    sheet_name = "报到活动记录"
    columns = [
        Column("code", "记录编号", parse=code_parser(), help=CODE_HELP),
        member_id_column("registration__member__id_number"),
        Column("date", "活动日期", required=True, parse=parse_date),
        Column("hours", "服务时长", required=True, parse=parse_decimal, help="小时"),
        Column("content", "活动内容", required=True),
        Column("post_code", "岗位编码", export=ORG_CODE("post__code")),
        Column("confirmed_by", "确认人"),
    ]
    links = (
        _RegistrationLinks.registration_link,
        Link("post_code", "post", Post, required=False),
    )
    plain_fields = ("date", "hours", "content", "confirmed_by")

    def export_queryset(self, queryset):
        return queryset.select_related("registration__member", "post")


class AppraisalImporter(LinkedImporter):
    model = Appraisal
    title = "民主评议"
    sheet_name = "民主评议"
    masked_columns = {MEMBER_ID: "id"}
    columns = [
        Column("code", "评议编号", parse=code_parser(), help=CODE_HELP),
        member_id_column("member__id_number"),
        Column("year", "年度", required=True, parse=parse_int),
        Column(
            "feedback_grade",
            "社区反馈等次",
            parse=choice_parser(Grade),
            export=lambda a: a.get_feedback_grade_display(),
        ),
        Column("feedback_comment", "社区反馈意见"),
        Column(
            "grade",
            "民主评议结果",
            parse=choice_parser(Grade),
            export=lambda a: a.get_grade_display(),
            help="优秀、合格、基本合格、不合格",
        ),
        Column(
            "award_eligible", "可参加评先评优", export=lambda a: a.award_eligible, parse=parse_bool
        ),
    ]
    links = (Link(MEMBER_ID, "member", Member, lookups=("id_number",), label="党员身份证号"),)
    plain_fields = ("year", "feedback_grade", "feedback_comment", "grade")

    def build_extra(self, row, values, obj, errors) -> None:
        obj.award_eligible = obj.grade != Grade.UNQUALIFIED

    def check_all(self, items):
        return duplicate_errors(
            items, lambda a: (a.member_id, a.year), "年度", "同一党员同一年度与第 {row} 行重复。"
        )

    def update_fields(self) -> list[str]:
        return [*self.plain_fields, "award_eligible"]

    def export_queryset(self, queryset):
        return queryset.select_related("member")


# ---------------------------------------------------------------- seats, standing posts

UNIT_LINK = dict(model=PartnerUnit, lookups=("code", "credit_code"), required=False)


class CommitteeSeatImporter(LinkedImporter):
    model = CommitteeSeat
    title = "兼职委员"
    sheet_name = "兼职委员"
    columns = [
        Column("code", "委员编号", parse=code_parser(), help=CODE_HELP),
        Column("committee_code", "所在党委编码", required=True, export=ORG_CODE("committee__code")),
        Column("person_name", "姓名", required=True),
        Column(
            "seat_type",
            "委员类别",
            required=True,
            parse=choice_parser(SeatType),
            export=lambda s: s.get_seat_type_display(),
            help="社区干部、居民党员、驻区单位党员",
        ),
        Column("position", "职务"),
        Column("unit_code", "来自单位", export=ORG_CODE("unit__code"), help=UNIT_HELP),
        Column("phone", "联系电话", parse=parse_phone),
        Column("term_start", "任期开始", required=True, parse=parse_date),
        Column("term_end", "任期结束", parse=parse_date),
    ]
    links = (
        Link("committee_code", "committee", Organization, kinds=COMMITTEE_KINDS),
        Link("unit_code", "unit", **UNIT_LINK),
    )
    plain_fields = ("person_name", "seat_type", "position", "phone", "term_start", "term_end")

    def build(self, row, values):
        if not values.get("position"):
            values.pop("position", None)
        return super().build(row, values)


class StandingAppointmentImporter(LinkedImporter):
    model = StandingAppointment
    title = "第一书记与党建专员"
    sheet_name = "第一书记与党建专员"
    columns = [
        Column("code", "任职编号", parse=code_parser(), help=CODE_HELP),
        Column("community_code", "社区编码", required=True, export=ORG_CODE("community__code")),
        Column(
            "kind",
            "职务",
            required=True,
            parse=choice_parser(AppointmentKind),
            export=lambda a: a.get_kind_display(),
            help="第一书记、党建专员、公共卫生专员、法治专员、网格指导员",
        ),
        Column("person_name", "姓名", required=True),
        Column("phone", "联系电话", parse=parse_phone),
        Column(
            "sending_unit_code", "派出单位", export=ORG_CODE("sending_unit__code"), help=UNIT_HELP
        ),
        Column("start_date", "任职开始", required=True, parse=parse_date),
        Column("end_date", "任职结束", parse=parse_date),
    ]
    links = (
        Link("community_code", "community", Organization, kinds=COMMUNITY),
        Link("sending_unit_code", "sending_unit", **UNIT_LINK),
    )
    plain_fields = ("kind", "person_name", "phone", "start_date", "end_date")


class SentDownCadreImporter(LinkedImporter):
    model = SentDownCadre
    title = "下沉党员"
    sheet_name = "下沉党员"
    columns = [
        Column("code", "下沉编号", parse=code_parser(), help=CODE_HELP),
        Column("community_code", "下沉社区编码", required=True, export=ORG_CODE("community__code")),
        Column("person_name", "姓名", required=True),
        Column("unit_code", "派出单位", export=ORG_CODE("unit__code"), help=UNIT_HELP),
        Column("phone", "联系电话", parse=parse_phone),
        Column("start_date", "下沉开始", required=True, parse=parse_date),
        Column("end_date", "下沉结束", parse=parse_date),
        Column(
            "weekdays",
            "值班日",
            parse=parse_weekdays,
            export=lambda c: "、".join(Weekday(s.weekday).label[-1] for s in c.duty_shifts.all()),
            help="如：一、三、五",
        ),
    ]
    links = (
        Link("community_code", "community", Organization, kinds=COMMUNITY),
        Link("unit_code", "unit", **UNIT_LINK),
    )
    plain_fields = ("person_name", "phone", "start_date", "end_date")

    def build_extra(self, row, values, obj, errors) -> None:
        if "weekdays" in values:
            self.__dict__.setdefault("_weekdays", {})[id(obj)] = values["weekdays"]

    def save(self, new, changed) -> None:
        super().save(new, changed)
        wanted = self.__dict__.get("_weekdays", {})
        # Only the cadres written (new or changed): unchanged rows keep their shift rows.
        written = [obj for obj in [*new, *changed] if id(obj) in wanted]
        current: dict[int, set[int]] = {}
        for cadre_id, day in DutyShift.objects.filter(
            cadre_id__in=[obj.pk for obj in written]
        ).values_list("cadre_id", "weekday"):
            current.setdefault(cadre_id, set()).add(day)
        # Shift rows are rewritten only where the days differ (an edited name keeps them).
        written = [obj for obj in written if current.get(obj.pk, set()) != set(wanted[id(obj)])]
        if not written:
            return
        DutyShift.objects.filter(cadre_id__in=[obj.pk for obj in written]).delete()
        DutyShift.objects.bulk_create(
            [DutyShift(cadre_id=obj.pk, weekday=day) for obj in written for day in wanted[id(obj)]]
        )

    def export_queryset(self, queryset):
        return queryset.select_related("community", "unit").prefetch_related("duty_shifts")


# ---------------------------------------------------------------- the six needles, 六有


class BodyImporter(LinkedImporter):
    model = Body
    title = "社区治理主体"
    sheet_name = "6根针"
    columns = [
        Column("code", "主体编码", parse=code_parser(), help=CODE_HELP),
        Column("community_code", "所在社区编码", required=True, export=ORG_CODE("community__code")),
        Column(
            "kind",
            "主体类型",
            required=True,
            parse=choice_parser(BodyKind),
            export=lambda b: b.get_kind_display(),
            help="、".join(str(label) for _, label in BodyKind.choices),
        ),
        Column("name", "名称", required=True),
        Column("head_name", "负责人"),
        Column("phone", "联系电话", parse=parse_phone),
        Column("compound_code", "服务小区党支部编码", export=ORG_CODE("compound__code")),
        Column("is_party_led", "党组织领导", parse=parse_bool, help="业主委员会填写：是/否"),
        Column("property_branch_code", "物业党支部编码", export=ORG_CODE("property_branch__code")),
    ]
    links = (
        Link("community_code", "community", Organization, kinds=COMMUNITY),
        Link("compound_code", "compound", Organization, required=False),
        Link("property_branch_code", "property_branch", Organization, required=False),
    )
    plain_fields = ("kind", "name", "head_name", "phone", "is_party_led")


class FinancialDisclosureImporter(LinkedImporter):
    model = FinancialDisclosure
    title = "财务信息公开"
    sheet_name = "财务信息公开"
    columns = [
        Column("code", "公开编号", parse=code_parser(), help=CODE_HELP),
        Column("body_code", "股份合作公司编码", required=True, export=ORG_CODE("body__code")),
        Column("period", "公开期间", required=True),
        Column("period_start", "期间开始", required=True, parse=parse_date),
        Column("period_end", "期间结束", required=True, parse=parse_date),
        Column("title", "标题", required=True),
        Column("income", "收入", parse=parse_decimal),
        Column("expenditure", "支出", parse=parse_decimal),
        Column("dividend", "分红", parse=parse_decimal),
        Column("summary", "说明"),
        Column("is_public", "在门户公开", parse=parse_bool),
        Column("published_on", "公开日期", parse=parse_date),
    ]
    links = (Link("body_code", "body", Body, select_related=("community",)),)
    plain_fields = (
        "period",
        "period_start",
        "period_end",
        "title",
        "income",
        "expenditure",
        "dividend",
        "summary",
        "is_public",
        "published_on",
    )

    def build(self, row, values):
        for name in ("income", "expenditure", "dividend"):
            if values.get(name) is None:
                values.pop(name, None)
        return super().build(row, values)


class SixHavesImporter(LinkedImporter):
    model = SixHaves
    title = "六有核查"
    sheet_name = "六有核查"
    key_field = "branch_code"
    columns = [
        Column("branch_code", "小区党支部编码", required=True, export=ORG_CODE("branch__code")),
        Column("has_approval", "有批复文件", parse=parse_bool),
        Column("approval_document", "批复文号"),
        Column("has_members", "有党员", parse=parse_bool),
        Column("has_commissioner", "有党建专员", parse=parse_bool),
        Column("has_rules", "有制度", parse=parse_bool),
        Column("has_venue", "有场所", parse=parse_bool),
        Column("has_activities", "有常态活动", parse=parse_bool),
        Column("checked_on", "核查日期", parse=parse_date),
        Column("note", "备注"),
    ]
    links = (Link("branch_code", "branch", Organization, kinds=(OrgKind.COMPOUND_BRANCH,)),)
    plain_fields = (
        "has_approval",
        "approval_document",
        "has_members",
        "has_commissioner",
        "has_rules",
        "has_venue",
        "has_activities",
        "checked_on",
        "note",
    )

    def stored_key(self, obj):
        return obj.branch.code

    def load_existing(self, keys):
        return {
            obj.branch.code: obj
            for obj in SixHaves.objects.filter(branch__code__in=keys).select_related("branch")
        }

    def build(self, row, values):
        code = values["branch_code"]
        obj = self.existing.get(code) or SixHaves()
        errors: list[tuple[str, str]] = []
        for name in self.plain_fields:
            if name in values:
                setattr(obj, name, values[name])
        link = self.links[0]
        target = self.targets[link.column].get(code)
        if target is None:  # unknown or out of reach (linkable): the same answer
            errors.append(("小区党支部编码", f"找不到“{code}”。"))
        elif target.kind != OrgKind.COMPOUND_BRANCH:
            errors.append(("小区党支部编码", f"“{code}”不是小区（楼院）党支部。"))
        else:
            obj.branch = target
        if errors:
            raise RowInvalid(errors)
        return obj

    def update_fields(self) -> list[str]:
        return list(self.plain_fields)

    def preview_row(self, row, obj):
        return {
            "row": row,
            "action": "新增" if obj._state.adding else "更新",
            "key": obj.branch.code,
            "label": str(obj),
        }


IMPORTERS = {
    "members": MemberImporter,
    "posts": PostImporter,
    "registrations": RegistrationImporter,
    "post_claims": PostClaimImporter,
    "member_activities": MemberActivityImporter,
    "appraisals": AppraisalImporter,
    "committee_seats": CommitteeSeatImporter,
    "standing_appointments": StandingAppointmentImporter,
    "sent_down_cadres": SentDownCadreImporter,
    "bodies": BodyImporter,
    "financial_disclosures": FinancialDisclosureImporter,
    "six_haves": SixHavesImporter,
}
