"""The household/resident roster (户籍花名册): one row per resident with their household's
columns. Built for district files of hundreds of thousands of rows:

- the file is read once and walked twice (validate, then write), never held as parsed rows
  or model instances (CSV streams from disk again; XLSX re-walks calamine's parsed sheet);
- look-ups (grids, buildings, existing households and residents) are loaded by code in chunks;
- every check of the model (ID checksum, phone, choices, grid/building/micro-grid agreement,
  scope, one ID number in one household only) is applied per row in plain Python;
- the write is one transaction of chunked ``bulk_create``/``bulk_update`` with the history
  rows (django-simple-history) written in bulk alongside, attributed to the importing user.
"""

from __future__ import annotations

import io
import time
from collections.abc import Iterator
from functools import cached_property
from typing import IO, Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from core.importing import (
    MAX_CHANGES,
    MAX_ERRORS,
    PREVIEW_ROWS,
    BaseImporter,
    Column,
    FileRejected,
    ImportResult,
    Masked,
    RowError,
    choice_parser,
    parse_bool,
    parse_int,
)
from core.links import linkable
from core.masking import looks_masked, mask_id_number, mask_name, mask_phone
from core.reading import read_table
from core.scope import in_scope
from core.services import audit
from core.validators import (
    birth_date_from_id,
    normalize_id_number,
    normalize_phone,
    validate_id_number,
    validate_phone,
)
from grids.bulk import insert_with_history
from grids.choices import CARE_FLAGS, Gender, GridLevel, Relation, ResidentType
from grids.models import Building, Grid, Household, Resident
from grids.models.roster import new_resident_code
from organizations.models import Organization

HOUSEHOLD_FIELDS = (
    "grid_code",
    "building_code",
    "micro_grid_code",
    "door_number",
    "head_name",
    "size",
    "household_note",
)
FLAG_FIELDS = tuple(CARE_FLAGS)
PERSON_TEXT = ("name", "id_number", "phone", "relation", "resident_type", "note")
PERSON_REQUIRED = {"name": "姓名", "id_number": "身份证号", "relation": "与户主关系"}
# Compared with the stored resident, in this order (the ID number is the match itself).
RESIDENT_VALUES = ("name", "phone", "relation", "resident_type", "note", *FLAG_FIELDS)
HOUSEHOLD_VALUES = (
    "grid_id",
    "building_id",
    "micro_grid_id",
    "door_number",
    "head_name",
    "size",
    "note",
)
SIZE_AT = HOUSEHOLD_VALUES.index("size")
HOUSEHOLD_HEADERS = ("网格编码", "楼栋编码", "微网格编码", "门牌号", "户主姓名", "户人数", "户备注")
PERSON_HELP = "有居民时必填；整行居民各列留空表示该户暂无居民"
RELATION_LABELS = {value: str(label) for value, label in Relation.choices}
TYPE_LABELS = {value: str(label) for value, label in ResidentType.choices}
YES_NO = {True: "是", False: "否"}
CHUNK = 5000


def _size(value: str) -> int:
    number = parse_int(value)
    if number is None:
        return 1
    if not 1 <= number <= 99:
        raise ValidationError("户人数应在 1 到 99 之间。")
    return number


def _id_number(value: str) -> str:
    value = normalize_id_number(value)
    if value:
        validate_id_number(value)
    return value


def _phone(value: str) -> str:
    value = normalize_phone(value)
    if value:
        validate_phone(value)
    return value


def _limited(length: int):
    def parse(value: str) -> str:
        value = value.strip()
        if len(value) > length:
            raise ValidationError(f"不能超过 {length} 个字。")
        return value

    return parse


