"""Benchmark: the household/resident roster of a whole district (Tiedong profile: 210,000
households, ≈2.5 residents each) imported on PostgreSQL.

One CSV with one row per resident and the household's columns repeated (the format of
grids.roster.RosterImporter). Steps:
  1. a fresh scratch database (default gz_bench_grids, dropped and re-created), migrated;
  2. the district's tree: 14 streets, 84 communities, 1,007 grids and their buildings;
  3. the CSV written to a temporary file (≈525,000 rows);
  4. the fast importer in a child process (validation pass + write pass, one transaction,
     history rows included): rows/s and the child's peak RSS;
  5. the baseline in another child: a plain django-import-export ModelResource importing a
     5,000-row sample row by row (households, then residents).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/gz_bench_grids .venv/bin/python bench/grids_import.py
    (--households N for a smaller run)
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import random
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/gz_bench_grids"
PROFILES = Path(
    os.environ.get("DISTRICT_PROFILES")
    or ROOT.parent / "shared" / "data" / "district_profiles.json"
)
TARGET_ROWS_PER_SECOND = 5000
TARGET_PEAK_MB = 500
SAMPLE_ROWS = 5000
PER_BUILDING = 48


def profile() -> dict:
    if PROFILES.exists():
        return json.loads(PROFILES.read_text())["profiles"]["tiedong"]
    return {"streets": 14, "communities": 84, "grids": 1007, "households": 210000}


def peak_mb() -> float:
    """This process's own peak RSS since it started its program. ``VmHWM`` where there is a
    /proc: Linux's ``ru_maxrss`` carries over the pre-exec RSS of the fork, so a child started by
    a parent holding a large file reported the parent's size (a 1.2 GB "peak" for a 340 MB child)."""
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def django_setup():
    import django

    django.setup()


def recreate_database(url: str) -> None:
    import psycopg2

    from config.env import parse_database_url

    cfg = parse_database_url(url)
    conn = psycopg2.connect(
        dbname="postgres",
        user=cfg.get("USER") or None,
        password=cfg.get("PASSWORD") or None,
        host=cfg.get("HOST") or None,
        port=cfg.get("PORT") or None,
    )
    conn.autocommit = True
    with conn.cursor() as cursor:
        cursor.execute(f'DROP DATABASE IF EXISTS "{cfg["NAME"]}"')
        cursor.execute(f'CREATE DATABASE "{cfg["NAME"]}"')
    conn.close()


