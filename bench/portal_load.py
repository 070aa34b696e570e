"""Benchmark: the resident portal's home, community and track pages under 20 concurrent clients.

Starts gunicorn on 127.0.0.1:8108 against a scratch database with the demo data (PostgreSQL
``gz_bench_portal`` by default, recreated each run; ``--sqlite`` for a scratch SQLite file),
drives each page with a small threaded HTTP/1.1 load generator (keep-alive, one connection per
client) for a fixed number of requests, prints p50/p95/p99 and req/s per page, and the req/s of
a bare Django view on the same server (mounted only with PORTAL_BENCH_CEILING=1) as the
ceiling. The target is p95 < 100 ms. The server is stopped at the end.

    .venv/bin/python bench/portal_load.py [--requests 2000] [--clients 20] [--sqlite]
"""

from __future__ import annotations

import argparse
import http.client
import os
import re
import signal
import subprocess
import sys
import threading
import time
import urllib.parse
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
HOST, PORT = "127.0.0.1", 8108
PG_ADMIN = "postgres://postgres@127.0.0.1:5432/postgres"
PG_BENCH = "postgres://postgres@127.0.0.1:5432/gz_bench_portal"
TARGET_P95_MS = 100.0
PYTHON = str(ROOT / ".venv" / "bin" / "python")


def scratch_env(use_sqlite: bool, redis_url: str) -> dict[str, str]:
    env = {
        **os.environ,
        "APP_ENV": "development",
        "DEBUG": "false",
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "PORTAL_BENCH_CEILING": "1",
        "PORTAL_RATE_LIMIT_SCALE": "100000",
        "LOG_LEVEL": "WARNING",
    }
    env.pop("REDIS_URL", None)
    env.pop("CELERY_BROKER_URL", None)
    if redis_url:  # the production cache (page cache, rate limits) instead of per-process memory
        env["REDIS_URL"] = redis_url
        env["CELERY_BROKER_URL"] = ""  # tasks in-process: no worker runs during the bench
    if use_sqlite:
        out = ROOT / "bench" / "out"
        out.mkdir(parents=True, exist_ok=True)
        db = out / "portal_bench.sqlite3"
        db.unlink(missing_ok=True)
        env.pop("DATABASE_URL", None)
        env["SQLITE_PATH"] = str(db)
    else:
        import psycopg2

        conn = psycopg2.connect(PG_ADMIN.replace("postgres://", "postgresql://"))
        conn.autocommit = True
        with conn.cursor() as cur:
            cur.execute("DROP DATABASE IF EXISTS gz_bench_portal")
            cur.execute("CREATE DATABASE gz_bench_portal")
        conn.close()
        env["DATABASE_URL"] = PG_BENCH
    return env


MINIMAL_SEED = """
import sys
from core.demo import DEMO_ADMIN, ensure_user
from core.roles import setup_roles
from organizations import demo as organizations_demo
from portal import demo as portal_demo
setup_roles()
ensure_user(DEMO_ADMIN[0], superuser=True, name="系统管理员")
organizations_demo.seed(sys.stdout)
portal_demo.seed(sys.stdout)
"""

SEED_CASE = """
from organizations.models import Organization
from grids.services.cases import case_report
community = Organization.objects.get(code="TD-ZQ-YL")
case = case_report(actor=None, source="portal", reporter_name="压测居民",
    reporter_phone="13900001234", category="facilities",
    description="压测用诉求：楼道灯不亮", community=community)
print("CODE=" + case.tracking_code)
"""


def prepare(env: dict[str, str]) -> str:
    """Migrate, load the demo data and file one case; returns its tracking code."""
    run = lambda *args: subprocess.run(  # noqa: E731
        [PYTHON, "manage.py", *args], cwd=ROOT, env=env, check=True, capture_output=True, text=True
    )
    run("migrate", "--noinput")
    try:
        run("seed_demo")
    except subprocess.CalledProcessError as exc:
        # Another app's demo failing must not stop the portal figures: seed what they need.
        last_app = [line for line in exc.stdout.splitlines() if line.startswith("演示数据")][-1:]
        error = exc.stderr.strip().splitlines()[-1:] if exc.stderr else []
        print(f"  seed_demo 失败（{' '.join(last_app + error)}），只装入组织树和居民服务演示数据。")
        run("shell", "-c", MINIMAL_SEED)
    out = run("shell", "-c", SEED_CASE).stdout
    return re.search(r"CODE=(\w+)", out).group(1)


