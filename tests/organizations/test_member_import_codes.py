"""Issue 13: members imported without a code get readable ones (``DY-A-0001``); when one of
those numbers is taken by another writer between the read and the insert, the import gives
those rows fresh numbers and commits — the file does not fail. On PostgreSQL (the COPY path)
with real concurrent transactions, and with a stale read on both write paths."""

from __future__ import annotations

import threading
import time

import pytest
from django.db import connection, connections, transaction

from core.models import AuditLog
from organizations.importers import MemberImporter
from organizations.models import Member
from tests.organizations.factories import MemberFactory
from tests.organizations.test_member_import import csv_file, row

pytestmark = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="needs PostgreSQL (COPY, concurrent transactions)"
)


@pytest.mark.django_db
@pytest.mark.parametrize("use_copy", [True, False], ids=["copy", "orm"])
def test_a_generated_code_taken_meanwhile_gets_a_fresh_one(users, tree, monkeypatch, use_copy):
    """The generator read numbers another writer has since used: the write fails on the
    unique code inside its savepoint, the rows get the next free numbers and the file commits."""
    from organizations.models import codes

    MemberFactory(code="DY-A-0001", branch=tree["branch_a"])
    real = codes.readable_codes
    calls = []

    def stale(model, organization, count):
        calls.append(count)
        fresh = real(model, organization, count)
        # The first read misses DY-A-0001 (as if it was committed right after the read).
        return ["DY-A-0001", *fresh[:-1]] if len(calls) == 1 else fresh

    monkeypatch.setattr(codes, "readable_codes", stale)
    monkeypatch.setattr(MemberImporter, "use_copy", use_copy)
    before = Member.history.count()
    result = MemberImporter(users["cadre_a"]).run(
        csv_file([row(1), row(2), row(3, 党员编号="DY-A-GIVEN")]), "m.csv", dry_run=False
    )
    assert result.committed, [str(e) for e in result.errors]
    assert result.created == 3 and len(calls) == 2
    assert sorted(Member.objects.values_list("code", flat=True)) == [
        "DY-A-0001",
        "DY-A-0002",
        "DY-A-0003",
        "DY-A-GIVEN",
    ]
    assert Member.objects.get(code="DY-A-0002").name == "导入1"
    # One history row per imported member, none left over from the refused attempt.
    assert Member.history.count() - before == 3
    assert AuditLog.objects.filter(action="member.import").count() == 1


@pytest.mark.django_db
def test_codes_taken_on_every_attempt_refuse_the_file(users, tree, monkeypatch):
    """The retries are bounded: a code still taken after the last attempt is the file's
    error (as any other refusal of the write), with nothing written."""
    from organizations.models import codes

    MemberFactory(code="DY-A-0001", branch=tree["branch_a"])
    monkeypatch.setattr(codes, "readable_codes", lambda model, org, count: ["DY-A-0001"] * count)
    count = Member.objects.count()
    result = MemberImporter(users["cadre_a"]).run(
        csv_file([row(1), row(2)]), "m.csv", dry_run=False
    )
    # Every attempt meets a taken code: after the last one the file is refused, not half-written.
    assert not result.committed
    assert "全部未导入" in str(result.errors[0])
    assert Member.objects.count() == count


@pytest.mark.django_db(transaction=True)
def test_an_import_racing_another_writer_commits_with_fresh_codes(users, tree):
    """A real race: another writer inserts DY-A-0001 and commits only after the import has
    read the highest number; the import's COPY waits on the unique index, fails when the other
    commits, and retries with DY-A-0002."""
    from organizations.models import codes

    inserted, read = threading.Event(), threading.Event()
    real = codes.readable_codes
    errors: list[BaseException] = []

    def reading(model, organization, count):
        found = real(model, organization, count)
        read.set()
        return found

    def other_writer() -> None:
        try:
            with transaction.atomic():
                MemberFactory(code="DY-A-0001", branch=tree["branch_a"], name="并发")
                inserted.set()
                assert read.wait(30)
                time.sleep(0.5)  # the import's insert is now waiting on our row
        except BaseException as exc:  # asserted below
            errors.append(exc)
            inserted.set()
        finally:
            connections.close_all()

    thread = threading.Thread(target=other_writer)
    codes.readable_codes = reading
    try:
        thread.start()
        assert inserted.wait(30)
        result = MemberImporter(users["cadre_a"]).run(
            csv_file([row(1), row(2)]), "m.csv", dry_run=False
        )
    finally:
        codes.readable_codes = real
        thread.join(timeout=60)
    assert not errors, errors
    assert result.committed, [str(e) for e in result.errors]
    assert dict(Member.objects.values_list("code", "name")) == {
        "DY-A-0001": "并发",
        "DY-A-0002": "导入1",
        "DY-A-0003": "导入2",
    }
