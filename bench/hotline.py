"""Benchmark: 接诉即办 figures for a month of 50,000 cases (Tiedong-sized tree), on PostgreSQL.

Creates (drops first) the scratch database ``--database`` (default gz_bench_hotline) on the server
of DATABASE_URL, migrates it, builds the Tiedong tree and grids (``bench/digest.py``'s builder,
with no open-case backlog), then 50,000 cases reported this month (Asia/Shanghai) in every
state — accepted in time or late, department whistles acknowledged in time or not, resolved,
rated 1–5, some reopened — and times ``governance.hotline.hotline_figures`` for each level
(grid, community, department, street) as the district user, three times each, printing wall
time, CPU seconds, the query count and the load average. Target: < 2 s per level.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres .venv/bin/python bench/hotline.py
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))
TARGET_SECONDS = 2.0

from digest import build, profile  # noqa: E402
from reminders import recreate_database, scratch_url  # noqa: E402


def month_of_cases(count: int) -> None:
    from governance.cadence import shanghai_today
    from governance.hotline import month_bounds
    from grids.models import Case, Grid

    start, _ = month_bounds(shanghai_today().replace(day=1))
    grids = list(Grid.objects.values_list("id", "community_id"))
    labels = ["区城管执法局", "区住建局", "区市场监管局", "区水务局"]
    batch = []
    for i in range(count):
        grid, community = grids[i % len(grids)]
        reported = start + timedelta(minutes=i % (27 * 24 * 60))
        whistle = i % 10 < 3
        status = ("reported", "accepted", "dispatched", "resolved", "evaluated")[i % 5]
        batch.append(
            Case(
                tracking_code=f"HM{i:07d}",
                source="portal",
                category="environment",
                description="月度样本",
                reporter_name="李四",
                reporter_phone="13900000000",
                community_id=community,
                grid_id=grid,
                status=status,
                reported_at=reported,
                due_at=reported + timedelta(days=3),
                accepted_at=None if status == "reported" else reported + timedelta(hours=i % 40),
                dispatch_kind="department" if whistle else "",
                target_label=labels[i % 4] if whistle else "",
                ack_due_at=reported + timedelta(hours=24) if whistle else None,
                acknowledged_at=reported + timedelta(hours=i % 36) if whistle and i % 3 else None,
                satisfaction=(i % 5) + 1 if status == "evaluated" else None,
                reopen_count=1 if i % 17 == 0 else 0,
            )
        )
        if len(batch) == 10000:
            Case.objects.bulk_create(batch)
            batch = []
    Case.objects.bulk_create(batch)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", default="gz_bench_hotline")
    parser.add_argument("--cases", type=int, default=50000)
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
    from django.contrib.auth import get_user_model
    from django.core.management import call_command
    from django.db import connection, reset_queries
    from django.test.utils import CaptureQueriesContext

    from governance.cadence import shanghai_today
    from governance.hotline import LEVELS, hotline_figures

    call_command("migrate", verbosity=0)
    sizes = build(profile(), 0)
    month_of_cases(args.cases)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    print(f"built: {sizes}, cases this month: {args.cases}")
    user = get_user_model().objects.get(username="u-TD")
    month = shanghai_today().replace(day=1)
    hotline_figures(user, month, "street")  # the user's scope, read once
    worst = 0.0
    for level in LEVELS:
        for attempt in range(3):
            reset_queries()
            cpu, wall = time.process_time(), time.perf_counter()
            with CaptureQueriesContext(connection) as ctx:
                rows = hotline_figures(user, month, level)
            wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
            worst = max(worst, wall)
            load = os.getloadavg()
            print(
                f"{level:10s} #{attempt + 1}: {wall:.3f} s wall, {cpu:.3f} s CPU, "
                f"{len(ctx.captured_queries)} queries, {len(rows)} rows, "
                f"{sum(r.cases for r in rows)} cases; load {load[0]:.2f}"
            )
    print(
        f"target < {TARGET_SECONDS:.0f} s per level: {'met' if worst < TARGET_SECONDS else 'NOT met'} (worst {worst:.3f} s)"
    )
    connection.close()
    recreate_database(base, args.database)


if __name__ == "__main__":
    main()