def server_shape(workers: int, threads: int) -> str:
    return f"sync {workers}" if threads <= 1 else f"gthread {workers}×{threads}"


def start_server(env: dict[str, str], workers: int, threads: int) -> subprocess.Popen:
    worker_args = ["--workers", str(workers)]
    if threads > 1:
        worker_args += [
            "--worker-class",
            "gthread",
            "--threads",
            str(threads),
            "--keep-alive",
            "30",
        ]
    server = subprocess.Popen(
        [
            str(ROOT / ".venv" / "bin" / "gunicorn"),
            "config.wsgi:application",
            "--bind",
            f"{HOST}:{PORT}",
            *worker_args,
            "--log-level",
            "warning",
        ],
        cwd=ROOT,
        env=env,
        start_new_session=True,
    )
    deadline = time.time() + 30
    while time.time() < deadline:
        try:
            conn = http.client.HTTPConnection(HOST, PORT, timeout=2)
            conn.request("GET", "/healthz")
            if conn.getresponse().status in (200, 503):
                return server
        except OSError:
            time.sleep(0.3)
    stop_server(server)
    raise SystemExit("gunicorn 未能在 30 秒内启动")


def stop_server(server: subprocess.Popen) -> None:
    if server.poll() is None:
        os.killpg(server.pid, signal.SIGTERM)
        try:
            server.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)


def csrf_for_track() -> tuple[str, str]:
    conn = http.client.HTTPConnection(HOST, PORT, timeout=10)
    conn.request("GET", "/track/")
    response = conn.getresponse()
    body = response.read().decode()
    cookie = response.getheader("Set-Cookie", "")
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', body).group(1)
    return token, cookie.split(";")[0]


def load(method: str, path, *, requests: int, clients: int, body: bytes = b"", headers=None):
    """``requests`` in all from ``clients`` threads; latencies in ms and wall time. ``path``:
    one path, or a list the clients walk through (each client from its own offset)."""
    paths = path if isinstance(path, list) else [path]
    latencies: list[float] = []
    errors = [0]
    lock = threading.Lock()
    per_client = [
        requests // clients + (1 if i < requests % clients else 0) for i in range(clients)
    ]

    def client(n: int, offset: int) -> None:
        conn = http.client.HTTPConnection(HOST, PORT, timeout=30)
        mine = []
        for i in range(n):
            started = time.perf_counter()
            try:
                target = paths[(offset + i) % len(paths)]
                conn.request(method, target, body=body or None, headers=headers or {})
                response = conn.getresponse()
                response.read()
                ok = response.status == 200
            except (OSError, http.client.HTTPException):
                conn.close()
                conn = http.client.HTTPConnection(HOST, PORT, timeout=30)
                ok = False
            mine.append((time.perf_counter() - started) * 1000)
            if not ok:
                with lock:
                    errors[0] += 1
        with lock:
            latencies.extend(mine)

    threads = [threading.Thread(target=client, args=(n, i * 37)) for i, n in enumerate(per_client)]
    started = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    wall = time.perf_counter() - started
    return latencies, wall, errors[0]


def quote(text: str) -> str:
    return urllib.parse.quote(text)


def place_queries() -> list[str]:
    """729 different place searches as residents type them (compound or alias, number, word
    for a building, unit), walked in turn: most are asked for the first time in the minute
    the search result is cached, so this measures the search, not the cache."""
    names = ["园林", "园林花园", "春晖", "春晖小区", "钢城", "胜利", "和平里", "东明", "阳光"]
    return [
        "/report/places/?q=" + quote(f"{name} {n}{word}{unit}")
        for name in names
        for n in range(1, 10)
        for word in ("栋", "号楼", "幢")
        for unit in ("", " 1单元", " 2单元")
    ]


def server_cpu_seconds(server: subprocess.Popen) -> float:
    """CPU seconds (user + system) used so far by gunicorn: the master and its workers
    (Linux /proc; 0.0 elsewhere)."""
    tick = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100
    total = 0.0
    try:
        pids = [int(p) for p in os.listdir("/proc") if p.isdigit()]
    except OSError:
        return 0.0
    for pid in pids:
        try:
            with open(f"/proc/{pid}/stat") as handle:
                fields = handle.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if pid == server.pid or int(fields[1]) == server.pid:  # fields[1] is the parent
            total += (int(fields[11]) + int(fields[12])) / tick  # utime, stime
    return total


