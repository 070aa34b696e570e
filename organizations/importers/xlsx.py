"""A streaming XLSX reader for large rosters (the 18,400-member import).

openpyxl's read-only mode builds Python objects per cell and per shared string; for a roster
of tens of thousands of rows that is most of the import time. This reader walks the sheet XML
with the C-accelerated ``iterparse`` and yields exactly what ``core.importing.read_table``
yields — ``(values, formula_flags)`` per line, header first, the same text for numbers and
dates — so the importer's checks do not change. Date cells are recognised by their number
format, like openpyxl does.
"""

from __future__ import annotations

import io
import posixpath
import re
import zipfile
from collections.abc import Iterator
from xml.etree.ElementTree import ParseError, iterparse

from openpyxl.styles.numbers import BUILTIN_FORMATS, is_date_format
from openpyxl.utils.datetime import from_excel

from core.importing import FileRejected, _cell_text, _looks_like_formula

NS = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
REL_NS = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}"
PKG_REL = "{http://schemas.openxmlformats.org/package/2006/relationships}"
_COLUMN = re.compile(r"[A-Z]+")
_DIGITS = "0123456789"
# Every text ``_looks_like_formula`` accepts starts with one of these.
_FORMULA_START = frozenset("=+-@")


def _column_index(ref: str) -> int:
    letters = _COLUMN.match(ref).group(0)
    index = 0
    for char in letters:
        index = index * 26 + ord(char) - 64
    return index - 1


def _shared_strings(archive: zipfile.ZipFile) -> list[str]:
    if "xl/sharedStrings.xml" not in archive.namelist():
        return []
    strings: list[str] = []
    with archive.open("xl/sharedStrings.xml") as stream:
        for _, element in iterparse(stream):
            if element.tag == f"{NS}si":
                # Plain (<t>) and rich (<r><t>) text, without phonetic runs (<rPh>).
                parts = [t.text or "" for t in element.iter(f"{NS}t")]
                for rph in element.iter(f"{NS}rPh"):
                    for t in rph.iter(f"{NS}t"):
                        parts.remove(t.text or "")
                strings.append("".join(parts))
                element.clear()
    return strings


def _date_styles(archive: zipfile.ZipFile) -> set[int]:
    """Indexes of the cell formats (``s=""``) whose number format is a date."""
    if "xl/styles.xml" not in archive.namelist():
        return set()
    custom: dict[int, str] = {}
    dates: set[int] = set()
    with archive.open("xl/styles.xml") as stream:
        root = None
        for _, element in iterparse(stream, events=("end",)):
            root = element
        for fmt in root.iter(f"{NS}numFmt"):
            custom[int(fmt.get("numFmtId"))] = fmt.get("formatCode", "")
        xfs = root.find(f"{NS}cellXfs")
        for index, xf in enumerate(xfs if xfs is not None else []):
            fmt_id = int(xf.get("numFmtId", "0"))
            code = custom.get(fmt_id) or BUILTIN_FORMATS.get(fmt_id, "")
            if code and is_date_format(code):
                dates.add(index)
    return dates


def _sheet_path(archive: zipfile.ZipFile, sheet_name: str) -> str:
    with archive.open("xl/workbook.xml") as stream:
        sheets = [
            (e.get("name"), e.get(f"{REL_NS}id"))
            for _, e in iterparse(stream)
            if e.tag == f"{NS}sheet"
        ]
    with archive.open("xl/_rels/workbook.xml.rels") as stream:
        targets = {
            e.get("Id"): e.get("Target")
            for _, e in iterparse(stream)
            if e.tag == f"{PKG_REL}Relationship"
        }
    names = [name for name, _ in sheets]
    if sheet_name in names:
        rel = dict(sheets)[sheet_name]
    elif len(sheets) == 1:
        rel = sheets[0][1]
    else:
        raise FileRejected(f"找不到名为“{sheet_name}”的工作表（文件中有：{'、'.join(names)}）。")
    target = targets[rel]
    return target.lstrip("/") if target.startswith("/") else posixpath.normpath(f"xl/{target}")


def fast_xlsx_rows(data: bytes, sheet_name: str) -> Iterator[tuple[list[str], list[bool]]]:
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        strings = _shared_strings(archive)
        dates = _date_styles(archive)
        path = _sheet_path(archive, sheet_name)
        stream = archive.open(path)
    except (zipfile.BadZipFile, KeyError, ParseError, ValueError) as exc:
        raise FileRejected("XLSX 文件已损坏或不是有效的 Excel 文件。") from exc
    cell_tag, row_tag = f"{NS}c", f"{NS}row"
    value_tag, formula_tag, inline_tag = f"{NS}v", f"{NS}f", f"{NS}is"
    columns: dict[str, int] = {}  # cell reference → column index, per column letters
    date_styles: dict[str | None, bool] = {}
    values: dict[int, str] = {}
    formulas: dict[int, bool] = {}
    next_row = 1
    try:
        for _, element in iterparse(stream):
            tag = element.tag
            if tag == cell_tag:
                ref = element.get("r")
                if ref:
                    letters = ref.rstrip(_DIGITS)
                    index = columns.get(letters)
                    if index is None:
                        index = columns[letters] = _column_index(ref)
                else:
                    index = len(values)
                kind = element.get("t", "n")
                # One pass over the cell's children instead of a search per kind.
                raw = formula = node = None
                for child in element:
                    child_tag = child.tag
                    if child_tag == value_tag:
                        raw = child.text or ""
                    elif child_tag == formula_tag:
                        formula = child
                    elif child_tag == inline_tag:
                        node = child
                if kind == "s":
                    text = strings[int(raw)] if raw is not None else ""
                elif kind == "inlineStr":
                    text = (
                        "".join(t.text or "" for t in node.iter(f"{NS}t"))
                        if node is not None
                        else ""
                    )
                elif kind == "b":
                    text = _cell_text(raw == "1") if raw is not None else ""
                elif kind in ("str", "e"):
                    text = raw or ""
                elif not raw:
                    text = ""
                else:
                    number = float(raw) if any(c in raw for c in ".eE") else int(raw)
                    style = element.get("s")
                    is_date = date_styles.get(style)
                    if is_date is None:
                        is_date = date_styles[style] = int(style or "0") in dates
                    text = _cell_text(from_excel(number) if is_date else number)
                if formula is not None:
                    # Like openpyxl without data_only: the formula itself, not its cached value.
                    text = f"={formula.text or ''}"
                values[index] = text
                formulas[index] = formula is not None or (
                    text[:1] in _FORMULA_START and _looks_like_formula(text)
                )
                element.clear()
            elif tag == row_tag:
                number = int(element.get("r", next_row))
                # Rows missing from the XML are empty lines: keep the line numbers right.
                while next_row < number:
                    yield [], []
                    next_row += 1
                width = max(values) + 1 if values else 0
                yield (
                    [values.get(i, "") for i in range(width)],
                    [formulas.get(i, False) for i in range(width)],
                )
                next_row = number + 1
                values, formulas = {}, {}
                element.clear()
    except ParseError as exc:
        raise FileRejected("XLSX 文件已损坏或不是有效的 Excel 文件。") from exc
    finally:
        stream.close()
        archive.close()
