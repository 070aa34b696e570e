"""Benchmark: Open311 ``GET requests`` at 20 concurrent clients on a street with 50,000 cases,
and ``POST requests`` throughput.

Creates a scratch PostgreSQL database ``gz_bench_open311`` (dropped first, dropped again at the
end unless ``--keep``), migrates, loads the demo data (``seed_demo``), bulk-creates
``--cases`` cases over the street's communities within the last 80 days, issues a key, and starts
gunicorn (sync workers, as deployed) on 127.0.0.1:8131. Then:

- ``GET /open311/v2/requests.json?jurisdiction_id=TD-ZQ`` (the default 90-day window, 50 per
  page), the same filtered (service_code + status), page 20, ``updated_after``, one request by
  id, and the XML list — each ``--requests`` times from ``--clients`` clients: p50/p95/p99, req/s;
- ``POST /open311/v2/requests.json``: ``--posts`` different cases (different phones and
  descriptions, so nothing merges) from ``--clients`` clients: req/s, p50/p95.

Next to every wall time it prints the load average and the CPU seconds the server's processes
and this client spent, so figures from the shared machine can be read. Targets: GET p95 < 100 ms,
POST ≥ 100 req/s. Rate limits are scaled up (PORTAL_RATE_LIMIT_SCALE, OPEN311_KEY_RATE_LIMIT):
this measures the work, not the limiter.

    .venv/bin/python bench/open311.py [--cases 50000] [--requests 1000] [--posts 1000]
"""

from __future__ import annotations

import argparse
import http.client
import os
import subprocess
import sys
import threading
import time
import urllib.parse
from pathlib import Path

import portal_load  # bench/ is on sys.path when run as a script
from portal_load import HOST, PYTHON, ROOT, load, pct, stop_server

PORT = 8131
portal_load.PORT = PORT
DB = "gz_bench_open311"
PG_ADMIN = "postgresql://postgres@127.0.0.1:5432/postgres"
TARGET_P95_MS = 100.0
TARGET_POST_RPS = 100.0

SEED = """
import random, sys
from datetime import timedelta
from django.utils import timezone
from grids.choices import CaseCategory, CaseStatus, case_deadline
from grids.models import Building, Case
from grids.models.cases import new_tracking_code
from open311.choices import KEY_PREFIX_SHOWN
from open311.models import ApiKey
from open311.services.keys import key_digest
from organizations.models import Organization

N = int(sys.argv[-1])
street = Organization.objects.get(code="TD-ZQ")
buildings = list(Building.objects.filter(community__parent=street).values_list("pk", "community_id"))
assert buildings, "no demo buildings"
rng = random.Random(7)
now = timezone.now()
cats = CaseCategory.values
statuses = [CaseStatus.REPORTED, CaseStatus.ACCEPTED, CaseStatus.DISPATCHED, CaseStatus.RESOLVED]
batch = []
codes = set(Case.objects.values_list("tracking_code", flat=True))
for i in range(N):
    building, community = buildings[i % len(buildings)]
    reported = now - timedelta(minutes=rng.randrange(80 * 24 * 60))
    status = rng.choice(statuses)
    code = new_tracking_code()
    while code in codes:
        code = new_tracking_code()
    codes.add(code)
    cat = rng.choice(cats)
    batch.append(Case(
        tracking_code=code, source="portal", category=cat,
        description=f"压测诉求 {i}：楼道灯不亮", reporter_name="压测居民",
        reporter_phone=f"139{i:08d}", community_id=community, building_id=building,
        status=status, reported_at=reported, due_at=reported + case_deadline(cat),
        accepted_at=reported + timedelta(hours=1) if status != "reported" else None,
        resolved_at=reported + timedelta(days=1) if status == "resolved" else None,
    ))
    if len(batch) == 5000:
        Case.objects.bulk_create(batch)
        batch = []
Case.objects.bulk_create(batch)
# Fresh planner statistics, as autovacuum gives a table that grows one case at a time: right
# after a 50,000-row bulk insert PostgreSQL still believes the table is the demo's few dozen
# rows and plans the list as "all the street's cases, then sort" (77 ms instead of 0.7 ms).
from django.db import connection
with connection.cursor() as cursor:
    cursor.execute("ANALYZE grids_case")
raw = "o311_bench_" + "k" * 34
ApiKey.objects.update_or_create(
    name="bench", defaults=dict(organization=street, key_prefix=raw[:KEY_PREFIX_SHOWN],
    key_hash=key_digest(raw)))
print("CODE=" + Case.objects.filter(community__parent=street).order_by("-reported_at").first().tracking_code)
print("BUILDING=" + Building.objects.filter(community__parent=street).order_by("code").first().code)
"""


