"""Building import files in tests: CSV in any encoding, XLSX with chosen sheets and formulas."""

from __future__ import annotations

import csv
import io
import zipfile
from collections.abc import Iterable, Iterator, Sequence


def csv_bytes(rows: Sequence[Sequence[object]], encoding: str = "utf-8") -> bytes:
    buffer = io.StringIO()
    csv.writer(buffer).writerows([["" if v is None else v for v in row] for row in rows])
    return buffer.getvalue().encode(encoding)


def xlsx_bytes(rows: Sequence[Sequence[object]], sheet: str = "数据", *, extra_sheets=()) -> bytes:
    """Values starting with "=" are written as real formulas (openpyxl stores them as such)."""
    import openpyxl

    workbook = openpyxl.Workbook()
    worksheet = workbook.active
    worksheet.title = sheet
    for row in rows:
        worksheet.append(list(row))
    for name in extra_sheets:
        workbook.create_sheet(name).append(["说明"])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def read_xlsx(data: bytes, sheet: str | None = None) -> list[list[object]]:
    import openpyxl

    workbook = openpyxl.load_workbook(io.BytesIO(data))
    worksheet = workbook[sheet] if sheet else workbook.worksheets[0]
    return [list(row) for row in worksheet.iter_rows(values_only=True)]


# ------------------------------------------------------------ hand-written workbooks
#
# openpyxl writes only well-formed, Excel-shaped workbooks. The files below are what other
# programs (WPS, LibreOffice, generators) and broken or hostile files look like: the sheet XML
# is written by hand into the zip, so a test can declare any dimension, leave out row and cell
# references, use inline strings, point at a shared string that does not exist, or put text
# where a number belongs.

_MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_PKG = "http://schemas.openxmlformats.org/package/2006/relationships"
# Cell formats (s="…"): 0 general, 1 a date (built-in format 14), 2 a fill only (formatted
# but empty rows use it).
_STYLES = (
    f'<styleSheet xmlns="{_MAIN}"><fonts count="1"><font><sz val="11"/></font></fonts>'
    '<fills count="3"><fill><patternFill patternType="none"/></fill>'
    '<fill><patternFill patternType="gray125"/></fill>'
    '<fill><patternFill patternType="solid"><fgColor rgb="FFFFFF00"/></patternFill></fill></fills>'
    '<borders count="1"><border/></borders>'
    '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>'
    '<cellXfs count="3"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>'
    '<xf numFmtId="14" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>'
    '<xf numFmtId="0" fontId="0" fillId="2" borderId="0" xfId="0" applyFill="1"/></cellXfs>'
    "</styleSheet>"
)
DATE_STYLE = 1
FILL_STYLE = 2


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def column_letters(index: int) -> str:
    """0 → A, 25 → Z, 26 → AA."""
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def xml_cell(ref: str | None, value: object, *, kind: str | None = None, style=None) -> str:
    """One ``<c>``: ``kind`` is the raw t="…" ("s" shared index, "inlineStr", "n", "str",
    "b"); with no kind, text becomes an inline string and numbers a number."""
    attrs = f' r="{ref}"' if ref else ""
    if style is not None:
        attrs += f' s="{style}"'
    if kind is None:
        kind = (
            "n" if isinstance(value, (int, float)) and not isinstance(value, bool) else "inlineStr"
        )
    if kind == "inlineStr":
        return f'<c{attrs} t="inlineStr"><is><t>{_escape(str(value))}</t></is></c>'
    if kind == "f":  # a formula with no cached value, as openpyxl writes it
        return f"<c{attrs}><f>{_escape(str(value))}</f></c>"
    type_attr = "" if kind == "n" else f' t="{kind}"'
    return f"<c{attrs}{type_attr}><v>{_escape(str(value))}</v></c>"


def xml_rows(
    rows: Sequence[Sequence[object]],
    *,
    strings: list[str] | None = None,
    refs: bool = True,
    start: int = 1,
) -> str:
    """``<row>`` elements for plain rows. Text goes to ``strings`` (shared strings) when a list
    is given, else inline; ``refs=False`` leaves out r="…" on rows and cells (some generators)."""
    out = []
    for number, row in enumerate(rows, start=start):
        cells = []
        for index, value in enumerate(row):
            if value is None or value == "":
                continue
            ref = f"{column_letters(index)}{number}" if refs else None
            if isinstance(value, str) and strings is not None:
                if value not in strings:
                    strings.append(value)
                cells.append(xml_cell(ref, strings.index(value), kind="s"))
            else:
                cells.append(xml_cell(ref, value))
        row_ref = f' r="{number}"' if refs else ""
        out.append(f"<row{row_ref}>{''.join(cells)}</row>")
    return "".join(out)