class RosterImporter(BaseImporter):
    model = Household
    title = sheet_name = "户籍花名册"
    key_field = "id_number"
    columns = [
        Column(
            "household_code",
            "户编码",
            required=True,
            help="全系统唯一；同一户的多行户信息须一致",
            target="grids.Household.code",
        ),
        Column("grid_code", "网格编码", required=True, help="“网格”层级的编码"),
        Column("building_code", "楼栋编码"),
        Column("micro_grid_code", "微网格编码"),
        Column("door_number", "门牌号", required=True, parse=_limited(64)),
        Column("head_name", "户主姓名", required=True, parse=_limited(64)),
        Column("size", "户人数", parse=_size),
        Column("household_note", "户备注", parse=_limited(200), target="grids.Household.note"),
        Column("name", "姓名", parse=_limited(64), help=PERSON_HELP, target="grids.Resident.name"),
        Column(
            "id_number",
            "身份证号",
            parse=_id_number,
            help=f"{PERSON_HELP}；导出的遮蔽值（如 110105********123X）表示保持不变",
            target="grids.Resident.id_number",
        ),
        Column(
            "phone",
            "电话",
            parse=_phone,
            help="导出的遮蔽值（如 138****5678）表示保持不变",
            target="grids.Resident.phone",
        ),
        Column("relation", "与户主关系", parse=choice_parser(Relation), help=PERSON_HELP),
        Column(
            "resident_type", "人员类型", parse=choice_parser(ResidentType), help="留空为户籍人口"
        ),
        *[Column(name, label, parse=parse_bool) for name, label in CARE_FLAGS.items()],
        Column("note", "备注", parse=_limited(200), target="grids.Resident.note"),
    ]

    @property
    def masked_columns(self) -> dict[str, str]:
        return dict(Resident.sensitive_fields)

    # ------------------------------------------------------------------ reading

    def _table(self, stream: IO[bytes], filename: str):
        # Read once: pass 2 iterates the same table again (CSV streams from the start again,
        # XLSX re-walks the sheet calamine already parsed).
        if getattr(self, "_read", (None,))[0] is not stream:
            self._read = (stream, read_table(stream, filename, self.sheet_name))
        return self._read[1]

    def _lines(self, stream, filename, *, validate: bool) -> Iterator[tuple[int, list, list]]:
        """The data lines (line number, cells, formula flags), blank lines and the template's
        example row left out; sets ``self.mapping`` (index, column, parser) for ``_parse``."""
        table = iter(self._table(stream, filename))
        try:
            header, _ = next(table)
        except StopIteration:
            raise FileRejected("文件为空。") from None
        # Pass 2 re-reads a file that passed pass 1: only normalise what was validated.
        light = {"id_number": normalize_id_number, "phone": normalize_phone}
        columns = self.header_map(header)
        present = {c.field for c in columns.values()}
        missing = [h for f, h in PERSON_REQUIRED.items() if f not in present]
        if missing:
            raise FileRejected(f"缺少必填列：{'、'.join(missing)}。")
        self.mapping = [
            (
                index,
                column,
                self.parser(column) if validate else light.get(column.field, self.parser(column)),
            )
            for index, column in columns.items()
        ]
        # The export's own layout (every column, in its order, nothing else): rows equal to a
        # stored record's export can be recognised whole (``_canonical``).
        self.export_layout = len(header) == len(self.columns) and [
            columns.get(i) for i in range(len(header))
        ] == list(self.columns)
        self._maskable = self.masked_columns
        example = self.example_line(columns)
        # The example row is recognised by all its cells; one cell rules most lines out.
        first, text = next(iter(example.items()), (0, None))
        is_example = self.is_example
        for line, (values, formulas) in enumerate(table, start=2):
            if not "".join(values).strip():
                continue  # a blank line
            if (
                text is not None
                and (values[first].strip() if first < len(values) else "") == text
                and is_example(values, example)
            ):
                continue
            yield line, values, formulas

    def _parse(self, line, values, formulas, errors) -> dict[str, Any] | None:
        """A line's parsed values, or None when a cell is bad (reported in ``errors``)."""
        parsed: dict[str, Any] = {}
        bad = False
        maskable = self._maskable
        for index, column, parse in self.mapping:
            raw = values[index] if index < len(values) else ""
            if index < len(formulas) and formulas[index]:
                bad = True
                if errors is not None:
                    errors.append(RowError(line, column.header, "不接受公式，请填写值本身。"))
                continue
            if column.required and not raw.strip():
                bad = True
                if errors is not None:
                    errors.append(RowError(line, column.header, "必填，不能为空。"))
                continue
            kind = maskable.get(column.field)
            if kind and looks_masked(raw):
                parsed[column.field] = Masked(raw.strip(), kind)
                continue
            try:
                parsed[column.field] = parse(raw)
            except ValidationError as exc:
                bad = True
                if errors is not None:
                    errors.append(RowError(line, column.header, " ".join(exc.messages)))
        return None if bad else parsed

    def _rows(
        self, stream, filename, errors: list[RowError] | None
    ) -> Iterator[tuple[int, dict[str, Any]]]:
        """Parsed rows (line number, values); bad cells go to ``errors`` (pass 1)."""
        for line, values, formulas in self._lines(stream, filename, validate=errors is not None):
            parsed = self._parse(line, values, formulas, errors)
            if parsed is not None:
                yield line, parsed

    # ------------------------------------------------------------------ look-ups

    def _load_places(self) -> None:
        self.grids = {
            code: (pk, level, parent_id, community_id)
            for code, pk, level, parent_id, community_id in Grid.objects.values_list(
                "code", "pk", "level", "parent_id", "community_id"
            )
        }
        self.buildings = {
            code: (pk, grid_id)
            for code, pk, grid_id in Building.objects.values_list("code", "pk", "grid_id")
        }
        communities = Organization.objects.filter(kind="community_committee").only(
            "tree_id", "lft", "rght"
        )
        self.community_ok = {c.pk: in_scope(self.user, c) for c in communities}
        # What a household may be linked to (core.links, as the API): anything else is "not
        # found", like an unknown code.
        self.linkable = {
            name: set(linkable(self.user, Household, name).values_list("pk", flat=True))
            for name in ("grid", "building", "micro_grid")
        }

    def _place_errors(self, line: int, v: dict[str, Any]) -> list[RowError]:
        errors: list[RowError] = []
        grid = self.grids.get(v["grid_code"])
        if grid is None or grid[0] not in self.linkable["grid"]:
            return [RowError(line, "网格编码", f"找不到网格“{v['grid_code']}”。")]
        grid_pk, level, _, community_id = grid
        if level != GridLevel.GRID:
            errors.append(RowError(line, "网格编码", f"“{v['grid_code']}”不是“网格”层级。"))
        building_code = v.get("building_code")
        if building_code:
            building = self.buildings.get(building_code)
            if building is None or building[0] not in self.linkable["building"]:
                errors.append(RowError(line, "楼栋编码", f"找不到楼栋“{building_code}”。"))
            elif building[1] != grid_pk:
                errors.append(
                    RowError(
                        line, "楼栋编码", f"楼栋“{building_code}”不在网格“{v['grid_code']}”中。"
                    )
                )
        micro_code = v.get("micro_grid_code")
        if micro_code:
            micro = self.grids.get(micro_code)
            if micro is None or micro[0] not in self.linkable["micro_grid"]:
                errors.append(RowError(line, "微网格编码", f"找不到微网格“{micro_code}”。"))
            elif micro[1] != GridLevel.MICRO_GRID or micro[2] != grid_pk:
                errors.append(
                    RowError(
                        line, "微网格编码", f"“{micro_code}”不是网格“{v['grid_code']}”下的微网格。"
                    )
                )
        return errors

    # ------------------------------------------------------------------ run

    def run(self, data: bytes, filename: str = "", *, dry_run: bool = True) -> ImportResult:
        return self.run_stream(io.BytesIO(data), filename, dry_run=dry_run)

    def run_stream(
        self, stream: IO[bytes], filename: str = "", *, dry_run: bool = True
    ) -> ImportResult:
        result = ImportResult(dry_run=dry_run)
        try:
            self._validate(stream, filename, result)
        except FileRejected as exc:
            result.errors = [RowError(0, "文件", str(exc))]
            return result
        result.errors.sort(key=lambda e: e.row)
        if result.errors or dry_run:
            return result
        try:
            with transaction.atomic():
                self._write(stream, filename, result)
        except IntegrityError as exc:
            result.errors.append(RowError(0, "数据库", f"写入被拒绝，全部未导入：{exc}"))
            return result
        result.committed = True
        return result

    def _validate(self, stream, filename, result: ImportResult) -> None:
        """Pass 1: every check, and the comparison with what is stored, a chunk of lines at a
        time (a few queries per chunk). A line equal to a stored record's own export (the
        common re-import) is recognised whole and not parsed (``_canonical``); the others are
        parsed and checked cell by cell. Only rows that would change anything are remembered
        for pass 2; unchanged ones are counted and forgotten."""
        self._load_places()
        self.grid_code = {pk: code for code, (pk, *_rest) in self.grids.items()}
        self.building_code = {pk: code for code, (pk, _grid) in self.buildings.items()}
        self.households_seen: dict[str, tuple[int, int]] = {}
        self.ids: dict[str, int] = {}
        self.stored_households: dict[str, tuple] = {}
        self.household_write: dict[str, int | None] = {}  # code -> stored pk (None: new)
        self.household_lines: set[int] = set()  # the line each written household is read from
        self.declared_size: dict[str, int] = {}  # code -> 户人数 in the file
        self.stored_size: dict[int, int] = {}  # stored household pk -> residents registered
        self.new_residents: dict[str, int] = {}  # code -> residents the file adds
        self.resident_write: dict[int, tuple[int | None, str, str]] = {}  # line -> pk, id, phone
        self.stats = dict.fromkeys(
            ("households_created", "households_updated", "residents_created", "residents_updated"),
            0,
        )
        self.good_lines = 0
        self.stop = False
        batch: list[tuple[int, list, list]] = []
        for item in self._lines(stream, filename, validate=True):
            batch.append(item)
            if len(batch) >= CHUNK:
                self._check_chunk(batch, result)
                batch = []
                if self.stop:
                    break
        if batch and not self.stop:
            self._check_chunk(batch, result)
        self._size_warnings(result)
        bad_lines = {e.row for e in result.errors if e.row > 0}
        result.total = self.good_lines + len(bad_lines - self.checked_bad)
        if result.total == 0 and not result.errors:
            raise FileRejected("文件中没有数据行。")
        for item in result.preview:
            code = item["key"]
            item["action"] = "新增" if self.household_write.get(code, 0) is None else "修改"
        self.stats["households_created"] = sum(
            1 for pk in self.household_write.values() if pk is None
        )
        self.stats["households_updated"] = (
            len(self.household_write) - (self.stats["households_created"])
        )

    checked_bad: set[int] = frozenset()

    def _size_warnings(self, result: ImportResult) -> None:
        """户人数 against the residents the household will have (stored ones plus the file's
        new ones): a warning in the preview, never an error (a household may declare members
        not registered here)."""
        for code, (line, _signature) in self.households_seen.items():
            declared = self.declared_size.get(code)
            if declared is None:
                continue
            stored = self.stored_households.get(code)
            registered = (self.stored_size.get(stored[0], 0) if stored else 0) + (
                self.new_residents.get(code, 0)
            )
            if declared != registered:
                result.warnings.append(
                    RowError(
                        line,
                        "户人数",
                        f"户“{code}”户人数为 {declared}，导入后登记居民 {registered} 人，请核对。",
                    )
                )
                if len(result.warnings) >= MAX_ERRORS:
                    break

    def _load_stored(self, codes) -> dict[int, list[tuple]]:
        """Stored households by code (kept for the file: later lines of a household may come
        in a later chunk) and the residents of those households (for this chunk only), in
        two queries of the compared columns only (one array parameter each, not a
        placeholder per code)."""
        wanted = sorted(set(codes) - self.stored_households.keys())
        if connection.vendor != "postgresql":
            return self._load_stored_orm(codes, wanted)
        household, grid, resident = (
            Household._meta.db_table,
            Grid._meta.db_table,
            Resident._meta.db_table,
        )
        with connection.cursor() as cursor:
            if wanted:
                columns = ", ".join(
                    f"h.{Household._meta.get_field(f.removesuffix('_id')).column}"
                    for f in HOUSEHOLD_VALUES
                )
                cursor.execute(
                    f"SELECT h.code, h.id, g.community_id, {columns} FROM {household} h "
                    f"JOIN {grid} g ON g.id = h.grid_id WHERE h.code = ANY(%s)",
                    [wanted],
                )
                for code, *stored in cursor.fetchall():
                    self.stored_households[code] = tuple(stored)
            pks = [self.stored_households[c][0] for c in codes if c in self.stored_households]
            residents: dict[int, list[tuple]] = {}
            if pks:
                columns = ", ".join(Resident._meta.get_field(f).column for f in RESIDENT_VALUES)
                cursor.execute(
                    f"SELECT id, household_id, id_number, {columns} FROM {resident} "
                    "WHERE household_id = ANY(%s)",
                    [pks],
                )
                for pk, household_id, number, *values in cursor.fetchall():
                    residents.setdefault(household_id, []).append((pk, number, tuple(values)))
        return residents

    def _load_stored_orm(self, codes, wanted) -> dict[int, list[tuple]]:
        for code, *stored in Household.objects.filter(code__in=wanted).values_list(
            "code", "pk", "grid__community_id", *HOUSEHOLD_VALUES
        ):
            self.stored_households[code] = tuple(stored)
        pks = {self.stored_households[c][0] for c in codes if c in self.stored_households}
        residents: dict[int, list[tuple]] = {}
        for pk, household_id, number, *values in Resident.objects.filter(
            household_id__in=pks
        ).values_list("pk", "household_id", "id_number", *RESIDENT_VALUES):
            residents.setdefault(household_id, []).append((pk, number, tuple(values)))
        return residents

    def _check_chunk(self, batch, result: ImportResult) -> None:
        errors = result.errors
        if not isinstance(self.checked_bad, set):
            self.checked_bad = set()
        canon: dict[tuple, tuple] = {}
        residents: dict[int, list[tuple]] = {}
        raw_codes: set[str] = set()
        if self.export_layout:
            raw_codes = {values[0].strip() for _, values, _ in batch}
            residents = self._load_stored(raw_codes)
            canon = self._canonical(raw_codes, residents)
        # Phase 1: each line recognised whole, or parsed (cell errors reported in line order).
        rows: list[tuple[int, Any, bool]] = []  # line, canonical hit or parsed values, fast
        for line, values, formulas in batch:
            hit = canon.get(tuple(values)) if canon else None
            if hit is not None and not any(formulas):
                rows.append((line, hit, True))
            else:
                v = self._parse(line, values, formulas, errors)
                if v is not None:
                    rows.append((line, v, False))
                elif len(errors) < MAX_ERRORS:
                    continue
            if len(errors) >= MAX_ERRORS:
                self.stop = True
                break
        self.good_lines += len(rows)
        # Stored records of parsed lines whose code is not one of the chunk's cells as they
        # stand (another layout, a code typed full-width): loaded by the parsed code.
        extra = {v["household_code"] for _, v, fast in rows if not fast} - raw_codes
        if extra:
            residents.update(self._load_stored(extra))
        for code in raw_codes | extra:
            stored = self.stored_households.get(code)
            if stored is not None:
                self.stored_size[stored[0]] = len(residents.get(stored[0], ()))
        numbers = [
            v["id_number"]
            for _, v, fast in rows
            if not fast and isinstance(v.get("id_number"), str) and v["id_number"]
        ]
        elsewhere = {}
        if numbers:
            elsewhere = {
                number: (code, community_id)
                for number, code, community_id in Resident.objects.filter(
                    id_number__in=numbers
                ).values_list("id_number", "household__code", "household__grid__community_id")
            }
        # Phase 2, in line order: the checks across lines (a household's columns on every
        # line, one ID number once) see the same order as a line-by-line run.
        for line, v, fast in rows:
            if fast:
                if self._check_same(line, v, result):
                    continue
                v = self._canonical_row(v)  # a check failed: the full path says why
            before = len(errors)
            action = self._check_row(line, v, residents, elsewhere, errors, result)
            if len(errors) > before:
                self.checked_bad.add(line)
            elif len(result.preview) < PREVIEW_ROWS:
                number = v.get("id_number") or ""
                shown = number.text if isinstance(number, Masked) else mask_id_number(number)
                result.preview.append(
                    {
                        "row": line,
                        "action": "",
                        "key": v["household_code"],
                        "label": f"{mask_name(v.get('name') or '')} {shown}".strip(),
                    }
                )
            if action == "created":
                result.created += 1
            elif action == "updated":
                result.updated += 1
            elif action == "unchanged":
                result.unchanged += 1

    # ------------------------------------------------------------------ the export, recognised

    def _canonical(self, codes, residents) -> dict[tuple, tuple]:
        """The lines that the export writes for these stored households (masked ID numbers
        and phones), mapped to what parsing such a line yields. Only records for which that
        is exactly the stored value are included: parsing each household line's cells with
        the columns' own parsers once (not once per resident), and for residents the same
        rules inline (text as stored, valid choices, a mask that reads as masked, an ID mask
        shared by no other resident of the household). A file line equal to one of these
        would be parsed to values equal to the stored ones: it is 未变 unless a check across
        lines (``_check_same``) says otherwise."""
        canon: dict[tuple, tuple] = {}
        parse_name, parse_note = self.person_parsers["name"], self.person_parsers["note"]
        no_person, relations, types, yes_no = self.no_person, RELATION_LABELS, TYPE_LABELS, YES_NO
        for code in codes:
            stored = self.stored_households.get(code)
            if stored is None or not self.community_ok.get(stored[1]):
                continue
            household = self._household_line(code, stored)
            if household is None:
                continue
            cells, values, signature = household
            known = residents.get(stored[0])
            if not known:
                canon[cells + no_person] = (code, signature, None, "", "", values, None)
                continue
            masks = [mask_id_number(number) for _pk, number, _values in known]
            for (_pk, number, stored_values), masked in zip(known, masks, strict=True):
                name, phone, relation, resident_type, note, *flags = stored_values
                shown_phone = mask_phone(phone) if phone else ""
                relation_label = relations.get(relation)
                type_label = types.get(resident_type)
                flag_cells = tuple(map(yes_no.get, flags))
                if (
                    relation_label is None
                    or type_label is None
                    or None in flag_cells
                    or not name
                    or "*" not in masked
                    or (phone and "*" not in shown_phone)
                    or (len(known) > 1 and masks.count(masked) > 1)
                ):
                    continue
                try:
                    if parse_name(name) != name or (note and parse_note(note) != note):
                        continue
                except ValidationError:
                    continue
                line = (
                    *cells,
                    name,
                    masked,
                    shown_phone,
                    relation_label,
                    type_label,
                    *flag_cells,
                    note,
                )
                canon[line] = (code, signature, number, name, masked, values, stored_values)
        return canon

    @staticmethod
    def _canonical_row(hit) -> dict[str, Any]:
        """What parsing the line of a ``_canonical`` hit yields (for the full path)."""
        _code, _signature, number, name, masked, values, stored_values = hit
        if stored_values is None:
            return values
        _name, phone, relation, resident_type, note, *flags = stored_values
        return {
            **values,
            "name": name,
            "id_number": Masked(masked, "id"),
            "phone": Masked(mask_phone(phone), "phone") if phone else "",
            "relation": relation,
            "resident_type": resident_type,
            "note": note,
            **dict(zip(FLAG_FIELDS, flags, strict=True)),
        }

    def _household_line(self, code, stored):
        """A stored household's cells as the export writes them, the values the household
        columns' parsers make of those cells, and the line signature — or None when those
        values are not exactly the stored ones (or the household would be refused)."""
        _pk, _community, grid_id, building_id, micro_id, door, head, size, note = stored
        cells = (
            code,
            self.grid_code.get(grid_id, ""),
            self.building_code.get(building_id, "") if building_id else "",
            self.grid_code.get(micro_id, "") if micro_id else "",
            door,
            head,
            str(size),
            note,
        )
        values: dict[str, Any] = {}
        caches = self._cell_caches
        try:
            for position, ((_index, column, parse), cell) in enumerate(
                zip(self.mapping[:8], cells, strict=True)
            ):
                if column.required and not cell.strip():
                    return None
                cache = caches.get(position)
                if cache is None:
                    values[column.field] = parse(cell)
                    continue
                if cell not in cache:
                    try:
                        cache[cell] = parse(cell)
                    except ValidationError as exc:
                        cache[cell] = exc
                parsed = cache[cell]
                if isinstance(parsed, ValidationError):
                    return None
                values[column.field] = parsed
        except ValidationError:
            return None
        if self._household_values(values) != stored[2:] or self._place_errors(0, values):
            return None
        if values["household_code"] != code:
            return None
        signature = hash(tuple(values.get(f) for f in HOUSEHOLD_FIELDS))
        return cells, values, signature

    @cached_property
    def person_parsers(self) -> dict[str, Any]:
        return {column.field: parse for _index, column, parse in self.mapping}

    @cached_property
    def _cell_caches(self) -> dict[int, dict[str, Any]]:
        """Parsed cells of the household columns with few distinct values (grid, building,
        micro-grid, size), by their position in the line: parsed once per value."""
        return {1: {}, 2: {}, 3: {}, 6: {}}

    @cached_property
    def no_person(self) -> tuple[str, ...]:
        return ("",) * (len(self.columns) - len(HOUSEHOLD_FIELDS) - 1)

    def _check_same(self, line, hit, result: ImportResult) -> bool:
        """A line equal to a stored record's export: the checks across lines that could
        still refuse it (the household's columns as on its first line, the same person
        twice). True when it is 未变; False sends it through the full path."""
        code, signature, number, name, masked, _values, _stored = hit
        first = self.households_seen.get(code)
        if (first is not None and first[1] != signature) or number in self.ids:
            return False
        if first is None:
            self.households_seen[code] = (line, signature)
            self.declared_size[code] = self.stored_households[code][2 + SIZE_AT]
        if number is not None:
            self.ids[number] = line
        if len(result.preview) < PREVIEW_ROWS:
            result.preview.append(
                {
                    "row": line,
                    "action": "",
                    "key": code,
                    "label": f"{mask_name(name)} {masked}".strip(),
                }
            )
        result.unchanged += 1
        return True

    def _check_household(self, line, v, errors, result) -> str | None:
        """The household's columns, on its first row: None (bad), "created", "updated" or ""."""
        code = v["household_code"]
        place = self._place_errors(line, v)
        stored = self.stored_households.get(code)
        if stored is not None and not self.community_ok.get(stored[1]):
            # Answered like any code in use: no owner, no contents.
            errors.append(RowError(line, "户编码", f"户编码“{code}”已被使用，不能用于新增户。"))
            return None
        if place:
            errors.extend(place)
            return None
        fresh = self._household_values(v)
        if stored is None:
            self.household_write[code] = None
            self.household_lines.add(line)
            return "created"
        if fresh == stored[2:]:
            return ""
        self.household_write[code] = stored[0]
        self.household_lines.add(line)
        if len(result.changes) < MAX_CHANGES:
            shown = (self._place_text, self._place_text, self._place_text, str, str, str, str)
            fields = [
                {"column": header, "old": show(old), "new": show(new)}
                for header, show, old, new in zip(
                    HOUSEHOLD_HEADERS, shown, stored[2:], fresh, strict=True
                )
                if old != new
            ]
            result.changes.append(
                {
                    "row": line,
                    "action": "修改",
                    "key": code,
                    "label": f"户 {code}",
                    "fields": fields,
                }
            )
        return "updated"

    def _place_text(self, pk) -> str:
        return self.grid_code.get(pk) or self.building_code.get(pk) or ""

    def _household_values(self, v) -> tuple:
        building = self.buildings.get(v.get("building_code") or "")
        micro = self.grids.get(v.get("micro_grid_code") or "")
        return (
            self.grids[v["grid_code"]][0],
            building[0] if building else None,
            micro[0] if micro else None,
            v["door_number"],
            v["head_name"],
            v.get("size") or 1,
            v.get("household_note", ""),
        )

    def _check_row(self, line, v, residents, elsewhere, errors, result) -> str | None:
        code = v["household_code"]
        signature = hash(tuple(v.get(f) for f in HOUSEHOLD_FIELDS))
        first = self.households_seen.get(code)
        household = ""
        if first is None:
            self.households_seen[code] = (line, signature)
            self.declared_size[code] = v.get("size") or 1
            household = self._check_household(line, v, errors, result)
            if household is None:
                return None
        elif first[1] != signature:
            errors.append(RowError(line, "户编码", f"户“{code}”的户信息与第 {first[0]} 行不一致。"))
            return None
        elif code not in self.household_write and code not in self.stored_households:
            return None  # its first row was refused
        person = any(v.get(f) for f in PERSON_TEXT) or any(v.get(f) for f in FLAG_FIELDS)
        if not person:
            return household or "unchanged"
        missing = [h for f, h in PERSON_REQUIRED.items() if not v.get(f)]
        if missing:
            errors.extend(
                RowError(line, h, "必填（该行填写了居民信息），不能为空。") for h in missing
            )
            return None
        stored_household = self.stored_households.get(code)
        known = residents.get(stored_household[0], []) if stored_household else []
        number, phone = v["id_number"], v.get("phone", "")
        match = None
        if isinstance(number, Masked):
            found = [r for r in known if mask_id_number(r[1]) == number.text]
            if not found:
                why = "与该户已登记居民的身份证号都不一致" if known else "新增居民"
                errors.append(
                    RowError(line, "身份证号", f"是遮蔽值（含 *），{why}：请填写完整的身份证号。")
                )
                return None
            if len(found) > 1:
                errors.append(
                    RowError(
                        line,
                        "身份证号",
                        f"遮蔽值与该户 {len(found)} 名居民相同，无法区分：请填写完整的身份证号。",
                    )
                )
                return None
            match = found[0]
        else:
            match = next((r for r in known if r[1] == number), None)
            other = elsewhere.get(number)
            if match is None and other is not None and other[0] != code:
                where = f"户“{other[0]}”" if self.community_ok.get(other[1]) else "其他社区的户"
                errors.append(
                    RowError(
                        line, "身份证号", f"该身份证号已登记在{where}，不能重复登记到户“{code}”。"
                    )
                )
                return None
        full = match[1] if match else number
        if full in self.ids:
            errors.append(
                RowError(
                    line, "身份证号", f"与第 {self.ids[full]} 行重复（同一人只能登记在一户）。"
                )
            )
            return None
        self.ids[full] = line
        if isinstance(phone, Masked):
            if match is None or mask_phone(match[2][1]) != phone.text:
                errors.append(
                    RowError(
                        line, "电话", "是遮蔽值（含 *），与已登记的电话不一致：请填写完整的电话。"
                    )
                )
                return None
            phone = match[2][1]
        fresh = (
            v["name"],
            phone,
            v["relation"],
            v.get("resident_type") or ResidentType.REGISTERED,
            v.get("note", ""),
            *(v.get(f, False) for f in FLAG_FIELDS),
        )
        if match is None:
            self.resident_write[line] = (None, full, phone)
            self.stats["residents_created"] += 1
            self.new_residents[code] = self.new_residents.get(code, 0) + 1
            return "created"
        if fresh == match[2]:
            return household or "unchanged"
        self.resident_write[line] = (match[0], full, phone)
        self.stats["residents_updated"] += 1
        if len(result.changes) < MAX_CHANGES:
            headers = [self.column_header(f) for f in RESIDENT_VALUES]
            fields = [
                {"column": h, "old": self._shown(f, old), "new": self._shown(f, new)}
                for h, f, old, new in zip(headers, RESIDENT_VALUES, match[2], fresh, strict=True)
                if old != new
            ]
            result.changes.append(
                {
                    "row": line,
                    "action": "修改",
                    "key": code,
                    "label": f"{mask_name(v['name'])} {mask_id_number(full)}",
                    "fields": fields,
                }
            )
        return "updated"

    @staticmethod
    def _shown(name: str, value) -> str:
        if name == "phone":
            return mask_phone(value)
        if isinstance(value, bool):
            return "是" if value else "否"
        return "" if value is None else str(value)

    def _household(self, v: dict[str, Any], pk: int | None) -> Household:
        grid = self.grids[v["grid_code"]]
        building = self.buildings.get(v.get("building_code") or "")
        micro = self.grids.get(v.get("micro_grid_code") or "")
        return Household(
            pk=pk,
            code=v["household_code"],
            grid_id=grid[0],
            building_id=building[0] if building else None,
            micro_grid_id=micro[0] if micro else None,
            door_number=v["door_number"],
            head_name=v["head_name"],
            size=v.get("size") or 1,
            note=v.get("household_note", ""),
        )

    def _household_row(self, v: dict[str, Any]) -> dict[str, Any]:
        building = self.buildings.get(v.get("building_code") or "")
        micro = self.grids.get(v.get("micro_grid_code") or "")
        return {
            "code": v["household_code"],
            "grid_id": self.grids[v["grid_code"]][0],
            "building_id": building[0] if building else None,
            "micro_grid_id": micro[0] if micro else None,
            "door_number": v["door_number"],
            "head_name": v["head_name"],
            "size": v.get("size") or 1,
            "note": v.get("household_note", ""),
        }

    @staticmethod
    def _resident_row(v: dict[str, Any], household_id: int) -> dict[str, Any]:
        number = v["id_number"]  # validated in pass 1
        return {
            "code": new_resident_code(),
            "household_id": household_id,
            "name": v["name"],
            "id_number": number,
            "gender": Gender.MALE if int(number[16]) % 2 else Gender.FEMALE,
            "birth_date": birth_date_from_id(number),
            "phone": v.get("phone", ""),
            "relation": v["relation"],
            "resident_type": v.get("resident_type") or ResidentType.REGISTERED,
            "note": v.get("note", ""),
            **{f: v.get(f, False) for f in FLAG_FIELDS},
        }

    def _resident(self, v: dict[str, Any], household_id: int, pk: int | None) -> Resident:
        resident = Resident(
            pk=pk,
            household_id=household_id,
            name=v["name"],
            id_number=v["id_number"],
            phone=v.get("phone", ""),
            relation=v["relation"],
            resident_type=v.get("resident_type") or ResidentType.REGISTERED,
            note=v.get("note", ""),
            **{f: v.get(f, False) for f in FLAG_FIELDS},
        )
        if pk is None:
            resident.code = new_resident_code()
        resident.fill_from_id_number()
        return resident

    def _write(self, stream, filename, result: ImportResult) -> None:
        """Pass 2: only the households and residents that pass 1 found new or changed."""
        if not self.household_write and not self.resident_write:
            return  # an unchanged file writes nothing, not even an audit row
        stream.seek(0)
        household_pk: dict[str, int] = {
            code: stored[0]
            for code, stored in self.stored_households.items()
            if self.community_ok.get(stored[1])
        }
        written: set[str] = set()
        batch: list[tuple[int, dict[str, Any]]] = []
        started = time.monotonic()
        # Only the lines pass 1 found new or changed are parsed again (a household is
        # written from its first line, every line of it carries the same columns).
        wanted = self.household_lines | self.resident_write.keys()
        for line, values, formulas in self._lines(stream, filename, validate=False):
            if line not in wanted:
                continue
            v = self._parse(line, values, formulas, None)
            if v is None:  # pragma: no cover - validated in pass 1
                continue
            if v["household_code"] in self.household_write or line in self.resident_write:
                batch.append((line, v))
            if len(batch) >= CHUNK:
                self._write_chunk(batch, household_pk, written)
                batch = []
        if batch:
            self._write_chunk(batch, household_pk, written)
        stats = self.stats
        audit(
            actor=self.user,
            action="grids.roster_import",
            target_type="grids.household",
            target_repr=(
                f"导入户籍花名册：户 {stats['households_created'] + stats['households_updated']}，"
                f"居民 {stats['residents_created'] + stats['residents_updated']}"
            ),
            detail={**stats, "seconds": round(time.monotonic() - started, 1)},
        )

    def _write_chunk(self, batch, household_pk: dict[str, int], written: set[str]) -> None:
        user = self.user if getattr(self.user, "pk", None) else None
        new_households, changed_households = [], []
        for _, v in batch:
            code = v["household_code"]
            if code in written or code not in self.household_write:
                continue
            written.add(code)
            existing = self.household_write[code]
            if existing:
                changed_households.append(self._household(v, existing))
            else:
                new_households.append(self._household_row(v))
        ids = insert_with_history(Household, new_households, user=user)
        for row, pk in zip(new_households, ids, strict=True):
            household_pk[row["code"]] = pk
        if changed_households:
            changed_households = self._onto_stored(Household, changed_households)
            fields = [
                "grid",
                "building",
                "micro_grid",
                "door_number",
                "head_name",
                "size",
                "note",
                "updated_at",
            ]
            Household.objects.bulk_update(changed_households, fields, batch_size=1000)
            Household.history.bulk_history_create(
                changed_households, batch_size=1000, update=True, default_user=user
            )
        new_residents, changed_residents = [], []
        for line, v in batch:
            plan = self.resident_write.get(line)
            if plan is None:
                continue
            pk, number, phone = plan
            v = {**v, "id_number": number, "phone": phone}
            if pk:
                changed_residents.append(self._resident(v, household_pk[v["household_code"]], pk))
            else:
                new_residents.append(self._resident_row(v, household_pk[v["household_code"]]))
        insert_with_history(Resident, new_residents, user=user)
        if changed_residents:
            changed_residents = self._onto_stored(Resident, changed_residents)
            fields = [
                "household",
                "name",
                "phone",
                "relation",
                "resident_type",
                "note",
                "gender",
                "birth_date",
                "updated_at",
                *FLAG_FIELDS,
            ]
            Resident.objects.bulk_update(changed_residents, fields, batch_size=1000)
            Resident.history.bulk_history_create(
                changed_residents, batch_size=1000, update=True, default_user=user
            )

    @staticmethod
    def _onto_stored(model, fresh: list) -> list:
        """Copy the file's values onto the stored rows, so that untouched columns (code,
        created_at) stay as they are in the row and in its history record."""
        stored = model.objects.in_bulk([obj.pk for obj in fresh])
        now = timezone.now()
        names = [
            f.attname
            for f in model._meta.concrete_fields
            if f.name not in ("id", "code", "created_at", "updated_at")
        ]
        merged = []
        for obj in fresh:
            target = stored[obj.pk]
            for name in names:
                setattr(target, name, getattr(obj, name))
            target.updated_at = now
            merged.append(target)
        return merged

    # ------------------------------------------------------------------ export

    def export_rows(self, queryset):
        empty = [""] * (len(self.columns) - len(HOUSEHOLD_FIELDS) - 1)
        for household in queryset:
            head = [
                household.code,
                household.grid.code,
                household.building.code if household.building_id else "",
                household.micro_grid.code if household.micro_grid_id else "",
                household.door_number,
                household.head_name,
                household.size,
                household.note,
            ]
            residents = list(household.residents.all())
            if not residents:
                yield head + empty
            for r in residents:
                id_number, phone = r.id_number, r.phone
                if not self.unmasked:
                    id_number, phone = mask_id_number(id_number), self._mask_phone(phone)
                yield head + [
                    r.name,
                    id_number,
                    phone,
                    r.get_relation_display(),
                    r.get_resident_type_display(),
                    *[getattr(r, f) for f in FLAG_FIELDS],
                    r.note,
                ]

    @staticmethod
    def _mask_phone(value):
        from core.masking import mask_phone

        return mask_phone(value)

    def export_queryset(self, queryset):
        return (
            queryset.select_related("grid", "building", "micro_grid")
            .prefetch_related("residents")
            .order_by("code")
            .iterator(chunk_size=2000)
        )
