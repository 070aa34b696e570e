"""The embedded default runs queued tasks in-process (no broker). A task queued by name before
its ``tasks`` module was imported must still run: ``core.outbox.publish`` imports the apps'
task modules on a miss, as a worker does when it starts. Checked in a fresh interpreter,
where nothing has imported ``core.tasks`` yet."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

SCRIPT = """
import django
django.setup()
from config.celery import app
assert app.conf.task_always_eager, "expected the embedded default (eager tasks)"
print("registered-before:", "core.ping" in app.tasks)
from core.outbox import publish
print("published:", publish("core.ping", [], {}))
print("registered-after:", "core.ping" in app.tasks)
"""


def test_a_task_queued_by_name_before_its_module_is_imported_runs_in_process():
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in {"REDIS_URL", "CELERY_BROKER_URL", "DATABASE_URL"}
    }
    env.update(DJANGO_SETTINGS_MODULE="config.settings", APP_ENV="test")
    result = subprocess.run(
        [sys.executable, "-c", SCRIPT],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    lines = result.stdout.splitlines()
    # The premise: nothing imported core.tasks at start-up, so the lazy import is exercised.
    assert "registered-before: False" in lines, result.stdout
    assert "published: True" in lines
    assert "registered-after: True" in lines
