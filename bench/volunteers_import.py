"""Benchmark: a 50,000-volunteer roster (the seeds count 50,511 in one district) imported with
VolunteerImporter, beside a plain row-by-row django-import-export ModelResource baseline.

A fresh test database is created from DATABASE_URL (the named database itself is not
touched); each importer runs in its own child process so that its peak memory (max RSS) is
its own. Both validate every row and write the change history (django-simple-history).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/gz_bench_vol .venv/bin/python bench/volunteers_import.py
    [--rows 50000] [--baseline-rows 5000]
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
TARGET_ROWS_PER_SECOND = 2000
COMMUNITIES = 34  # Zhangwan: 34 community committees
HEADER = [
    "志愿者编号",
    "姓名",
    "身份证号",
    "联系电话",
    "服务社区编码",
    "技能",
    "可服务时间",
    "注册日期",
]
SKILLS = [
    ("medical", "医疗护理"),
    ("legal", "法律咨询"),
    ("repair", "水电维修"),
    ("arts", "文艺演出"),
]
AVAILABILITY = ["周末", "工作日晚间", "工作日白天、周末", "随叫随到（应急）"]


def id_number(k: int) -> str:
    from datetime import date, timedelta

    from core.validators import id_number_check_char

    born = date(1950, 1, 1) + timedelta(days=k // 1000)
    first17 = f"420303{born:%Y%m%d}{k % 1000:03d}"
    return first17 + id_number_check_char(first17)


def rows(start: int, count: int, prefix: str) -> list[list[str]]:
    out = []
    for k in range(start, start + count):
        community = f"ZW-S-C{k % COMMUNITIES + 1:02d}"
        out.append(
            [
                f"{prefix}{k:06d}",
                f"志愿者{k}",
                id_number(k),
                f"13{k % 10}{k:08d}"[:11],
                community,
                "、".join(name for _, name in SKILLS[: k % 3]),
                AVAILABILITY[k % len(AVAILABILITY)],
                "2023-03-05",
            ]
        )
    return out


def csv_bytes(table: list[list[str]]) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(HEADER)
    writer.writerows(table)
    return buffer.getvalue().encode("utf-8")


def cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


# ---------------------------------------------------------------- child phases


def phase_setup() -> dict:
    from django.contrib.auth import get_user_model

    from organizations.models import Organization
    from organizations.tree import load_nodes
    from volunteers.models import Skill

    nodes = [Organization(code="ZW", name="张湾区委组织部", kind="district_committee")]
    parents = {"ZW": None}
    nodes.append(Organization(code="ZW-S", name="车城路街道党工委", kind="street_committee"))
    parents["ZW-S"] = "ZW"
    for i in range(1, COMMUNITIES + 1):
        code = f"ZW-S-C{i:02d}"
        nodes.append(Organization(code=code, name=f"第{i}社区大党委", kind="community_committee"))
        parents[code] = "ZW-S"
    load_nodes(nodes, [], parents, update_fields=[])
    Skill.objects.bulk_create([Skill(code=c, name=n) for c, n in SKILLS])
    get_user_model().objects.create(username="bench", is_superuser=True, is_staff=True)
    return {}


def phase_fast(count: int) -> dict:
    from django.contrib.auth import get_user_model

    from volunteers.importers import VolunteerImporter
    from volunteers.models import Volunteer

    user = get_user_model().objects.get(username="bench")
    data = csv_bytes(rows(0, count, "ZW-V"))
    before = peak_mb()
    started, cpu = time.perf_counter(), cpu_seconds()
    result = VolunteerImporter(user).run(data, "roster.csv", dry_run=False)
    elapsed, cpu = time.perf_counter() - started, cpu_seconds() - cpu
    assert result.committed, [str(e) for e in result.errors[:5]]
    assert Volunteer.objects.filter(number__startswith="ZW-V").count() == count
    history = Volunteer.history.filter(number__startswith="ZW-V").count()
    links = Volunteer.skills.through.objects.count()
    return {
        "rows": count,
        "seconds": elapsed,
        "cpu": cpu,
        "peak_mb": peak_mb(),
        "rss_before_mb": before,
        "history": history,
        "skill_links": links,
        "file_mb": len(data) / 1024 / 1024,
    }


def phase_baseline(count: int) -> dict:
    import tablib
    from django.contrib.auth import get_user_model
    from import_export import fields, resources, widgets

    from organizations.models import Organization
    from volunteers.importers import parse_availability
    from volunteers.models import Skill, Volunteer

    class AvailabilityWidget(widgets.Widget):
        def clean(self, value, row=None, **kwargs):
            return parse_availability(value or "")

    class VolunteerResource(resources.ModelResource):
        """The plain django-import-export way: one instance, full_clean and save per row."""

        number = fields.Field("number", "志愿者编号")
        name = fields.Field("name", "姓名")
        id_number = fields.Field("id_number", "身份证号")
        phone = fields.Field("phone", "联系电话")
        community = fields.Field(
            "community", "服务社区编码", widget=widgets.ForeignKeyWidget(Organization, "code")
        )
        skills = fields.Field(
            "skills", "技能", widget=widgets.ManyToManyWidget(Skill, separator="、", field="name")
        )
        availability = fields.Field("availability", "可服务时间", widget=AvailabilityWidget())
        registered_on = fields.Field("registered_on", "注册日期", widget=widgets.DateWidget())

        class Meta:
            model = Volunteer
            import_id_fields = ("number",)
            fields = (
                "number",
                "name",
                "id_number",
                "phone",
                "community",
                "skills",
                "availability",
                "registered_on",
            )
            use_bulk = False
            skip_unchanged = True
            clean_model_instances = True

    get_user_model().objects.get(username="bench")
    dataset = tablib.Dataset(headers=HEADER)
    for row in rows(100_000, count, "ZW-B"):
        dataset.append(row)
    before = peak_mb()
    started, cpu = time.perf_counter(), cpu_seconds()
    result = VolunteerResource().import_data(dataset, dry_run=False, use_transactions=True)
    elapsed, cpu = time.perf_counter() - started, cpu_seconds() - cpu
    assert not result.has_errors() and not result.has_validation_errors(), (
        result.invalid_rows[:3] if result.invalid_rows else result.row_errors()[:3]
    )
    assert Volunteer.objects.filter(number__startswith="ZW-B").count() == count
    return {
        "rows": count,
        "seconds": elapsed,
        "cpu": cpu,
        "peak_mb": peak_mb(),
        "rss_before_mb": before,
    }


def child(phase: str, count: int) -> None:
    import django

    django.setup()
    result = {"setup": phase_setup, "fast": phase_fast, "baseline": phase_baseline}[phase](
        *([] if phase == "setup" else [count])
    )
    print("RESULT " + json.dumps(result))


def run_child(phase: str, count: int, database_url: str) -> dict:
    env = {**os.environ, "DATABASE_URL": database_url, "DB_CONN_MAX_AGE": "0"}
    done = subprocess.run(
        [sys.executable, __file__, "--phase", phase, "--rows", str(count)],
        env=env,
        capture_output=True,
        text=True,
    )
    if done.returncode != 0:
        raise SystemExit(f"{phase} 失败：\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}")
    line = [x for x in done.stdout.splitlines() if x.startswith("RESULT ")][-1]
    return json.loads(line[len("RESULT ") :])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=50_000)
    parser.add_argument("--baseline-rows", type=int, default=5_000)
    parser.add_argument("--phase", choices=["setup", "fast", "baseline"])
    args = parser.parse_args()
    if args.phase:
        child(args.phase, args.rows)
        return 0

    import django

    django.setup()
    from django.conf import settings
    from django.db import connection
    from django.test.utils import setup_test_environment

    if connection.vendor != "postgresql":
        print("注意：DATABASE_URL 未指向 PostgreSQL，以下数字来自", connection.vendor)
    setup_test_environment(debug=False)
    old_name = connection.creation.create_test_db(verbosity=0)
    test_db = settings.DATABASES["default"]["NAME"]
    url = os.environ.get("DATABASE_URL", "")
    child_url = url.rsplit("/", 1)[0] + "/" + test_db if url else ""
    connection.close()
    try:
        run_child("setup", 0, child_url)
        fast = run_child("fast", args.rows, child_url)
        base = run_child("baseline", args.baseline_rows, child_url)
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)
    fast_rate = fast["rows"] / fast["seconds"]
    base_rate = base["rows"] / base["seconds"]
    verdict = "达标" if fast_rate >= TARGET_ROWS_PER_SECOND else "未达标"
    print(f"数据库：{connection.vendor}（临时库 {test_db}），{COMMUNITIES} 个社区")
    print(
        f"VolunteerImporter（批量，含校验、身份证查重、技能、变更历史）：{fast['rows']} 行，"
        f"CSV {fast['file_mb']:.1f} MB，{fast['seconds']:.1f} s，{fast_rate:.0f} 行/秒"
        f"（目标 ≥ {TARGET_ROWS_PER_SECOND}：{verdict}），峰值内存 {fast['peak_mb']:.0f} MB"
        f"（导入前 {fast['rss_before_mb']:.0f} MB），历史记录 {fast['history']} 条，"
        f"技能关联 {fast['skill_links']} 条"
    )
    print(
        f"基线 django-import-export ModelResource（逐行 full_clean + save）：{base['rows']} 行，"
        f"{base['seconds']:.1f} s，{base_rate:.0f} 行/秒，峰值内存 {base['peak_mb']:.0f} MB"
        f"（导入前 {base['rss_before_mb']:.0f} MB）"
    )
    print(f"倍数：{fast_rate / base_rate:.1f} 倍")
    # On a shared machine wall time depends on the load; the importer's own CPU time does not
    # (the PostgreSQL server's work is not included in it).
    print(
        f"每 CPU 秒（导入进程自身）：VolunteerImporter {fast['rows'] / fast['cpu']:.0f} 行，"
        f"基线 {base['rows'] / base['cpu']:.0f} 行；负载 {os.getloadavg()[0]:.1f}（{os.cpu_count()} 核）"
    )
    return 0 if fast_rate >= TARGET_ROWS_PER_SECOND else 1


if __name__ == "__main__":
    sys.exit(main())
