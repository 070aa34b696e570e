"""Member files: accepted, and every bad input rejected with its row number, nothing written."""

import csv
import io
from datetime import date

import pytest

from core.models import AuditLog
from organizations.importers import MemberImporter
from organizations.models import Member
from tests.organizations.factories import make_id_number

pytestmark = pytest.mark.django_db

HEADER = [
    "党员编号",
    "姓名",
    "身份证号",
    "性别",
    "出生日期",
    "联系电话",
    "党员类别",
    "所在党组织编码",
    "入党日期",
    "工作单位",
]


def csv_file(rows, encoding="utf-8-sig"):
    buffer = io.StringIO()
    csv.writer(buffer).writerows([HEADER, *rows])
    return buffer.getvalue().encode(encoding)


def row(seq, *, branch="A-01", born=date(1985, 6, 1), male=True, **over):
    values = {
        "党员编号": "",
        "姓名": f"导入{seq}",
        "身份证号": make_id_number(born, seq, male=male),
        "性别": "男" if male else "女",
        "出生日期": born.isoformat(),
        "联系电话": f"1371234{seq:04d}",
        "党员类别": "在职党员",
        "所在党组织编码": branch,
        "入党日期": "2010-07-01",
        "工作单位": "",
    }
    values.update(over)
    return [values[h] for h in HEADER]


def run(user, rows, *, dry_run=False, encoding="utf-8-sig"):
    return MemberImporter(user).run(csv_file(rows, encoding), "members.csv", dry_run=dry_run)


def test_accepts_a_clean_file_with_history_and_audit(users, tree, unit):
    rows = [
        row(1),
        row(2, male=False, 工作单位="U-CITY"),
        row(3, branch="A-01-B1", 党员编号="DY-A-3"),
    ]
    result = run(users["cadre_a"], rows)
    assert result.ok, [str(e) for e in result.errors]
    assert result.committed and result.created == 3
    assert Member.objects.count() == 3
    assert Member.objects.get(code="DY-A-3").branch == tree["group_a"]
    assert Member.objects.get(name="导入2").work_unit == unit
    assert Member.history.filter(history_user=users["cadre_a"]).count() == 3
    assert AuditLog.objects.filter(action="member.import").exists()


def test_gb18030_file_and_unit_by_credit_code(users, tree, unit):
    unit.credit_code = "91210300MA0QC5QX5N"
    from core.validators import credit_code_check_char

    unit.credit_code = unit.credit_code[:17] + credit_code_check_char(unit.credit_code[:17])
    unit.save()
    result = run(users["cadre_a"], [row(1, 工作单位=unit.credit_code)], encoding="gb18030")
    assert result.ok, [str(e) for e in result.errors]
    assert Member.objects.get().work_unit == unit


def test_dry_run_writes_nothing(users, tree):
    result = run(users["cadre_a"], [row(1)], dry_run=True)
    assert result.ok and result.created == 1 and not result.committed
    assert not Member.objects.exists()


def test_update_by_code(users, tree, members):
    code = members["a1"].code
    rows = [
        row(
            1, 党员编号=code, 身份证号=members["a1"].id_number, 出生日期="1980-05-17", 姓名="张三改"
        )
    ]
    result = run(users["cadre_a"], rows)
    assert result.ok, [str(e) for e in result.errors]
    assert result.updated == 1
    assert Member.objects.get(code=code).name == "张三改"


def assert_rejected(result, row_number, column, fragment, before):
    assert not result.committed
    messages = [str(e) for e in result.errors]
    assert any(
        e.row == row_number and e.column == column and fragment in e.message for e in result.errors
    ), messages
    assert any(m.startswith(f"第 {row_number} 行 {column}") for m in messages)
    assert Member.objects.count() == before


def test_bad_checksum(users, tree):
    bad = row(2)
    good_id = bad[2]
    bad[2] = good_id[:17] + ("0" if good_id[17] != "0" else "1")
    result = run(users["cadre_a"], [row(1), bad])
    assert_rejected(result, 3, "身份证号", "校验位", 0)


def test_birth_date_inconsistent_with_id(users, tree):
    result = run(users["cadre_a"], [row(1), row(2, 出生日期="1985-06-02")])
    assert_rejected(result, 3, "出生日期", "不一致", 0)


def test_duplicate_id_within_file(users, tree):
    first = row(1)
    again = row(2)
    again[2] = first[2]
    result = run(users["cadre_a"], [first, again])
    assert_rejected(result, 3, "身份证号", "与第 2 行重复", 0)


def test_duplicate_id_against_database(users, tree, members):
    before = Member.objects.count()
    dup = row(1, 党员编号="DY-NEW-1", 身份证号=members["a1"].id_number, 出生日期="1980-05-17")
    result = run(users["cadre_a"], [row(2), dup])
    assert_rejected(result, 3, "身份证号", "已在系统中登记", before)
    assert members["a1"].code in str(result.errors[0])