def build_places(p: dict) -> list[tuple[str, list[str]]]:
    """Streets, communities, grids and buildings; returns [(grid code, [building codes])]."""
    from django.contrib.auth import get_user_model

    from grids.models import Building, Compound, Grid
    from organizations.models import Organization
    from organizations.tree import load_nodes

    nodes, parents = (
        [Organization(code="TD", name="铁东区委组织部", kind="district_committee")],
        {"TD": None},
    )
    communities = []
    for s in range(p["streets"]):
        street = f"TD-S{s:02d}"
        nodes.append(
            Organization(code=street, name=f"第{s + 1}街道党工委", kind="street_committee")
        )
        parents[street] = "TD"
    for c in range(p["communities"]):
        code = f"TD-S{c % p['streets']:02d}-C{c:03d}"
        nodes.append(
            Organization(code=code, name=f"第{c + 1}社区大党委", kind="community_committee")
        )
        parents[code] = f"TD-S{c % p['streets']:02d}"
        communities.append(code)
    load_nodes(nodes, [], parents, update_fields=[])
    orgs = {o.code: o for o in Organization.objects.filter(kind="community_committee")}
    roots = []
    for code in communities:
        roots.append(
            Grid(code=f"G-{code}", name=f"{code}网格", level="community", community=orgs[code])
        )
    for root in roots:
        root.save()
    grids = []
    per_community = p["grids"] // len(communities)
    extra = p["grids"] - per_community * len(communities)
    for i, root in enumerate(roots):
        for g in range(per_community + (1 if i < extra else 0)):
            grids.append(
                Grid(
                    code=f"{root.code}-{g:02d}",
                    name=f"第{g + 1}网格",
                    level="grid",
                    parent=root,
                    community_id=root.community_id,
                    tree_id=0,
                    lft=0,
                    rght=0,
                    depth=0,
                )
            )
    Grid.objects.bulk_create(grids, batch_size=1000)
    Grid.objects.rebuild()
    per_grid = -(-p["households"] // len(grids))
    buildings, layout = [], []
    for grid in Grid.objects.filter(level="grid").order_by("code"):
        codes = [f"{grid.code}-L{b:02d}" for b in range(-(-per_grid // PER_BUILDING))]
        layout.append((grid.code, codes))
        compound = Compound.objects.create(
            code=f"{grid.code}-XQ", name=f"{grid.code}小区", community_id=grid.community_id
        )
        buildings += [
            Building(
                code=code,
                name=f"{n + 1}号楼",
                number=str(n + 1),
                compound=compound,
                community_id=grid.community_id,
                grid=grid,
                floors=6,
            )
            for n, code in enumerate(codes)
        ]
    Building.objects.bulk_create(buildings, batch_size=2000)
    get_user_model().objects.create_superuser("bench", password="bench-pass-123")
    return layout


def write_csv(path: Path, layout, households: int, *, prefix: str, serial0: int, rng) -> int:
    from grids.roster import RosterImporter
    from grids.sample import id_number, mobile, person_name

    headers = [c.header for c in RosterImporter.columns]
    rows = 0
    serial = serial0
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(headers)
        per_grid = -(-households // len(layout))
        made = 0
        for grid_code, buildings in layout:
            for k in range(per_grid):
                if made >= households:
                    break
                made += 1
                building = buildings[k // PER_BUILDING]
                size = rng.choice((1, 2, 2, 3, 3, 3, 4))  # mean 2.57
                head = person_name(rng)
                door = f"{k % PER_BUILDING // 8 + 1}0{k % 8 + 1}"
                for i in range(size):
                    serial += 1
                    writer.writerow(
                        [
                            f"{prefix}{grid_code}-{k:04d}",
                            grid_code,
                            building,
                            "",
                            door,
                            head,
                            size,
                            "",
                            head if i == 0 else person_name(rng),
                            id_number(serial, rng),
                            mobile(rng) if i < 2 else "",
                            "户主" if i == 0 else rng.choice(("配偶", "子女", "父母")),
                            "户籍人口" if rng.random() < 0.85 else "流动人口",
                            "是" if rng.random() < 0.02 else "否",
                            "否",
                            "否",
                            "是" if rng.random() < 0.03 else "否",
                            "否",
                            "否",
                            "",
                        ]
                    )
                    rows += 1
    return rows


def child_fast(path: str) -> dict:
    django_setup()
    from django.contrib.auth import get_user_model

    from grids.roster import RosterImporter

    user = get_user_model().objects.get(username="bench")
    profiler = None
    if os.environ.get("BENCH_PROFILE"):
        import cProfile

        profiler = cProfile.Profile()
    started, cpu = time.perf_counter(), time.process_time()
    if profiler:
        profiler.enable()
    with open(path, "rb") as stream:
        result = RosterImporter(user).run_stream(stream, Path(path).name, dry_run=False)
    if profiler:
        profiler.disable()
        profiler.dump_stats(os.environ["BENCH_PROFILE"])
    elapsed = time.perf_counter() - started
    if not result.committed:
        return {"error": [str(e) for e in result.errors[:10]]}
    return {
        "rows": result.created + result.updated,
        "seconds": elapsed,
        "cpu_seconds": time.process_time() - cpu,
        "load": os.getloadavg()[0],
        "peak_mb": peak_mb(),
    }


def child_read(path: str) -> dict:
    """Only the reading: every line of the file through core.reading.read_table."""
    django_setup()
    from core.reading import read_table
    from grids.roster import RosterImporter

    started, cpu = time.perf_counter(), time.process_time()
    with open(path, "rb") as stream:
        lines = sum(
            1 for values, _ in read_table(stream, Path(path).name, RosterImporter.sheet_name)
        )
    return {
        "rows": lines - 1,
        "seconds": time.perf_counter() - started,
        "cpu_seconds": time.process_time() - cpu,
        "peak_mb": peak_mb(),
    }


def csv_to_xlsx(source: Path, target: Path) -> None:
    import csv

    import openpyxl

    from grids.roster import RosterImporter

    workbook = openpyxl.Workbook(write_only=True)
    sheet = workbook.create_sheet(RosterImporter.sheet_name)
    with source.open(encoding="utf-8-sig", newline="") as stream:
        for values in csv.reader(stream):
            sheet.append(values)
    workbook.save(target)


def child_baseline(path: str) -> dict:
    django_setup()
    import tablib
    from import_export import fields, resources, widgets

    from grids.models import Building, Grid, Household, Resident

    class HouseholdResource(resources.ModelResource):
        code = fields.Field(attribute="code", column_name="户编码")
        grid = fields.Field(
            attribute="grid", column_name="网格编码", widget=widgets.ForeignKeyWidget(Grid, "code")
        )
        building = fields.Field(
            attribute="building",
            column_name="楼栋编码",
            widget=widgets.ForeignKeyWidget(Building, "code"),
        )
        door_number = fields.Field(attribute="door_number", column_name="门牌号")
        head_name = fields.Field(attribute="head_name", column_name="户主姓名")
        size = fields.Field(attribute="size", column_name="户人数")

        class Meta:
            model = Household
            import_id_fields = ("code",)
            fields = ("code", "grid", "building", "door_number", "head_name", "size")

    class ResidentResource(resources.ModelResource):
        id_number = fields.Field(attribute="id_number", column_name="身份证号")
        household = fields.Field(
            attribute="household",
            column_name="户编码",
            widget=widgets.ForeignKeyWidget(Household, "code"),
        )
        name = fields.Field(attribute="name", column_name="姓名")
        phone = fields.Field(attribute="phone", column_name="电话")
        relation = fields.Field(attribute="relation", column_name="relation_value")
        resident_type = fields.Field(attribute="resident_type", column_name="type_value")

        class Meta:
            model = Resident
            import_id_fields = ("id_number",)
            fields = ("id_number", "household", "name", "phone", "relation", "resident_type")

    with open(path, encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    relation = {"户主": "head", "配偶": "spouse", "子女": "child", "父母": "parent"}
    kinds = {"户籍人口": "registered", "流动人口": "floating"}
    for row in rows:
        row["relation_value"] = relation[row["与户主关系"]]
        row["type_value"] = kinds[row["人员类型"]]
    seen, household_rows = set(), []
    for row in rows:
        if row["户编码"] not in seen:
            seen.add(row["户编码"])
            household_rows.append(row)
    headers = list(rows[0])
    started = time.perf_counter()
    r1 = HouseholdResource().import_data(
        tablib.Dataset(*[[r[h] for h in headers] for r in household_rows], headers=headers),
        dry_run=False,
        use_transactions=True,
    )
    r2 = ResidentResource().import_data(
        tablib.Dataset(*[[r[h] for h in headers] for r in rows], headers=headers),
        dry_run=False,
        use_transactions=True,
    )
    elapsed = time.perf_counter() - started
    if (
        r1.has_errors()
        or r2.has_errors()
        or r1.has_validation_errors()
        or r2.has_validation_errors()
    ):
        return {"error": "baseline import reported errors"}
    return {"rows": len(rows), "seconds": elapsed, "peak_mb": peak_mb()}


def run_child(mode: str, path: Path) -> dict:
    out = subprocess.run(
        [sys.executable, __file__, "--child", mode, str(path)],
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
    if out.returncode != 0:
        raise SystemExit(f"{mode} failed:\n{out.stderr[-3000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--households", type=int, default=None)
    parser.add_argument("--child", nargs=2)
    parser.add_argument(
        "--profile", metavar="FILE", help="导入进程的 cProfile 结果写到此文件（计时会变慢）"
    )
    parser.add_argument("--skip-baseline", action="store_true", help="不跑逐行基线（调优时用）")
    parser.add_argument(
        "--xlsx", action="store_true", help="另导入同样规模的 XLSX 花名册，与 CSV 比较每 CPU 秒行数"
    )
    args = parser.parse_args()
    if args.profile:
        os.environ["BENCH_PROFILE"] = str(Path(args.profile).resolve())
    os.environ["DATABASE_URL"] = os.environ.get("DATABASE_URL") or DEFAULT_URL
    if args.child:
        mode, path = args.child
        work = {"fast": child_fast, "read": child_read, "baseline": child_baseline}[mode]
        print(json.dumps(work(path)))
        return 0

    p = profile()
    if args.households:
        p["households"] = args.households
    print(f"数据库：{os.environ['DATABASE_URL'].rsplit('/', 1)[-1]}（重新创建）", flush=True)
    recreate_database(os.environ["DATABASE_URL"])
    django_setup()
    from django.core.management import call_command

    started = time.perf_counter()
    call_command("migrate", verbosity=0)
    print(f"迁移完成：{time.perf_counter() - started:.1f} s", flush=True)
    started = time.perf_counter()
    layout = build_places(p)
    print(
        f"街道 {p['streets']}、社区 {p['communities']}、网格 {len(layout)}、楼栋 {sum(len(b) for _, b in layout)}："
        f"{time.perf_counter() - started:.1f} s",
        flush=True,
    )
    rng = random.Random(210000)
    tmp = Path(tempfile.mkdtemp(prefix="gz_grids_bench_"))
    main_csv, sample_csv = tmp / "roster.csv", tmp / "sample.csv"
    started = time.perf_counter()
    rows = write_csv(main_csv, layout, p["households"], prefix="", serial0=0, rng=rng)
    print(
        f"花名册 CSV：户 {p['households']}，居民 {rows} 行，{main_csv.stat().st_size / 1e6:.0f} MB，"
        f"生成 {time.perf_counter() - started:.1f} s",
        flush=True,
    )
    sample_households = max(1, round(SAMPLE_ROWS / (rows / p["households"])))
    write_csv(sample_csv, layout[:50], sample_households, prefix="S", serial0=5_000_000, rng=rng)

    fast = run_child("fast", main_csv)
    if "error" in fast:
        print("快速导入失败：", fast["error"])
        return 1
    base = None if args.skip_baseline else run_child("baseline", sample_csv)
    if base and "error" in base:
        print("基线导入失败：", base["error"])
        return 1
    fast_rate = fast["rows"] / fast["seconds"]
    print(
        f"快速导入 RosterImporter：{fast['rows']} 行 / {fast['seconds']:.1f} s = {fast_rate:,.0f} 行/s，"
        f"峰值内存 {fast['peak_mb']:.0f} MB（目标 ≥ {TARGET_ROWS_PER_SECOND} 行/s、< {TARGET_PEAK_MB} MB）"
    )
    print(
        f"  其中导入进程 CPU {fast['cpu_seconds']:.1f} s（{fast['rows'] / fast['cpu_seconds']:,.0f} 行/CPU 秒，"
        f"不含数据库服务端），结束时系统负载 {fast['load']:.1f}（{os.cpu_count()} 核）"
    )
    if base:
        base_rate = base["rows"] / base["seconds"]
        print(
            f"基线 django-import-export 逐行：{base['rows']} 行 / {base['seconds']:.1f} s = {base_rate:,.0f} 行/s，"
            f"峰值内存 {base['peak_mb']:.0f} MB；快速导入为其 {fast_rate / base_rate:.0f} 倍"
        )
    read = run_child("read", main_csv)
    print(
        f"  其中读取（core.reading，CSV）：CPU {read['cpu_seconds']:.2f} s，"
        f"占导入进程 CPU 的 {read['cpu_seconds'] / fast['cpu_seconds']:.0%}"
    )
    cleanup = [main_csv, sample_csv]
    if args.xlsx:
        # Other households (prefix X), the same size, as XLSX: the XLSX path beside the CSV one.
        x_csv, x_xlsx = tmp / "x.csv", tmp / "roster.xlsx"
        write_csv(x_csv, layout, p["households"], prefix="X", serial0=8_000_000, rng=rng)
        csv_to_xlsx(x_csv, x_xlsx)
        cleanup += [x_csv, x_xlsx]
        xfast, xread = run_child("fast", x_xlsx), run_child("read", x_xlsx)
        if "error" in xfast:
            print("XLSX 导入失败：", xfast["error"])
            return 1
        print(
            f"XLSX 花名册 {x_xlsx.stat().st_size / 1e6:.1f} MB：{xfast['rows']} 行 / "
            f"{xfast['seconds']:.1f} s = {xfast['rows'] / xfast['seconds']:,.0f} 行/s，"
            f"导入进程 CPU {xfast['cpu_seconds']:.1f} s（{xfast['rows'] / xfast['cpu_seconds']:,.0f} "
            f"行/CPU 秒，CSV 为 {fast['rows'] / fast['cpu_seconds']:,.0f}），峰值内存 "
            f"{xfast['peak_mb']:.0f} MB；其中读取 CPU {xread['cpu_seconds']:.2f} s"
            f"（{xread['cpu_seconds'] / xfast['cpu_seconds']:.0%}），负载 {xfast['load']:.1f}"
        )
    for path in cleanup:
        path.unlink()
    tmp.rmdir()
    ok = fast_rate >= TARGET_ROWS_PER_SECOND and fast["peak_mb"] < TARGET_PEAK_MB
    print("结论：" + ("达到目标" if ok else "未达到目标"))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
