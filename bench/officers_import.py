"""Benchmark: officers (骨干任职) at the Tiedong profile's scale from one XLSX, on PostgreSQL.

Builds the Tiedong-sized tree with OrganizationImporter in a fresh test database created from
DATABASE_URL (the named database itself is not touched), writes one XLSX with every party
node's officers (a 书记 in post and a predecessor, deputy, three committee members, two
委员 on every 党委 / 党支部; a 党小组长 on every 楼栋党小组; a 中心户长 where the tree has
central households), then imports it with OfficerImporter in a forked process (all rules: node
kinds, the single-holder check across the file and against the stored terms, links in scope).
Prints rows/s, the importing process's CPU seconds, peak memory and the load average.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/gz_bench_officers .venv/bin/python bench/officers_import.py
"""

from __future__ import annotations

import argparse
import io
import json
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
DEFAULT_PROFILES = next(
    (
        base / "shared" / "data" / "district_profiles.json"
        for base in (ROOT.parent, ROOT.parent.parent, Path("/work"))
        if (base / "shared" / "data" / "district_profiles.json").is_file()
    ),
    ROOT.parent / "shared" / "data" / "district_profiles.json",
)
TARGET_ROWS_PER_SECOND = 5000

COMMITTEE_ROWS = [
    ("书记", "2024-01-01", ""),
    ("书记", "2019-01-01", "2023-12-31"),
    ("副书记", "2024-01-01", ""),
    ("组织委员", "2024-01-01", ""),
    ("宣传委员", "2024-01-01", ""),
    ("纪检委员", "2024-01-01", ""),
    ("委员", "2024-01-01", ""),
    ("委员", "2024-01-01", ""),
]
SINGLE = {"building_group": "党小组长", "central_household": "中心户长"}
COMMITTEE_KINDS = {
    "street_committee",
    "community_committee",
    "compound_branch",
    "functional_branch",
    "mobile_branch",
    "temporary_branch",
    "property_branch",
    "enterprise_branch",
}


def build_officers_xlsx(nodes: list[tuple[str, str]]) -> tuple[bytes, int]:
    import openpyxl

    from organizations.importers import OfficerImporter

    workbook = openpyxl.Workbook(write_only=True)
    sheet = workbook.create_sheet(OfficerImporter.sheet_name)
    headers = [c.header for c in OfficerImporter.columns]
    sheet.append(headers)
    rows = 0
    for code, kind in nodes:
        if kind in COMMITTEE_KINDS:
            entries = COMMITTEE_ROWS
        elif kind in SINGLE:
            entries = [(SINGLE[kind], "2024-01-01", "")]
        else:
            continue
        for position, start, end in entries:
            rows += 1
            values = {
                "任职编号": f"ZW{rows:07d}",
                "所在组织编码": code,
                "职务": position,
                "姓名": f"骨干{rows:05d}",
                "联系电话": f"139{rows:08d}",
                "任期开始": start,
                "任期结束": end,
            }
            sheet.append([values.get(h, "") for h in headers])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue(), rows


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--profiles", default=str(DEFAULT_PROFILES))
    parser.add_argument("--profile", default="tiedong")
    parser.add_argument("--cprofile", action="store_true", help="打印预检的 cProfile 前 25 项")
    args = parser.parse_args()

    import django

    django.setup()
    from django.conf import settings
    from django.db import connection
    from django.test.utils import setup_test_environment
    from members_import import in_child

    profile = json.loads(Path(args.profiles).read_text(encoding="utf-8"))["profiles"][args.profile]
    if connection.vendor != "postgresql":
        print("注意：DATABASE_URL 未指向 PostgreSQL，以下数字来自", connection.vendor)
    setup_test_environment(debug=False)
    old_name = connection.creation.create_test_db(verbosity=0)
    try:
        from django.contrib.auth import get_user_model
        from tree_import import build_rows, build_xlsx

        from organizations.importers import OfficerImporter, OrganizationImporter
        from organizations.models import Officer, Organization, ScopeAssignment

        User = get_user_model()
        root = User.objects.create(username="bench-root", is_superuser=True, is_staff=True)
        tree = OrganizationImporter(root).run(
            build_xlsx(build_rows(profile)), "t.xlsx", dry_run=False
        )
        assert tree.committed, [str(e) for e in tree.errors[:5]]
        cadre = User.objects.create(username="bench-district", is_staff=True)
        ScopeAssignment.objects.create(user=cadre, organization=Organization.objects.get(code="TD"))
        nodes = list(Organization.objects.order_by("code").values_list("code", "kind"))
        started = time.perf_counter()
        data, total = build_officers_xlsx(nodes)
        print(
            f"{profile['name']}：{len(nodes)} 个党组织；骨干任职 {total} 行 XLSX "
            f"{len(data) / 1024 / 1024:.1f} MB，生成 {time.perf_counter() - started:.1f} s"
        )

        def dry():
            from django.db import connection as conn
            from django.test.utils import CaptureQueriesContext

            with CaptureQueriesContext(conn) as ctx:
                ok = OfficerImporter(cadre).run(data, "officers.xlsx", dry_run=True).ok
            slow = sorted(ctx.captured_queries, key=lambda q: -float(q["time"]))[:3]
            return ok, len(ctx.captured_queries), [(q["time"], q["sql"][:160]) for q in slow]

        if args.cprofile:
            import cProfile
            import pstats

            def profiled():
                profiler = cProfile.Profile()
                profiler.enable()
                OfficerImporter(cadre).run(data, "officers.xlsx", dry_run=True)
                profiler.disable()
                out = io.StringIO()
                pstats.Stats(profiler, stream=out).sort_stats("tottime").print_stats(25)
                return out.getvalue()

            print(in_child(profiled)[0])
        (ok, queries, slow), dry_seconds, _, dry_cpu = in_child(dry)
        assert ok
        print(f"  预检 {queries} 条 SQL；最慢：" + "；".join(f"{t}s {sql}" for t, sql in slow))

        def run():
            result = OfficerImporter(cadre).run(data, "officers.xlsx", dry_run=False)
            assert result.committed, [str(e) for e in result.errors[:5]]
            return result.created

        load_before = os.getloadavg()[0]
        created, seconds, peak, cpu = in_child(run)
        assert created == total == Officer.objects.count()
        rate = total / seconds
        verdict = "达标" if rate >= TARGET_ROWS_PER_SECOND else "未达标"
        print(
            f"OfficerImporter：{seconds:.2f} s，{rate:.0f} 行/秒，进程峰值内存 {peak:.0f} MB，"
            f"本进程 CPU {cpu:.2f} s（{total / cpu:.0f} 行/CPU秒）；预检 {dry_seconds:.2f} s / "
            f"CPU {dry_cpu:.2f} s——目标 ≥ {TARGET_ROWS_PER_SECOND} 行/秒：{verdict}"
            f"（开始时 1 分钟负载 {load_before:.1f}）"
        )

        # Re-importing the same file: every single post now clashes with its stored term.
        def again():
            return len(OfficerImporter(cadre).run(data, "officers.xlsx", dry_run=True).errors)

        errors, again_seconds, _, again_cpu = in_child(again)
        print(
            f"  同一文件再次预检（编号相同 → 更新，无冲突）：{again_seconds:.2f} s，错误 {errors} 条"
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
