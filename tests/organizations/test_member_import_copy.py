"""The PostgreSQL COPY path writes exactly the rows (members and history) the ORM path does."""

import pytest
from django.db import connection

from organizations.importers import MemberImporter
from organizations.models import Member
from tests.organizations.test_member_import import csv_file, row, xlsx_file

pytestmark = pytest.mark.django_db

SKIP = {"id", "created_at", "updated_at", "history_id", "history_date", "code"}


def _import(user, rows, *, use_copy):
    importer = MemberImporter(user)
    importer.use_copy = use_copy
    result = importer.run(csv_file(rows), "members.csv", dry_run=False)
    assert result.committed, [str(e) for e in result.errors]
    return result


def _snapshot():
    members = {
        m["id_number"]: {k: v for k, v in m.items() if k not in SKIP}
        for m in Member.objects.values()
    }
    history = {
        h["id_number"]: {k: v for k, v in h.items() if k not in SKIP}
        for h in Member.history.values()
    }
    return members, history


def _rows():
    return [
        row(1),
        row(2, male=False, 工作单位="U-CITY", 联系电话=""),
        row(3, branch="A-01-B1", 党员编号="DY-A-3", 入党日期=""),
        # A cell that spells COPY's NULL marker stays text.
        row(4, 姓名="\\N", 出生日期=""),
        row(5, 姓名='引号"，逗号,\n换行'),
    ]


@pytest.mark.skipif(connection.vendor != "postgresql", reason="COPY is PostgreSQL only")
def test_copy_and_orm_paths_write_identical_rows(users, tree, unit):
    _import(users["cadre_a"], _rows(), use_copy=False)
    orm = _snapshot()
    orm_codes = set(Member.objects.values_list("code", flat=True))
    Member.objects.all().delete()
    Member.history.all().delete()  # including the "-" rows the deletion just wrote

    result = _import(users["cadre_a"], _rows(), use_copy=True)
    assert result.created == 5
    copied = _snapshot()
    assert copied == orm
    assert len(copied[0]) == 5 and len(copied[1]) == 5
    assert "DY-A-3" in orm_codes and Member.objects.filter(code="DY-A-3").exists()
    assert Member.objects.get(name="\\N").birth_date is not None
    for member in Member.objects.all():
        assert member.created_at is not None and member.updated_at is not None
        record = member.history.get()
        assert record.history_type == "+"
        assert record.history_user == users["cadre_a"]
        assert record.history_change_reason is None
        assert record.created_at == member.created_at
    # Ids came from the sequence: an ordinary save afterwards does not collide.
    Member.objects.create(
        name="后来者",
        id_number=row(9)[2],
        gender="男",
        birth_date=Member.objects.first().birth_date,
        category="在职党员",
        branch=tree["group_a"],
    )


@pytest.mark.skipif(connection.vendor != "postgresql", reason="COPY is PostgreSQL only")
def test_copy_path_rejected_by_database_writes_nothing(users, tree, members, monkeypatch):
    # A clash the importer cannot see (a code taken between check and write) rolls back all.
    importer = MemberImporter(users["cadre_a"])
    existing = Member.objects.first()
    monkeypatch.setattr(importer, "load_existing", lambda keys: {})
    before = Member.objects.count(), Member.history.count()
    result = importer.run(csv_file([row(1, 党员编号=existing.code)]), "m.csv", dry_run=False)
    assert not result.committed
    assert any("写入被拒绝" in str(e) for e in result.errors)
    assert (Member.objects.count(), Member.history.count()) == before


def test_xlsx_reader_cells_with_formula_like_text(users, tree):
    # "-" and "+" starts are only formulas with a call or sheet reference, as in the base reader.
    rows = [row(1, 姓名="-5号楼"), row(2, 姓名="+86 小区")]
    result = MemberImporter(users["cadre_a"]).run(xlsx_file(rows), "m.xlsx", dry_run=True)
    assert result.ok, [str(e) for e in result.errors]
    bad = [row(3, 姓名="-SUM(A1)")]
    result = MemberImporter(users["cadre_a"]).run(xlsx_file(bad), "m.xlsx", dry_run=True)
    assert not result.ok
