"""Import templates explain themselves, and the member template's documented blanks work."""

import io

import openpyxl
import pytest

from grids.roster import RosterImporter
from organizations.importers import MemberImporter
from organizations.models import Member
from tests.core.files import xlsx_bytes
from tests.organizations.factories import make_id_number

pytestmark = pytest.mark.django_db


def test_member_template_has_example_notes_and_drop_downs(users):
    importer = MemberImporter(users["cadre_a"])
    workbook = openpyxl.load_workbook(io.BytesIO(importer.template("xlsx")))
    assert workbook.sheetnames == ["党员", "填写说明"]
    sheet = workbook["党员"]
    rows = [[c.value for c in row] for row in sheet.iter_rows()]
    assert rows[0][:3] == ["党员编号", "*姓名", "*身份证号"] and len(rows) == 2
    notes = [[c.value for c in row] for row in workbook["填写说明"].iter_rows()]
    assert notes[0] == ["列名", "必填", "格式与可选值", "留空表示", "说明"]
    by_column = {row[0]: row for row in notes[1:] if row and row[0]}
    assert set(by_column) >= {c.header for c in importer.columns}
    assert by_column["性别"][2] == "可选：男、女" and "身份证号" in by_column["性别"][3]
    assert by_column["党员状态"][3] == "留空为正式党员"
    assert by_column["入党日期"][2].startswith("日期")
    lists = {str(v.sqref): v.formula1 for v in sheet.data_validations.dataValidation}
    gender_column = "ABCDEFGHIJKL"[[c.field for c in importer.columns].index("gender")]
    assert lists[f"{gender_column}2:{gender_column}10000"] == '"男,女"'


def test_example_row_left_in_the_file_is_not_imported(users, tree):
    template = MemberImporter(users["cadre_a"]).template("xlsx")
    result = MemberImporter(users["cadre_a"]).run(template, "t.xlsx")
    assert [str(e) for e in result.errors] == ["文件: 文件中没有数据行。"]


def test_blank_gender_birth_date_and_status_take_the_documented_defaults(users, tree):
    header = ["姓名", "身份证号", "性别", "出生日期", "党员类别", "党员状态", "所在党组织编码"]
    number = make_id_number(__import__("datetime").date(1985, 6, 1), 7, male=False)
    data = xlsx_bytes([header, ["钱七", number, "", "", "在职党员", "", "A-01"]], "党员")
    result = MemberImporter(users["cadre_a"]).run(data, "m.xlsx", dry_run=False)
    assert result.committed, [str(e) for e in result.errors]
    member = Member.objects.get(id_number=number)
    assert (member.gender, member.status, str(member.birth_date)) == (
        "female",
        "full",
        "1985-06-01",
    )
    # A readable code from the community's letters, never a random string.
    assert member.code.startswith("DY-") and member.code[-4:].isdigit()


def test_roster_template_notes_say_what_a_blank_person_means(users):
    workbook = openpyxl.load_workbook(io.BytesIO(RosterImporter(users["cadre_a"]).template()))
    notes = {r[0].value: r for r in workbook["填写说明"].iter_rows() if r[0].value}
    assert "暂无居民" in notes["姓名"][3].value