# seed_demo in the bench's database (core.outbox loads the apps' task modules itself when a
# task is queued by name outside a worker).
SEED_DEMO = """
import sys
from core.demo import seed_all
seed_all(sys.stdout)
"""


def admin_sql(*statements: str) -> None:
    import psycopg2

    conn = psycopg2.connect(PG_ADMIN)
    conn.autocommit = True
    with conn.cursor() as cur:
        for sql in statements:
            cur.execute(sql)
    conn.close()


def scratch_env() -> dict[str, str]:
    admin_sql(f"DROP DATABASE IF EXISTS {DB}", f"CREATE DATABASE {DB}")
    env = {
        **os.environ,
        "APP_ENV": "development",
        "DEBUG": "false",
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "PORTAL_RATE_LIMIT_SCALE": "1000000",
        "OPEN311_KEY_RATE_LIMIT": "100000000",
        "LOG_LEVEL": "WARNING",
        "DATABASE_URL": f"postgres://postgres@127.0.0.1:5432/{DB}",
        "SMS_BACKEND": "",
        "GUNICORN_CMD_ARGS": "--access-logfile=/dev/null",
    }
    for name in ("REDIS_URL", "CELERY_BROKER_URL"):
        env.pop(name, None)
    return env


def prepare(env: dict[str, str], cases: int) -> tuple[str, str]:
    def run(*args):
        return subprocess.run(
            [PYTHON, "manage.py", *args],
            cwd=ROOT,
            env=env,
            check=True,
            capture_output=True,
            text=True,
        )

    run("migrate", "--noinput")
    try:
        run("shell", "-c", SEED_DEMO)
    except subprocess.CalledProcessError as exc:
        print(exc.stderr[-3000:])
        raise
    started = time.perf_counter()
    out = subprocess.run(
        [PYTHON, "manage.py", "shell", "-c", SEED.replace("sys.argv[-1]", str(cases))],
        cwd=ROOT,
        env=env,
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    print(f"  {cases:,} 件诉求已写入（{time.perf_counter() - started:.1f} s）")
    values = dict(line.split("=", 1) for line in out.splitlines() if "=" in line)
    return values["CODE"], values["BUILDING"]


def start_server(env: dict[str, str], workers: int) -> subprocess.Popen:
    """gunicorn (sync workers, as deployed); waits up to 3 minutes for /healthz (a loaded
    machine boots four workers slowly)."""
    server = subprocess.Popen(
        [
            str(ROOT / ".venv" / "bin" / "gunicorn"),
            "config.wsgi:application",
            "--bind",
            f"{HOST}:{PORT}",
            "--workers",
            str(workers),
            "--log-level",
            "warning",
        ],
        cwd=ROOT,
        env=env,
        start_new_session=True,
    )
    deadline = time.time() + 180
    while time.time() < deadline:
        try:
            conn = http.client.HTTPConnection(HOST, PORT, timeout=5)
            conn.request("GET", "/healthz")
            if conn.getresponse().status in (200, 503):
                return server
        except OSError:
            time.sleep(0.5)
    stop_server(server)
    raise SystemExit("gunicorn 未能在 3 分钟内启动")


def cpu_seconds(pid: int) -> float:
    """User+system CPU of a process and its live children (gunicorn master and workers)."""
    tick = os.sysconf("SC_CLK_TCK")
    total = 0.0
    pids = [pid]
    try:
        children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
        pids += [int(c) for c in children]
    except OSError:
        pass
    for p in pids:
        try:
            fields = Path(f"/proc/{p}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += (int(fields[11]) + int(fields[12])) / tick
    return total


def post_load(bodies: list[bytes], clients: int):
    latencies: list[float] = []
    errors = [0]
    lock = threading.Lock()
    chunks = [bodies[i::clients] for i in range(clients)]
    headers = {"Content-Type": "application/x-www-form-urlencoded"}

    def client(mine: list[bytes]) -> None:
        conn = http.client.HTTPConnection(HOST, PORT, timeout=30)
        out = []
        for body in mine:
            started = time.perf_counter()
            try:
                conn.request("POST", "/open311/v2/requests.json", body=body, headers=headers)
                response = conn.getresponse()
                response.read()
                ok = response.status == 200
            except (OSError, http.client.HTTPException):
                conn.close()
                conn = http.client.HTTPConnection(HOST, PORT, timeout=30)
                ok = False
            out.append((time.perf_counter() - started) * 1000)
            if not ok:
                with lock:
                    errors[0] += 1
        with lock:
            latencies.extend(out)

    threads = [threading.Thread(target=client, args=(c,)) for c in chunks]
    started = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return latencies, time.perf_counter() - started, errors[0]


def measured(server, fn):
    """Run ``fn``; return its result with wall s, server CPU s, client CPU s and load average."""
    load_before = os.getloadavg()[0]
    cpu0, own0 = cpu_seconds(server.pid), time.process_time()
    result = fn()
    cpu1, own1 = cpu_seconds(server.pid), time.process_time()
    return result, cpu1 - cpu0, own1 - own0, (load_before + os.getloadavg()[0]) / 2


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=50_000)
    parser.add_argument("--requests", type=int, default=1000, help="每个 GET 场景的请求数")
    parser.add_argument("--posts", type=int, default=1000, help="POST requests 的请求数")
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--keep", action="store_true", help="结束后保留数据库")
    args = parser.parse_args()

    print(f"数据库：PostgreSQL {DB}（临时，先删后建）；准备数据…")
    env = scratch_env()
    server = None
    try:
        code, building = prepare(env, args.cases)
        server = start_server(env, args.workers)
        base = "/open311/v2/requests"
        q = "?jurisdiction_id=TD-ZQ"
        after = urllib.parse.quote(
            time.strftime("%Y-%m-%dT00:00:00+08:00", time.localtime(time.time() - 3 * 86400))
        )
        scenarios = [
            ("列表 JSON（默认 90 天，每页 50）", f"{base}.json{q}"),
            ("列表 XML", f"{base}.xml{q}"),
            ("按类别+状态筛选", f"{base}.json{q}&service_code=facilities&status=open"),
            ("第 20 页", f"{base}.json{q}&page=20"),
            ("updated_after 近 3 天", f"{base}.json{q}&updated_after={after}"),
            ("单件 requests/{id}", f"/open311/v2/requests/{code}.json{q}"),
            ("services.json", f"/open311/v2/services.json{q}"),
        ]
        for _, path in scenarios:  # warm-up: connections, caches
            load("GET", path, requests=args.clients * 2, clients=args.clients)
        print(
            f"\n{args.cases:,} 件诉求（街道 TD-ZQ），{args.clients} 个并发客户端，"
            f"每场景 {args.requests} 个请求（gunicorn sync {args.workers}，{HOST}:{PORT}）"
        )
        print(
            f"{'场景':<30}{'p50':>8}{'p95':>8}{'p99':>8}{'req/s':>8}{'错误':>5}"
            f"{'墙钟s':>7}{'服务CPU s':>10}{'客户CPU s':>10}{'负载':>6}"
        )
        worst = 0.0
        for label, path in scenarios:
            (lat, wall, errors), scpu, ccpu, la = measured(
                server, lambda p=path: load("GET", p, requests=args.requests, clients=args.clients)
            )
            p95 = pct(lat, 0.95)
            worst = max(worst, p95)
            print(
                f"{label:<26}{pct(lat, 0.5):>8.1f}{p95:>8.1f}{pct(lat, 0.99):>8.1f}"
                f"{len(lat) / wall:>8.0f}{errors:>5}{wall:>7.1f}{scpu:>10.1f}{ccpu:>10.1f}{la:>6.1f}"
            )
        bodies = [
            urllib.parse.urlencode(
                {
                    "api_key": "o311_bench_" + "k" * 34,
                    "jurisdiction_id": "TD-ZQ",
                    "service_code": "environment",
                    "description": f"压测提交第 {i} 件：垃圾桶满了",
                    "first_name": "压测",
                    "phone": f"137{i:08d}",
                    "address_id": building,
                }
            ).encode()
            for i in range(args.posts)
        ]
        load("GET", f"{base}.json{q}", requests=args.clients, clients=args.clients)
        (lat, wall, errors), scpu, ccpu, la = measured(
            server, lambda: post_load(bodies, args.clients)
        )
        rps = len(lat) / wall
        print(
            f"{'POST requests（各不相同）':<24}{pct(lat, 0.5):>8.1f}{pct(lat, 0.95):>8.1f}"
            f"{pct(lat, 0.99):>8.1f}{rps:>8.0f}{errors:>5}{wall:>7.1f}{scpu:>10.1f}{ccpu:>10.1f}{la:>6.1f}"
        )
        ok = worst < TARGET_P95_MS and rps >= TARGET_POST_RPS and not errors
        print(
            f"\nGET 最差 p95 = {worst:.1f} ms（目标 < {TARGET_P95_MS:.0f} ms）；"
            f"POST {rps:.0f} req/s（目标 ≥ {TARGET_POST_RPS:.0f}）：{'达标' if ok else '未达标'}"
        )
        return 0 if ok else 1
    finally:
        if server is not None:
            stop_server(server)
            print("gunicorn 已停止。")
        if not args.keep:
            admin_sql(f"DROP DATABASE IF EXISTS {DB}")
            print(f"数据库 {DB} 已删除。")


if __name__ == "__main__":
    sys.exit(main())
