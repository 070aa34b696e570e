"""Benchmark: the daily overdue digest for a Tiedong-scale street office's data, on PostgreSQL.

Sizes from ``../shared/data/district_profiles.json`` (profile ``tiedong``: 14 streets, 84
communities, 333 compound branches, 2,357 building groups = 2,789 nodes ≈ 2,800; 1,007 grids;
210,000 households), plus 10,000 open cases (40 % past their deadline, 1,500 department
whistles of which half not acknowledged in time), 2,000 open tasks (half overdue), 600 partner
units with a partnership each and liaison logs for two thirds of them, 300 signed agreements
(a tenth ending within 30 days) and four meeting series per community (half of the last closed
periods held). One user per node (2,789 users, each with an e-mail address).

Creates (drops first) the scratch database named by ``--database`` (default gz_bench_digest)
on the server of DATABASE_URL, migrates it, builds the data, then calls
``governance.digest.digest_run()`` in-process twice the same day and prints for each the wall
time, this process's CPU seconds and the load average (on a shared machine the wall time
follows the load), what it created, and checks that the second run created nothing.
Target: first run < 10 s.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres .venv/bin/python bench/digest.py
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))
TARGET_SECONDS = 10.0

from reminders import recreate_database, scratch_url  # noqa: E402


def profile() -> dict:
    path = ROOT.parent / "shared" / "data" / "district_profiles.json"
    if not path.exists():
        path = Path("/work/shared/data/district_profiles.json")
    return json.loads(path.read_text())["profiles"]["tiedong"]


def build(p: dict, open_cases: int) -> dict:
    from django.contrib.auth import get_user_model
    from django.contrib.auth.hashers import make_password
    from django.contrib.contenttypes.models import ContentType
    from django.utils import timezone

    from covenants.models import Agreement, LiaisonLog, PartnerUnit, UnitPartnership
    from governance.cadence import last_closed_period, shanghai_today
    from governance.models import Meeting, MeetingSeries, Task
    from grids.models import Case, Grid, Household
    from organizations.models import Organization, ScopeAssignment
    from organizations.tree import load_nodes

    today = shanghai_today()
    now = timezone.now()
    nodes = [("TD", "鞍山市铁东区委", "district_committee", None)]
    streets = [f"TD-S{i:02d}" for i in range(p["streets"])]
    nodes += [(s, f"{s} 街道党工委", "street_committee", "TD") for s in streets]
    communities = [f"{streets[i % len(streets)]}-C{i:02d}" for i in range(p["communities"])]
    nodes += [
        (c, f"{c} 社区大党委", "community_committee", c.rsplit("-", 1)[0]) for c in communities
    ]
    branches = [
        f"{communities[i % len(communities)]}-B{i:03d}" for i in range(p["compound_branches"])
    ]
    nodes += [(b, f"{b} 小区党支部", "compound_branch", b.rsplit("-", 1)[0]) for b in branches]
    groups = [f"{branches[i % len(branches)]}-G{i:04d}" for i in range(p["building_groups"])]
    nodes += [(g, f"{g} 楼栋党小组", "building_group", g.rsplit("-", 1)[0]) for g in groups]
    load_nodes(
        [Organization(code=c, name=n, kind=k) for c, n, k, _ in nodes],
        [],
        {c: parent for c, _, _, parent in nodes},
        update_fields=[],
    )
    orgs = dict(Organization.objects.values_list("code", "id"))
    community_ids = [orgs[c] for c in communities]
    User = get_user_model()
    password = make_password("bench-only-password")
    codes = [c for c, *_ in nodes]
    User.objects.bulk_create(
        [
            User(
                username=f"u-{c}",
                email=f"{c.lower()}@bench.local",
                is_staff=True,
                password=password,
            )
            for c in codes
        ],
        batch_size=5000,
    )
    users = dict(User.objects.values_list("username", "id"))
    ScopeAssignment.objects.bulk_create(
        [ScopeAssignment(user_id=users[f"u-{c}"], organization_id=orgs[c]) for c in codes],
        batch_size=5000,
    )

    # Grids (each its own tree, as the roster import makes them) and 210,000 households.
    Grid.objects.bulk_create(
        [
            Grid(
                code=f"TD-W{i:04d}",
                name=f"第{i}网格",
                level="grid",
                community_id=community_ids[i % len(community_ids)],
                tree_id=i + 1,
                lft=1,
                rght=2,
                depth=0,
            )  # fmt: skip
            for i in range(p["grids"])
        ],
        batch_size=5000,
    )
    grid_ids = list(Grid.objects.order_by("id").values_list("id", flat=True))
    grid_community = dict(Grid.objects.values_list("id", "community_id"))
    for start in range(0, p["households"], 20000):
        Household.objects.bulk_create(
            [
                Household(
                    code=f"TD-H{i:06d}",
                    door_number=f"{i % 600 + 101}",
                    grid_id=grid_ids[i % len(grid_ids)],
                    head_name="户主",
                )  # fmt: skip
                for i in range(start, min(start + 20000, p["households"]))
            ],
            batch_size=5000,
        )

    # 10,000 open cases: 40 % past their deadline; 1,500 whistles, half unacknowledged and late.
    cases = []
    for i in range(open_cases):
        grid = grid_ids[i % len(grid_ids)]
        whistle = i % 20 < 3
        cases.append(
            Case(
                tracking_code=f"BD{i:07d}",
                source="patrol",
                category="environment",
                description=f"楼道堆物 {i}",
                reporter_name="张三",
                reporter_phone="13800000000",
                community_id=grid_community[grid],
                grid_id=grid,
                status="dispatched" if whistle else ("accepted" if i % 2 else "reported"),
                reported_at=now - timedelta(days=5),
                due_at=now - timedelta(hours=1 + i % 48) if i % 5 < 2 else now + timedelta(days=2),
                dispatch_kind="department" if whistle else "",
                target_label="区城管执法局" if whistle else "",
                ack_due_at=(now - timedelta(hours=2) if i % 2 else now + timedelta(hours=20))
                if whistle
                else None,
            )
        )
    Case.objects.bulk_create(cases, batch_size=5000)

    org_type = ContentType.objects.get_for_model(Organization)
    Task.objects.bulk_create(
        [
            Task(
                code=f"BT{i:05d}",
                title=f"派单 {i}",
                organization_id=orgs[streets[i % len(streets)]],
                assigned_by_id=users[f"u-{streets[i % len(streets)]}"],
                assignee_type=org_type,
                assignee_id=community_ids[i % len(community_ids)],
                assignee_label=communities[i % len(communities)],
                assignee_organization_id=community_ids[i % len(community_ids)],
                deadline=today + timedelta(days=(i % 10) - 5),
            )
            for i in range(2000)
        ],
        batch_size=2000,
    )
    from core.validators import credit_code_check_char

    units = []
    for i in range(600):
        first17 = f"91210302{i + 1:09d}"
        units.append(
            PartnerUnit(
                code=f"BU{i:04d}",
                name=f"共建单位{i}",
                credit_code=first17 + credit_code_check_char(first17),
                kind="state_enterprise",
                organization_id=orgs[streets[i % len(streets)]],
            )  # fmt: skip
        )
    PartnerUnit.objects.bulk_create(units, batch_size=2000)
    unit_ids = list(PartnerUnit.objects.order_by("id").values_list("id", flat=True))
    UnitPartnership.objects.bulk_create(
        [
            UnitPartnership(unit_id=u, organization_id=community_ids[i % len(community_ids)])
            for i, u in enumerate(unit_ids)
        ]
    )
    LiaisonLog.objects.bulk_create(
        [
            LiaisonLog(
                unit_id=u,
                organization_id=community_ids[i % len(community_ids)],
                date=today - timedelta(days=i % 20),
                mode="phone",
                content="月度联系",
            )  # fmt: skip
            for i, u in enumerate(unit_ids)
            if i % 3
        ]
    )
    Agreement.objects.bulk_create(
        [
            Agreement(
                code=f"BA{i:04d}",
                party_a_id=community_ids[i % len(community_ids)],
                unit_id=unit_ids[i],
                status="signed",
                starts_on=today - timedelta(days=300),
                ends_on=today + timedelta(days=10 if i % 10 == 0 else 200),
            )  # fmt: skip
            for i in range(300)
        ]
    )
    series = []
    for c in communities:
        for k, cadence in enumerate(("weekly", "monthly", "quarterly", "yearly")):
            series.append(
                MeetingSeries(
                    code=f"{c}-M{k}",
                    name=f"联席会议 {k}",
                    kind="custom",
                    body_id=orgs[c],
                    cadence=cadence,
                    starts_on=today - timedelta(days=800),
                    convenor_id=users[f"u-{c}"],
                )  # fmt: skip
            )
    MeetingSeries.objects.bulk_create(series)
    meetings = []
    for index, s in enumerate(MeetingSeries.objects.order_by("id")):
        closed = last_closed_period(s.cadence, today, s.due_within_days)
        if index % 2 == 0:
            meetings.append(
                Meeting(
                    code=f"{s.code}-{closed.start:%Y%m%d}",
                    series_id=s.pk,
                    period_start=closed.start,
                    period_end=closed.end,
                    title=f"{s.name} {closed.label}",
                    planned_on=closed.start,
                    status="held",
                    held_on=closed.start,
                )  # fmt: skip
            )
    Meeting.objects.bulk_create(meetings)
    return {
        "nodes": len(nodes),
        "users": len(codes),
        "grids": p["grids"],
        "households": Household.objects.count(),
        "open_cases": len(cases),
        "tasks": 2000,
        "units": len(unit_ids),
        "agreements": 300,
        "series": len(series),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", default="gz_bench_digest")
    parser.add_argument("--cases", type=int, default=10000)
    parser.add_argument("--keep", action="store_true", help="keep the scratch database")
    args = parser.parse_args()
    base = os.environ.get("DATABASE_URL", "")
    if not base.startswith("postgres"):
        sys.exit("DATABASE_URL must name a PostgreSQL server (the scratch database goes there)")
    recreate_database(base, args.database)
    os.environ["DATABASE_URL"] = scratch_url(base, args.database)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    os.environ.setdefault("APP_ENV", "test")
    os.environ.pop("REDIS_URL", None)
    os.environ.pop("CELERY_BROKER_URL", None)
    import django

    django.setup()
    from django.core.management import call_command

    started = time.perf_counter()
    call_command("migrate", verbosity=0)
    built = time.perf_counter()
    sizes = build(profile(), args.cases)
    print(f"migrate {built - started:.1f} s, build {time.perf_counter() - built:.1f} s: {sizes}")
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")

    from governance.digest import digest_run
    from governance.models import Notification

    runs = []
    for label in ("first", "second"):
        cpu = time.process_time()
        wall = time.perf_counter()
        result = digest_run()
        wall = time.perf_counter() - wall
        cpu = time.process_time() - cpu
        load = os.getloadavg()
        runs.append((label, wall, cpu, load, result))
        print(
            f"{label} run: {wall:.2f} s wall, {cpu:.2f} s CPU (this process), "
            f"load {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}; created {result.created}, "
            f"already stored {result.already_stored}"
        )
    total = Notification.objects.count()
    queued = Notification.objects.filter(email_status="queued").count()
    sample = Notification.objects.order_by("organization__level", "id").first()
    print(f"digests stored: {total} ({queued} e-mails queued)")
    if sample is not None:
        print(f"largest scope's title: {sample.title}")
        print(f"its body: {len(sample.body)} characters, {sample.body.count(chr(10))} lines")
    ok = runs[0][1] < TARGET_SECONDS and runs[1][4].created == 0
    print(
        f"target first run < {TARGET_SECONDS:.0f} s and second creates nothing: {'met' if ok else 'NOT met'}"
    )
    if not args.keep:
        connection.close()
        recreate_database(base, args.database)


if __name__ == "__main__":
    main()
