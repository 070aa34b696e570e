"""Bad files through a whole importer, the API (``POST …/import/``) and the CLI
(``manage.py import_file``): a clear row or file error, never a 500 or a traceback, nothing
written; and the dry run refuses what the commit would (issue 13's parsing items)."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command

from core.validators import validate_code
from governance.importers import MeetingSeriesImporter
from governance.models import MeetingSeries
from organizations.importers import OrganizationImporter
from organizations.models import Organization
from tests.core.files import (
    DATE_STYLE,
    csv_bytes,
    empty_formatted_rows,
    xlsx_from_xml,
    xml_cell,
    xml_rows,
)
from tests.core.test_reading import _importers

HEADER = ["组织编码", "名称", "类型", "上级组织编码", "成立日期"]
URL = "/api/v1/organizations/import/"
IMPORTER = "organizations.importers.OrganizationImporter"


def org_rows(*rows):
    return [HEADER, *rows]


def good(code="A-09", **over):
    values = {"name": "园林社区九号院党支部", "kind": "小区（楼院）党支部", "parent": "A"}
    values.update(over)
    return [code, values["name"], values["kind"], values["parent"], values.get("date", "")]


def _row2_with_date(date_cell: str) -> str:
    inline = "".join(xml_cell(f"{c}2", v) for c, v in zip("ABCD", good()[:4], strict=True))
    return f'<row r="2">{inline}{date_cell}</row>'


def _workbook(kind: str) -> bytes:
    strings: list[str] = []
    header = xml_rows([HEADER], strings=strings)
    if kind == "date-serial-overflow":
        body = _row2_with_date(xml_cell("E2", 99999999, style=DATE_STYLE))
    elif kind == "number-cell-holding-abc":
        body = _row2_with_date(xml_cell("E2", "abc", kind="n"))
    elif kind == "date-serial":
        body = _row2_with_date(xml_cell("E2", 45413, style=DATE_STYLE))
    elif kind == "date-as-text":
        body = _row2_with_date(xml_cell("E2", "2024/05/01"))
    elif kind == "missing-shared-string":
        body = '<row r="2"><c r="A2" t="s"><v>999</v></c></row>'
    elif kind == "value-at-XFD1048576":
        body = _row2_with_date("") + '<row r="1048576"><c r="XFD1048576"><v>1</v></c></row>'
    elif kind == "million-empty-formatted-rows":
        body = _row2_with_date("") + "".join(empty_formatted_rows(3))
    elif kind == "dimension-A1:XFD1048576":
        return xlsx_from_xml(
            header + _row2_with_date(""),
            sheet="党组织",
            strings=strings,
            dimension="A1:XFD1048576",
        )
    return xlsx_from_xml(header + body, sheet="党组织", strings=strings)


# kind → (accepted?, expected message start)
CASES = {
    "date-serial-overflow": (False, "第 2 行 成立日期: 日期“99999999”无法识别"),
    "number-cell-holding-abc": (False, "第 2 行 成立日期: 日期“abc”无法识别"),
    "missing-shared-string": (
        False,
        "文件: XLSX 文件已损坏或不是有效的 Excel 文件（单元格引用了不存在的共享字符串）",
    ),
    "value-at-XFD1048576": (False, "文件: 工作表的数据区域过大"),
    "date-serial": (True, ""),
    "date-as-text": (True, ""),
    "million-empty-formatted-rows": (True, ""),
    "dimension-A1:XFD1048576": (True, ""),
}


@pytest.mark.parametrize("kind", CASES)
def test_api_answers_bad_workbooks_with_clear_errors(users, tree, api, kind):
    accepted, expected = CASES[kind]
    before = Organization.objects.count()
    response = api(users["root"]).post(
        URL,
        {"file": SimpleUploadedFile("t.xlsx", _workbook(kind)), "dry_run": "false"},
        format="multipart",
    )
    body = response.json()
    if accepted:
        assert response.status_code == 200, body
        assert body["committed"] is True and body["created"] == 1
        node = Organization.objects.get(code="A-09")
        if kind.startswith("date"):
            assert str(node.established_on) == "2024-05-01"
    else:
        assert response.status_code == 400, body
        assert body["committed"] is False
        assert any(e["message"].startswith(expected) for e in body["errors"]), body
        assert Organization.objects.count() == before


@pytest.mark.parametrize("kind", [k for k, (ok, _) in CASES.items() if not ok])
def test_cli_answers_bad_workbooks_without_a_traceback(users, tree, tmp_path, capsys, kind):
    path = tmp_path / "t.xlsx"
    path.write_bytes(_workbook(kind))
    with pytest.raises(CommandError, match="未写入任何数据"):
        call_command("import_file", IMPORTER, str(path), "--commit")
    assert CASES[kind][1] in capsys.readouterr().err


# ---------------------------------------------------------------- the dry run predicts the commit

BAD_CODES = {
    "308 characters": "A" * 308,
    "space": "A 09",
    "slash": "A/09",
    "Chinese": "园林09",
}


@pytest.mark.parametrize("code", BAD_CODES.values(), ids=BAD_CODES.keys())
def test_bad_codes_are_row_errors_in_the_dry_run_and_the_commit(users, tree, api, code):
    data = csv_bytes(org_rows(good(code)))
    for dry_run in (True, False):
        result = OrganizationImporter(users["root"]).run(data, "t.csv", dry_run=dry_run)
        assert [str(e).split(":")[0] for e in result.errors] == ["第 2 行 组织编码"]
        assert not result.committed
    response = api(users["root"]).post(
        URL, {"file": SimpleUploadedFile("t.csv", data), "dry_run": "false"}, format="multipart"
    )
    assert response.status_code == 400
    assert not Organization.objects.filter(name="园林社区九号院党支部").exists()


def test_a_long_reference_code_is_a_row_error_not_a_database_error(users, tree):
    result = OrganizationImporter(users["root"]).run(
        csv_bytes(org_rows(good(parent="P" * 308))), "t.csv", dry_run=True
    )
    assert [str(e) for e in result.errors] == [
        "第 2 行 上级组织编码: 不能超过 64 个字符（现为 308 个）。"
    ]


def test_long_text_is_a_row_error_in_the_dry_run(users, tree):
    result = OrganizationImporter(users["root"]).run(
        csv_bytes(org_rows(good(name="名" * 121))), "t.csv", dry_run=True
    )
    assert [str(e) for e in result.errors] == ["第 2 行 名称: 不能超过 120 个字符（现为 121 个）。"]


def test_full_width_codes_are_read_as_ascii(users, tree):
    result = OrganizationImporter(users["root"]).run(
        csv_bytes(org_rows(good("Ａ－０９", parent="Ａ"))), "t.csv", dry_run=False
    )
    assert result.committed, result.errors
    assert Organization.objects.get(code="A-09").parent.code == "A"


def test_meeting_series_long_code_fails_in_the_dry_run(users, tree):
    header = ["系列编码", "名称", "会议类型", "召集组织编码", "频次", "起始日期"]
    data = csv_bytes(
        [header, ["S" * 308, "大党委联席会议", "大党委联席会议", "A", "每季度", "2024-01-01"]]
    )
    result = MeetingSeriesImporter(users["root"]).run(data, "s.csv", dry_run=True)
    assert "第 2 行 系列编码: 不能超过 64 个字符（现为 308 个）。" in [
        str(e) for e in result.errors
    ]
    assert not MeetingSeries.objects.exists()


def _own_text_columns():
    cases = []
    for cls in _importers():
        importer = cls(None)
        for column in importer.columns:
            field, own = importer.column_field(column)
            if own and getattr(field, "max_length", None):
                cases.append(pytest.param(cls, column, id=f"{cls.__qualname__}.{column.field}"))
    return cases


@pytest.mark.django_db
@pytest.mark.parametrize(("importer_class", "column"), _own_text_columns())
def test_every_importer_refuses_in_parsing_what_the_column_cannot_hold(importer_class, column):
    """For every importer and every column that fills a text field of its model, a value
    longer than the field is refused while parsing (the dry run), and so are codes the
    model's validate_code refuses."""
    importer = importer_class(None)
    parse = importer.parser(column)
    field, _ = importer.column_field(column)
    with pytest.raises((ValidationError, ValueError)):
        parse("9" * (field.max_length + 1))
    if validate_code in field.validators:
        for bad in ("A 1", "A/1", "园林1"):
            with pytest.raises(ValidationError):
                parse(bad)


def test_base_importer_declares_no_parser_override():
    # The checks live in BaseImporter.parser only; an importer overriding it would skip them.
    overriding = [c.__qualname__ for c in _importers() if "parser" in c.__dict__]
    assert overriding == []
