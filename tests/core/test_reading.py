"""The one reader every importer uses (core.reading.read_table): workbooks as different
programs save them give the same lines; hostile or broken workbooks end quickly, in bounded
memory, with one clear file error or a correct value."""

from __future__ import annotations

import importlib
import resource
import time
from datetime import date, datetime

import pytest

from core.importing import BaseImporter
from core.reading import FileRejected, read_table
from tests.core.files import (
    DATE_STYLE,
    empty_formatted_rows,
    xlsx_bytes,
    xlsx_from_xml,
    xml_cell,
    xml_rows,
)

ROWS = [
    ["编码", "名称", "人数", "日期"],
    ["A-1", "园林社区", 12, "2024-05-01"],
    ["B-2", "胜利社区", 3],
]
EXPECTED = [
    ["编码", "名称", "人数", "日期"],
    ["A-1", "园林社区", "12", "2024-05-01"],
    ["B-2", "胜利社区", "3"],
]


def lines(data: bytes, sheet: str = "数据") -> list[list[str]]:
    return [values for values, _ in read_table(data, "t.xlsx", sheet)]


def trimmed(found: list[list[str]]) -> list[list[str]]:
    """Lines without trailing empty cells (readers may pad a row to the sheet's width)."""
    out = []
    for values in found:
        values = list(values)
        while values and values[-1] == "":
            values.pop()
        out.append(values)
    return out


def _shared(**kwargs) -> bytes:
    strings: list[str] = []
    return xlsx_from_xml(xml_rows(ROWS, strings=strings), strings=strings, **kwargs)


# Features the programs that write XLSX differ in (Excel: shared strings and a true dimension;
# WPS: shared strings, a dimension of "A1" whatever the data; LibreOffice and generators:
# inline strings, no dimension, formatted empty rows and cells, rows and cells without r="…").
SHAPES = {
    "openpyxl (Excel-shaped)": lambda: xlsx_bytes(ROWS),
    "shared strings, true dimension": lambda: _shared(dimension="A1:D3"),
    "shared strings, dimension A1 (lies small)": lambda: _shared(dimension="A1"),
    "dimension A1:XFD1048576 (lies big)": lambda: _shared(dimension="A1:XFD1048576"),
    "inline strings, no dimension": lambda: xlsx_from_xml(xml_rows(ROWS), dimension=None),
    "no row or cell references": lambda: xlsx_from_xml(xml_rows(ROWS, refs=False)),
    "styles-only rows and cells after the data": lambda: xlsx_from_xml(
        [xml_rows(ROWS), *empty_formatted_rows(4, 200, cells=6)], dimension="A1:F200"
    ),
}


@pytest.mark.parametrize("shape", SHAPES)
def test_every_shape_reads_as_the_same_lines(shape):
    data = SHAPES[shape]()
    assert trimmed(lines(data)) == EXPECTED


def test_prefixed_namespace_is_read_with_its_formulas():
    ns = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
    body = (
        '<x:row r="1"><x:c r="A1" t="inlineStr"><x:is><x:t>编码</x:t></x:is></x:c></x:row>'
        '<x:row r="2"><x:c r="A2"><x:f>1+1</x:f><x:v>2</x:v></x:c></x:row>'
    )
    import io
    import zipfile

    data = xlsx_from_xml("")
    source, target = zipfile.ZipFile(io.BytesIO(data)), io.BytesIO()
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as out:
        for item in source.infolist():
            content = source.read(item.filename)
            if item.filename == "xl/worksheets/sheet1.xml":
                content = (
                    f'<x:worksheet xmlns:x="{ns}"><x:sheetData>{body}</x:sheetData></x:worksheet>'
                ).encode()
            out.writestr(item.filename, content)
    table = list(read_table(target.getvalue(), "t.xlsx", "数据"))
    assert table[0] == (["编码"], [False])
    assert table[1] == (["2"], [True])


def test_dates_numbers_booleans_and_strings():
    body = (
        '<row r="1">'
        + xml_cell("A1", 45413, style=DATE_STYLE)  # 2024-05-01 as a serial with a date format
        + xml_cell("B1", 45413.5, style=DATE_STYLE)
        + xml_cell("C1", "2024/05/01")  # a date typed as text stays text
        + xml_cell("D1", 0.25)
        + xml_cell("E1", 1, kind="b")
        + xml_cell("F1", "abc", kind="n")  # a number cell holding text: the text
        + xml_cell("G1", "ok", kind="str")
        + "</row>"
    )
    assert lines(xlsx_from_xml(body)) == [
        ["2024-05-01", "2024-05-01 12:00:00", "2024/05/01", "0.25", "True", "abc", "ok"]
    ]


