"""The household roster's own export, masked, imported back (issue 13)."""

import csv
import io

import pytest

from core.models import AuditLog
from grids.models import Household, Resident
from grids.roster import RosterImporter
from tests.core.files import csv_bytes
from tests.grids.factories import HouseholdFactory

pytestmark = pytest.mark.django_db


def exported(user) -> list[list[str]]:
    content = RosterImporter(user).export(Household.objects.visible_to(user), "csv")
    return list(csv.reader(io.StringIO(content.decode("utf-8-sig"))))


def state():
    return (
        sorted(Household.objects.values_list("code", "door_number", "head_name", "updated_at")),
        sorted(Resident.objects.values_list("id_number", "phone", "name", "updated_at")),
        Household.history.count(),
        Resident.history.count(),
        AuditLog.objects.count(),
    )


def run(user, rows, *, dry_run=False):
    return RosterImporter(user).run(csv_bytes(rows), "r.csv", dry_run=dry_run)


def test_masked_export_with_an_empty_household_reimports_unchanged(users, roster):
    HouseholdFactory(code="A-H9", building=roster["buildings"]["b1"])  # no residents yet
    rows = exported(users["cadre_a"])
    empty = next(r for r in rows if r[0] == "A-H9")
    assert empty[8:10] == ["", ""]  # a household row without a person
    assert any("*" in r[9] for r in rows[1:])
    before = state()
    result = run(users["cadre_a"], rows)
    assert result.committed, [str(e) for e in result.errors]
    assert (result.created, result.updated, result.unchanged) == (0, 0, len(rows) - 1)
    assert state() == before


def test_masked_cells_keep_the_stored_values_while_another_cell_changes(users, roster):
    rows = exported(users["cadre_a"])
    r1 = roster["residents"]["r1"]
    line = next(i for i, r in enumerate(rows) if r[8] == "张三")
    rows[line][8] = "张三丰"
    preview = run(users["cadre_a"], rows, dry_run=True)
    assert preview.ok and (preview.updated, preview.created) == (1, 0)
    assert preview.changes[0]["fields"] == [{"column": "姓名", "old": "张三", "new": "张三丰"}]
    history = Resident.history.count()
    assert run(users["cadre_a"], rows).committed
    r1.refresh_from_db()
    assert (r1.name, r1.id_number, r1.phone) == ("张三丰", "110105198001010016", "13812345678")
    assert Resident.history.count() == history + 1


def test_masked_phone_that_does_not_match_and_masked_new_resident_are_errors(users, roster):
    rows = exported(users["cadre_a"])
    line = next(i for i, r in enumerate(rows) if r[8] == "张三")
    rows[line][10] = "138****0000"
    newcomer = [*rows[line]]
    newcomer[0], newcomer[8] = "A-H2", "新人"
    newcomer[1:8] = next(r for r in rows if r[0] == "A-H2")[1:8]
    before = state()
    result = run(users["cadre_a"], [*rows, newcomer])
    messages = [str(e) for e in result.errors]
    assert any("电话" in m and "请填写完整的电话" in m for m in messages), messages
    assert any(
        m.startswith(f"第 {len(rows) + 1} 行 身份证号") and "请填写完整的身份证号" in m
        for m in messages
    )
    assert state() == before


def test_a_household_exported_by_another_community_answers_like_a_code_in_use(users, roster):
    rows = exported(users["cadre_b"])
    result = run(users["cadre_a"], rows)
    assert not result.committed
    assert all("已被使用" in str(e) for e in result.errors if e.column == "户编码")
    assert not any("李四" in str(e) for e in result.errors)


def test_admin_preview_shows_counts_and_each_change_old_to_new(admin_client_for, users, roster):
    from django.core.files.uploadedfile import SimpleUploadedFile

    rows = exported(users["cadre_a"])
    line = next(i for i, r in enumerate(rows) if r[8] == "张三")
    rows[line][8] = "张三丰"
    upload = SimpleUploadedFile("r.csv", csv_bytes(rows), content_type="text/csv")
    page = (
        admin_client_for(users["cadre_a"])
        .post("/admin/grids/household/import/", {"file": upload})
        .content.decode()
    )
    assert "修改 <strong>1</strong>" in page and f"未变 <strong>{len(rows) - 2}</strong>" in page
    assert 'id="import-changes"' in page
    assert "<td>姓名</td><td>张三</td><td>张三丰</td>" in page
    assert "110105198001010016" not in page and "13812345678" not in page
    assert Resident.objects.get(id_number="110105198001010016").name == "张三"


# ---- lines recognised whole (the export's own lines, issue 13 performance): the checks
# across lines still apply exactly as to parsed lines.


def test_an_export_line_twice_is_the_same_person_twice(users, roster):
    rows = exported(users["cadre_a"])
    line = next(i for i, r in enumerate(rows) if r[8] == "张三")
    before = state()
    result = run(users["cadre_a"], [*rows, list(rows[line])])
    assert [str(e) for e in result.errors] == [
        f"第 {len(rows) + 1} 行 身份证号: 与第 {line + 1} 行重复（同一人只能登记在一户）。"
    ]
    assert state() == before


def test_an_unchanged_export_line_after_an_edited_household_line_disagrees(users, roster):
    rows = exported(users["cadre_a"])
    code = next(r[0] for r in rows[1:] if sum(1 for x in rows[1:] if x[0] == r[0]) > 1)
    first = next(i for i, r in enumerate(rows) if r[0] == code)
    rows[first][5] = rows[first][5] + "改"  # 户主姓名 on the household's first line only
    second = next(i for i, r in enumerate(rows) if r[0] == code and i != first)
    result = run(users["cadre_a"], rows, dry_run=True)
    assert f"第 {second + 1} 行 户编码: 户“{code}”的户信息与第 {first + 1} 行不一致。" in [
        str(e) for e in result.errors
    ]


def test_a_stored_value_its_parser_would_change_is_compared_cell_by_cell(users, roster):
    """A stored name with a trailing space exports as such; parsed, the cell loses the space,
    so the line is a change (修改), not recognised as the stored record."""
    r1 = roster["residents"]["r1"]
    Resident.objects.filter(pk=r1.pk).update(name="张三 ")
    rows = exported(users["cadre_a"])
    result = run(users["cadre_a"], rows, dry_run=True)
    assert result.ok and result.updated == 1 and result.unchanged == len(rows) - 2
    assert result.changes[0]["fields"] == [{"column": "姓名", "old": "张三 ", "new": "张三"}]


def test_a_formula_in_an_export_line_is_refused(users, roster):
    rows = exported(users["cadre_a"])
    line = next(i for i, r in enumerate(rows) if r[8] == "张三")
    rows[line][-1] = "=1+1"
    result = run(users["cadre_a"], rows, dry_run=True)
    assert [str(e) for e in result.errors] == [f"第 {line + 1} 行 备注: 不接受公式，请填写值本身。"]
