"""Queuing Celery tasks so that a broker outage blocks nobody and loses nothing.

Every place that queues work after a commit calls ``enqueue(task, *args)``. It publishes once
the transaction has committed, with the short broker timeouts of ``config/celery.py`` (a down
broker fails in well under 2 s instead of retrying for ~20 s), never asks for a result (the
result backend is not touched), and when the broker is unreachable keeps the call as a
``TaskOutbox`` row. ``outbox_sweep`` queues the kept rows once the broker answers again: beat
runs it every minute and every worker queues one run when it starts.

Delivery is at least once: a sweep killed between publishing a row and deleting it publishes
that row again, so tasks queued this way must be idempotent (the project's are: they take ids
and their services skip work already done).
"""

from __future__ import annotations

import logging
import time
from functools import partial
from typing import Any

from django.db import transaction
from kombu.exceptions import OperationalError as KombuOperationalError
from redis.exceptions import RedisError

from core.models import TaskOutbox

logger = logging.getLogger(__name__)

# What publishing raises when the broker is unreachable.
PUBLISH_ERRORS = (KombuOperationalError, RedisError, OSError)
LOG_INTERVAL = 60.0
_last_logged = [-LOG_INTERVAL]


def _app():
    from config.celery import app

    return app


def _send(task_name: str, args: list, kwargs: dict) -> None:
    _app().send_task(task_name, args=args, kwargs=kwargs, ignore_result=True)


def _log_down(exc: Exception) -> None:
    now = time.monotonic()
    if now - _last_logged[0] >= LOG_INTERVAL:
        _last_logged[0] = now
        logger.warning(
            "任务队列（broker）不可用，任务已暂存数据库待补发：%s: %s", type(exc).__name__, exc
        )


def publish(task_name: str, args: list, kwargs: dict) -> bool:
    """Queue one task now; False when the broker was down and the call was kept instead."""
    app = _app()
    if app.conf.task_always_eager:  # embedded default: run in-process, nothing to keep
        if task_name not in app.tasks:
            # Autodiscovery is lazy (a worker imports the apps' tasks modules when it starts):
            # a task queued by name before its module was imported would be NotRegistered.
            app.loader.import_default_modules()
        app.tasks[task_name].apply_async(args=args, kwargs=kwargs)
        return True
    try:
        _send(task_name, args, kwargs)
    except PUBLISH_ERRORS as exc:
        _log_down(exc)
        TaskOutbox.objects.create(
            task_name=task_name,
            args=list(args),
            kwargs=dict(kwargs),
            attempts=1,
            last_error=f"{type(exc).__name__}: {exc}"[:300],
        )
        return False
    return True


def enqueue(task, *args: Any, **kwargs: Any) -> None:
    """Queue ``task(*args, **kwargs)`` after the current transaction commits (at once outside
    one). Arguments must be JSON values (ids, codes), as for every task of the project.

    ``task`` is a Celery task or its registered name (a service that its own task module
    calls queues by name, so the two modules do not import each other)."""
    name = task if isinstance(task, str) else task.name
    transaction.on_commit(partial(publish, name, list(args), kwargs))


def outbox_sweep(*, batch_size: int = 100) -> dict[str, int]:
    """Queue the kept tasks, oldest first; stop at the first broker error (it is still down).
    Rows are locked with SKIP LOCKED, so two sweeps never queue the same row twice."""
    sent = 0
    while True:
        with transaction.atomic():
            rows = list(
                TaskOutbox.objects.select_for_update(skip_locked=True).order_by("created", "id")[
                    :batch_size
                ]
            )
            done = []
            failure = None
            for row in rows:
                try:
                    _send(row.task_name, row.args, row.kwargs)
                except PUBLISH_ERRORS as exc:
                    failure = exc
                    row.attempts += 1
                    row.last_error = f"{type(exc).__name__}: {exc}"[:300]
                    row.save(update_fields=["attempts", "last_error"])
                    break
                done.append(row.pk)
            TaskOutbox.objects.filter(pk__in=done).delete()
        sent += len(done)
        if failure is not None:
            _log_down(failure)
            break
        if len(rows) < batch_size:
            break
    return {"sent": sent, "left": TaskOutbox.objects.count()}


def outbox_backlog() -> tuple[int, Any]:
    """How many calls are waiting, and since when (one cheap aggregate)."""
    from django.db.models import Count, Min

    row = TaskOutbox.objects.aggregate(n=Count("id"), oldest=Min("created"))
    return row["n"], row["oldest"]
