from django.db import connection
from django.http import JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET


def _database_status() -> tuple[bool, str]:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception as exc:
        return False, f"{type(exc).__name__}: {exc}"[:200]
    return True, connection.vendor


BROKER_TIMEOUT = 1.5  # seconds; the whole health check must answer well within 3 s


def _redact(url: str) -> str:
    """The broker address without credentials."""
    scheme, _, rest = url.partition("://")
    return f"{scheme}://{rest.rsplit('@', 1)[-1]}"


def _broker_status() -> tuple[bool, str]:
    from config.celery import app

    if app.conf.task_always_eager:
        return True, "eager（进程内执行）"
    url = app.conf.broker_url or ""
    try:
        if url.startswith(("redis://", "rediss://", "unix://")):
            import redis

            client = redis.Redis.from_url(
                url, socket_connect_timeout=BROKER_TIMEOUT, socket_timeout=BROKER_TIMEOUT
            )
            try:
                client.ping()
            finally:
                client.close()
        else:
            with app.connection_for_write() as conn:
                conn.ensure_connection(max_retries=1, timeout=BROKER_TIMEOUT)
    except Exception as exc:
        return False, f"{_redact(url)} 不可用：{type(exc).__name__}: {exc}"[:200]
    return True, _redact(url)


@never_cache
@require_GET
def healthz(request):
    db_ok, db_detail = _database_status()
    broker_ok, broker_detail = _broker_status()
    failed = [name for name, ok in (("database", db_ok), ("broker", broker_ok)) if not ok]
    body = {
        "status": "ok" if not failed else "error",
        "database": {"ok": db_ok, "detail": db_detail},
        "broker": {"ok": broker_ok, "detail": broker_detail},
    }
    if failed:
        body["failed"] = failed
    return JsonResponse(
        body, status=200 if not failed else 503, json_dumps_params={"ensure_ascii": False}
    )