def xlsx_from_xml(
    sheet_data: str | Iterable[str],
    *,
    sheet: str = "数据",
    strings: list[str] | None = None,
    raw_strings_xml: str | None = None,
    dimension: str | None = "A1",
    extra_sheets: Sequence[str] = (),
) -> bytes:
    """A workbook whose first sheet's ``<sheetData>`` is ``sheet_data`` (a string or an
    iterable of strings, so a million rows need not be one string). ``dimension=None`` leaves
    the element out (as LibreOffice and some generators do); any other value is written as
    it is, true or not."""
    names = [sheet, *extra_sheets]
    content_types = (
        '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
        '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
        '<Default Extension="xml" ContentType="application/xml"/>'
        '<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
        '<Override PartName="/xl/styles.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/>'
        '<Override PartName="/xl/sharedStrings.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/>'
        + "".join(
            f'<Override PartName="/xl/worksheets/sheet{i}.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
            for i in range(1, len(names) + 1)
        )
        + "</Types>"
    )
    root_rels = (
        f'<Relationships xmlns="{_PKG}"><Relationship Id="rId1" '
        'Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" '
        'Target="xl/workbook.xml"/></Relationships>'
    )
    workbook = (
        f'<workbook xmlns="{_MAIN}" xmlns:r="{_REL}"><sheets>'
        + "".join(
            f'<sheet name="{_escape(n)}" sheetId="{i}" r:id="rId{i}"/>'
            for i, n in enumerate(names, start=1)
        )
        + "</sheets></workbook>"
    )
    n = len(names)
    workbook_rels = (
        f'<Relationships xmlns="{_PKG}">'
        + "".join(
            f'<Relationship Id="rId{i}" Type="{_REL}/worksheet" Target="worksheets/sheet{i}.xml"/>'
            for i in range(1, n + 1)
        )
        + f'<Relationship Id="rId{n + 1}" Type="{_REL}/styles" Target="styles.xml"/>'
        + f'<Relationship Id="rId{n + 2}" Type="{_REL}/sharedStrings" Target="sharedStrings.xml"/>'
        + "</Relationships>"
    )
    if raw_strings_xml is None:
        items = "".join(f"<si><t>{_escape(s)}</t></si>" for s in strings or [])
        raw_strings_xml = f'<sst xmlns="{_MAIN}" count="{len(strings or [])}">{items}</sst>'
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", content_types)
        archive.writestr("_rels/.rels", root_rels)
        archive.writestr("xl/workbook.xml", workbook)
        archive.writestr("xl/_rels/workbook.xml.rels", workbook_rels)
        archive.writestr("xl/styles.xml", _STYLES)
        archive.writestr("xl/sharedStrings.xml", raw_strings_xml)
        dim = f'<dimension ref="{dimension}"/>' if dimension else ""
        with archive.open("xl/worksheets/sheet1.xml", "w") as stream:
            stream.write(f'<worksheet xmlns="{_MAIN}" xmlns:r="{_REL}">{dim}<sheetData>'.encode())
            parts = [sheet_data] if isinstance(sheet_data, str) else sheet_data
            for part in parts:
                stream.write(part.encode())
            stream.write(b"</sheetData></worksheet>")
        for i, _ in enumerate(extra_sheets, start=2):
            archive.writestr(
                f"xl/worksheets/sheet{i}.xml",
                f'<worksheet xmlns="{_MAIN}"><sheetData>'
                '<row r="1"><c r="A1" t="inlineStr"><is><t>说明</t></is></c></row>'
                "</sheetData></worksheet>",
            )
    return buffer.getvalue()


def empty_formatted_rows(first: int, last: int = 1_048_576, *, cells: int = 0) -> Iterator[str]:
    """Rows that carry a format and no value, up to Excel's last row (a sheet someone
    formatted by selecting whole columns). ``cells`` styled empty cells per row."""
    chunk = []
    for number in range(first, last + 1):
        styled = "".join(
            f'<c r="{column_letters(i)}{number}" s="{FILL_STYLE}"/>' for i in range(cells)
        )
        chunk.append(f'<row r="{number}" s="{FILL_STYLE}" customFormat="1">{styled}</row>')
        if len(chunk) == 10_000:
            yield "".join(chunk)
            chunk = []
    if chunk:
        yield "".join(chunk)