def test_openpyxl_dates_and_datetimes():
    data = xlsx_bytes([["日期", "时间"], [date(1980, 5, 17), datetime(2025, 1, 2, 3, 4, 5)]])
    assert lines(data)[1] == ["1980-05-17", "2025-01-02 03:04:05"]


def test_date_serial_out_of_range_is_a_value_not_a_crash():
    # 99999999 days is past year 9999: openpyxl raised OverflowError; the value stays a number
    # and the importer's date parser reports the row.
    body = '<row r="1">' + xml_cell("A1", 99999999, style=DATE_STYLE) + "</row>"
    assert lines(xlsx_from_xml(body)) == [["99999999"]]


def test_missing_shared_string_is_one_file_error():
    body = (
        '<row r="1"><c r="A1" t="s"><v>0</v></c></row><row r="2"><c r="A2" t="s"><v>7</v></c></row>'
    )
    with pytest.raises(FileRejected, match="共享字符串"):
        lines(xlsx_from_xml(body, strings=["编码"]))


def test_data_starting_away_from_a1_keeps_row_and_column_numbers():
    body = (
        '<row r="3"><c r="C3" t="inlineStr"><is><t>编码</t></is></c></row>'
        '<row r="5"><c r="B5" t="inlineStr"><is><t>x</t></is></c>'
        '<c r="D5" t="inlineStr"><is><t>y</t></is></c></row>'
    )
    found = lines(xlsx_from_xml(body))
    assert len(found) == 5
    assert not any(found[0]) and not any(found[1]) and not any(found[3])
    assert found[2][2] == "编码"
    assert found[4][1:4] == ["x", "", "y"]


@pytest.mark.parametrize(
    "cell",
    [
        '<c r="B2"><f>1+1</f><v>2</v></c>',  # Excel: the formula and its cached value
        '<c r="B2"><f>1+1</f></c>',  # openpyxl: no cached value
        '<c r="B2" t="str"><f>A1&amp;"x"</f><v>编码x</v></c>',
        '<c r="B2"><f t="shared" si="0"/><v>3</v></c>',  # a shared formula's follower
    ],
)
def test_formula_cells_are_flagged(cell):
    body = (
        '<row r="1"><c r="A1" t="inlineStr"><is><t>编码</t></is></c></row>'
        f'<row r="2"><c r="A2" t="inlineStr"><is><t>A-1</t></is></c>{cell}</row>'
    )
    table = list(read_table(xlsx_from_xml(body), "t.xlsx", "数据"))
    assert table[1][1][:2] == [False, True]


def test_formula_cells_past_the_values_are_flagged_on_their_row():
    body = (
        '<row r="1"><c r="A1" t="inlineStr"><is><t>编码</t></is></c></row>'
        '<row r="4"><c r="C4"><f>NOW()</f></c></row>'
    )
    table = list(read_table(xlsx_from_xml(body), "t.xlsx", "数据"))
    assert len(table) == 4 and table[3][1] == [False, False, True]


def test_text_that_a_spreadsheet_would_run_is_flagged():
    rows = [["名称"], ["=HYPERLINK(1)"], ["-5"], ["+86 13800000000"], ["@SUM(A1)"]]
    flags = [f[0] for _, f in read_table(xlsx_from_xml(xml_rows(rows)), "t.xlsx", "数据")]
    assert flags == [False, True, False, False, True]


def test_sheet_by_name_or_the_only_sheet():
    data = xlsx_from_xml(xml_rows(ROWS), sheet="党员", extra_sheets=["填写说明"])
    assert trimmed(lines(data, "党员")) == EXPECTED
    with pytest.raises(FileRejected, match="找不到名为“数据”的工作表"):
        lines(data, "数据")
    only = xlsx_from_xml(xml_rows(ROWS), sheet="Sheet1")
    assert trimmed(lines(only, "数据")) == EXPECTED


