"""Benchmark: ``/api/schema/`` first build, then answers from the caches (core/api/schema_view.py).

Django test client in one process (no server): the first request builds and renders the
schema; the next ones are served from the process memo; then, with the memo cleared (another
gunicorn worker, or a restart), from the Django cache (Redis when REDIS_URL is set). Target:
later requests < 100 ms.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/gz_bench REDIS_URL=redis://127.0.0.1:6379/0 \\
        .venv/bin/python bench/api_schema.py
"""

from __future__ import annotations

import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")


def timed(client, **params) -> tuple[float, int, int]:
    started = time.perf_counter()
    response = client.get("/api/schema/", params, HTTP_HOST="localhost")
    return (time.perf_counter() - started) * 1000, response.status_code, len(response.content)


def main() -> None:
    import django

    django.setup()
    from django.conf import settings
    from django.core.cache import cache
    from django.test import Client

    from core.api import schema_view

    if "localhost" not in settings.ALLOWED_HOSTS and "*" not in settings.ALLOWED_HOSTS:
        settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "localhost"]
    client = Client()
    cache.delete_many([])  # touch the cache backend once (connection) before timing
    for fmt in ("json", None):
        params = {"format": fmt} if fmt else {}
        label = fmt or "yaml"
        schema_view._SCHEMA_CACHE.clear()
        cache.clear()
        build_ms, status, size = timed(client, **params)
        memo = [timed(client, **params)[0] for _ in range(20)]
        shared = []
        for _ in range(5):
            schema_view._SCHEMA_CACHE.clear()
            shared.append(timed(client, **params)[0])
        print(
            f"/api/schema/ {label}: {size / 1024:.0f} KB, status {status}; first (build) "
            f"{build_ms:.0f} ms; process memo p50 {statistics.median(memo):.1f} ms max "
            f"{max(memo):.1f} ms (20 requests); Django cache p50 "
            f"{statistics.median(shared):.1f} ms max {max(shared):.1f} ms (5 requests, "
            f"{'Redis' if os.environ.get('REDIS_URL') else 'local memory'})"
        )
    print(f"load average: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
