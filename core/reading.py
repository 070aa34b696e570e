"""Reading import files into lines: CSV (UTF-8, UTF-8 with BOM, GB18030/GBK) and XLSX.

Every importer reads through ``read_table``; it yields ``(values, formula_flags)`` per line,
header first, one line per spreadsheet row (so line numbers are the row numbers a user sees),
every value as text.

XLSX is read by calamine (``python-calamine``, Rust): the sheet is parsed once into one compact
range whose size follows the cells that hold values, and a ``Table`` can be iterated again
without parsing again (the household roster validates, then writes). Two things calamine does
not do are done by one cheap pass over the sheet XML before it is parsed:

- formulas: calamine gives a formula cell's cached value, so the cells that hold ``<f>`` are
  located in the XML (the importers refuse formulas; a value must be typed in);
- bounds: calamine allocates rows × columns between the first and the last cell with a value,
  so a few-KB file with values at A1 and XFD1048576 would ask for half a terabyte and abort
  the process. The pass finds the last valued cell of each row and refuses a sheet whose span
  is far larger than its real cells. Empty formatted rows and cells (``<row s="…"/>``,
  ``<c s="…"/>``) and a lying ``<dimension>`` cost nothing: they hold no value.
"""

from __future__ import annotations

import codecs
import csv
import io
import operator
import posixpath
import re
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import IO, Any
from xml.etree import ElementTree

Line = tuple[list[str], list[bool]]

_FORMULA_RE = re.compile(r"^(=|[+\-@].*[(!])")
# Every text ``looks_like_formula`` accepts starts with one of these (a cheap first test).
_FORMULA_START = frozenset("=+-@")

# A sheet may span at most this many cells beyond 4 × its real cells (calamine holds the span).
MIN_SPAN_CELLS = 1_000_000
SPAN_PER_CELL = 4
# Uncompressed sheet XML; a deflate bomb stops here (a 540,000-row roster is ≈ 600 MB).
MAX_SHEET_XML_BYTES = 2 << 30

_BROKEN = "XLSX 文件已损坏或不是有效的 Excel 文件。"


class FileRejected(Exception):
    """The file as a whole cannot be read (empty, wrong format or encoding, wrong sheet)."""


def looks_like_formula(value: str) -> bool:
    """Text a spreadsheet would run: "=…", or "+ - @" followed by a call or a sheet reference
    (so "-5" and "+86 138…" are values)."""
    return value[:1] in _FORMULA_START and bool(_FORMULA_RE.match(value))


class Table:
    """The lines of one file; each iteration starts again from the first line."""

    def __init__(self, lines: Callable[[], Iterator[Line]]):
        self._lines = lines

    def __iter__(self) -> Iterator[Line]:
        return self._lines()


def read_table(source: bytes | IO[bytes], filename: str, sheet_name: str) -> Table:
    """The file's lines. ``source`` is the file's bytes or a seekable binary stream (CSV is
    then read lazily; XLSX is parsed here, so a broken workbook is refused at once)."""
    stream = io.BytesIO(source) if isinstance(source, (bytes, bytearray)) else source
    stream.seek(0)
    head = stream.read(8)
    stream.seek(0)
    if not head:
        raise FileRejected("文件为空（0 字节）。")
    if head[:4] == b"PK\x03\x04":
        return _xlsx_table(stream, sheet_name)
    if head == b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1":
        raise FileRejected("不支持旧版 .xls 文件，请在 Excel 中另存为 .xlsx。")
    if filename.lower().endswith((".xlsx", ".xlsm")):
        raise FileRejected("文件扩展名是 .xlsx，但内容不是有效的 Excel 文件。")
    encoding = csv_encoding(stream)
    return Table(lambda: _csv_lines(stream, encoding))


# ---------------------------------------------------------------- CSV


def csv_encoding(stream: IO[bytes]) -> str:
    """UTF-8 (with or without BOM) if the whole stream decodes as such, else GB18030."""
    for encoding in ("utf-8-sig", "gb18030"):
        stream.seek(0)
        decoder = codecs.getincrementaldecoder(encoding)()
        try:
            for chunk in iter(lambda: stream.read(1 << 20), b""):
                if b"\x00" in chunk:
                    raise UnicodeDecodeError(encoding, b"", 0, 1, "NUL byte")
                decoder.decode(chunk)
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            continue
        stream.seek(0)
        return encoding
    raise FileRejected(
        "文件编码无法识别：请另存为 UTF-8 或 GB18030（GBK）编码的 CSV，或 XLSX 文件。"
    )