def load_average() -> str:
    try:
        return "/".join(f"{v:.1f}" for v in os.getloadavg())
    except OSError:
        return "?"


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=2000, help="每个页面的请求数")
    parser.add_argument("--clients", type=int, default=20, help="并发客户端数")
    parser.add_argument("--sqlite", action="store_true", help="用临时 SQLite 文件代替 PostgreSQL")
    parser.add_argument(
        "--workers", type=int, default=4, help="gunicorn 进程数（默认 4，与 README 部署一致）"
    )
    parser.add_argument(
        "--threads", type=int, default=1, help="每进程线程数；大于 1 时用 gthread（默认 sync）"
    )
    parser.add_argument(
        "--redis",
        default="",
        metavar="URL",
        help="用 Redis 作缓存（页面缓存、限流），如 redis://127.0.0.1:6379/15；默认进程内存",
    )
    args = parser.parse_args()

    env = scratch_env(args.sqlite, args.redis)
    print(
        f"数据库：{'SQLite（临时文件）' if args.sqlite else 'PostgreSQL gz_bench_portal'}；准备演示数据…"
    )
    code = prepare(env)
    server = start_server(env, args.workers, args.threads)
    try:
        token, cookie = csrf_for_track()
        form = urllib.parse.urlencode(
            {"csrfmiddlewaretoken": token, "tracking_code": code, "phone_last4": "1234"}
        ).encode()
        post_headers = {
            "Content-Type": "application/x-www-form-urlencoded",
            "Cookie": cookie,
            "Referer": f"http://{HOST}:{PORT}/track/",
        }
        pages = [
            ("ceiling（裸 Django 视图）", "GET", "/bench/ceiling/", b"", None),
            ("首页 /", "GET", "/", b"", None),
            ("社区页 /community/TD-ZQ-YL/", "GET", "/community/TD-ZQ-YL/", b"", None),
            ("找社区 /community/?q=园林", "GET", "/community/?q=%E5%9B%AD%E6%9E%97", b"", None),
            (
                "找社区 /community/?q=春晖 3栋",
                "GET",
                "/community/?q=" + quote("春晖 3栋"),
                b"",
                None,
            ),
            ("地点建议 /report/places/（轮换）", "GET", place_queries(), b"", None),
            ("查进度表单 GET /track/", "GET", "/track/", b"", None),
            ("查进度查询 POST /track/", "POST", "/track/", form, post_headers),
        ]
        # Warm up every page (templates, connections) before measuring.
        for _, method, path, body, headers in pages:
            load(
                method,
                path,
                requests=args.clients * 2,
                clients=args.clients,
                body=body,
                headers=headers,
            )
        print(
            f"\n{args.clients} 个并发客户端，每页 {args.requests} 个请求"
            f"（gunicorn {server_shape(args.workers, args.threads)}，"
            f"缓存 {'Redis' if args.redis else '进程内存'}，{HOST}:{PORT}）"
        )
        print(f"开始时负载（1/5/15 分钟）：{load_average()}")
        print(
            f"{'页面':<34}{'p50 ms':>9}{'p95 ms':>9}{'p99 ms':>9}{'req/s':>9}{'错误':>6}"
            f"{'CPU 秒':>9}{'  负载 1/5/15'}"
        )
        worst = 0.0
        for label, method, path, body, headers in pages:
            cpu_before = server_cpu_seconds(server)
            latencies, wall, errors = load(
                method,
                path,
                requests=args.requests,
                clients=args.clients,
                body=body,
                headers=headers,
            )
            cpu = server_cpu_seconds(server) - cpu_before
            p50, p95, p99 = pct(latencies, 0.5), pct(latencies, 0.95), pct(latencies, 0.99)
            if not (isinstance(path, str) and path.startswith("/bench/")):
                worst = max(worst, p95)
            print(
                f"{label:<30}{p50:>9.1f}{p95:>9.1f}{p99:>9.1f}{len(latencies) / wall:>9.0f}"
                f"{errors:>6}{cpu:>9.1f}  {load_average()}"
            )
            if errors:
                print(f"  注意：{errors} 个请求失败或状态码不是 200")
        verdict = "达标" if worst < TARGET_P95_MS else "未达标"
        print(f"结束时负载：{load_average()}（CPU 秒 = 这一页期间 gunicorn 各进程的用户+系统时间）")
        print(f"\n最差页面 p95 = {worst:.1f} ms，目标 < {TARGET_P95_MS:.0f} ms：{verdict}")
        return 0 if worst < TARGET_P95_MS else 1
    finally:
        stop_server(server)
        print("gunicorn 已停止。")


if __name__ == "__main__":
    sys.exit(main())
