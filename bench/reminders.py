"""Benchmark: the daily governance reminder run over 10,000 meeting series (a city like
Shenyang), on PostgreSQL with Redis and a real Celery worker; run twice the same day.

Creates (drops first) the scratch database named by ``--database`` (default gz_bench_rem) on
the server of DATABASE_URL, migrates it, builds a tree (district → 10 streets → 1,000
communities), 10,000 series spread over the four cadences (10 per community, some anchored to
the first week), three standing members each with an e-mail address, users at every street
(the level above) and every community, planned meetings spread over the next fortnight, held
meetings for half of the last closed periods, and 2,000 open tasks around their deadlines. Then it
starts a Celery worker (``celery -A config worker``) on that database and Redis, sends
``governance.send_daily_reminders`` twice and prints, for each run, the wall time (task sent →
result back), the worker's CPU seconds for the run (from the task's result; the database
server's CPU is not in it) and the load average (on a shared machine the wall time follows the
load, the CPU seconds much less), what each created and e-mailed, and that the second created
and sent nothing. Targets: first run < 5 s, second (nothing to send) < 1 s.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres REDIS_URL=redis://127.0.0.1:6379/6 \
        .venv/bin/python bench/reminders.py
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
TARGET_SECONDS = 5.0
SECOND_TARGET_SECONDS = 1.0
CADENCES = ["weekly", "monthly", "quarterly", "yearly"]


def scratch_url(base: str, name: str) -> str:
    parts = urlsplit(base)
    return urlunsplit(parts._replace(path=f"/{name}"))


def recreate_database(base: str, name: str) -> None:
    import psycopg2

    parts = urlsplit(base)
    conn = psycopg2.connect(
        host=parts.hostname,
        port=parts.port or 5432,
        user=parts.username or "postgres",
        password=parts.password or None,
        dbname="postgres",
    )
    conn.autocommit = True
    with conn.cursor() as cursor:
        cursor.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        cursor.execute(f'CREATE DATABASE "{name}"')
    conn.close()


def build(series_count: int) -> dict:
    from django.contrib.auth import get_user_model
    from django.contrib.auth.hashers import make_password
    from django.contrib.contenttypes.models import ContentType

    from governance.cadence import last_closed_period, period_of, shanghai_today
    from governance.models import Meeting, MeetingSeries, SeriesMember, Task
    from organizations.models import Organization, ScopeAssignment
    from organizations.tree import load_nodes

    today = shanghai_today()
    streets = [f"SY-S{i:02d}" for i in range(1, 11)]
    communities = [f"{s}-C{j:03d}" for s in streets for j in range(1, series_count // 100 + 1)]
    nodes = [("SY", "沈阳市委组织部", "district_committee", None)]
    nodes += [(s, f"{s} 街道党工委", "street_committee", "SY") for s in streets]
    nodes += [
        (c, f"{c} 社区大党委", "community_committee", c.rsplit("-", 1)[0]) for c in communities
    ]
    load_nodes(
        [Organization(code=c, name=n, kind=k) for c, n, k, _ in nodes],
        [],
        {c: p for c, _, _, p in nodes},
        update_fields=[],
    )
    orgs = dict(Organization.objects.values_list("code", "id"))
    User = get_user_model()
    password = make_password("bench-only-password")
    User.objects.bulk_create(
        [
            User(
                username=f"u-{code}",
                email=f"{code.lower()}@bench.local",
                is_staff=True,
                password=password,
            )
            for code in streets + communities
        ],
        batch_size=2000,
    )
    users = dict(User.objects.values_list("username", "id"))
    ScopeAssignment.objects.bulk_create(
        [
            ScopeAssignment(user_id=users[f"u-{c}"], organization_id=orgs[c])
            for c in streets + communities
        ],
        batch_size=2000,
    )
    start = today - timedelta(days=400)
    series = []
    for index in range(series_count):
        community = communities[index // 10]
        cadence = CADENCES[index % 4]
        series.append(
            MeetingSeries(
                code=f"{community}-M{index % 10}",
                name=f"联席会议 {index}",
                kind="custom",
                body_id=orgs[community],
                cadence=cadence,
                due_within_days=7 if index % 8 == 2 else None,
                starts_on=start,
                convenor_id=users[f"u-{community}"],
            )
        )
    MeetingSeries.objects.bulk_create(series, batch_size=2000)
    series = list(MeetingSeries.objects.order_by("id"))
    SeriesMember.objects.bulk_create(
        [
            SeriesMember(
                series_id=s.pk,
                kind="unit_liaison",
                name=f"成员{k}",
                unit_name=f"单位{k}",
                email=f"m{s.pk}-{k}@bench.local",
            )
            for s in series
            for k in range(3)
        ],
        batch_size=5000,
    )
    meetings = []
    for index, s in enumerate(series):
        current = period_of(s.cadence, today, s.due_within_days)
        closed = last_closed_period(s.cadence, today, s.due_within_days)
        if index % 2 == 0 and closed.start >= s.starts_on:
            day = min(closed.due, closed.start + timedelta(days=1))
            meetings.append(
                Meeting(
                    code=f"{s.code}-{day:%Y%m%d}",
                    series_id=s.pk,
                    period_start=closed.start,
                    period_end=closed.end,
                    title=f"{s.name} {closed.label}",
                    planned_on=day,
                    status="held",
                    held_on=day,
                )
            )
        if index % 3 == 0:
            day = min(current.end, today + timedelta(days=index % 14))
            if day >= current.start and day != getattr(
                meetings[-1] if meetings else None, "planned_on", None
            ):
                meetings.append(
                    Meeting(
                        code=f"{s.code}-{day:%Y%m%d}",
                        series_id=s.pk,
                        period_start=current.start,
                        period_end=current.end,
                        title=f"{s.name} {current.label}",
                        planned_on=day,
                    )
                )
    Meeting.objects.bulk_create(meetings, batch_size=5000, ignore_conflicts=True)
    org_type = ContentType.objects.get_for_model(Organization)
    tasks = [
        Task(
            code=f"BT{i:05d}",
            title=f"派单 {i}",
            organization_id=orgs[streets[i % 10]],
            assigned_by_id=users[f"u-{streets[i % 10]}"],
            assignee_type=org_type,
            assignee_id=orgs[communities[i % len(communities)]],
            assignee_label=communities[i % len(communities)],
            assignee_organization_id=orgs[communities[i % len(communities)]],
            deadline=today + timedelta(days=(i % 5) - 3),
        )
        for i in range(2000)
    ]
    Task.objects.bulk_create(tasks, batch_size=2000)
    return {
        "organisations": len(nodes),
        "series": len(series),
        "members": len(series) * 3,
        "meetings": Meeting.objects.count(),
        "tasks": len(tasks),
    }


def start_worker(env: dict) -> subprocess.Popen:
    return subprocess.Popen(
        [
            str(ROOT / ".venv/bin/celery"),
            "-A",
            "config",
            "worker",
            "-l",
            "warning",
            "-c",
            "1",
            "--without-gossip",
            "--without-mingle",
            "--without-heartbeat",
            "-n",
            f"bench-reminders-{os.getpid()}@%h",
        ],
        cwd=ROOT,
        env=env,
        start_new_session=True,
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", default="gz_bench_rem")
    parser.add_argument("--series", type=int, default=10_000)
    args = parser.parse_args()
    base = os.environ.get("DATABASE_URL", "")
    redis = os.environ.get("REDIS_URL") or os.environ.get("CELERY_BROKER_URL")
    if not base.startswith(("postgres://", "postgresql://")) or not redis:
        print("需要 DATABASE_URL（PostgreSQL）和 REDIS_URL。", file=sys.stderr)
        return 2
    url = scratch_url(base, args.database)
    recreate_database(base, args.database)
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "REDIS_URL": redis,
        "CELERY_BROKER_URL": redis,
        "DJANGO_SETTINGS_MODULE": "config.settings",
        # The worker "sends" into memory: the figure is the outbox work, not an SMTP server.
        "EMAIL_BACKEND": "django.core.mail.backends.locmem.EmailBackend",
    }
    os.environ.update(env)
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    started = time.perf_counter()
    sizes = build(args.series)
    print(f"数据：{sizes}（构建 {time.perf_counter() - started:.1f} s）", flush=True)

    from django.db.models import Count

    from config.celery import app
    from governance.models import Notification
    from governance.tasks import send_daily_reminders

    app.conf.task_always_eager = False
    app.control.purge()  # leftovers of an interrupted earlier run would skew the timing
    worker = start_worker(env)
    try:
        for _ in range(60):
            if app.control.ping(timeout=1):
                break
        else:
            print("worker 未启动", file=sys.stderr)
            return 1
        runs = []
        for label in ("第一次", "第二次"):
            sent_before = Notification.objects.filter(email_status="sent").count()
            started = time.perf_counter()
            result = send_daily_reminders.delay().get(timeout=600)
            seconds = time.perf_counter() - started
            load = ", ".join(f"{x:.1f}" for x in os.getloadavg())  # as the run ends
            # The worker then empties the e-mail outbox (its own task): time it too.
            while Notification.objects.filter(email_status="queued").exists():
                time.sleep(0.2)
            delivered = time.perf_counter() - started
            sent = Notification.objects.filter(email_status="sent").count() - sent_before
            runs.append((seconds, result["created"], sent))
            print(
                f"{label}提醒运行：{seconds:.2f} s（worker CPU {result['cpu_seconds']:.2f} s，"
                f"负载 {load}）；候选 {result['candidates']}（已有 {result['already_stored']}），新增提醒 "
                f"{result['created']}（按类型 {result['by_kind']}）；邮件发完用时 "
                f"{delivered:.2f} s，发出 {sent} 封",
                flush=True,
            )
        total = Notification.objects.count()
        (first, _, _), (second, created_again, sent_again) = runs
        print(
            f"提醒总数 {total}，全部邮件状态：{dict(Notification.objects.values_list('email_status').annotate(n=Count('id')))}"
        )
        print(
            f"第一次 {first:.2f} s（目标 < {TARGET_SECONDS:.0f} s）："
            f"{'达标' if first < TARGET_SECONDS else '未达标'}；"
            f"第二次 {second:.2f} s（目标 < {SECOND_TARGET_SECONDS:.0f} s）："
            f"{'达标' if second < SECOND_TARGET_SECONDS else '未达标'}；"
            f"第二次新增 {created_again} 条、发出 {sent_again} 封："
            f"{'没有重复' if created_again == 0 and sent_again == 0 else '有重复！'}",
            flush=True,
        )
        ok = (
            first < TARGET_SECONDS
            and second < SECOND_TARGET_SECONDS
            and created_again == 0
            and sent_again == 0
        )
        return 0 if ok else 1
    finally:
        os.killpg(worker.pid, signal.SIGTERM)
        try:
            worker.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(worker.pid, signal.SIGKILL)


if __name__ == "__main__":
    sys.exit(main())
