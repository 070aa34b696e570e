"""Benchmark: webhook fan-out — 10,000 events to 5 endpoints through a real Celery worker and
Redis, with one endpoint down (answering 503) for a while; every delivery must arrive exactly
once per endpoint (no loss; a repeat would carry the same X-Webhook-Id and is counted).

Creates (drops first) the scratch database ``--database`` on the server of DATABASE_URL,
migrates it, makes a street and five endpoints subscribed to ``case.report`` pointing at a
loopback receiver in this process (``WEBHOOK_ALLOW_PRIVATE_ADDRESSES=true``), starts a worker,
emits the events through ``core.events.emit`` in transactions of 500 (the delivery rows are
written in them and the tasks queued after each commit), runs the sweep every 30 s as beat
would, and waits until every row is delivered or the time is up. Prints per endpoint: rows
delivered, distinct ids the receiver accepted, repeats, rows not delivered; the wall time,
CPU seconds of this process and of the worker, and the load average.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres REDIS_URL=redis://127.0.0.1:6379/6 \
        .venv/bin/python bench/webhooks.py [--events 10000] [--down-seconds 600]
"""

from __future__ import annotations

import argparse
import os
import resource
import signal
import subprocess
import sys
import threading
import time
from collections import Counter, defaultdict
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
ENDPOINTS = 5
BATCH = 500


def scratch_url(base: str, name: str) -> str:
    return urlunsplit(urlsplit(base)._replace(path=f"/{name}"))


def recreate_database(base: str, name: str) -> None:
    import psycopg2

    parts = urlsplit(base)
    conn = psycopg2.connect(host=parts.hostname, port=parts.port or 5432,
                            user=parts.username or "postgres", password=parts.password or None,
                            dbname="postgres")  # fmt: skip
    conn.autocommit = True
    with conn.cursor() as cursor:
        cursor.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        cursor.execute(f'CREATE DATABASE "{name}"')
    conn.close()


