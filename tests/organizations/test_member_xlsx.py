"""The fast XLSX reader yields exactly what the base (openpyxl) reader yields."""

import io
from datetime import date, datetime

import openpyxl
import pytest

from core.importing import FileRejected, _xlsx_rows
from organizations.importers.xlsx import fast_xlsx_rows


def workbook_bytes(write_only=False):
    workbook = openpyxl.Workbook(write_only=write_only)
    sheet = workbook.create_sheet("党员") if write_only else workbook.active
    sheet.title = "党员"
    sheet.append(["姓名", "出生日期", "人数", "比例", "是否", "公式", "时间"])
    sheet.append(["张三", date(1980, 5, 17), 12, 0.5, True, "=1+1", datetime(2025, 1, 2, 3, 4, 5)])
    sheet.append([])
    sheet.append(["李四", "1981-01-01", None, 3.0, False, "+cmd|' /C calc'!A0", None])
    if not write_only:
        sheet["J6"] = "远处的单元格"
        workbook.create_sheet("填写说明").append(["说明"])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


@pytest.mark.parametrize("write_only", [False, True])
def test_same_lines_as_openpyxl(write_only):
    data = workbook_bytes(write_only)
    expected = [(list(v), list(f)) for v, f in _xlsx_rows(data, "党员")]
    got = list(fast_xlsx_rows(data, "党员"))
    # openpyxl pads short rows to the sheet width in read-only mode; compare the cells present.
    assert len(got) == len(expected)
    for (values, formulas), (want_values, want_formulas) in zip(got, expected, strict=True):
        width = len(values)
        assert values == want_values[:width]
        assert not any(v for v in want_values[width:])
        assert formulas == want_formulas[:width]
    assert got[1][0][:3] == ["张三", "1980-05-17", "12"]
    assert got[1][1][5] is True


def test_wrong_sheet_and_broken_file():
    data = workbook_bytes()
    with pytest.raises(FileRejected):
        list(fast_xlsx_rows(data, "别的表"))
    with pytest.raises(FileRejected):
        list(fast_xlsx_rows(data[:200], "党员"))