@pytest.mark.parametrize(
    "data",
    [
        pytest.param(b"PK\x03\x04" + b"\x00" * 100, id="zip-header-only"),
        pytest.param(xlsx_bytes(ROWS)[:300], id="truncated"),
        pytest.param(
            xlsx_from_xml('<row r="1"><c r="A1" t="inlineStr"><is><t>x</t></row>'), id="bad-xml"
        ),
    ],
)
def test_broken_workbooks_are_one_file_error(data):
    with pytest.raises(FileRejected, match="XLSX 文件已损坏"):
        lines(data)


def _cpu_and_peak(work):
    """CPU seconds of ``work()`` and how much the process's peak memory grew (MB)."""
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    started = time.process_time()
    result = work()
    cpu = time.process_time() - started
    grown = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - peak) / 1024
    return result, cpu, grown


def test_a_million_empty_formatted_rows_end_at_the_data():
    # 1,048,576 rows that carry a format and no value (Excel's whole-sheet formatting), with
    # a formatted empty cell each: ≈ 70 MB of XML in a zip of a few MB.
    strings: list[str] = []
    data = xlsx_from_xml(
        [xml_rows(ROWS, strings=strings), *empty_formatted_rows(4, cells=1)],
        strings=strings,
        dimension="A1:D1048576",
    )
    assert len(data) < 12_000_000
    found, cpu, grown = _cpu_and_peak(lambda: lines(data))
    assert trimmed(found) == EXPECTED
    # Generous bounds (a loaded shared machine): the work is a pass over the XML, not a row
    # object per empty row.
    assert cpu < 20
    assert grown < 300


def test_declared_dimension_is_not_allocated():
    data = _shared(dimension="A1:XFD1048576")
    assert len(data) < 5000
    found, cpu, grown = _cpu_and_peak(lambda: lines(data))
    assert trimmed(found) == EXPECTED
    assert cpu < 2 and grown < 50


@pytest.mark.parametrize(
    ("extra", "far"),
    [
        ('<row r="1048576"><c r="XFD1048576"><v>1</v></c></row>', "XFD1048576"),
        ('<row r="1048576"><c r="A1048576"><v>1</v></c></row>', "D1048576"),
        ('<row r="200"><c r="XFD200"><v>1</v></c></row>', "XFD200"),
    ],
)
def test_a_far_valued_cell_is_refused_before_anything_is_allocated(extra, far):
    # calamine would allocate rows × columns up to this cell (half a terabyte for XFD1048576)
    # and abort the process; the reader refuses the sheet first.
    strings: list[str] = []
    data = xlsx_from_xml(xml_rows(ROWS, strings=strings) + extra, strings=strings)
    assert len(data) < 5000
    with pytest.raises(FileRejected, match=f"延伸到 {far}"):
        lines(data)


# ---------------------------------------------------------------- every importer's template

IMPORTER_MODULES = [
    "organizations.importers",
    "grids.importers",
    "grids.roster",
    "covenants.importers",
    "volunteers.importers",
    "governance.importers",
    "governance.assessment.importers",
]


def _importers() -> list[type[BaseImporter]]:
    for name in IMPORTER_MODULES:
        importlib.import_module(name)
    found, todo = [], list(BaseImporter.__subclasses__())
    while todo:
        cls = todo.pop()
        todo.extend(cls.__subclasses__())
        if cls.__module__.startswith("tests.") or not getattr(cls, "model", None):
            continue
        if cls.__dict__.get("columns") is None and not cls.columns:
            continue
        found.append(cls)
    return sorted(set(found), key=lambda c: f"{c.__module__}.{c.__qualname__}")


def test_the_importer_list_is_complete():
    names = {c.__qualname__ for c in _importers()}
    assert {"MemberImporter", "RosterImporter", "OrganizationImporter", "CaseImporter"} <= names
    assert len(names) >= 30


@pytest.mark.django_db
@pytest.mark.parametrize("importer_class", _importers(), ids=lambda c: c.__qualname__)
def test_every_importer_reads_back_its_own_template(importer_class):
    importer = importer_class(None)
    data = importer.template("xlsx")
    header, _ = next(iter(read_table(data, "template.xlsx", importer.sheet_name)))
    mapping = importer.header_map(header)
    assert [c.header for c in mapping.values()] == [c.header for c in importer.columns]
