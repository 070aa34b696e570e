"""Benchmark: 18,400 party members (Tiedong profile) from one XLSX, on PostgreSQL.

Builds the Tiedong-sized tree with OrganizationImporter in a fresh test database created from
DATABASE_URL (the named database itself is not touched), writes one XLSX of members spread
over its compound branches and building groups, then imports it twice, each in its own forked
process so that peak memory is the import's own:
  1. MemberImporter (bulk, scoped, all or nothing, one history row per member), and
  2. the baseline: a plain django-import-export ModelResource saving row by row.
Prints rows/s and peak memory (ru_maxrss, and tracemalloc's peak of Python allocations, which
is measured in a separate dry run so that it does not slow the timed run).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/gz_bench_members .venv/bin/python bench/members_import.py
"""

from __future__ import annotations

import argparse
import io
import json
import os
import pickle
import resource
import sys
import time
import tracemalloc
from datetime import date, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
DEFAULT_PROFILES = ROOT.parent / "shared" / "data" / "district_profiles.json"
TARGET_ROWS_PER_SECOND = 2000
TARGET_PEAK_MB = 500
CATEGORIES = [
    "在职党员",
    "离退休党员",
    "居民党员",
    "在职党员",
    "流动党员",
    "离退休党员",
    "下岗失业党员",
    "居民党员",
]


