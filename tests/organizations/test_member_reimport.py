"""Re-importing a masked member export (issue 13): masked cells keep the stored values,
unchanged rows write nothing, changes are previewed old → new, bad re-imports are row errors."""

import io

import openpyxl
import pytest

from core.models import AuditLog
from organizations.importers import MemberImporter
from organizations.models import Member

pytestmark = pytest.mark.django_db


def export(user) -> list[list]:
    content = MemberImporter(user).export(Member.objects.visible_to(user), "xlsx")
    sheet = openpyxl.load_workbook(io.BytesIO(content)).worksheets[0]
    return [[c.value for c in row] for row in sheet.iter_rows()]


def xlsx(rows) -> bytes:
    workbook = openpyxl.Workbook()
    workbook.active.title = "党员"
    for row in rows:
        workbook.active.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def run(user, rows, *, dry_run=False):
    return MemberImporter(user).run(xlsx(rows), "m.xlsx", dry_run=dry_run)


def col(rows, header):
    return rows[0].index(header)


def counts():
    return Member.objects.count(), Member.history.count(), AuditLog.objects.count()


def test_masked_export_reimports_unchanged_and_writes_nothing(users, members):
    rows = export(users["cadre_a"])
    assert "*" in rows[1][col(rows, "身份证号")]
    before = counts()
    stored = sorted(Member.objects.values_list("code", "id_number", "phone", "updated_at"))
    result = run(users["cadre_a"], rows)
    assert result.committed, [str(e) for e in result.errors]
    assert (result.created, result.updated, result.unchanged) == (0, 0, 3)
    assert counts() == before
    assert sorted(Member.objects.values_list("code", "id_number", "phone", "updated_at")) == stored


def test_change_is_previewed_old_to_new_with_masked_values_masked(users, members):
    rows = export(users["cadre_a"])
    line = next(i for i, r in enumerate(rows) if r[0] == members["a1"].code)
    rows[line][col(rows, "姓名")] = "张三丰"
    rows[line][col(rows, "联系电话")] = "13900001111"
    preview = run(users["cadre_a"], rows, dry_run=True)
    assert preview.ok and (preview.updated, preview.unchanged) == (1, 2)
    fields = {f["column"]: (f["old"], f["new"]) for f in preview.changes[0]["fields"]}
    assert fields["姓名"] == ("张三", "张三丰")
    assert fields["联系电话"][1] == "139****1111" and "*" in fields["联系电话"][0]
    before = Member.history.count()
    result = run(users["cadre_a"], rows)
    member = Member.objects.get(code=members["a1"].code)
    assert result.committed and member.name == "张三丰" and member.phone == "13900001111"
    assert member.id_number == members["a1"].id_number  # the masked ID kept the stored one
    assert Member.history.count() == before + 1


def test_masked_id_on_a_new_row_needs_the_full_number(users, members):
    rows = export(users["cadre_a"])
    rows[1][0] = None  # blank code: a new member, so the masked ID cannot be kept
    result = run(users["cadre_a"], rows[:2])
    assert not result.committed
    assert any("新增记录需要填写完整的身份证号" in str(e) for e in result.errors)


def test_masked_id_that_does_not_match_the_record_is_an_error(users, members):
    rows = export(users["cadre_a"])
    masked = rows[1][col(rows, "身份证号")]
    rows[1][col(rows, "身份证号")] = masked[:-4] + "0000"
    before = counts()
    result = run(users["cadre_a"], rows)
    assert [e.row for e in result.errors] == [2]
    assert "请填写完整的身份证号" in str(result.errors[0])
    assert counts() == before


def test_the_same_member_twice_is_a_row_error(users, members):
    rows = export(users["cadre_a"])
    result = run(users["cadre_a"], [*rows, rows[1]])
    assert [str(e) for e in result.errors] == [f"第 5 行 党员编号: “{rows[1][0]}”与第 2 行重复。"]


def test_a_file_exported_by_another_community_answers_like_unknown_codes(users, members):
    rows = export(users["cadre_b"])
    before = counts()
    result = run(users["cadre_a"], rows)
    unknown = [rows[0], *([f"NOPE-{i}", *r[1:]] for i, r in enumerate(rows[1:]))]
    baseline = run(users["cadre_a"], unknown)
    assert not result.committed and {e.row for e in result.errors} == {2, 3}
    # No existence oracle: the same answers as for codes that do not exist.
    assert [(e.row, e.column, e.message) for e in result.errors] == [
        (e.row, e.column, e.message) for e in baseline.errors
    ]
    assert counts() == before
