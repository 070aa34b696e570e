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
from typing import IO, Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from core.importing import (
    MAX_ERRORS,
    PREVIEW_ROWS,
    BaseImporter,
    Column,
    FileRejected,
    ImportResult,
    RowError,
    choice_parser,
    parse_bool,
    parse_int,
)
from core.masking import mask_id_number, mask_name
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
        Column("name", "姓名", required=True, parse=_limited(64), target="grids.Resident.name"),
        Column(
            "id_number",
            "身份证号",
            required=True,
            parse=_id_number,
            target="grids.Resident.id_number",
        ),
        Column("phone", "电话", parse=_phone, target="grids.Resident.phone"),
        Column("relation", "与户主关系", required=True, parse=choice_parser(Relation)),
        Column("resident_type", "人员类型", parse=choice_parser(ResidentType)),
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

    def _rows(
        self, stream, filename, errors: list[RowError] | None
    ) -> Iterator[tuple[int, dict[str, Any]]]:
        """Parsed rows (line number, values); bad cells go to ``errors`` (pass 1)."""
        table = iter(self._table(stream, filename))
        try:
            header, _ = next(table)
        except StopIteration:
            raise FileRejected("文件为空。") from None
        # Pass 2 re-reads a file that passed pass 1: only normalise what was validated.
        light = {"id_number": normalize_id_number, "phone": normalize_phone}
        mapping = [
            (
                index,
                column,
                light.get(column.field, self.parser(column))
                if errors is None
                else self.parser(column),
            )
            for index, column in self.header_map(header).items()
        ]
        for line, (values, formulas) in enumerate(table, start=2):
            if not any(v.strip() for v in values):
                continue
            parsed: dict[str, Any] = {}
            bad = False
            for index, column, parse in mapping:
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
                try:
                    parsed[column.field] = parse(raw)
                except ValidationError as exc:
                    bad = True
                    if errors is not None:
                        errors.append(RowError(line, column.header, " ".join(exc.messages)))
            if not bad:
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

    def _place_errors(self, line: int, v: dict[str, Any]) -> list[RowError]:
        errors: list[RowError] = []
        grid = self.grids.get(v["grid_code"])
        if grid is None:
            return [RowError(line, "网格编码", f"找不到网格“{v['grid_code']}”。")]
        grid_pk, level, _, community_id = grid
        if level != GridLevel.GRID:
            errors.append(RowError(line, "网格编码", f"“{v['grid_code']}”不是“网格”层级。"))
        if not self.community_ok.get(community_id):
            errors.append(RowError(line, "网格编码", f"“{v['grid_code']}”不在您的管辖范围内。"))
        building_code = v.get("building_code")
        if building_code:
            building = self.buildings.get(building_code)
            if building is None:
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
            if micro is None:
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
        self._load_places()
        errors = result.errors
        households: dict[str, tuple[int, int]] = {}  # code -> (first line, hash of its columns)
        ids: dict[str, tuple[int, str]] = {}  # id number -> (line, household code)
        lines = 0
        bad_lines: set[int] = set()
        for line, v in self._rows(stream, filename, errors):
            lines += 1
            code = v["household_code"]
            signature = hash(tuple(v.get(f) for f in HOUSEHOLD_FIELDS))
            first = households.get(code)
            if first is None:
                households[code] = (line, signature)
                errors.extend(self._place_errors(line, v))
            elif first[1] != signature:
                errors.append(
                    RowError(line, "户编码", f"户“{code}”的户信息与第 {first[0]} 行不一致。")
                )
            number = v["id_number"]
            if number in ids:
                errors.append(
                    RowError(
                        line, "身份证号", f"与第 {ids[number][0]} 行重复（同一人只能登记在一户）。"
                    )
                )
            else:
                ids[number] = (line, code)
            if len(result.preview) < PREVIEW_ROWS:
                result.preview.append(
                    {
                        "row": line,
                        "action": "",
                        "key": code,
                        "label": f"{mask_name(v['name'])} {mask_id_number(number)}",
                    }
                )
            if len(errors) >= MAX_ERRORS:
                break
        bad_lines = {e.row for e in errors if e.row > 0}
        result.total = lines + len(bad_lines - {ln for ln, _ in ids.values()})
        if result.total == 0 and not errors:
            raise FileRejected("文件中没有数据行。")

        # Existing households (scope) and residents (one household per ID number), by chunks.
        self.existing_households: dict[str, int] = {}
        codes = list(households)
        for start in range(0, len(codes), CHUNK):
            for code, pk, community_id in Household.objects.filter(
                code__in=codes[start : start + CHUNK]
            ).values_list("code", "pk", "grid__community_id"):
                self.existing_households[code] = pk
                if not self.community_ok.get(community_id):
                    errors.append(
                        RowError(
                            households[code][0], "户编码", f"户“{code}”已存在且不在您的管辖范围内。"
                        )
                    )
        self.existing_residents: dict[str, int] = {}
        numbers = list(ids)
        for start in range(0, len(numbers), CHUNK):
            for number, pk, household_code in Resident.objects.filter(
                id_number__in=numbers[start : start + CHUNK]
            ).values_list("id_number", "pk", "household__code"):
                line, code = ids[number]
                if household_code != code:
                    errors.append(
                        RowError(
                            line,
                            "身份证号",
                            f"该身份证号已登记在户“{household_code}”，不能重复登记到户“{code}”。",
                        )
                    )
                self.existing_residents[number] = pk
        result.updated = len(self.existing_residents)
        result.created = len(ids) - result.updated
        self.household_counts = (
            len(households) - len(self.existing_households),
            len(self.existing_households),
        )
        for item in result.preview:
            item["action"] = "更新" if item["key"] in self.existing_households else "新增"

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
        stream.seek(0)
        household_pk: dict[str, int] = dict(self.existing_households)
        written: set[str] = set()
        batch: list[dict[str, Any]] = []
        started = time.monotonic()
        for _, v in self._rows(stream, filename, None):
            batch.append(v)
            if len(batch) >= CHUNK:
                self._write_chunk(batch, household_pk, written)
                batch = []
        if batch:
            self._write_chunk(batch, household_pk, written)
        new_h, old_h = self.household_counts
        audit(
            actor=self.user,
            action="grids.roster_import",
            target_type="grids.household",
            target_repr=f"导入户籍花名册：户 {new_h + old_h}，居民 {result.created + result.updated}",
            detail={
                "households_created": new_h,
                "households_updated": old_h,
                "residents_created": result.created,
                "residents_updated": result.updated,
                "seconds": round(time.monotonic() - started, 1),
            },
        )

    def _write_chunk(self, batch, household_pk: dict[str, int], written: set[str]) -> None:
        user = self.user if getattr(self.user, "pk", None) else None
        new_households, changed_households = [], []
        for v in batch:
            code = v["household_code"]
            if code in written:
                continue
            written.add(code)
            existing = self.existing_households.get(code)
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
        for v in batch:
            pk = self.existing_residents.get(v["id_number"])
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
