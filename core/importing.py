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
import zipfile
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import ValidationError
from django.db import DataError, IntegrityError, models, transaction

from core.sensitive import log_unmasked_export, mask

MAX_ERRORS = 500
PREVIEW_ROWS = 20


class FileRejected(Exception):
    """The file as a whole cannot be read (empty, wrong format or encoding, wrong sheet)."""


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


@dataclass
class ImportResult:
    total: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    errors: list[RowError] = field(default_factory=list)
    preview: list[dict[str, Any]] = field(default_factory=list)
    dry_run: bool = True
    committed: bool = False

    @property
    def ok(self) -> bool:
        return not self.errors

    def as_dict(self) -> dict[str, Any]:
        return {
            "total": self.total,
            "created": self.created,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "dry_run": self.dry_run,
            "committed": self.committed,
            "errors": [{"row": e.row, "column": e.column, "message": str(e)} for e in self.errors],
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
    """Accept the Chinese label or the English value of a TextChoices."""
    by_label = {str(label): value for value, label in choices.choices}
    by_value = {str(value): value for value, _ in choices.choices}

    def parse(value: str) -> str:
        v = value.strip()
        if v in by_label:
            return by_label[v]
        if v in by_value:
            return by_value[v]
        allowed = "、".join(str(label) for _, label in choices.choices)
        raise ValidationError(f"“{v}”不是有效选项，可选：{allowed}。")

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


# ---------------------------------------------------------------- reading files

_FORMULA_RE = re.compile(r"^(=|[+\-@].*[(!])")


def _looks_like_formula(value: str) -> bool:
    return bool(_FORMULA_RE.match(value))


def decode_text(data: bytes) -> str:
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError:
            continue
        if "\x00" in text:
            break
        return text
    raise FileRejected(
        "文件编码无法识别：请另存为 UTF-8 或 GB18030（GBK）编码的 CSV，或 XLSX 文件。"
    )


def _csv_rows(data: bytes) -> Iterator[tuple[list[str], list[bool]]]:
    text = decode_text(data)
    for values in csv.reader(io.StringIO(text, newline="")):
        yield values, [_looks_like_formula(v) for v in values]


def _xlsx_rows(data: bytes, sheet_name: str) -> Iterator[tuple[list[str], list[bool]]]:
    import openpyxl

    try:
        workbook = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=False)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError) as exc:
        raise FileRejected("XLSX 文件已损坏或不是有效的 Excel 文件。") from exc
    try:
        if sheet_name in workbook.sheetnames:
            sheet = workbook[sheet_name]
        elif len(workbook.sheetnames) == 1:
            sheet = workbook.worksheets[0]
        else:
            names = "、".join(workbook.sheetnames)
            raise FileRejected(f"找不到名为“{sheet_name}”的工作表（文件中有：{names}）。")
        for row in sheet.iter_rows():
            values: list[str] = []
            formulas: list[bool] = []
            for cell in row:
                value = cell.value
                is_formula = cell.data_type == "f" or (
                    isinstance(value, str) and _looks_like_formula(value)
                )
                formulas.append(is_formula)
                values.append(_cell_text(value))
            yield values, formulas
    finally:
        workbook.close()