def _csv_lines(stream: IO[bytes], encoding: str) -> Iterator[Line]:
    stream.seek(0)
    text = io.TextIOWrapper(stream, encoding=encoding, newline="")
    first_char = operator.itemgetter(slice(None, 1))
    no_formulas: dict[int, list[bool]] = {}  # shared per width: never written by the readers
    try:
        for values in csv.reader(text):
            # Most lines have no cell starting like a formula: one C-level scan, no call per cell.
            if _FORMULA_START.isdisjoint(map(first_char, values)):
                width = len(values)
                flags = no_formulas.get(width)
                if flags is None:
                    flags = no_formulas[width] = [False] * width
                yield values, flags
            else:
                yield values, [looks_like_formula(v) for v in values]
    except csv.Error as exc:
        raise FileRejected(f"CSV 格式错误：{exc}") from exc
    finally:
        text.detach()


# ---------------------------------------------------------------- XLSX

_NS = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
_REL_NS = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}"
_PKG_NS = "{http://schemas.openxmlformats.org/package/2006/relationships}"


def _sheet_path(archive: zipfile.ZipFile, sheet_name: str) -> tuple[str, str]:
    """(the sheet's name, its XML part) for the sheet named ``sheet_name`` or the only one."""
    workbook = ElementTree.fromstring(archive.read("xl/workbook.xml"))
    sheets = [(e.get("name", ""), e.get(f"{_REL_NS}id")) for e in workbook.iter(f"{_NS}sheet")]
    rels = ElementTree.fromstring(archive.read("xl/_rels/workbook.xml.rels"))
    targets = {e.get("Id"): e.get("Target", "") for e in rels.iter(f"{_PKG_NS}Relationship")}
    names = [name for name, _ in sheets]
    if sheet_name in names:
        name, rel = sheet_name, dict(sheets)[sheet_name]
    elif len(sheets) == 1:
        name, rel = sheets[0]
    else:
        raise FileRejected(f"找不到名为“{sheet_name}”的工作表（文件中有：{'、'.join(names)}）。")
    target = targets[rel]
    path = target.lstrip("/") if target.startswith("/") else posixpath.normpath(f"xl/{target}")
    return name, path


def column_index(letters: str) -> int:
    index = 0
    for char in letters:
        index = index * 26 + ord(char) - 64
    return index - 1


def column_letters(index: int) -> str:
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


@dataclass
class SheetScan:
    rows: int = 0  # last row (1-based) holding a value
    columns: int = 0  # last column (1-based) holding a value
    cells: int = 0  # cells holding a value (or a formula)
    formulas: dict[int, set[int]] = field(default_factory=dict)  # row (1-based) → columns


_PREFIX_RE = re.compile(rb"<(\w+:)?worksheet\b")
_ROW_R_RE = re.compile(rb'<(?:\w+:)?row\b[^>]*?\sr="(\d+)"')
_CELL_R_RE = re.compile(rb'<(?:\w+:)?c\b[^>]*?\sr="([A-Z]{1,3})\d+"')


def scan_sheet(stream: IO[bytes]) -> SheetScan:
    """One pass over a sheet's XML with byte searches per row (no XML objects): where the
    last valued cell of each row is, and which cells hold formulas. Rows are in order in the
    XML; a row's cells are in column order, and only a cell with a value (or a formula) has a
    closing tag, so the last ``</c>`` of a row is its last valued cell."""
    scan = SheetScan()
    prefix: bytes | None = None
    tail = b""
    total = 0
    row_number = 0
    while True:
        chunk = stream.read(1 << 22)
        total += len(chunk)
        if total > MAX_SHEET_XML_BYTES:
            raise FileRejected("XLSX 工作表过大（解压后超过 2 GB），请拆分后导入。")
        data = tail + chunk
        if prefix is None:
            found = _PREFIX_RE.search(data)
            if found is None and chunk and len(data) < 1 << 20:
                tail = data
                continue
            prefix = (found.group(1) or b"") if found else b""
            row_open, row_close = b"<" + prefix + b"row", b"</" + prefix + b"row>"
            cell_open, cell_close = b"<" + prefix + b"c", b"</" + prefix + b"c>"
            formula_tags = (b"<" + prefix + b"f>", b"<" + prefix + b"f ", b"<" + prefix + b"f/")
        if chunk:
            # Cut after the last complete row; rows before the last "<row" are complete too
            # (self-closing), so a run of empty formatted rows never piles up in ``tail``.
            closed = data.rfind(row_close)
            end = max(closed + len(row_close) if closed >= 0 else 0, data.rfind(row_open))
        else:
            end = len(data)
        body, tail = data[:end], data[end:]
        # Most of a sheet that someone formatted down to row 1,048,576 holds no value: skip
        # such stretches whole, keeping only the row count.
        valued = body.count(cell_close)
        scan.cells += valued
        pieces = body.split(row_close) if valued else [body]
        has_formulas = valued and any(tag in body for tag in formula_tags)
        for piece in pieces:
            row_at = piece.rfind(row_open)
            if row_at < 0:
                continue
            numbered = _ROW_R_RE.match(piece, row_at)
            row_number = int(numbered.group(1)) if numbered else row_number + piece.count(row_open)
            close = piece.rfind(cell_close)
            if close < 0:
                continue
            scan.rows = max(scan.rows, row_number)
            cell_at = piece.rfind(cell_open, row_at, close)
            column = _cell_column(piece, row_at, cell_at, cell_open) + 1
            if column > scan.columns:
                scan.columns = column
            if has_formulas:
                for tag in formula_tags:
                    at = piece.find(tag, row_at)
                    while at >= 0:
                        cell = piece.rfind(cell_open, row_at, at)
                        column = _cell_column(piece, row_at, cell, cell_open)
                        scan.formulas.setdefault(row_number, set()).add(column)
                        at = piece.find(tag, at + 1)
        if not chunk:
            return scan


