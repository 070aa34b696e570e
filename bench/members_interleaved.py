"""Before/after for the member import, interleaved: the import of one code tree against another's
(e.g. the previous commit, unpacked with ``git archive``), on the same prepared database, each
run in its own process, alternating, with the same member and history rows written by COPY
measured between the runs (the ratio the issue asks for: import ÷ COPY, goal ≤ 3).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/gz_bench_members \\
        .venv/bin/python bench/members_interleaved.py --before /tmp/base --rounds 3

The named database is used as it is (it must be migrated; members, their history and the
tables that refer to members are emptied before every run — use a database for benchmarks
only); the first run fills it with the
Tiedong tree (OrganizationImporter) and writes the member XLSX next to it (``--data``). Prints,
per run: wall seconds, the importing process's CPU seconds, the 1-minute load average, and the
ratio to the COPY measured in the same round; then the medians.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_PROFILES = ROOT.parent / "shared" / "data" / "district_profiles.json"

CHILD = r"""
import os, resource, sys, time, json
from pathlib import Path
root = Path(sys.argv[1]); sys.path.insert(0, str(root)); sys.path.insert(0, str(root / "bench"))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
import django; django.setup()
from django.contrib.auth import get_user_model
from organizations.importers import MemberImporter
import organizations.importers.members as loaded
assert Path(loaded.__file__).is_relative_to(root), loaded.__file__  # the tree asked for
cadre = get_user_model().objects.get(username="bench-district")
data = Path(sys.argv[2]).read_bytes()
before = resource.getrusage(resource.RUSAGE_SELF); started = time.perf_counter()
result = MemberImporter(cadre).run(data, "members.xlsx", dry_run=False)
wall = time.perf_counter() - started; after = resource.getrusage(resource.RUSAGE_SELF)
assert result.committed, [str(e) for e in result.errors[:5]]
cpu = after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime
print(json.dumps({"wall": wall, "cpu": cpu, "created": result.created}))
"""


def prepare(profile: dict, members: int, data_path: Path) -> None:
    sys.path.insert(0, str(ROOT))
    sys.path.insert(0, str(ROOT / "bench"))
    from django.contrib.auth import get_user_model
    from members_import import build_members_xlsx
    from tree_import import build_rows, build_xlsx

    from covenants.models import PartnerUnit
    from organizations.choices import OrgKind
    from organizations.importers import OrganizationImporter
    from organizations.models import Organization, ScopeAssignment

    User = get_user_model()
    if not Organization.objects.filter(code="TD").exists():
        root = User.objects.create(username="bench-root", is_superuser=True, is_staff=True)
        tree = OrganizationImporter(root).run(
            build_xlsx(build_rows(profile)), "t.xlsx", dry_run=False
        )
        assert tree.committed
        cadre = User.objects.create(username="bench-district", is_staff=True)
        ScopeAssignment.objects.create(user=cadre, organization=Organization.objects.get(code="TD"))
        street = Organization.objects.get(code="TD-S01")
        PartnerUnit.objects.bulk_create(
            PartnerUnit(
                code=f"TD-U{i:03d}", name=f"驻区单位{i}", kind="agency", organization=street
            )
            for i in range(1, 62)
        )
    if not data_path.exists():
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
        units = list(PartnerUnit.objects.order_by("code").values_list("code", flat=True))
        data_path.write_bytes(build_members_xlsx(branches, units, members))


def clear() -> None:
    from django.db import connection

    from organizations.models import Member

    with connection.cursor() as cursor:
        cursor.execute(
            f"TRUNCATE {Member._meta.db_table}, {Member.history.model._meta.db_table} CASCADE"
        )


def copy_seconds() -> float:
    """The members and history rows now stored, written again by COPY into empty copies."""
    from django.db import connection

    from organizations.models import Member

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
    return time.perf_counter() - started


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--before", required=True, help="the older code tree")
    parser.add_argument("--after", default=str(ROOT), help="the newer code tree (default: this)")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--profiles", default=str(DEFAULT_PROFILES))
    parser.add_argument("--profile", default="tiedong")
    parser.add_argument("--members", type=int, default=None)
    parser.add_argument("--data", default="/tmp/bench_members.xlsx")
    args = parser.parse_args()

    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()
    profile = json.loads(Path(args.profiles).read_text(encoding="utf-8"))["profiles"][args.profile]
    total = args.members or profile["party_members"]
    data_path = Path(args.data)
    prepare(profile, total, data_path)
    runs: dict[str, list[dict]] = {"before": [], "after": []}
    for round_no in range(1, args.rounds + 1):
        order = ["before", "after"] if round_no % 2 else ["after", "before"]
        for label in order:
            clear()
            tree = args.before if label == "before" else args.after
            load = os.getloadavg()[0]
            out = subprocess.run(
                [sys.executable, "-c", CHILD, tree, str(data_path)],
                capture_output=True, text=True, check=True, env=os.environ, cwd=tree,
            )  # fmt: skip
            figures = json.loads(out.stdout.strip().splitlines()[-1])
            copy_s = copy_seconds()
            figures.update(load=load, copy=copy_s, ratio=figures["wall"] / copy_s, round=round_no)
            runs[label].append(figures)
            print(
                f"第 {round_no} 轮 {label:6s}：{figures['wall']:.2f} s 墙钟，CPU {figures['cpu']:.2f} s，"
                f"负载 {load:.1f}；同样行 COPY {copy_s:.2f} s → {figures['ratio']:.1f}× COPY",
                flush=True,
            )
    clear()
    for label, items in runs.items():
        med = {
            k: statistics.median(r[k] for r in items)
            for k in ("wall", "cpu", "copy", "ratio", "load")
        }
        print(
            f"{label:6s} 中位数：{med['wall']:.2f} s 墙钟，CPU {med['cpu']:.2f} s"
            f"（{total / med['cpu']:,.0f} 行/CPU秒），COPY {med['copy']:.2f} s，"
            f"{med['ratio']:.1f}× COPY，负载 {med['load']:.1f}"
        )
    print(f"{total} 名党员；CPU {os.cpu_count()} 核；结束时负载 {os.getloadavg()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
