"""The import/export base every app's files go through.

An importer declares its columns (Chinese headers), parses each row into model instances in
plain Python with cached look-ups by code, reports every bad row as "第 N 行 字段: 原因", and
writes only when the whole file is clean, in one transaction (all or nothing). A dry run is the
same validation without the write, so the preview shows exactly what a confirm would do.
Files: UTF-8 (with or without BOM) and GB18030/GBK CSV, and XLSX. Exports neutralise cells that
a spreadsheet would take for a formula.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from django.apps import apps
from django.core.exceptions import FieldDoesNotExist, ValidationError
from django.db import DataError, IntegrityError, models, transaction

from core.events import emit
from core.links import NOT_FOUND, check_links_bulk
from core.masking import looks_masked, matches_mask
from core.reading import FileRejected, cell_text, read_table
from core.scope import in_scope, restrict, scope_anchor
from core.sensitive import log_unmasked_export, mask
from core.validators import normalize_width, validate_code

MAX_ERRORS = 500
PREVIEW_ROWS = 20
MAX_CHANGES = 1000  # changed rows listed field by field in a preview


class RowInvalid(Exception):
    def __init__(self, errors: list[tuple[str, str]]):
        super().__init__(errors)
        self.errors = errors


@dataclass(frozen=True)
class RowError:
    row: int
    column: str
    message: str

    def __str__(self) -> str:
        if self.row <= 0:
            return f"{self.column}: {self.message}" if self.column else self.message
        where = f" {self.column}" if self.column else ""
        return f"第 {self.row} 行{where}: {self.message}"


@dataclass(frozen=True)
class Masked:
    """A masked cell (``138****5678``): "keep what is stored", checked against the record."""

    text: str
    kind: str


@dataclass
class ImportResult:
    """Counts 新增 / 修改 / 未变 / 有误, the rows' errors, and for every row that would change
    (up to ``MAX_CHANGES``) its changed columns as old → new (``changes``)."""

    total: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    errors: list[RowError] = field(default_factory=list)
    preview: list[dict[str, Any]] = field(default_factory=list)
    changes: list[dict[str, Any]] = field(default_factory=list)
    # Things to check that do not stop the import (e.g. 户人数 against the residents).
    warnings: list[RowError] = field(default_factory=list)
    dry_run: bool = True
    committed: bool = False

    @property
    def ok(self) -> bool:
        return not self.errors

    @property
    def error_rows(self) -> int:
        """有误: rows with at least one error (file-level errors count as none)."""
        return len({e.row for e in self.errors if e.row > 0})

    def as_dict(self) -> dict[str, Any]:
        return {
            "total": self.total,
            "created": self.created,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "error_rows": self.error_rows,
            "dry_run": self.dry_run,
            "committed": self.committed,
            "errors": [{"row": e.row, "column": e.column, "message": str(e)} for e in self.errors],
            "changes": self.changes,
            "warnings": [
                {"row": w.row, "column": w.column, "message": str(w)} for w in self.warnings
            ],
        }


# ---------------------------------------------------------------- cell parsers


def parse_text(value: str) -> str:
    return value.strip()


def parse_date(value: str) -> date | None:
    value = value.strip()
    if not value:
        return None
    if len(value) == 10 and value[4] == "-" and value[7] == "-":
        # The usual case, and the fast one for large files.
        try:
            return date.fromisoformat(value)
        except ValueError:
            pass
    for fmt in ("%Y-%m-%d", "%Y/%m/%d", "%Y.%m.%d", "%Y%m%d", "%Y年%m月%d日", "%Y-%m-%d %H:%M:%S"):
        try:
            return datetime.strptime(value, fmt).date()
        except ValueError:
            continue
    raise ValidationError(f"日期“{value}”无法识别，应为 YYYY-MM-DD。")


def parse_int(value: str) -> int | None:
    value = value.strip()
    if not value:
        return None
    try:
        number = Decimal(value)
    except InvalidOperation:
        raise ValidationError(f"“{value}”不是整数。") from None
    if number != number.to_integral_value():
        raise ValidationError(f"“{value}”不是整数。")
    return int(number)


def parse_decimal(value: str) -> Decimal | None:
    value = value.strip()
    if not value:
        return None
    try:
        return Decimal(value)
    except InvalidOperation:
        raise ValidationError(f"“{value}”不是数字。") from None


_TRUE = {"是", "y", "yes", "true", "1", "√", "有"}
_FALSE = {"否", "n", "no", "false", "0", "×", "无", ""}


def parse_bool(value: str) -> bool:
    v = value.strip().lower()
    if v in _TRUE:
        return True
    if v in _FALSE:
        return False
    raise ValidationError(f"“{value}”应填“是”或“否”。")


def choice_parser(choices: type[models.Choices]) -> Callable[[str], str]:
    """Accept the Chinese label or the English value of a TextChoices; blank stays blank (the
    importer applies the column's documented default, or the model refuses it)."""
    by_label = {str(label): value for value, label in choices.choices}
    by_value = {str(value): value for value, _ in choices.choices}

    def parse(value: str) -> str:
        v = value.strip()
        if not v:
            return ""
        if v in by_label:
            return by_label[v]
        if v in by_value:
            return by_value[v]
        allowed = "、".join(str(label) for _, label in choices.choices)
        raise ValidationError(f"“{v}”不是有效选项，可选：{allowed}。")

    parse.choices = [str(label) for _, label in choices.choices]  # type: ignore[attr-defined]
    return parse


# ---------------------------------------------------------------- columns


@dataclass(frozen=True)
class Column:
    field: str
    header: str
    required: bool = False
    parse: Callable[[str], Any] = parse_text
    export: Callable[[Any], Any] | None = None
    help: str = ""
    aliases: tuple[str, ...] = ()
    # "app_label.Model.field" the column fills, where its name does not say it (the checks
    # in ``BaseImporter.parser`` find ``field`` and ``<fk>_code`` on the importer's model).
    target: str = ""
    example: str = ""

    @property
    def choices(self) -> list[str]:
        """The allowed labels of a choice column (drop-down in the template), else []."""
        return list(getattr(self.parse, "choices", []))

    def example_text(self) -> str:
        if self.example:
            return self.example
        if self.choices:
            return self.choices[0]
        return _EXAMPLES.get(self.parse, f"示例{self.header}" if self.required else "")

    def format_text(self) -> str:
        if self.choices:
            return "可选：" + "、".join(self.choices)
        return _FORMATS.get(self.parse, "文本")

    def blank_text(self) -> str:
        hint = next((part for part in re.split("[；;]", self.help) if "留空" in part), "")
        if hint:
            return hint
        return "不能留空" if self.required else "留空表示没有（已有记录的该项会被清空）"


_EXAMPLES: dict[Callable[[str], Any], str] = {}
_FORMATS: dict[Callable[[str], Any], str] = {}

# Columns holding identifiers (codes, ID numbers, phones): full-width input is normalised.
_IDENTIFIER_NAMES = ("code", "id_number", "phone", "credit_code")


def _is_identifier(name: str) -> bool:
    return name in _IDENTIFIER_NAMES or name.endswith(tuple(f"_{n}" for n in _IDENTIFIER_NAMES))


_EXAMPLES.update({parse_date: "2024-01-01", parse_int: "1", parse_decimal: "1.5", parse_bool: "否"})
_FORMATS.update(
    {
        parse_date: "日期，如 2024-01-01",
        parse_int: "整数",
        parse_decimal: "数字",
        parse_bool: "是 / 否",
    }
)

# ---------------------------------------------------------------- the importer


class BaseImporter:
    """Subclass per model: set ``model``, ``columns``, ``sheet_name`` and implement
    ``build(row, values)`` returning an unsaved instance (new or existing).
    """

    model: type[models.Model]
    columns: list[Column] = []
    sheet_name: str = "数据"
    key_field: str = "code"
    batch_size: int = 2000
    title: str = ""
    # Optional ``progress(done, total)``, called every ``progress_every`` rows while the rows
    # are checked and once when all are (background import jobs report it; see core.import_jobs).
    progress: Callable[[int, int], None] | None = None
    progress_every: int = 1000

    def __init__(self, user):
        self.user = user
        self.unmasked = False
        self.existing: dict[Any, models.Model] = {}

    # ---- hooks
    def prepare(self, rows: list[tuple[int, dict[str, Any]]]) -> None:
        """Load everything the rows to build refer to in a few queries (existing rows,
        parents …). Unchanged rows never get here."""
        keys = [values.get(self.key_field) for _, values in rows if values.get(self.key_field)]
        self.existing = self.load_existing(keys)

    def load_existing(self, keys: list[Any]) -> dict[Any, models.Model]:
        found: dict[Any, models.Model] = {}
        for start in range(0, len(keys), 5000):
            chunk = keys[start : start + 5000]
            for obj in self.model._default_manager.filter(**{f"{self.key_field}__in": chunk}):
                found[getattr(obj, self.key_field)] = obj
        return found

    def build(self, row: int, values: dict[str, Any]) -> models.Model:
        raise NotImplementedError

    def check_all(self, items: list[tuple[int, models.Model]]) -> list[RowError]:
        """Checks across rows (beyond duplicate keys, which the base does)."""
        return []

    def clean_instance(self, obj: models.Model) -> None:
        exclude = [f.name for f in obj._meta.fields if f.unique or f.name in self.skip_clean_fields]
        obj.full_clean(exclude=exclude, validate_unique=False, validate_constraints=False)

    skip_clean_fields: tuple[str, ...] = ()

    def save(self, new: list[models.Model], changed: list[models.Model]) -> None:
        if new:
            self.model._default_manager.bulk_create(new, batch_size=self.batch_size)
        if changed:
            fields = self.update_fields()
            self.model._default_manager.bulk_update(changed, fields, batch_size=self.batch_size)

    def update_fields(self) -> list[str]:
        names = {c.field for c in self.columns}
        return [
            f.name
            for f in self.model._meta.concrete_fields
            if not f.primary_key
            and (f.name in names or f"{f.name}_code" in names or f.attname in names)
        ]

    def after_save(self, result: ImportResult) -> None:
        """Work after the write, inside the same transaction. By default one audit row for
        the whole import (who, what, how many); importers with more to record override it."""
        from core.services import audit

        if result.created or result.updated:
            audit(
                actor=self.user,
                action=f"{self.model._meta.model_name}.import",
                target_type=self.model._meta.label_lower,
                target_repr=f"导入{self.model._meta.verbose_name} {result.created + result.updated} 条",
                detail={"created": result.created, "updated": result.updated},
            )

    # ---- machinery
    def column_field(self, column: Column) -> tuple[models.Field | None, bool]:
        """The model field a column fills and whether it is the row's own field (False: the
        ``code`` of the record a ``<fk>_code`` column refers to)."""
        if column.target:
            label, _, name = column.target.rpartition(".")
            return apps.get_model(label)._meta.get_field(name), True
        opts = self.model._meta
        try:
            found = opts.get_field(column.field)
            if found.concrete and not found.is_relation:
                return found, True
        except FieldDoesNotExist:
            pass
        if column.field.endswith("_code"):
            try:
                relation = opts.get_field(column.field.removesuffix("_code"))
                if relation.is_relation and relation.related_model is not None:
                    return relation.related_model._meta.get_field("code"), False
            except FieldDoesNotExist:
                pass
        return None, False

    def parser(self, column: Column) -> Callable[[str], Any]:
        """``column.parse`` with the checks the database and the model would make at the
        commit, so the dry run predicts it: identifiers typed full-width are normalised
        (NFKC) first; text longer than the field's ``max_length`` and codes the model's
        ``validate_code`` refuses are row errors."""
        model_field, own = self.column_field(column)
        identifier = _is_identifier(column.field)
        max_length = model_field.max_length if isinstance(model_field, models.CharField) else None
        code = own and model_field is not None and validate_code in model_field.validators
        parse = column.parse
        if not (identifier or max_length or code):
            return parse

        def checked(raw: str) -> Any:
            value = parse(normalize_width(raw) if identifier else raw)
            if isinstance(value, str) and value:
                if max_length and len(value) > max_length:
                    raise ValidationError(f"不能超过 {max_length} 个字符（现为 {len(value)} 个）。")
                if code:
                    validate_code(value)
            return value

        return checked

    def header_map(self, header: list[str]) -> dict[int, Column]:
        by_name: dict[str, Column] = {}
        for column in self.columns:
            for name in (column.header, column.field, *column.aliases):
                by_name[name.strip().lstrip("*").strip()] = column
        mapping: dict[int, Column] = {}
        unknown: list[str] = []
        for index, name in enumerate(header):
            name = name.strip().lstrip("*").strip()
            if not name:
                continue
            column = by_name.get(name)
            if column is None:
                unknown.append(name)
            elif column in mapping.values():
                raise FileRejected(f"表头中“{column.header}”列出现了两次。")
            else:
                mapping[index] = column
        missing = [c.header for c in self.columns if c.required and c not in mapping.values()]
        if missing:
            expected = "、".join(c.header for c in self.columns)
            hint = "（若表头是乱码，请确认文件编码为 UTF-8 或 GB18030）" if unknown else ""
            raise FileRejected(f"缺少必填列：{'、'.join(missing)}。应有的列：{expected}{hint}。")
        return mapping

    def parse_rows(self, table, result: ImportResult) -> list[tuple[int, dict[str, Any]]]:
        iterator = iter(table)
        try:
            header, _ = next(iterator)
        except StopIteration:
            raise FileRejected("文件为空。") from None
        mapping = self.header_map(header)
        parsers = {index: self.parser(column) for index, column in mapping.items()}
        self.file_columns = list(mapping.values())
        maskable = {c.field: self.masked_columns.get(c.field) for c in self.file_columns}
        cells = self.cells = {}
        masked_rows = self.masked_rows = set()  # rows holding a masked cell (few, or none)
        example = self.example_line(mapping)
        rows: list[tuple[int, dict[str, Any]]] = []
        # Per column, everything the cell loop needs, looked up once per file (not per cell).
        plan = [
            (index, column.field, column.header, column.required, maskable[column.field], parse)
            for index, column in mapping.items()
            for parse in (parsers[index],)
        ]
        width = max(mapping) + 1 if mapping else 0
        for line, (values, formulas) in enumerate(iterator, start=2):
            if not any(v.strip() for v in values) or self.is_example(values, example):
                continue
            if len(values) < width:
                values = [*values, *([""] * (width - len(values)))]
            flagged = any(formulas)
            parsed: dict[str, Any] = {}
            raw_cells: dict[str, str] = {}
            row_errors: list[RowError] = []
            for index, name, header, required, kind, parse in plan:
                raw = values[index]
                raw_cells[name] = raw
                if flagged and index < len(formulas) and formulas[index]:
                    row_errors.append(RowError(line, header, "不接受公式，请填写值本身。"))
                    continue
                if required and not raw.strip():
                    row_errors.append(RowError(line, header, "必填，不能为空。"))
                    continue
                if kind and looks_masked(raw):
                    # Resolved against the stored record (keep) before anything else uses it.
                    parsed[name] = Masked(raw.strip(), kind)
                    masked_rows.add(line)
                    continue
                try:
                    parsed[name] = parse(raw)
                except ValidationError as exc:
                    row_errors.append(RowError(line, header, " ".join(exc.messages)))
                except (ValueError, TypeError) as exc:
                    row_errors.append(RowError(line, header, str(exc)))
            if row_errors:
                result.errors.extend(row_errors)
            else:
                cells[line] = raw_cells
                rows.append((line, parsed))
        result.total = len(rows) + len({e.row for e in result.errors})
        if result.total == 0:
            raise FileRejected("文件中没有数据行。")
        return rows

    @staticmethod
    def example_line(mapping: dict[int, Column]) -> dict[int, str]:
        return {index: column.example_text() for index, column in mapping.items()}

    @staticmethod
    def is_example(values: list[str], example: dict[int, str]) -> bool:
        """The template's example row, left as it was: not data."""
        return bool(example) and all(
            (values[i].strip() if i < len(values) else "") == text for i, text in example.items()
        )

    def column_header(self, field_name: str) -> str:
        for column in self.columns:
            if column.field == field_name or column.field == f"{field_name}_code":
                return column.header
        if not field_name:
            return ""
        try:
            return self.model._meta.get_field(field_name).verbose_name
        except FieldDoesNotExist:
            return field_name

    def validation_errors(self, row: int, exc: ValidationError) -> list[RowError]:
        errors: list[RowError] = []
        if hasattr(exc, "error_dict"):
            for name, messages in exc.message_dict.items():
                header = "" if name == "__all__" else self.column_header(name)
                errors.extend(RowError(row, str(header), m) for m in messages)
        else:
            errors.extend(RowError(row, "", m) for m in exc.messages)
        return errors

    # ---- re-import: stored records, masked cells, unchanged rows, scope

    alternate_key_field: str | None = None
    """A unique field that finds the record when the key cell is blank (e.g. the ID number)."""

    def visible_queryset(self) -> models.QuerySet:
        """The records this user may see (and so re-import unchanged)."""
        queryset = self.model._default_manager.all()
        if getattr(self.model, "scope_path", None) is None:
            return queryset
        return restrict(queryset, self.user)

    def may_change(self, stored: models.Model) -> bool:
        if getattr(self.model, "scope_path", None) is None:
            return True
        return in_scope(self.user, scope_anchor(stored))

    def owner_label(self, stored: models.Model) -> str:
        anchor = scope_anchor(stored) if getattr(self.model, "scope_path", None) else None
        return f"“{anchor}”" if anchor is not None else "其他单位"

    @property
    def key_is_field(self) -> bool:
        try:
            return self.model._meta.get_field(self.key_field).concrete
        except FieldDoesNotExist:
            return False

    def stored_key(self, obj: models.Model) -> Any:
        return getattr(obj, self.key_field)

    def load_stored(self, keys: list[Any]) -> dict[Any, models.Model]:
        """The visible records the file names, loaded as an export loads them (so comparing a
        row with its record's exported cells costs no query per row)."""
        if not keys:
            return {}
        by_field = self.key_is_field
        found: dict[Any, models.Model] = {}
        wanted = set(keys)
        if not by_field:
            for obj in self.export_queryset(self.visible_queryset()):
                key = self.stored_key(obj)
                if key in wanted:
                    found[key] = obj
            return found
        for start in range(0, len(keys), 5000):
            chunk = keys[start : start + 5000]
            queryset = self.visible_queryset().filter(**{f"{self.key_field}__in": chunk})
            for obj in self.export_queryset(queryset):
                found[self.stored_key(obj)] = obj
        return found

    def match_keys(self, rows: list[tuple[int, dict[str, Any]]]) -> None:
        """Rows with a blank key find their record by ``alternate_key_field`` (never by a
        masked value, never outside the user's scope)."""
        alt, key = self.alternate_key_field, self.key_field
        if not alt:
            return
        wanted = {
            v[alt] for _, v in rows if not v.get(key) and v.get(alt) and isinstance(v[alt], str)
        }
        if not wanted:
            return
        found: dict[Any, Any] = {}
        wanted_list = sorted(wanted)
        for start in range(0, len(wanted_list), 5000):
            found.update(
                self.visible_queryset()
                .filter(**{f"{alt}__in": wanted_list[start : start + 5000]})
                .values_list(alt, key)
            )
        for _, values in rows:
            if not values.get(key) and isinstance(values.get(alt), str) and values[alt] in found:
                values[key] = found[values[alt]]

    def stored_cell(self, column: Column, obj: models.Model) -> Any:
        """The unmasked value an export writes in ``column`` for ``obj``."""
        if column.export is not None:
            return column.export(obj)
        value = getattr(obj, column.field, "")
        if isinstance(value, models.Model):
            value = str(value)
        return value

    def _show(self, column: Column, text: str) -> str:
        kind = self.masked_columns.get(column.field)
        return mask(kind, text) if kind and text and not looks_masked(text) else text

    def cell_changes(
        self, row: int, values: dict[str, Any], stored: models.Model
    ) -> tuple[list[dict[str, str]], list[tuple[str, str]]]:
        """The row's cells against the stored record's exported cells: (changed columns as
        old → new, errors). Masked cells equal to the stored value's mask take the stored value."""
        raw_cells = self.cells.get(row, {})
        changes: list[dict[str, str]] = []
        errors: list[tuple[str, str]] = []
        for column in self.file_columns:
            expected = cell_text(_plain(self.stored_cell(column, stored)))
            value = values.get(column.field)
            if isinstance(value, Masked):
                if matches_mask(value.kind, value.text, expected):
                    values[column.field] = column.parse(expected)
                else:
                    errors.append((column.header, _MASK_MISMATCH.format(column.header)))
                continue
            cell = raw_cells.get(column.field, "")
            if cell.strip() == expected.strip():
                continue
            try:
                if column.field in values and values[column.field] == column.parse(expected):
                    continue
            except (ValidationError, ValueError, TypeError):
                pass
            changes.append(
                {
                    "column": column.header,
                    "old": self._show(column, expected),
                    "new": self._show(column, cell.strip()),
                }
            )
        return changes, errors

    def compare_stored(
        self, rows: list[tuple[int, dict[str, Any]]], result: ImportResult
    ) -> list[tuple[int, dict[str, Any]]]:
        """Split the file: unchanged rows are counted and dropped here (nothing else looks at
        them); rows for records the user may see but not change are errors only if they would
        change something; masked cells are resolved; the rest is returned to be built."""
        key_name = self.key_field
        header = self.column_header(key_name) if key_name else ""
        keys = [
            v[key_name] for _, v in rows if v.get(key_name) and not isinstance(v[key_name], Masked)
        ]
        self.stored = self.load_stored(keys)
        self.row_stored: dict[int, models.Model] = {}
        self.row_changes: dict[int, list[dict[str, str]]] = {}
        seen: dict[Any, int] = {}
        out: list[tuple[int, dict[str, Any]]] = []
        masked_rows = getattr(self, "masked_rows", None)  # None: not parsed by parse_rows
        for row, values in rows:
            key = values.get(key_name)
            if isinstance(key, Masked):
                result.errors.append(RowError(row, header, _MASKED_KEY.format(header)))
                continue
            if key:
                if key in seen:
                    result.errors.append(RowError(row, header, f"“{key}”与第 {seen[key]} 行重复。"))
                    continue
                seen[key] = row
            stored = self.stored.get(key) if key else None
            if stored is None:
                masked = (
                    [c.header for c in self.file_columns if isinstance(values.get(c.field), Masked)]
                    if masked_rows is None or row in masked_rows
                    else []
                )
                if masked:
                    result.errors.extend(
                        RowError(row, name, _MASKED_NEW.format(name)) for name in masked
                    )
                    continue
                out.append((row, values))
                continue
            changes, errors = self.cell_changes(row, values, stored)
            if errors:
                result.errors.extend(RowError(row, c, m) for c, m in errors)
                continue
            if not changes:
                result.unchanged += 1
                continue
            if not self.may_change(stored):
                columns = "、".join(c["column"] for c in changes)
                shown = " / ".join(map(str, key)) if isinstance(key, tuple) else key
                result.errors.append(
                    RowError(
                        row,
                        header,
                        f"“{shown}”由{self.owner_label(stored)}登记管理，您可以查看但不能修改"
                        f"（本行改动了：{columns}）。请恢复原值或删除该行。",
                    )
                )
                continue
            refusal = self.edit_refusal(stored, changes)
            if refusal:
                result.errors.append(RowError(row, header, refusal))
                continue
            self.row_stored[row] = stored
            self.row_changes[row] = changes
            out.append((row, values))
        return out

    def edit_refusal(self, stored: models.Model, changes: list[dict[str, str]]) -> str | None:
        """Why a record the user may change still cannot be changed by this row (its
        workflow owns it or the changed columns, e.g. a signed agreement, an activity's
        status), else ``None``. ``changes`` are the row's changed columns (old → new)."""
        return None

    @staticmethod
    def changed_columns(changes: list[dict[str, str]]) -> set[str]:
        return {c["column"] for c in changes}

    def diff_fields(self) -> list[models.Field]:
        if "_diff_fields" not in self.__dict__:
            fields = []
            for name in self.update_fields():
                try:
                    f = self.model._meta.get_field(name)
                except FieldDoesNotExist:
                    continue
                if f.concrete and not (getattr(f, "auto_now", False) or f.primary_key):
                    fields.append(f)
            self._diff_fields = fields
        return self._diff_fields

    def field_changes(self, row: int, obj: models.Model) -> list[dict[str, str]] | None:
        """What writing ``obj`` would change in its stored row; ``None`` for nothing. Columns
        the model does not hold (links kept in other tables) count by their cells."""
        stored = self.row_stored.get(row)
        if stored is None:
            stored = self.model._default_manager.filter(pk=obj.pk).first()
            if stored is None:
                return [{"column": "", "old": "", "new": str(obj)}]
        cells = self.row_changes.get(row, [])
        by_header = {c["column"]: c for c in cells}
        changed: list[dict[str, str]] = []
        held = set()
        for f in self.diff_fields():
            old, new = getattr(stored, f.attname), getattr(obj, f.attname)
            header = str(self.column_header(f.name))
            held.add(header)
            if _same(old, new):
                continue
            if header in by_header:
                changed.append(by_header[header])
            else:
                kind = self.masked_columns.get(f.name)
                changed.append(
                    {"column": header, "old": _display(kind, old), "new": _display(kind, new)}
                )
        changed.extend(c for c in cells if c["column"] not in held and c not in changed)
        return changed or None

    def assign_codes(self, new: list[models.Model]) -> None:
        """Give new records whose key was left blank a code (importers that allow it); an
        importer that does lists them in ``self.generated`` (see ``write``)."""

    generated: list[models.Model] = []
    code_attempts = 20  # as organizations.models.codes.READABLE_CODE_ATTEMPTS

    def write(self, new: list[models.Model], changed: list[models.Model]) -> None:
        """``save`` in a savepoint. When the insert fails because a code this import generated
        (``assign_codes``, read as the next free number) was taken meanwhile by another writer
        (the unique index makes that insert wait, then fail when the other commits), those
        records get fresh codes and the write is tried again — up to ``code_attempts`` times.
        Any other refusal (no generated code taken) is the file's error, as before."""
        for attempt in range(1, self.code_attempts + 1):
            try:
                with transaction.atomic():
                    self.save(new, changed)
                return
            except IntegrityError:
                generated = self.generated
                if not generated or attempt == self.code_attempts:
                    raise
                codes = [obj.code for obj in generated]
                if not self.model._default_manager.filter(code__in=codes).exists():
                    raise
                for obj in new:  # the savepoint took the rows back: insert them afresh
                    obj.pk = None
                    obj._state.adding = True
                for obj in generated:
                    obj.code = ""
                self.assign_codes(generated)

    # ---- run

    def run(self, data: bytes, filename: str = "", *, dry_run: bool = True) -> ImportResult:
        result = ImportResult(dry_run=dry_run)
        try:
            table = read_table(data, filename, self.sheet_name)
            rows = self.parse_rows(table, result)
        except FileRejected as exc:
            result.errors.append(RowError(0, "文件", str(exc)))
            return result
        self.match_keys(rows)
        rows = self.compare_stored(rows, result)
        self.prepare(rows)

        key_header = self.column_header(self.key_field) if self.key_field else ""
        items: list[tuple[int, models.Model]] = []
        changes: dict[int, list[dict[str, str]]] = {}
        for index, (row, values) in enumerate(rows):
            if self.progress is not None and index % self.progress_every == 0:
                self.progress(index, len(rows))
            key = values.get(self.key_field)
            if key and self.key_is_field and key in self.existing and key not in self.stored:
                # Out of scope answers like any other code in use: no owner, no contents.
                result.errors.append(RowError(row, key_header, _KEY_TAKEN.format(key)))
                continue
            try:
                obj = self.build(row, values)
                self.clean_instance(obj)
            except RowInvalid as exc:
                result.errors.extend(RowError(row, c, m) for c, m in exc.errors)
                continue
            except ValidationError as exc:
                result.errors.extend(self.validation_errors(row, exc))
                continue
            if not obj._state.adding:
                changed = self.field_changes(row, obj)
                if changed is None:
                    result.unchanged += 1
                    continue
                changes[row] = changed
            items.append((row, obj))
            if len(result.errors) >= MAX_ERRORS:
                break
        if self.progress is not None:
            self.progress(len(rows), len(rows))
        items = self.check_links(items, dict(rows), result)

        new = [obj for _, obj in items if obj._state.adding]
        changed = [obj for _, obj in items if not obj._state.adding]
        if new and not result.errors:
            self.assign_codes(new)
        if not result.errors:
            result.errors.extend(self.check_all(items))
        result.errors.sort(key=lambda e: e.row)
        result.created, result.updated = len(new), len(changed)
        result.preview = [self.preview_row(row, obj) for row, obj in items[:PREVIEW_ROWS]]
        for row, obj in items:
            if row in changes and len(result.changes) < MAX_CHANGES:
                result.changes.append(
                    {**self.preview_row(row, obj), "action": "修改", "fields": changes[row]}
                )
        if result.errors or dry_run:
            return result
        if not new and not changed:
            result.committed = True  # nothing to write: no row, no history, no audit
            return result
        try:
            with transaction.atomic():
                self.write(new, changed)
                self.after_save(result)
                emit(
                    "import.commit",
                    actor=self.user,
                    data={
                        "model": self.model._meta.label_lower,
                        "created": result.created,
                        "updated": result.updated,
                    },
                )
        except (IntegrityError, DataError) as exc:
            result.errors.append(RowError(0, "数据库", f"写入被拒绝，全部未导入：{exc}"))
            return result
        except ValidationError as exc:
            result.errors.extend(self.validation_errors(0, exc))
            return result
        result.committed = True
        return result

    def check_links(
        self,
        items: list[tuple[int, models.Model]],
        values: dict[int, dict[str, Any]],
        result: ImportResult,
    ) -> list[tuple[int, models.Model]]:
        """Every changed link of every row through ``core.links`` (as the user the import runs
        for: the API, the admin, background jobs and ``manage.py import_file`` alike), in a
        few queries. The importers' lookups already use ``linkable``; this is the one rule
        behind them, and a refusal reads like an unknown code (``找不到“X”。``)."""
        refused = check_links_bulk(actor=self.user, instances=[obj for _, obj in items])
        if not refused:
            return items
        kept = []
        for index, (row, obj) in enumerate(items):
            if index not in refused:
                kept.append((row, obj))
                continue
            for name in refused[index]:
                raw = self._link_cell(name, values.get(row, {}))
                message = f"找不到“{raw}”。" if raw else NOT_FOUND
                result.errors.append(RowError(row, str(self.column_header(name)), message))
        return kept

    def _link_cell(self, name: str, values: dict[str, Any]) -> str:
        """What the row's file said for the link ``name`` (its code column)."""
        for column in self.columns:
            field = column.field
            if field in (name, f"{name}_code", f"{name}_id") or field.startswith(f"{name}__"):
                raw = values.get(field)
                if raw not in (None, ""):
                    return str(raw)
        return ""

    def preview_row(self, row: int, obj: models.Model) -> dict[str, Any]:
        return {
            "row": row,
            "action": "新增" if obj._state.adding else "修改",
            "key": getattr(obj, self.key_field, ""),
            "label": str(obj),
        }

    # ---- export
    def export_rows(self, queryset: Iterable[models.Model]) -> Iterator[list[Any]]:
        for obj in queryset:
            yield [self.export_value(column, obj) for column in self.columns]

    def export_value(self, column: Column, obj: models.Model) -> Any:
        value = self.stored_cell(column, obj)
        kind = self.masked_columns.get(column.field)
        if kind and not self.unmasked:
            return mask(kind, value)
        return value

    def export_queryset(self, queryset) -> Iterable[models.Model]:
        return queryset

    @property
    def masked_columns(self) -> dict[str, str]:
        """Column field → mask kind, from the model's ``sensitive_fields``."""
        return getattr(self.model, "sensitive_fields", {}) or {}

    def export(
        self, queryset, fmt: str = "xlsx", *, unmasked: bool = False, purpose: str = ""
    ) -> bytes:
        """Masked by default; ``unmasked`` needs core.export_sensitive and a purpose, and is logged."""
        self.unmasked = False
        if unmasked and self.masked_columns:
            log_unmasked_export(
                actor=self.user, model=self.model, row_count=queryset.count(), purpose=purpose
            )
            self.unmasked = True
        headers = [c.header for c in self.columns]
        rows = self.export_rows(self.export_queryset(queryset))
        return write_table(headers, rows, fmt, self.sheet_name)

    def template(self, fmt: str = "xlsx") -> bytes:
        """Header row, one example row (ignored on import if left as it is), a 填写说明 sheet
        with every column (required, format, allowed values, what a blank means) and
        drop-down lists on choice columns."""
        headers = [("*" if c.required else "") + c.header for c in self.columns]
        example = [c.example_text() for c in self.columns]
        if fmt == "csv":
            return write_table(headers, [example], "csv", self.sheet_name)
        if fmt != "xlsx":
            raise ValueError(f"unknown format {fmt}")
        import openpyxl
        from openpyxl.utils import get_column_letter
        from openpyxl.worksheet.datavalidation import DataValidation

        workbook = openpyxl.Workbook()
        sheet = workbook.active
        sheet.title = self.sheet_name
        sheet.append(headers)
        sheet.append([_plain(v) for v in example])
        sheet.freeze_panes = "A2"
        for index, column in enumerate(self.columns, start=1):
            letter = get_column_letter(index)
            sheet.column_dimensions[letter].width = max(10, 2 * len(column.header) + 4)
            if column.choices:
                validation = DataValidation(
                    type="list",
                    formula1='"' + ",".join(column.choices) + '"',
                    allow_blank=not column.required,
                    showErrorMessage=True,
                    errorTitle=column.header,
                    error="请从下拉列表中选择。",
                )
                validation.add(f"{letter}2:{letter}10000")
                sheet.add_data_validation(validation)
        notes = workbook.create_sheet("填写说明")
        notes.append(["列名", "必填", "格式与可选值", "留空表示", "说明"])
        for column in self.columns:
            notes.append(
                [
                    column.header,
                    "是" if column.required else "否",
                    column.format_text(),
                    column.blank_text(),
                    column.help,
                ]
            )
        notes.append([])
        notes.append(["第 2 行是示例，原样保留时导入会忽略它；请在其下逐行填写。"])
        if self.masked_columns:
            notes.append(["导出文件中的遮蔽值（含 *）表示“保持不变”；新增记录请填写完整值。"])
        buffer = io.BytesIO()
        workbook.save(buffer)
        return buffer.getvalue()


_MASK_MISMATCH = "是遮蔽值（含 *），但与该记录已登记的{0}不一致：要修改请填写完整的{0}，不修改请保留导出的遮蔽值。"
_MASKED_NEW = "是遮蔽值（含 *）：新增记录需要填写完整的{0}。"
_MASKED_KEY = "是遮蔽值（含 *），不能用来查找记录：请填写编码或完整的{0}。"
_KEY_TAKEN = "编码“{0}”已被使用，不能用于新增记录：新增请换一个编码或留空由系统生成。"


def _display(kind: str | None, value: Any) -> str:
    if value is None:
        return ""
    return mask(kind, value) if kind else str(value)


def _same(old: Any, new: Any) -> bool:
    if old in (None, "") and new in (None, ""):
        return True
    return old == new


# ---------------------------------------------------------------- writing files

_DANGEROUS_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
# What XLSX cannot hold (openpyxl's ILLEGAL_CHARACTERS_RE), dropped from CSV too for one answer.
EXPORT_ILLEGAL_CHARACTERS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")


def neutralise(value: Any) -> Any:
    """Make a cell inert: a text starting like a formula gets a leading apostrophe."""
    if isinstance(value, str) and value.startswith(_DANGEROUS_PREFIXES):
        return "'" + value
    return value


def _plain(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.replace(tzinfo=None) if value.tzinfo else value
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, (int, float, Decimal, date)):
        return value
    # A control character stored earlier (before input refused them) must not break the file.
    return neutralise(EXPORT_ILLEGAL_CHARACTERS.sub("", str(value)))


def write_table(
    headers: list[str],
    rows: Iterable[list[Any]],
    fmt: str,
    sheet_name: str,
    notes: list[tuple[str, str, str]] | None = None,
) -> bytes:
    if fmt == "csv":
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        writer.writerow(headers)
        for row in rows:
            writer.writerow([_plain(v) for v in row])
        return buffer.getvalue().encode("utf-8-sig")
    if fmt != "xlsx":
        raise ValueError(f"unknown format {fmt}")
    import openpyxl

    workbook = openpyxl.Workbook(write_only=True)
    sheet = workbook.create_sheet(sheet_name)
    sheet.append(headers)
    for row in rows:
        sheet.append([_plain(v) for v in row])
    if notes:
        help_sheet = workbook.create_sheet("填写说明")
        help_sheet.append(["列名", "必填", "说明"])
        for note in notes:
            help_sheet.append(list(note))
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


CONTENT_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
