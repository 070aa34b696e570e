"""Benchmark: the per-street activity table and the inactive-unit list at Tiedong scale.

14 streets × 6 communities (84, as in the Tiedong profile), ≈90 partner units per street, each
with an agreement, a claimed project, five years of monthly liaison logs and monthly activities
(60% hand-out visits; half the units went quiet four months ago). Built in a fresh test database
created from DATABASE_URL (the named database itself is not touched), then as a street admin:
the selector, the admin page and the API endpoint of the activity table and of the inactive
list, and the district's per-street summary; each with its query count and time.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/gz_bench_cov .venv/bin/python bench/covenants_activity.py
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sys
import time
from datetime import date, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
DEFAULT_PROFILES = ROOT.parent / "shared" / "data" / "district_profiles.json"
ON = date(2026, 11, 20)
YEARS = 5
MAX_QUERIES = 15  # session, user, permissions, scope and the report's own few; never per unit


def month_add(day: date, months: int) -> date:
    from covenants.selectors import months_before

    return months_before(day, -months)


def build(profile: dict, units_per_street: int, rng: random.Random) -> dict:
    from django.contrib.auth import get_user_model

    from core.roles import STREET_ADMIN, setup_roles
    from core.validators import credit_code_check_char
    from covenants.models import (
        ActivityRecord,
        Agreement,
        LiaisonLog,
        PartnerUnit,
        ServiceProject,
        UnitPartnership,
    )
    from organizations.models import Organization, ScopeAssignment

    streets_n = profile["streets"]
    per_street = max(1, profile["communities"] // streets_n)
    district = Organization.objects.create(code="TD", name="铁东区", kind="district_committee")
    streets, communities = [], {}
    for s in range(1, streets_n + 1):
        street = Organization.objects.create(
            code=f"TD-S{s:02d}", name=f"第{s}街道党工委", kind="street_committee", parent=district
        )
        streets.append(street)
        communities[street.code] = [
            Organization.objects.create(
                code=f"{street.code}-C{c}",
                name=f"第{s}街道第{c}社区大党委",
                kind="community_committee",
                parent=street,
            )
            for c in range(1, per_street + 1)
        ]
    Organization.objects.rebuild()
    streets = list(Organization.objects.filter(kind="street_committee").order_by("code"))
    start = month_add(ON, -12 * YEARS)
    units, partnerships, agreements = [], [], []
    seq = 0
    for street in streets:
        for u in range(units_per_street):
            seq += 1
            first17 = f"91210302MA{seq:07d}"
            units.append(
                PartnerUnit(
                    code=f"{street.code}-U{u:03d}",
                    name=f"{street.name}驻区单位{u}",
                    kind=rng.choice(
                        ["agency", "school", "hospital", "state_enterprise", "social_org"]
                    ),
                    credit_code=first17 + credit_code_check_char(first17),
                    organization=street,
                    liaison_name="联络员",
                    liaison_phone="13900000000",
                )
            )
    PartnerUnit.objects.bulk_create(units, batch_size=2000)
    units = list(PartnerUnit.objects.select_related("organization").order_by("code"))
    for unit in units:
        community = rng.choice(communities[unit.organization.code])
        partnerships.append(UnitPartnership(unit=unit, organization=community))
        agreements.append(
            Agreement(
                code=f"XY-{unit.code}",
                party_a=community,
                unit=unit,
                starts_on=start,
                ends_on=date(ON.year + 1, 12, 31),
                status="signed",
                signed_on=start,
                party_a_signatory="书记",
                party_b_signatory="负责人",
            )
        )
        unit.bench_community = community
    UnitPartnership.objects.bulk_create(partnerships, batch_size=2000)
    Agreement.objects.bulk_create(agreements, batch_size=2000)
    by_code = {a.code: a for a in Agreement.objects.all()}
    ServiceProject.objects.bulk_create(
        [
            ServiceProject(
                code=f"XM-{unit.code}",
                agreement=by_code[f"XY-{unit.code}"],
                title="结对帮扶",
                category="livelihood",
            )
            for unit in units
        ],
        batch_size=2000,
    )
    projects = {p.agreement.unit_id: p for p in ServiceProject.objects.select_related("agreement")}
    activities, logs = [], []
    for i, unit in enumerate(units):
        quiet = i % 2 == 1
        last = month_add(ON, -4) if quiet else ON
        day, n = start + timedelta(days=rng.randint(0, 25)), 0
        while day <= last:
            n += 1
            activities.append(
                ActivityRecord(
                    code=f"{projects[unit.pk].code}-A{n:04d}",
                    project=projects[unit.pk],
                    date=day,
                    kind="handout_visit" if rng.random() < 0.6 else "volunteer_service",
                    title="活动",
                    residents_served=rng.randint(5, 80),
                )
            )
            logs.append(
                LiaisonLog(
                    unit=unit,
                    organization=unit.bench_community,
                    date=day - timedelta(days=rng.randint(0, 5)),
                    mode="phone",
                    content="月度联系会商",
                )
            )
            day = month_add(day, 1)
    ActivityRecord.objects.bulk_create(activities, batch_size=5000)
    LiaisonLog.objects.bulk_create(logs, batch_size=5000)
    setup_roles()
    User = get_user_model()
    from django.contrib.auth.models import Group

    street_user = User.objects.create(username="bench-street", is_staff=True)
    street_user.groups.add(Group.objects.get(name=STREET_ADMIN))
    ScopeAssignment.objects.create(user=street_user, organization=streets[0])
    district_user = User.objects.create(username="bench-district", is_staff=True)
    district_user.groups.add(Group.objects.get(name=STREET_ADMIN))
    ScopeAssignment.objects.create(user=district_user, organization=district)
    return {
        "street": streets[0],
        "street_user": street_user,
        "district_user": district_user,
        "units": len(units),
        "activities": len(activities),
        "logs": len(logs),
    }


def measure(label: str, func, results: list) -> object:
    from django.db import connection, reset_queries
    from django.test.utils import CaptureQueriesContext

    reset_queries()
    with CaptureQueriesContext(connection) as ctx:
        started = time.perf_counter()
        value = func()
        elapsed = time.perf_counter() - started
    results.append((label, len(ctx.captured_queries), elapsed))
    print(f"  {label}: {len(ctx.captured_queries)} 次查询，{elapsed * 1000:.0f} ms", flush=True)
    return value


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--profiles", default=str(DEFAULT_PROFILES))
    parser.add_argument("--profile", default="tiedong")
    parser.add_argument("--units-per-street", type=int, default=90)
    args = parser.parse_args()

    import django

    django.setup()
    from django.conf import settings
    from django.db import connection
    from django.test import Client
    from django.test.utils import setup_test_environment

    profile = json.loads(Path(args.profiles).read_text(encoding="utf-8"))["profiles"][args.profile]
    if connection.vendor != "postgresql":
        print("注意：DATABASE_URL 未指向 PostgreSQL，以下数字来自", connection.vendor)
    setup_test_environment(debug=False)
    old_name = connection.creation.create_test_db(verbosity=0)
    failures = []
    try:
        from covenants.selectors import inactive_units, street_activity_summary, unit_activity_table

        started = time.perf_counter()
        data = build(profile, args.units_per_street, random.Random(5))
        print(
            f"造数：{profile['streets']} 个街道、{profile['communities']} 个社区、{data['units']} 个单位、"
            f"{data['activities']} 次活动、{data['logs']} 条联络记录（{YEARS} 年），"
            f"用时 {time.perf_counter() - started:.1f} s",
            flush=True,
        )
        with connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                cursor.execute("ANALYZE")
        street, user = data["street"], data["street_user"]
        results: list = []
        print(f"街道“{street.name}”（管辖范围内单位 {args.units_per_street} 个）：")
        table = measure(
            "活动情况表（selector）",
            lambda: unit_activity_table(user, organization=street, year=ON.year, on=ON),
            results,
        )
        rows = measure("不活跃单位（selector）", lambda: inactive_units(user, on=ON), results)
        print(
            f"    行数 {len(table.rows)}，活动 {table.activities} 次，走访慰问占比 "
            f"{table.handout_share:.0%}，不活跃 {len(rows)} 个"
        )
        client = Client()
        client.force_login(user)
        client.get("/admin/covenants/partnerunit/activity-table/")  # warm caches (templates)
        for label, url in (
            (
                "活动情况表（管理后台页面）",
                f"/admin/covenants/partnerunit/activity-table/?year={ON.year}&on={ON}",
            ),
            ("不活跃单位（管理后台页面）", f"/admin/covenants/partnerunit/inactive/?on={ON}"),
            ("活动情况表（API）", f"/api/v1/partner-units/activity-table/?year={ON.year}&on={ON}"),
            ("不活跃单位（API）", f"/api/v1/partner-units/inactive/?on={ON}"),
        ):
            response = measure(label, lambda url=url: client.get(url), results)
            if response.status_code != 200:
                failures.append(f"{label} 返回 {response.status_code}")
        district = data["district_user"]
        summary = measure(
            "各街道汇总（全区，selector）",
            lambda: street_activity_summary(district, year=ON.year),
            results,
        )
        district_table = measure(
            f"活动情况表（全区 {data['units']} 个单位，selector）",
            lambda: unit_activity_table(district, year=ON.year, on=ON),
            results,
        )
        print(
            f"    全区 {len(summary)} 个街道，{len(district_table.rows)} 个单位，不活跃 "
            f"{district_table.inactive_count} 个"
        )
        for label, queries, _ in results:
            if queries > MAX_QUERIES:
                failures.append(f"{label} 用了 {queries} 次查询（上限 {MAX_QUERIES}）")
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)
    print(f"数据库：{connection.vendor} {settings.DATABASES['default']['NAME']}")
    for failure in failures:
        print("未达标：" + failure)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