def id_number(seq: int) -> tuple[str, date, bool]:
    """A distinct valid GB 11643 number per seq: birth dates over 60 years, 500 per day."""
    from core.validators import id_number_check_char

    born = date(1945, 1, 1) + timedelta(days=(seq // 500) * 7 % 21900)
    male = seq % 2 == 1
    order = f"{(seq % 500) * 2 + (1 if male else 0):03d}"
    region = f"2103{seq // 500 // 3000 % 100:02d}"
    first17 = f"{region}{born:%Y%m%d}{order}"
    return first17 + id_number_check_char(first17), born, male


def build_members_xlsx(branch_codes: list[str], unit_codes: list[str], total: int) -> bytes:
    import openpyxl

    from organizations.importers import MemberImporter

    workbook = openpyxl.Workbook(write_only=True)
    sheet = workbook.create_sheet(MemberImporter.sheet_name)
    sheet.append([c.header for c in MemberImporter.columns])
    seen: set[str] = set()
    for seq in range(total):
        number, born, male = id_number(seq)
        assert number not in seen
        seen.add(number)
        category = CATEGORIES[seq % len(CATEGORIES)]
        sheet.append(
            [
                f"DY{seq:06d}",
                f"党员{seq:05d}",
                number,
                "男" if male else "女",
                born.isoformat(),
                f"139{seq:08d}",
                category,
                "正式党员" if seq % 23 else "预备党员",
                branch_codes[seq % len(branch_codes)],
                date(born.year + 22, 7, 1).isoformat(),
                unit_codes[seq % len(unit_codes)] if category == "在职党员" else "",
                f"第{seq % 90 + 1}号楼",
            ]
        )
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def in_child(work):
    """Run ``work()`` in a forked process; return its result, elapsed wall-clock seconds,
    peak RSS (MB) and the process's own CPU seconds (the database server's are not included)."""
    from django.db import connections

    connections.close_all()
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(read)
        try:
            before = resource.getrusage(resource.RUSAGE_SELF)
            started = time.perf_counter()
            value = work()
            elapsed = time.perf_counter() - started
            after = resource.getrusage(resource.RUSAGE_SELF)
            cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
            payload = pickle.dumps(("ok", value, elapsed, (after.ru_maxrss / 1024, cpu)))
        except BaseException as exc:  # report, never fall through into the parent's code
            payload = pickle.dumps(("error", repr(exc), 0, (0, 0)))
        with os.fdopen(write, "wb") as pipe:
            pipe.write(payload)
        os._exit(0)
    os.close(write)
    with os.fdopen(read, "rb") as pipe:
        status, value, elapsed, (peak_mb, cpu) = pickle.loads(pipe.read())
    os.waitpid(pid, 0)
    if status != "ok":
        raise RuntimeError(value)
    return value, elapsed, peak_mb, cpu


def print_breakdown(cadre, data: bytes, total: int, seconds: float, cpu: float) -> None:
    """Where the import's time goes (read / parse+validate / write), and the same rows
    written by COPY (members and their history rows, into empty tables of the same shape)."""
    from django.db import connection

    from core.reading import read_table
    from organizations.importers import MemberImporter
    from organizations.models import Member

    def read():
        return sum(1 for values, _ in read_table(data, "m.xlsx", MemberImporter.sheet_name))

    def dry():
        return MemberImporter(cadre).run(data, "m.xlsx", dry_run=True).ok

    _, read_s, _, read_cpu = in_child(read)
    ok, dry_s, _, dry_cpu = in_child(dry)
    assert ok
    print(
        f"  分解（墙钟 / 本进程 CPU）：读取 {read_s:.2f} / {read_cpu:.2f} s；"
        f"解析与校验 {dry_s - read_s:.2f} / {dry_cpu - read_cpu:.2f} s；"
        f"写入（提交减预检，负载下有噪声）{seconds - dry_s:.2f} / {cpu - dry_cpu:.2f} s；"
        f"读取占 {read_s / seconds:.0%}"
    )
    tables = [Member._meta.db_table, Member.history.model._meta.db_table]
    dumps = []
    with connection.cursor() as cursor:
        for table in tables:
            buffer = io.StringIO()
            cursor.copy_expert(f"COPY {table} TO STDOUT", buffer)
            dumps.append((table, buffer.getvalue()))
    started = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute("BEGIN")
        for table, dump in dumps:
            cursor.execute(f"CREATE TEMP TABLE copy_{table} (LIKE {table} INCLUDING ALL)")
            cursor.copy_expert(f"COPY copy_{table} FROM STDIN", io.StringIO(dump))
        cursor.execute("ROLLBACK")
    copy_s = time.perf_counter() - started
    print(
        f"  同样的 {total} 行党员及其历史行用 COPY 写入：{copy_s:.2f} s；"
        f"导入是 COPY 的 {seconds / copy_s:.1f} 倍（目标 ≤ 3 倍）"
    )


def clear_members() -> None:
    from organizations.models import Member

    Member.history.all().delete()
    Member.objects.all().delete()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--profiles", default=str(DEFAULT_PROFILES))
    parser.add_argument("--profile", default="tiedong")
    parser.add_argument("--members", type=int, default=None, help="默认取规模数据中的党员数")
    parser.add_argument("--skip-baseline", action="store_true")
    args = parser.parse_args()

    import django

    django.setup()
    from django.conf import settings
    from django.db import connection
    from django.test.utils import setup_test_environment

    profiles = json.loads(Path(args.profiles).read_text(encoding="utf-8"))["profiles"]
    profile = profiles[args.profile]
    total = args.members or profile["party_members"]
    if connection.vendor != "postgresql":
        print("注意：DATABASE_URL 未指向 PostgreSQL，以下数字来自", connection.vendor)

    setup_test_environment(debug=False)
    old_name = connection.creation.create_test_db(verbosity=0)
    try:
        from django.contrib.auth import get_user_model
        from tablib import Dataset
        from tree_import import build_rows, build_xlsx

        from covenants.models import PartnerUnit
        from organizations.choices import OrgKind
        from organizations.importers import MemberImporter, OrganizationImporter
        from organizations.importers.resources import MemberResource
        from organizations.models import Member, Organization, ScopeAssignment

        User = get_user_model()
        root = User.objects.create(username="bench-root", is_superuser=True, is_staff=True)
        tree = OrganizationImporter(root).run(
            build_xlsx(build_rows(profile)), "t.xlsx", dry_run=False
        )
        assert tree.committed, [str(e) for e in tree.errors[:5]]
        district = Organization.objects.get(code="TD")
        # The importer works as a district cadre: every row's branch passes the scope check.
        cadre = User.objects.create(username="bench-district", is_staff=True)
        ScopeAssignment.objects.create(user=cadre, organization=district)
        street = Organization.objects.get(code="TD-S01")
        units = PartnerUnit.objects.bulk_create(
            PartnerUnit(
                code=f"TD-U{i:03d}", name=f"驻区单位{i}", kind="agency", organization=street
            )
            for i in range(1, 62)
        )
        branches = list(
            Organization.objects.filter(
                kind__in=[
                    OrgKind.COMPOUND_BRANCH,
                    OrgKind.BUILDING_GROUP,
                    OrgKind.FUNCTIONAL_BRANCH,
                ]
            )
            .order_by("code")
            .values_list("code", flat=True)
        )
        started = time.perf_counter()
        data = build_members_xlsx(branches, [u.code for u in units], total)
        print(
            f"{profile['name']}：{Organization.objects.count()} 个党组织，{len(units)} 个单位；"
            f"党员 {total} 行 XLSX {len(data) / 1024 / 1024:.1f} MB，生成 "
            f"{time.perf_counter() - started:.1f} s"
        )

        def fast_dry_traced():
            tracemalloc.start()
            result = MemberImporter(cadre).run(data, "members.xlsx", dry_run=True)
            peak = tracemalloc.get_traced_memory()[1] / 1024 / 1024
            tracemalloc.stop()
            return result.ok, peak

        (ok, traced_peak), dry_seconds, _, _ = in_child(fast_dry_traced)
        assert ok

        def fast():
            result = MemberImporter(cadre).run(data, "members.xlsx", dry_run=False)
            assert result.committed, [str(e) for e in result.errors[:5]]
            return result.created

        created, seconds, peak, cpu = in_child(fast)
        assert Member.objects.count() == total == created
        assert Member.history.count() == total
        rate = total / seconds
        verdict = "达标" if rate >= TARGET_ROWS_PER_SECOND and peak < TARGET_PEAK_MB else "未达标"
        print(
            f"MemberImporter（批量）：{seconds:.1f} s，{rate:.0f} 行/秒，进程峰值内存 {peak:.0f} MB"
            f"（tracemalloc 峰值 {traced_peak:.0f} MB，跟踪下预检 {dry_seconds:.1f} s；"
            f"本进程 CPU {cpu:.1f} s，即 {total / cpu:.0f} 行/CPU秒）"
            f"——目标 ≥ {TARGET_ROWS_PER_SECOND} 行/秒且 < {TARGET_PEAK_MB} MB：{verdict}"
        )

        print_breakdown(cadre, data, total, seconds, cpu)

        if not args.skip_baseline:
            clear_members()

            def baseline():
                dataset = Dataset().load(data, format="xlsx")
                result = MemberResource().import_data(dataset, dry_run=False, use_transactions=True)
                assert not result.has_errors() and not result.has_validation_errors(), (
                    result.invalid_rows[:3] if result.invalid_rows else result.row_errors()[:3]
                )
                return result.totals["new"]

            created, seconds, peak, cpu = in_child(baseline)
            assert Member.objects.count() == total == created
            print(
                f"django-import-export ModelResource（逐行）：{seconds:.1f} s，"
                f"{total / seconds:.0f} 行/秒，进程峰值内存 {peak:.0f} MB"
                f"（本进程 CPU {cpu:.1f} s，即 {total / cpu:.0f} 行/CPU秒）"
            )
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)
    print(
        f"数据库：{connection.vendor} {settings.DATABASES['default']['NAME']}；"
        f"结束时负载（1/5/15 分钟）：{'/'.join(f'{x:.1f}' for x in os.getloadavg())}，"
        f"CPU {os.cpu_count()} 核"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