def _cell_column(piece: bytes, row_at: int, cell_at: int, cell_open: bytes) -> int:
    numbered = _CELL_R_RE.match(piece, cell_at)
    if numbered:
        return column_index(numbered.group(1).decode())
    # No r="…" (some generators): the column is the cell's position in its row.
    row = piece[row_at:cell_at]
    return row.count(cell_open + b" ") + row.count(cell_open + b">")


def _xlsx_table(stream: IO[bytes], sheet_name: str) -> Table:
    from python_calamine import CalamineError, CalamineWorkbook

    try:
        archive = zipfile.ZipFile(stream)
        name, path = _sheet_path(archive, sheet_name)
        with archive.open(path) as sheet_xml:
            scan = scan_sheet(sheet_xml)
    except (zipfile.BadZipFile, KeyError, ElementTree.ParseError, ValueError, EOFError) as exc:
        raise FileRejected(_BROKEN) from exc
    except zipfile.LargeZipFile as exc:
        raise FileRejected(_BROKEN) from exc
    span = scan.rows * scan.columns
    if span > max(MIN_SPAN_CELLS, SPAN_PER_CELL * scan.cells):
        far = f"{column_letters(scan.columns - 1)}{scan.rows}"
        raise FileRejected(
            f"工作表的数据区域过大：只有 {scan.cells} 个单元格有内容，却延伸到 {far}。"
            "请删除远处多余的单元格后重新保存。"
        )
    stream.seek(0)
    try:
        sheet = CalamineWorkbook.from_filelike(stream).get_sheet_by_name(name)
    except CalamineError as exc:
        raise FileRejected(f"{_BROKEN[:-1]}（{_calamine_reason(exc)}）。") from exc
    except BaseException as exc:  # a Rust panic surfaces as pyo3's PanicException
        if not type(exc).__name__ == "PanicException":
            raise
        raise FileRejected(_BROKEN) from exc
    return Table(lambda: _xlsx_lines(sheet, scan.formulas))


def _calamine_reason(exc: Exception) -> str:
    text = str(exc)
    if "shared string" in text:
        return "单元格引用了不存在的共享字符串"
    return text[:200]


def _xlsx_lines(sheet, formulas: dict[int, set[int]]) -> Iterator[Line]:
    number = 0
    if sheet.height:
        # python-calamine's rows start at row 1 (leading empty rows included) but its
        # columns start at the first column with a value (tests/core/test_reading.py).
        pad = [""] * sheet.start[1]
        for cells in sheet.iter_rows():
            number += 1
            values = pad + [cell_text(v) for v in cells]
            yield _with_formulas(values, formulas.get(number, ()))
    # Formula cells without a cached value hold nothing calamine keeps: they may end the sheet.
    for row in sorted(r for r in formulas if r > number):
        yield from (([], []) for _ in range(row - number - 1))
        yield _with_formulas([], formulas[row])
        number = row


def _with_formulas(values: list[str], columns) -> Line:
    flags = [looks_like_formula(v) for v in values]
    for column in columns:
        if column >= len(values):
            values.extend([""] * (column + 1 - len(values)))
            flags.extend([False] * (column + 1 - len(flags)))
        flags[column] = True
    return values, flags


def cell_text(value: Any) -> str:
    if value is None or value == "":
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else str(value)
    if isinstance(value, datetime):
        if value.hour == value.minute == value.second == 0:
            return value.date().isoformat()
        return value.isoformat(sep=" ")
    if isinstance(value, date):
        return value.isoformat()
    return str(value)
