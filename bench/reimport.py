"""Benchmark: re-importing the household roster's own export on PostgreSQL (issue 13).

Steps:
  1. a fresh scratch database (default gz_reimport, dropped and re-created), migrated;
  2. the district's places (as bench/grids_import.py) and a first import of N households;
  3. the roster exported as a cadre gets it (masked ID numbers and phones), CSV;
  4. that export re-imported unchanged, in a child process;
  5. the same export with 1% of the resident rows changed (备注), re-imported in a child.
For each: rows/s, rows written (history rows added: every written row leaves one), the
child's peak RSS, its CPU seconds and the load average when it ended.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/gz_reimport .venv/bin/python bench/reimport.py --households 5000

Targets at full scale (210,000 households): ≥ 20,000 rows/s unchanged with 0 rows written and
< 500 MB; ≥ 10,000 rows/s with 1% changed, only those rows written.

Before/after (interleaved): ``--before DIR`` (another checkout, e.g. ``git archive`` of the
previous commit unpacked there) runs the same two re-imports with that tree's code, in turns
with this tree's, ``--rounds N`` times; the 1%-changed import is then rolled back after it is
measured (``--rollback`` in the child; always, so a kept database stays the export's).
``--reuse`` keeps the database and the two files of an earlier run (in ``--workdir``).
``BENCH_PROFILE=<file>`` writes a cProfile dump of each child (suffixed with its label).
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import os
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import grids_import as base

DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/gz_reimport"
TARGET_UNCHANGED = 20000
TARGET_CHANGED = 10000
TARGET_PEAK_MB = 500


def child(path: str, root: str | None, rollback: bool) -> dict:
    if root:
        sys.path.insert(0, root)
        os.chdir(root)
    base.django_setup()
    from django.contrib.auth import get_user_model
    from django.db import transaction

    from core.models import AuditLog
    from grids.models import Household, Resident
    from grids.roster import RosterImporter

    def written() -> int:
        return Household.history.count() + Resident.history.count()

    user = get_user_model().objects.get(username="bench")
    before, audits = written(), AuditLog.objects.count()
    profiler = None
    if os.environ.get("BENCH_PROFILE"):
        import cProfile

        profiler = cProfile.Profile()
    with transaction.atomic():
        started, cpu = time.perf_counter(), time.process_time()
        if profiler:
            profiler.enable()
        with open(path, "rb") as stream:
            result = RosterImporter(user).run_stream(stream, "roster.csv", dry_run=False)
        if profiler:
            profiler.disable()
            profiler.dump_stats(os.environ["BENCH_PROFILE"])
        elapsed = time.perf_counter() - started
        cpu_seconds = time.process_time() - cpu
        done = {
            "written": written() - before,
            "audit_rows": AuditLog.objects.count() - audits,
        }
        transaction.set_rollback(rollback)
    if not result.committed:
        return {"error": [str(e) for e in result.errors[:10]]}
    return {
        "rows": result.total,
        "created": result.created,
        "updated": result.updated,
        "unchanged": result.unchanged,
        **done,
        "seconds": elapsed,
        "cpu_seconds": cpu_seconds,
        "load": os.getloadavg(),
        "peak_mb": base.peak_mb(),
    }


def run_child(path: Path, root: Path | None = None, rollback: bool = False, label="") -> dict:
    command = [sys.executable, __file__, "--child", str(path)]
    if root:
        command += ["--root", str(root)]
    if rollback:
        command.append("--rollback")
    env = dict(os.environ)
    if env.get("BENCH_PROFILE"):
        env["BENCH_PROFILE"] = f"{env['BENCH_PROFILE']}.{label or 'run'}"
    out = subprocess.run(command, capture_output=True, text=True, cwd=base.ROOT, env=env)
    if out.returncode != 0:
        raise SystemExit(f"child failed:\n{out.stderr[-3000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def report(title: str, r: dict, target: int) -> bool:
    rate = r["rows"] / r["seconds"]
    load = " / ".join(f"{x:.1f}" for x in r["load"])
    print(
        f"{title}：{r['rows']} 行 / {r['seconds']:.2f} s = {rate:,.0f} 行/s"
        f"（新增 {r['created']}、修改 {r['updated']}、未变 {r['unchanged']}），"
        f"写入 {r['written']} 行、审计 {r['audit_rows']} 条，峰值内存 {r['peak_mb']:.0f} MB，"
        f"CPU {r['cpu_seconds']:.2f} s，负载 {load}（{os.cpu_count()} 核）；目标 ≥ {target:,} 行/s",
        flush=True,
    )
    return rate >= target and r["peak_mb"] < TARGET_PEAK_MB


def build(households: int, workdir: Path) -> tuple[Path, Path]:
    p = base.profile()
    p["households"] = households
    print(f"数据库：{os.environ['DATABASE_URL'].rsplit('/', 1)[-1]}（重新创建）", flush=True)
    base.recreate_database(os.environ["DATABASE_URL"])
    base.django_setup()
    from django.contrib.auth import get_user_model
    from django.core.management import call_command

    from grids.models import Household
    from grids.roster import RosterImporter

    call_command("migrate", verbosity=0)
    layout = base.build_places(p)
    first = workdir / "first.csv"
    rows = base.write_csv(
        first, layout, p["households"], prefix="", serial0=0, rng=random.Random(7)
    )
    loaded = run_child(first)
    if "error" in loaded:
        raise SystemExit(f"首次导入失败：{loaded['error']}")
    print(f"首次导入：户 {p['households']}，居民 {rows} 行", flush=True)
    first.unlink()

    user = get_user_model().objects.get(username="bench")
    exported = RosterImporter(user).export(Household.objects.all(), "csv")
    unchanged = workdir / "export.csv"
    unchanged.write_bytes(exported)
    lines = list(csv.reader(io.StringIO(exported.decode("utf-8-sig"))))
    note = lines[0].index("备注")
    name = lines[0].index("姓名")
    people = [i for i in range(1, len(lines)) if lines[i][name]]
    for i in random.Random(1).sample(people, max(1, len(people) // 100)):
        lines[i][note] = "复核后更正"
    changed = workdir / "changed.csv"
    with changed.open("w", encoding="utf-8-sig", newline="") as handle:
        csv.writer(handle).writerows(lines)
    return unchanged, changed


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--households", type=int, default=5000)
    parser.add_argument("--before", help="another checkout to compare with, in turns")
    parser.add_argument("--rounds", type=int, default=1)
    parser.add_argument("--reuse", action="store_true")
    parser.add_argument("--workdir")
    parser.add_argument("--child")
    parser.add_argument("--root")
    parser.add_argument("--rollback", action="store_true")
    args = parser.parse_args()
    os.environ["DATABASE_URL"] = os.environ.get("DATABASE_URL") or DEFAULT_URL
    if args.child:
        print(json.dumps(child(args.child, args.root, args.rollback)))
        return 0

    workdir = Path(args.workdir or tempfile.mkdtemp(prefix="gz_reimport_bench_"))
    workdir.mkdir(parents=True, exist_ok=True)
    unchanged, changed = workdir / "export.csv", workdir / "changed.csv"
    if not (args.reuse and unchanged.exists() and changed.exists()):
        unchanged, changed = build(args.households, workdir)
    trees = [("after", None)]
    if args.before:
        trees = [("before", Path(args.before).resolve()), ("after", None)]
    ok = True
    # The 1% change is rolled back once measured, so every run starts from the same data.
    rollback = True
    for round_ in range(1, args.rounds + 1):
        for label, root in trees:
            tag = f"[{label} #{round_}] " if args.before or args.rounds > 1 else ""
            same = run_child(unchanged, root, label=f"{label}.{round_}.same")
            if "error" in same:
                print(f"{tag}原样重新导入失败：", same["error"])
                return 1
            good = report(f"{tag}原样重新导入", same, TARGET_UNCHANGED) and same["written"] == 0
            some = run_child(changed, root, rollback, label=f"{label}.{round_}.some")
            if "error" in some:
                print(f"{tag}1% 修改后重新导入失败：", some["error"])
                return 1
            good = report(f"{tag}1% 修改后重新导入", some, TARGET_CHANGED) and good
            if label == "after":
                ok = ok and good
    if not args.workdir:
        for path in (unchanged, changed):
            path.unlink()
        workdir.rmdir()
    print("结论：" + ("达到目标" if ok else "未达到目标（见上，机器负载同列）"))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
