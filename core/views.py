"""``/healthz``: one cheap database query and one Redis ``PING`` with short timeouts.

The database answering is what makes this instance useful: without it the answer is 503. A
broker that does not answer degrades the site (tasks wait in ``core.TaskOutbox``) but the pages
still work, so that is a 200 with ``"status": "degraded"`` and ``"failed": ["broker"]``: a
proxy or orchestrator must not take a serving instance out because Redis is away.
"""

from __future__ import annotations

import threading

from django.db import connection
from django.http import JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from core.models import TaskOutbox

BROKER_TIMEOUT = 1.5  # seconds; the whole health check must answer well within 3 s
_OUTBOX_SQL = f"SELECT COUNT(*) FROM {TaskOutbox._meta.db_table}"


def _database_status() -> tuple[bool, str, int | None]:
    """One query: it proves the database answers and counts the kept tasks."""
    try:
        with connection.cursor() as cursor:
            cursor.execute(_OUTBOX_SQL)
            (backlog,) = cursor.fetchone()
    except Exception as exc:
        return False, f"{type(exc).__name__}: {exc}"[:200], None
    return True, connection.vendor, backlog


def _redact(url: str) -> str:
    """The broker address without credentials."""
    scheme, _, rest = url.partition("://")
    return f"{scheme}://{rest.rsplit('@', 1)[-1]}"


# One Redis client (and so one connection pool) per broker URL and process: a health check
# reuses its connection instead of opening and closing one per request.
_clients: dict[str, object] = {}
_clients_lock = threading.Lock()


def _redis_client(url: str):
    client = _clients.get(url)
    if client is None:
        import redis

        with _clients_lock:
            client = _clients.setdefault(
                url,
                redis.Redis.from_url(
                    url,
                    socket_connect_timeout=BROKER_TIMEOUT,
                    socket_timeout=BROKER_TIMEOUT,
                    retry=None,
                ),
            )
    return client


def _broker_status() -> tuple[bool, str]:
    from config.celery import app

    if app.conf.task_always_eager:
        return True, "eager（进程内执行）"
    url = app.conf.broker_url or ""
    try:
        if url.startswith(("redis://", "rediss://", "unix://")):
            _redis_client(url).ping()
        else:
            with app.connection_for_write() as conn:
                conn.ensure_connection(max_retries=1, timeout=BROKER_TIMEOUT)
    except Exception as exc:
        return False, f"{_redact(url)} 不可用：{type(exc).__name__}: {exc}"[:200]
    return True, _redact(url)


@never_cache
@require_GET
def healthz(request):
    db_ok, db_detail, backlog = _database_status()
    broker_ok, broker_detail = _broker_status()
    failed = [name for name, ok in (("database", db_ok), ("broker", broker_ok)) if not ok]
    status = "ok" if not failed else ("error" if not db_ok else "degraded")
    body = {
        "status": status,
        "database": {"ok": db_ok, "detail": db_detail},
        "broker": {"ok": broker_ok, "detail": broker_detail},
        # Tasks kept in the database while the broker was down, waiting for the sweep.
        "outbox": {"backlog": backlog},
    }
    if failed:
        body["failed"] = failed
    return JsonResponse(
        body, status=503 if not db_ok else 200, json_dumps_params={"ensure_ascii": False}
    )