def _cell_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        if value.hour == value.minute == value.second == 0:
            return value.date().isoformat()
        return value.isoformat(sep=" ")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def read_table(data: bytes, filename: str, sheet_name: str):
    """Yield (values, formula_flags) per line, the header line first."""
    if not data:
        raise FileRejected("文件为空（0 字节）。")
    if data[:4] == b"PK\x03\x04":
        return _xlsx_rows(data, sheet_name)
    if data[:8] == b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1":
        raise FileRejected("不支持旧版 .xls 文件，请在 Excel 中另存为 .xlsx。")
    if filename.lower().endswith((".xlsx", ".xlsm")):
        raise FileRejected("文件扩展名是 .xlsx，但内容不是有效的 Excel 文件。")
    return _csv_rows(data)


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

    def __init__(self, user):
        self.user = user
        self.unmasked = False
        self.existing: dict[Any, models.Model] = {}

    # ---- hooks
    def prepare(self, rows: list[tuple[int, dict[str, Any]]]) -> None:
        """Load everything the rows refer to in a few queries (existing rows, parents …)."""
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
        rows: list[tuple[int, dict[str, Any]]] = []
        for line, (values, formulas) in enumerate(iterator, start=2):
            if not any(v.strip() for v in values):
                continue
            parsed: dict[str, Any] = {}
            row_errors: list[RowError] = []
            for index, column in mapping.items():
                raw = values[index] if index < len(values) else ""
                if index < len(formulas) and formulas[index]:
                    row_errors.append(RowError(line, column.header, "不接受公式，请填写值本身。"))
                    continue
                if column.required and not raw.strip():
                    row_errors.append(RowError(line, column.header, "必填，不能为空。"))
                    continue
                try:
                    parsed[column.field] = column.parse(raw)
                except ValidationError as exc:
                    row_errors.append(RowError(line, column.header, " ".join(exc.messages)))
                except (ValueError, TypeError) as exc:
                    row_errors.append(RowError(line, column.header, str(exc)))
            if row_errors:
                result.errors.extend(row_errors)
            else:
                rows.append((line, parsed))
        result.total = len(rows) + len({e.row for e in result.errors})
        if result.total == 0:
            raise FileRejected("文件中没有数据行。")
        return rows

    def column_header(self, field_name: str) -> str:
        for column in self.columns:
            if column.field == field_name or column.field == f"{field_name}_code":
                return column.header
        return self.model._meta.get_field(field_name).verbose_name if field_name else ""

    def validation_errors(self, row: int, exc: ValidationError) -> list[RowError]:
        errors: list[RowError] = []
        if hasattr(exc, "error_dict"):
            for name, messages in exc.message_dict.items():
                header = "" if name == "__all__" else self.column_header(name)
                errors.extend(RowError(row, str(header), m) for m in messages)
        else:
            errors.extend(RowError(row, "", m) for m in exc.messages)
        return errors

    def run(self, data: bytes, filename: str = "", *, dry_run: bool = True) -> ImportResult:
        result = ImportResult(dry_run=dry_run)
        try:
            table = read_table(data, filename, self.sheet_name)
            rows = self.parse_rows(table, result)
        except FileRejected as exc:
            result.errors.append(RowError(0, "文件", str(exc)))
            return result
        self.prepare(rows)

        items: list[tuple[int, models.Model]] = []
        seen: dict[Any, int] = {}
        for row, values in rows:
            key = values.get(self.key_field)
            if key in seen:
                header = self.column_header(self.key_field)
                result.errors.append(RowError(row, header, f"“{key}”与第 {seen[key]} 行重复。"))
                continue
            seen[key] = row
            try:
                obj = self.build(row, values)
                self.clean_instance(obj)
            except RowInvalid as exc:
                result.errors.extend(RowError(row, c, m) for c, m in exc.errors)
                continue
            except ValidationError as exc:
                result.errors.extend(self.validation_errors(row, exc))
                continue
            items.append((row, obj))
            if len(result.errors) >= MAX_ERRORS:
                break
        if not result.errors:
            result.errors.extend(self.check_all(items))
        result.errors.sort(key=lambda e: e.row)

        new = [obj for _, obj in items if obj._state.adding]
        changed = [obj for _, obj in items if not obj._state.adding]
        result.created, result.updated = len(new), len(changed)
        result.preview = [self.preview_row(row, obj) for row, obj in items[:PREVIEW_ROWS]]
        if result.errors or dry_run:
            return result
        try:
            with transaction.atomic():
                self.save(new, changed)
                self.after_save(result)
        except (IntegrityError, DataError) as exc:
            result.errors.append(RowError(0, "数据库", f"写入被拒绝，全部未导入：{exc}"))
            return result
        except ValidationError as exc:
            result.errors.extend(self.validation_errors(0, exc))
            return result
        result.committed = True
        return result

    def preview_row(self, row: int, obj: models.Model) -> dict[str, Any]:
        return {
            "row": row,
            "action": "新增" if obj._state.adding else "更新",
            "key": getattr(obj, self.key_field, ""),
            "label": str(obj),
        }

    # ---- export
    def export_rows(self, queryset: Iterable[models.Model]) -> Iterator[list[Any]]:
        for obj in queryset:
            yield [self.export_value(column, obj) for column in self.columns]

    def export_value(self, column: Column, obj: models.Model) -> Any:
        if column.export is not None:
            value = column.export(obj)
        else:
            value = getattr(obj, column.field, "")
            if isinstance(value, models.Model):
                value = str(value)
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
        return write_table(
            [("*" if c.required else "") + c.header for c in self.columns],
            [],
            fmt,
            self.sheet_name,
            notes=[(c.header, "是" if c.required else "否", c.help) for c in self.columns],
        )


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