def test_blank_code_finds_the_member_by_id_number(users, tree, members):
    before = Member.objects.count()
    again = row(1, 姓名="张三改", 身份证号=members["a1"].id_number, 出生日期="1980-05-17")
    result = run(users["cadre_a"], [again], dry_run=True)
    assert result.ok and (result.created, result.updated) == (0, 1), result.errors
    assert result.preview[0]["key"] == members["a1"].code
    assert Member.objects.count() == before


def test_duplicate_id_of_another_community_does_not_name_the_record(users, tree, members):
    before = Member.objects.count()
    dup = row(1, 身份证号=members["b1"].id_number, 出生日期="1980-05-17")
    result = run(users["cadre_a"], [dup])
    assert_rejected(result, 2, "身份证号", "其他党组织", before)
    assert members["b1"].code not in str(result.errors[0])


def test_unknown_branch(users, tree):
    result = run(users["cadre_a"], [row(1), row(2, branch="NOPE-01")])
    assert_rejected(result, 3, "所在党组织编码", "找不到", 0)


def test_branch_outside_scope(users, tree):
    result = run(users["cadre_a"], [row(1), row(2, branch="B-01")])
    assert_rejected(result, 3, "所在党组织编码", "找不到“B-01”。", 0)  # as unknown


def test_existing_member_of_other_community_cannot_be_overwritten(users, tree, members):
    rows = [
        row(1, 党员编号=members["b1"].code, 身份证号=members["b1"].id_number, 出生日期="1980-05-17")
    ]
    result = run(users["cadre_a"], rows)
    # Answered like any code in use: neither the owner nor the record is named.
    assert_rejected(result, 2, "党员编号", "已被使用", Member.objects.count())
    assert "赵六" not in str(result.errors[0])
    assert Member.objects.get(code=members["b1"].code).name == "赵六"


def test_export_then_reimport_round_trip_keeps_masked_ids_out(users, tree, members):
    importer = MemberImporter(users["cadre_a"])
    content = importer.export(Member.objects.visible_to(users["cadre_a"]), "csv")
    text = content.decode("utf-8-sig")
    assert members["a1"].id_number not in text
    assert members["a1"].id_number[:6] + "********" in text


def test_template_has_chinese_headers(users):
    import openpyxl

    content = MemberImporter(users["cadre_a"]).template("xlsx")
    sheet = openpyxl.load_workbook(io.BytesIO(content)).worksheets[0]
    header = [c.value for c in next(sheet.iter_rows())]
    assert "*身份证号" in header and "*所在党组织编码" in header


def test_bad_phone_rejected(users, tree):
    result = run(users["cadre_a"], [row(1, 联系电话="12345")])
    assert_rejected(result, 2, "联系电话", "电话号码格式不正确", 0)


def xlsx_file(rows):
    import openpyxl

    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.title = "党员"
    sheet.append(HEADER)
    for values in rows:
        sheet.append(values)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def test_xlsx_with_date_cells_accepted_and_formulas_rejected(users, tree):
    first = row(1)
    first[4] = date(1985, 6, 1)  # a real date cell, as Excel stores it
    result = MemberImporter(users["cadre_a"]).run(xlsx_file([first]), "m.xlsx", dry_run=False)
    assert result.committed, [str(e) for e in result.errors]
    second = row(2)
    second[1] = '=HYPERLINK("http://example.invalid","点我")'
    result = MemberImporter(users["cadre_a"]).run(xlsx_file([second]), "m.xlsx", dry_run=False)
    assert_rejected(result, 2, "姓名", "不接受公式", 1)


FULL_WIDTH = str.maketrans("0123456789X", "０１２３４５６７８９Ｘ")


def test_full_width_id_number_matches_the_stored_member(users, tree, members):
    # Typed with a Chinese input method: the same person, never a second member.
    stored = members["a1"]
    before = Member.objects.count()
    typed = stored.id_number.translate(FULL_WIDTH)
    assert typed != stored.id_number
    same = row(1, 党员编号=stored.code, 身份证号=typed, 出生日期="1980-05-17", 姓名="张三丰")
    result = run(users["cadre_a"], [same])
    assert result.committed and (result.created, result.updated) == (0, 1), result.errors
    stored.refresh_from_db()
    assert stored.name == "张三丰" and stored.id_number.isascii()
    assert Member.objects.count() == before

    # Without the code the full-width ID still finds the stored member (matched by ID number):
    # that member is updated, never a second record beside it.
    result = run(users["cadre_a"], [row(2, 身份证号=typed, 出生日期="1980-05-17")])
    assert result.committed and (result.created, result.updated) == (0, 1), result.errors
    assert Member.objects.count() == before


def test_long_unit_code_is_a_row_error_in_the_dry_run_as_at_the_commit(users, tree, unit):
    before = Member.objects.count()
    for dry_run in (True, False):
        result = run(users["cadre_a"], [row(1, 工作单位="U" * 308)], dry_run=dry_run)
        assert [str(e) for e in result.errors] == [
            "第 2 行 工作单位: 不能超过 64 个字符（现为 308 个）。"
        ]
    assert Member.objects.count() == before