class Receiver:
    """One server, one path per endpoint; endpoint 0 answers 503 until ``down_until``."""

    def __init__(self, down_until: float):
        self.accepted: dict[int, Counter] = defaultdict(Counter)
        self.refused = Counter()
        lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            # Persistent connections, as real receivers (nginx, any HTTP/1.1 server) keep them.
            protocol_version = "HTTP/1.1"

            def do_POST(self):
                self.rfile.read(int(self.headers.get("Content-Length") or 0))
                index = int(self.path.rsplit("/", 1)[-1])
                down = index == 0 and time.monotonic() < down_until
                with lock:
                    if down:
                        receiver.refused[index] += 1
                    else:
                        receiver.accepted[index][self.headers["X-Webhook-Id"]] += 1
                self.send_response(503 if down else 200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.server.request_queue_size = 256
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def url(self, index: int) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/hook/{index}"


def start_worker(env: dict, concurrency: int) -> subprocess.Popen:
    return subprocess.Popen(
        [str(ROOT / ".venv/bin/celery"), "-A", "config", "worker", "-l", "warning",
         "-c", str(concurrency), "--without-gossip", "--without-mingle", "--without-heartbeat",
         "-n", f"bench-webhooks-{os.getpid()}@%h"],
        cwd=ROOT, env=env, start_new_session=True,
    )  # fmt: skip


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", default="gz_bench_hooks")
    parser.add_argument("--events", type=int, default=10_000)
    parser.add_argument("--down-seconds", type=float, default=600.0)
    parser.add_argument("--concurrency", type=int, default=2)
    parser.add_argument("--backoff-base", type=int, default=10)
    parser.add_argument("--give-up-after", type=float, default=None,
                        help="seconds to wait for the last delivery (default: down + 900)")  # fmt: skip
    args = parser.parse_args()
    base = os.environ.get("DATABASE_URL", "")
    redis = os.environ.get("REDIS_URL") or os.environ.get("CELERY_BROKER_URL")
    if not base.startswith(("postgres://", "postgresql://")) or not redis:
        print("需要 DATABASE_URL（PostgreSQL）和 REDIS_URL。", file=sys.stderr)
        return 2
    recreate_database(base, args.database)
    env = {
        **os.environ,
        "DATABASE_URL": scratch_url(base, args.database),
        "REDIS_URL": redis,
        "CELERY_BROKER_URL": redis,
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "WEBHOOK_ALLOW_PRIVATE_ADDRESSES": "true",
        "WEBHOOK_BACKOFF_BASE_SECONDS": str(args.backoff_base),
        "LOG_LEVEL": "WARNING",
    }
    os.environ.update(env)
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import transaction
    from django.db.models import Count, Q

    from config.celery import app
    from core.events import emit
    from organizations.models import Organization
    from webhooks.models import Delivery, Endpoint
    from webhooks.services.endpoints import new_secret

    call_command("migrate", verbosity=0)
    street = Organization.objects.create(code="BS", name="基准街道党工委", kind="street_committee")
    started_at = time.monotonic()
    receiver = Receiver(down_until=started_at + args.down_seconds)
    endpoints = [
        Endpoint.objects.create(
            code=f"ep{i}",
            name=f"端点{i}",
            url=receiver.url(i),
            secret=new_secret(),
            event_kinds=["case.report"],
            organization=street,
        )  # fmt: skip
        for i in range(ENDPOINTS)
    ]
    app.conf.task_always_eager = False
    app.control.purge()
    worker = start_worker(env, args.concurrency)
    try:
        for _ in range(60):
            if app.control.ping(timeout=1):
                break
        else:
            print("worker 未启动", file=sys.stderr)
            return 1
        t0 = time.perf_counter()
        for start in range(0, args.events, BATCH):
            with transaction.atomic():
                for n in range(start, min(start + BATCH, args.events)):
                    emit("case.report", organization=street, data={"n": n})
        emitted = time.perf_counter() - t0
        total = args.events * ENDPOINTS
        print(f"发出 {args.events} 个事件 → {Delivery.objects.count()} 条推送，用时 {emitted:.1f} s"
              f"（{args.events / emitted:.0f} 事件/s）", flush=True)  # fmt: skip
        deadline = time.monotonic() + (args.give_up_after or args.down_seconds + 900)
        last_sweep = time.monotonic()
        delivered = 0
        healthy_done = None  # when the four endpoints that never went down had everything
        while time.monotonic() < deadline:
            delivered = Delivery.objects.filter(status="delivered").count()
            if healthy_done is None and (
                Delivery.objects.filter(status="delivered").exclude(endpoint=endpoints[0]).count()
                == total - args.events
            ):
                healthy_done = time.perf_counter() - t0
            if delivered == total:
                break
            if time.monotonic() - last_sweep >= 30:
                app.send_task("webhooks.sweep", ignore_result=True)
                last_sweep = time.monotonic()
            time.sleep(2)
        wall = time.perf_counter() - t0
        load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
        time.sleep(3)  # late repeats, if any, would arrive now
    finally:
        os.killpg(worker.pid, signal.SIGTERM)
        try:
            worker.wait(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(worker.pid, signal.SIGKILL)
            worker.wait()
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    rows = dict(
        Delivery.objects.values_list("endpoint__code").annotate(
            n=Count("id", filter=Q(status="delivered"))
        )
    )
    ok = True
    for i, endpoint in enumerate(endpoints):
        ids = receiver.accepted[i]
        repeats = sum(c - 1 for c in ids.values() if c > 1)
        missing = args.events - rows.get(endpoint.code, 0)
        ok = ok and missing == 0 and len(ids) == args.events
        print(f"{endpoint.code}：送达 {rows.get(endpoint.code, 0)} 条，接收方收下不同编号 "
              f"{len(ids)}，重复 {repeats}，未送达 {missing}，503 拒收 {receiver.refused[i]}")  # fmt: skip
    attempts = Delivery.objects.filter(endpoint=endpoints[0]).values_list("attempts", flat=True)
    if healthy_done is not None:
        healthy = total - args.events
        print(f"未停机的 {ENDPOINTS - 1} 个端点 {healthy} 条全部送达：首个事件后 {healthy_done:.1f} s"
              f"（{healthy / healthy_done:.0f} 条/s，含发出时间）")  # fmt: skip
    print(f"停机端点每条尝试次数：最多 {max(attempts)}，分布 {dict(Counter(attempts))}")
    print(f"全部 {delivered}/{total} 送达，总用时 {wall:.1f} s（停机 {args.down_seconds:.0f} s）；"
          f"CPU：本进程 {own.ru_utime + own.ru_stime:.1f} s，worker {children.ru_utime + children.ru_stime:.1f} s；"
          f"负载 {load}；{'每个端点恰好一次' if ok else '有丢失或重复！'}")  # fmt: skip
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
