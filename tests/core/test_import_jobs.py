"""Confirmed imports as jobs: in-process (eager, small), queued for a worker (large), the job
endpoint and its owner-only scope, a second confirm of the same file, stale and killed workers.

The tests marked ``redis`` start a real Celery worker process on the Redis broker against the
PostgreSQL test database (they skip without REDIS_URL or on SQLite)."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from core.import_jobs import import_job_run, importer_path, stage_file, staging_dir
from core.models import AuditLog, ImportJob, TaskOutbox
from tests.core.files import csv_bytes
from volunteers.importers import SkillImporter
from volunteers.models import Skill

SKILLS_URL = "/api/v1/volunteer-skills/import/"
SKILL_PATH = importer_path(SkillImporter)


def skills_file(count: int, prefix: str = "s") -> bytes:
    rows = [["技能编码", "技能名称"]] + [
        [f"{prefix}{i:05d}", f"技能{prefix}{i}"] for i in range(count)
    ]
    return csv_bytes(rows)


def post_import(client, data: bytes, *, dry_run: bool = False):
    return client.post(
        SKILLS_URL,
        {"file": SimpleUploadedFile("skills.csv", data), "dry_run": str(dry_run).lower()},
        format="multipart",
    )


@pytest.fixture
def on_worker(settings, monkeypatch):
    """As with a broker (not eager): large imports are queued; the queued task ids are kept
    instead of going to Redis (the broker is outside the project)."""
    from config.celery import app
    from core import outbox

    queued: list[int] = []

    def send(task_name, args, kwargs):
        assert task_name == "core.run_import_job" and not kwargs
        queued.extend(args)

    monkeypatch.setattr(outbox, "_send", send)
    settings.IMPORT_BACKGROUND_ROWS = 3
    app.conf.task_always_eager = False
    yield queued
    app.conf.task_always_eager = True


# ---------------------------------------------------------------- the progress callback


def test_importer_reports_progress_every_n_rows(users):
    calls: list[tuple[int, int]] = []
    importer = SkillImporter(users["root"])
    importer.progress = lambda done, total: calls.append((done, total))
    importer.progress_every = 2
    result = importer.run(skills_file(5), "s.csv", dry_run=True)
    assert result.ok
    assert calls == [(0, 5), (2, 5), (4, 5), (5, 5)]


# ---------------------------------------------------------------- eager / in-process


def test_eager_mode_runs_a_large_import_in_process_and_returns_the_result(users, api, settings):
    settings.IMPORT_BACKGROUND_ROWS = 2
    client = api(users["cadre_a"])
    response = post_import(client, skills_file(5))
    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["committed"] is True and body["created"] == 5
    assert Skill.objects.count() == 5

    job = client.get(body["job"]).json()
    assert job["status"] == "done"
    assert job["rows_done"] == job["rows_total"] == 5
    assert job["result"]["created"] == 5 and job["result"]["committed"] is True
    assert ImportJob.objects.get().background is False


def test_a_file_with_errors_fails_its_job_and_writes_nothing(users, api):
    data = csv_bytes([["技能编码", "技能名称"], ["ok1", "甲"], ["bad code", "乙"]])
    response = post_import(api(users["cadre_a"]), data)
    assert response.status_code == 400
    assert response.json()["committed"] is False
    assert any(e["row"] == 3 for e in response.json()["errors"])
    assert not Skill.objects.exists()
    job = ImportJob.objects.get()
    assert job.status == "failed" and "1 处错误" in job.error


# ---------------------------------------------------------------- the job endpoint


def test_a_job_is_seen_by_its_owner_street_admins_and_superusers_only(users, api):
    response = post_import(api(users["cadre_a"]), skills_file(2))
    url = response.json()["job"]
    assert url.endswith(f"/api/v1/import-jobs/{ImportJob.objects.get().pk}/")

    assert api(users["cadre_a"]).get(url).status_code == 200
    assert api(users["root"]).get(url).status_code == 200
    assert api(users["street"]).get(url).status_code == 200
    assert api(users["cadre_b"]).get(url).status_code == 404
    assert api(users["grid_a"]).get(url).status_code == 404
    assert api(users["district"]).get(url).status_code == 404
    assert api(None).get(url).status_code in (401, 403)
    assert api(users["cadre_a"]).get("/api/v1/import-jobs/999999/").status_code == 404


def test_admin_job_page_is_for_its_owner_and_its_own_importer(users, admin_client_for):
    job = ImportJob.objects.create(
        user=users["root"], importer=SKILL_PATH, digest="0" * 64, status="done", result={}
    )
    client = admin_client_for(users["root"])
    assert (
        client.get(reverse("admin:volunteers_skill_import_job", args=[job.pk])).status_code == 200
    )
    # The same job under another model's admin is not found.
    url = reverse("admin:organizations_organization_import_job", args=[job.pk])
    assert client.get(url).status_code == 404
    other = admin_client_for(users["cadre_b"])
    url = reverse("admin:volunteers_skill_import_job", args=[job.pk])
    assert other.get(url).status_code == 404


# ---------------------------------------------------------------- idempotent confirm


def _preview(client, data: bytes):
    response = client.post(
        reverse("admin:volunteers_skill_import"),
        {"file": SimpleUploadedFile("skills.csv", data)},
    )
    assert response.context["token"], response.content.decode()
    return {
        "token": response.context["token"],
        "digest": response.context["digest"],
        "filename": "skills.csv",
    }


def test_two_confirms_of_the_same_preview_write_once(users, admin_client_for):
    client = admin_client_for(users["root"])
    form = _preview(client, skills_file(4))
    url = reverse("admin:volunteers_skill_import")

    first = client.post(url, form)
    assert first.status_code == 302 and first.url == reverse("admin:volunteers_skill_changelist")
    second = client.post(url, form, follow=True)
    page = second.content.decode()
    assert "导入完成" in page and "新增 <strong>4</strong>" in page
    assert Skill.objects.count() == 4
    assert ImportJob.objects.count() == 1
    assert AuditLog.objects.filter(action="skill.import").count() == 1


def test_confirming_a_file_whose_job_is_still_running_returns_that_job(users, api):
    data = skills_file(3)
    running = ImportJob.objects.create(
        user=users["cadre_a"],
        importer=SKILL_PATH,
        digest=hashlib.sha256(data).hexdigest(),
        status="running",
        heartbeat_at=timezone.now(),
        rows_total=3,
    )
    response = post_import(api(users["cadre_a"]), data)
    assert response.status_code == 202
    assert response.json()["id"] == running.pk and response.json()["status"] == "running"
    assert response["Location"] == response.json()["url"]
    assert not Skill.objects.exists()
    assert ImportJob.objects.count() == 1
    # Another user's running job for the same file is not theirs: they get their own.
    response = post_import(api(users["root"]), data)
    assert response.status_code == 200 and response.json()["created"] == 3


def test_a_stale_running_job_is_failed_and_the_file_can_be_confirmed_again(users, api, settings):
    settings.IMPORT_JOB_STALE_SECONDS = 60
    data = skills_file(3)
    stale = ImportJob.objects.create(
        user=users["cadre_a"],
        importer=SKILL_PATH,
        digest=hashlib.sha256(data).hexdigest(),
        status="running",
        heartbeat_at=timezone.now() - timedelta(seconds=61),
    )
    client = api(users["cadre_a"])
    job = client.get(f"/api/v1/import-jobs/{stale.pk}/").json()
    assert job["status"] == "failed" and "中断" in job["error"]

    response = post_import(client, data)
    assert response.status_code == 200 and response.json()["created"] == 3
    assert Skill.objects.count() == 3


class GivenUpWhileRunningImporter(SkillImporter):
    """Another process gives the job up (its heartbeat looked stale) after the rows were
    checked, while this process goes on to write them."""

    def check_all(self, items):
        ImportJob.objects.update(status="failed", error="中断")
        return super().check_all(items)


def test_a_job_given_up_while_running_does_not_commit_its_rows(users):
    data = skills_file(3)
    job = ImportJob.objects.create(
        user=users["root"],
        importer=importer_path(GivenUpWhileRunningImporter),
        digest=hashlib.sha256(data).hexdigest(),
    )
    assert import_job_run(job_id=job.pk, data=data) is None
    assert not Skill.objects.exists()
    assert not AuditLog.objects.filter(action="skill.import").exists()
    job.refresh_from_db()
    assert job.status == "failed"


# ---------------------------------------------------------------- queued for a worker


def test_a_large_api_import_is_queued_with_a_job_url_and_the_task_runs_it(
    users, api, on_worker, django_capture_on_commit_callbacks
):
    from core.tasks import run_import_job

    client = api(users["cadre_a"])
    with django_capture_on_commit_callbacks(execute=True):
        response = post_import(client, skills_file(5))
    assert response.status_code == 202, response.json()
    body = response.json()
    assert body["status"] == "queued" and body["rows_total"] == 5 and body["rows_done"] == 0
    assert body["result"] is None
    assert on_worker == [body["id"]]
    job = ImportJob.objects.get(pk=body["id"])
    staged = staging_dir() / job.staged_name
    assert staged.exists() and not Skill.objects.exists()

    assert run_import_job(body["id"]) == "done"
    polled = client.get(body["url"]).json()
    assert polled["status"] == "done"
    assert polled["rows_done"] == polled["rows_total"] == 5
    assert polled["result"]["created"] == 5
    assert Skill.objects.count() == 5 and not staged.exists()
    # A redelivered task leaves a finished job alone.
    assert run_import_job(body["id"]) == "not run or failed"
    assert AuditLog.objects.filter(action="skill.import").count() == 1


def test_a_job_that_cannot_be_queued_fails_and_holds_nothing(
    users, api, on_worker, monkeypatch, django_capture_on_commit_callbacks
):
    from core import outbox

    def broken(task_name, args, kwargs):
        raise RuntimeError("not a broker outage: the task cannot be sent at all")

    monkeypatch.setattr(outbox, "_send", broken)
    client = api(users["cadre_a"])
    data = skills_file(5)
    with django_capture_on_commit_callbacks(execute=True):
        response = post_import(client, data)
    job = client.get(response.json()["url"]).json()
    assert job["status"] == "failed" and "队列" in job["error"]
    # The file's slot is free again: confirming it once the broker is back queues a new job.
    monkeypatch.setattr(outbox, "_send", lambda name, args, kwargs: on_worker.extend(args))
    with django_capture_on_commit_callbacks(execute=True):
        response = post_import(client, data)
    assert response.status_code == 202 and response.json()["id"] != job["id"]
    assert not Skill.objects.exists()


def test_admin_shows_progress_then_the_result(
    users, admin_client_for, on_worker, django_capture_on_commit_callbacks
):
    from core.tasks import run_import_job

    client = admin_client_for(users["root"])
    form = _preview(client, skills_file(5))
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("admin:volunteers_skill_import"), form)
    job = ImportJob.objects.get()
    assert response.status_code == 302
    assert response.url == reverse("admin:volunteers_skill_import_job", args=[job.pk])

    page = client.get(response.url).content.decode()
    assert '<meta http-equiv="refresh" content="5">' in page
    assert "排队中，已等待不到 1 分钟" in page and 'id="import-cancel"' in page
    assert "<script>" not in page and "onload" not in page
    # A second confirm while queued shows the same job.
    again = client.post(reverse("admin:volunteers_skill_import"), form)
    assert again.url == response.url and ImportJob.objects.count() == 1

    ImportJob.objects.filter(pk=job.pk).update(
        status="running", rows_done=3, heartbeat_at=timezone.now(), attempt=1
    )
    page = client.get(response.url).content.decode()
    assert '<meta http-equiv="refresh" content="2">' in page
    assert 'value="3" max="5"' in page and "60%" in page and "import-cancel" not in page

    ImportJob.objects.filter(pk=job.pk).update(status="queued")
    run_import_job(job.pk)
    page = client.get(response.url).content.decode()
    assert "http-equiv" not in page
    assert "导入完成" in page and "新增 <strong>5</strong>" in page
    assert Skill.objects.count() == 5


# ---------------------------------------------------------------- a real worker process


def _worker_database_url() -> str:
    from django.db import connection

    if connection.vendor != "postgresql":
        pytest.skip("真实 worker 进程需要与测试共用 PostgreSQL 测试库（SQLite 测试库在内存中）")
    s = connection.settings_dict
    auth = s["USER"] + (f":{s['PASSWORD']}" if s["PASSWORD"] else "")
    return f"postgres://{auth}@{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}/{s['NAME']}"


@pytest.fixture
def worker_process(settings):
    """``start()`` → a Celery worker in its own process (so that it can be killed), on the
    test's Redis database and the PostgreSQL test database."""
    from config.celery import app
    from tests.core.test_celery_worker import _reachable_redis

    url = _reachable_redis()
    database_url = _worker_database_url()
    saved = {key: app.conf[key] for key in ("broker_url", "result_backend", "task_always_eager")}
    app.conf.update(broker_url=url, result_backend=url, task_always_eager=False)
    root = Path(__file__).resolve().parents[2]
    processes: list[subprocess.Popen] = []

    def start() -> subprocess.Popen:
        name = f"importjob-{len(processes)}-{os.getpid()}@test"
        env = {
            **os.environ,
            "DATABASE_URL": database_url,
            "REDIS_URL": url,
            "CELERY_BROKER_URL": url,
            "MEDIA_ROOT": str(settings.MEDIA_ROOT),
        }
        process = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "config", "worker", "-P", "solo",
             "-n", name, "-l", "WARNING", "--without-gossip", "--without-mingle"],
            cwd=root, env=env,
        )  # fmt: skip
        processes.append(process)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if process.poll() is not None:
                pytest.fail("Celery worker 进程启动失败")
            if app.control.ping(destination=[name], timeout=0.5):
                return process
        pytest.fail("Celery worker 进程 60 秒内没有就绪")

    try:
        yield start
    finally:
        for process in processes:
            if process.poll() is None:
                process.terminate()
                try:
                    process.wait(timeout=20)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait()
        app.conf.update(saved)


class AuditTableHeld:
    """Hold a SHARE lock on the audit table from another connection: an import writes its
    rows, then waits inside its transaction at its audit row until released."""

    def __init__(self):
        import psycopg2
        from django.db import connection

        s = connection.settings_dict
        self.conn = psycopg2.connect(
            dbname=s["NAME"], user=s["USER"], password=s["PASSWORD"] or None,
            host=s["HOST"] or "127.0.0.1", port=s["PORT"] or 5432,
        )  # fmt: skip
        with self.conn.cursor() as cursor:
            cursor.execute("LOCK TABLE core_auditlog IN SHARE MODE")

    def waiting_pid(self) -> int | None:
        with self.conn.cursor() as cursor:
            # Only a writer: autovacuum's SHARE UPDATE EXCLUSIVE waits on this lock too. (Not
            # pg_stat_activity: it is read once per transaction, and this one holds the lock.)
            cursor.execute(
                "SELECT pid FROM pg_locks WHERE NOT granted"
                " AND relation = 'core_auditlog'::regclass AND mode = 'RowExclusiveLock'"
            )
            row = cursor.fetchone()
        return row[0] if row else None

    def backend_alive(self, pid: int) -> bool:
        with self.conn.cursor() as cursor:
            cursor.execute("SELECT 1 FROM pg_stat_activity WHERE pid = %s", [pid])
            return cursor.fetchone() is not None

    def release(self):
        self.conn.rollback()
        # pg_stat_activity is read once per transaction: poll it afterwards one statement at a time.
        self.conn.autocommit = True

    def close(self):
        self.conn.close()


def _wait(condition, timeout: float = 60, step: float = 0.1):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(step)
    pytest.fail("等待超时")


@pytest.mark.redis
@pytest.mark.django_db(transaction=True)
def test_a_real_worker_reports_progress_and_the_result(users, api, settings, worker_process):
    settings.IMPORT_BACKGROUND_ROWS = 100
    worker_process()
    client = api(users["cadre_a"])
    held = AuditTableHeld()
    try:
        response = post_import(client, skills_file(3000))
        assert response.status_code == 202, response.json()
        url = response.json()["url"]
        seen: list[int] = [response.json()["rows_done"]]

        def checked_all_rows():
            job = client.get(url).json()
            seen.append(job["rows_done"])
            return job if job["status"] == "running" and job["rows_done"] == 3000 else None

        job = _wait(checked_all_rows)
        assert job["rows_total"] == 3000 and job["result"] is None
        _wait(held.waiting_pid)  # its rows are written, its transaction waits at the audit row
        assert not Skill.objects.exists()  # nothing visible before the commit
    finally:
        held.release()
        held.close()
    job = _wait(lambda: (j := client.get(url).json())["status"] == "done" and j)
    assert seen[0] == 0 and seen == sorted(seen)
    assert job["result"]["created"] == 3000 and job["result"]["committed"] is True
    assert Skill.objects.count() == 3000


@pytest.mark.redis
@pytest.mark.django_db(transaction=True)
def test_killing_the_worker_mid_import_writes_nothing_and_reconfirming_works(
    users, admin_client_for, settings, worker_process
):
    settings.IMPORT_BACKGROUND_ROWS = 100
    settings.IMPORT_JOB_STALE_SECONDS = 1
    client = admin_client_for(users["root"])
    form = _preview(client, skills_file(3000))
    url = reverse("admin:volunteers_skill_import")
    worker = worker_process()
    held = AuditTableHeld()
    try:
        response = client.post(url, form)
        assert response.status_code == 302
        job_page = response.url
        # The worker has inserted every row and waits, inside its transaction, at the audit row.
        pid = _wait(held.waiting_pid)
        worker.kill()
        worker.wait()
    finally:
        held.release()
    try:
        _wait(lambda: not held.backend_alive(pid))
    finally:
        held.close()
    assert not Skill.objects.exists()
    assert not AuditLog.objects.filter(action="skill.import").exists()

    time.sleep(1.5)  # no heartbeat for longer than IMPORT_JOB_STALE_SECONDS
    page = client.get(job_page).content.decode()
    assert "导入失败，未导入任何数据" in page and "中断" in page
    assert f'name="token" value="{form["token"]}"' in page
    assert ImportJob.objects.get().status == "failed"

    worker_process()
    response = client.post(url, form)
    assert response.status_code == 302 and response.url != job_page
    job = _wait(lambda: ImportJob.objects.filter(status="done").first(), timeout=120, step=0.3)
    assert job.result["created"] == 3000
    assert Skill.objects.count() == 3000
    assert AuditLog.objects.filter(action="skill.import").count() == 1


# ---------------------------------------------------------------- waiting in the queue


def _queued_job(user, *, ago: float = 0, data: bytes | None = None, **fields) -> ImportJob:
    """A background job as a confirm leaves it, created ``ago`` seconds back."""
    data = data if data is not None else skills_file(5)
    name = stage_file(user=user, data=data, filename="skills.csv", rows=5)
    job = ImportJob.objects.create(
        user=user,
        importer=SKILL_PATH,
        filename="skills.csv",
        digest=hashlib.sha256(data).hexdigest(),
        staged_name=name,
        rows_total=5,
        background=True,
        **fields,
    )
    if ago:
        ImportJob.objects.filter(pk=job.pk).update(
            created_at=timezone.now() - timedelta(seconds=ago)
        )
        job.refresh_from_db()
    return job


def test_a_job_kept_in_the_outbox_says_so_then_runs_once_the_broker_is_back(
    users, api, on_worker, monkeypatch, django_capture_on_commit_callbacks
):
    from kombu.exceptions import OperationalError

    from core import outbox
    from core.tasks import run_import_job

    def broker_down(task_name, args, kwargs):
        raise OperationalError("Connection refused")

    monkeypatch.setattr(outbox, "_send", broker_down)
    client = api(users["cadre_a"])
    with django_capture_on_commit_callbacks(execute=True):
        response = post_import(client, skills_file(5))
    assert response.status_code == 202
    job = client.get(response.json()["url"]).json()
    assert job["status"] == "queued" and job["waiting_seconds"] >= 0
    assert "已等待不到 1 分钟" in job["message"] and "暂存" in job["message"]
    assert "30 分钟" in job["message"] and job["gives_up_at"]
    assert job["cancel_url"].endswith(f"/api/v1/import-jobs/{job['id']}/cancel/")
    kept = TaskOutbox.objects.get()
    assert kept.task_name == "core.run_import_job" and kept.args == [job["id"]]

    # The broker is back: the sweep sends the kept task and a worker runs it.
    monkeypatch.setattr(outbox, "_send", lambda name, args, kwargs: on_worker.extend(args))
    assert outbox.outbox_sweep() == {"sent": 1, "left": 0}
    assert on_worker == [job["id"]]
    assert run_import_job(job["id"]) == "done"
    polled = client.get(job["url"]).json()
    assert polled["status"] == "done" and polled["waiting_seconds"] is None
    assert polled["cancel_url"] is None and "新增 5 条" in polled["message"]
    assert Skill.objects.count() == 5


def test_a_job_no_worker_takes_says_how_long_it_has_waited(users, api, admin_client_for):
    job = _queued_job(users["root"], ago=5 * 60 + 10)
    body = api(users["root"]).get(f"/api/v1/import-jobs/{job.pk}/").json()
    assert body["status"] == "queued" and body["waiting_seconds"] >= 310
    assert "已等待5 分钟" in body["message"] and "还没有后台导入进程" in body["message"]
    page = admin_client_for(users["root"]).get(
        reverse("admin:volunteers_skill_import_job", args=[job.pk])
    )
    text = page.content.decode()
    assert 'id="import-waiting"' in text and "已等待5 分钟" in text
    assert "还没有后台导入进程开始处理" in text and "自动放弃" in text


def test_a_job_queued_past_the_timeout_is_given_up_and_its_late_task_does_nothing(
    users, api, settings
):
    from core.tasks import run_import_job

    settings.IMPORT_JOB_QUEUE_TIMEOUT_SECONDS = 60
    job = _queued_job(users["cadre_a"], ago=61)
    TaskOutbox.objects.create(task_name="core.run_import_job", args=[job.pk])
    TaskOutbox.objects.create(task_name="core.run_import_job", args=[job.pk + 1000])
    client = api(users["cadre_a"])
    body = client.get(f"/api/v1/import-jobs/{job.pk}/").json()
    assert body["status"] == "failed" and body["cancel_url"] is None
    assert "排队超过 1 分钟" in body["error"] and "未写入任何数据" in body["error"]
    assert "重新确认" in body["error"] and body["message"] == body["error"]
    # Its kept task goes (nobody needs it), another job's stays.
    assert list(TaskOutbox.objects.values_list("args", flat=True)) == [[job.pk + 1000]]
    # The task arriving late (a worker comes up) leaves it alone: given up, never also run.
    assert run_import_job(job.pk) == "not run or failed"
    job.refresh_from_db()
    assert job.status == "failed" and job.attempt == 0 and not Skill.objects.exists()
    # Confirming the same file again is a new job.
    response = post_import(client, skills_file(5))
    assert response.status_code == 200 and response.json()["created"] == 5


def test_a_worker_never_starts_a_job_past_its_queue_timeout(users, settings):
    from core.tasks import run_import_job

    settings.IMPORT_JOB_QUEUE_TIMEOUT_SECONDS = 60
    job = _queued_job(users["root"], ago=61)  # nobody looked at it: the claim gives it up
    assert run_import_job(job.pk) == "not run or failed"
    job.refresh_from_db()
    assert job.status == "failed" and "排队超过" in job.error and job.started_at is None
    assert not Skill.objects.exists()

    fresh = _queued_job(users["root"], ago=59, data=skills_file(5, prefix="t"))
    assert run_import_job(fresh.pk) == "done"
    assert Skill.objects.count() == 5


def test_the_owner_cancels_a_queued_job_through_the_api(users, api):
    from core.tasks import run_import_job

    job = _queued_job(users["cadre_a"])
    TaskOutbox.objects.create(task_name="core.run_import_job", args=[job.pk])
    url = f"/api/v1/import-jobs/{job.pk}/cancel/"
    # Seen but not theirs (the street admin), or not seen at all.
    assert api(users["street"]).post(url).status_code == 403
    assert api(users["root"]).post(url).status_code == 403
    assert api(users["cadre_b"]).post(url).status_code == 404
    assert api(None).post(url).status_code in (401, 403)
    assert ImportJob.objects.get(pk=job.pk).status == "queued"

    response = api(users["cadre_a"]).post(url)
    assert response.status_code == 200
    assert response.json()["status"] == "cancelled" and "未写入任何数据" in response.json()["error"]
    assert not TaskOutbox.objects.exists()
    again = api(users["cadre_a"]).post(url)
    assert again.status_code == 409 and "不能取消" in again.json()["detail"]
    assert run_import_job(job.pk) == "not run or failed"
    assert not Skill.objects.exists()


def test_a_running_job_cannot_be_cancelled(users, api):
    job = _queued_job(users["cadre_a"], status="running", heartbeat_at=timezone.now(), attempt=1)
    response = api(users["cadre_a"]).post(f"/api/v1/import-jobs/{job.pk}/cancel/")
    assert response.status_code == 409 and response.json()["status"] == "running"
    assert ImportJob.objects.get(pk=job.pk).status == "running"


def test_the_owner_cancels_a_queued_job_in_the_admin_and_may_confirm_it_again(
    users, admin_client_for, on_worker, django_capture_on_commit_callbacks
):
    client = admin_client_for(users["root"])
    form = _preview(client, skills_file(5))
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("admin:volunteers_skill_import"), form)
    job = ImportJob.objects.get()
    cancel = reverse("admin:volunteers_skill_import_job_cancel", args=[job.pk])
    assert f'action="{cancel}"' in client.get(response.url).content.decode()
    # A GET only goes back to the page; someone else's job is not found.
    assert client.get(cancel).status_code == 302
    assert ImportJob.objects.get().status == "queued"
    page = client.post(cancel, follow=True).content.decode()
    assert "导入已取消，未导入任何数据" in page and "已取消本次导入" in page
    assert f'name="token" value="{form["token"]}"' in page
    assert "import-cancel" not in page
    with django_capture_on_commit_callbacks(execute=True):
        again = client.post(reverse("admin:volunteers_skill_import"), form)
    assert again.status_code == 302 and ImportJob.objects.count() == 2
    assert on_worker == [job.pk, ImportJob.objects.exclude(pk=job.pk).get().pk]


def test_only_the_owner_may_cancel_in_the_admin(users, admin_client_for):
    job = _queued_job(users["cadre_a"])
    cancel = reverse("admin:volunteers_skill_import_job_cancel", args=[job.pk])
    street = admin_client_for(users["street"])
    page = street.get(reverse("admin:volunteers_skill_import_job", args=[job.pk]))
    assert page.status_code == 200 and "import-cancel" not in page.content.decode()
    assert street.post(cancel).status_code == 403
    assert ImportJob.objects.get(pk=job.pk).status == "queued"


# ---------------------------------------------------------------- claim vs give-up / cancel


def _lock_waiters() -> int:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity "
            "WHERE datname = current_database() AND wait_event_type = 'Lock'"
        )
        return cursor.fetchone()[0]


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("rival", ["give_up", "cancel"])
@pytest.mark.parametrize("first", ["claim", "rival"])
def test_a_claim_racing_a_give_up_or_cancel_either_runs_the_job_or_ends_it_never_both(
    users, settings, monkeypatch, rival, first
):
    """Both sides wait on the job's row (held by a third connection), queued in a known order;
    released, the first one wins and the second sees what the first did."""
    import threading

    import psycopg2
    from django.db import connection

    from core import import_jobs

    if connection.vendor != "postgresql":
        pytest.skip("行锁竞争只在 PostgreSQL 上测（SQLite 锁整个库）")
    settings.IMPORT_JOB_QUEUE_TIMEOUT_SECONDS = 60
    job = _queued_job(users["root"], ago=30)
    fresh_for_claim = timezone.now() - timedelta(days=1)
    real_cutoff = import_jobs._queue_cutoff

    def cutoff():
        # The worker's claim sees a job still within its timeout; the give-up, a moment
        # later, sees it past (the edge where both could believe they own it).
        if threading.current_thread().name == "claim":
            return fresh_for_claim
        return real_cutoff() + timedelta(seconds=31)

    monkeypatch.setattr(import_jobs, "_queue_cutoff", cutoff)
    outcome: dict[str, object] = {}

    def claim():
        try:
            outcome["claim"] = import_jobs._claim(job.pk)
        finally:
            connection.close()

    def other():
        try:
            if rival == "give_up":
                stored = ImportJob.objects.get(pk=job.pk)
                after = import_jobs.import_job_give_up_if_stale(stored)
                outcome["rival"] = after.status == "failed"
            else:
                stored = ImportJob.objects.get(pk=job.pk)
                outcome["rival"] = import_jobs.import_job_cancel(actor=users["root"], job=stored)
        finally:
            connection.close()

    s = connection.settings_dict
    holder = psycopg2.connect(
        dbname=s["NAME"], user=s["USER"], password=s["PASSWORD"] or None,
        host=s["HOST"] or "127.0.0.1", port=s["PORT"] or 5432,
    )  # fmt: skip
    try:
        with holder.cursor() as cursor:
            cursor.execute("SELECT id FROM core_importjob WHERE id = %s FOR UPDATE", [job.pk])
        order = [("claim", claim), ("rival", other)]
        if first == "rival":
            order.reverse()
        threads = []
        for count, (name, target) in enumerate(order, start=1):
            thread = threading.Thread(target=target, name=name)
            thread.start()
            threads.append(thread)
            _wait(lambda count=count: _lock_waiters() >= count, timeout=30, step=0.02)
        holder.rollback()
        for thread in threads:
            thread.join(timeout=30)
            assert not thread.is_alive()
    finally:
        holder.close()

    job.refresh_from_db()
    claimed = outcome["claim"] is not None
    assert claimed != bool(outcome["rival"]), outcome  # exactly one side won
    if first == "claim":
        assert claimed and job.status == "running" and job.attempt == 1
    else:
        expected = "failed" if rival == "give_up" else "cancelled"
        assert not claimed and job.status == expected and job.attempt == 0
        assert job.started_at is None


# ---------------------------------------------------------------- the admin list of jobs


def test_the_job_list_shows_each_user_their_own_and_street_admins_all(users, admin_client_for):
    mine = _queued_job(users["cadre_a"], ago=125)
    done = ImportJob.objects.create(
        user=users["cadre_b"],
        importer=SKILL_PATH,
        filename="b.csv",
        digest="1" * 64,
        status="done",
        rows_total=7,
        rows_done=7,
        result={"total": 7, "created": 6, "updated": 1, "unchanged": 0},
    )
    url = reverse("admin:core_importjob_changelist")
    page = admin_client_for(users["cadre_a"]).get(url)
    assert page.status_code == 200
    text = page.content.decode()
    for header in ("导入类型", "文件", "状态", "进度", "发起人", "时间"):
        assert header in text
    job_url = reverse("admin:volunteers_skill_import_job", args=[mine.pk])
    assert f'href="{job_url}"' in text and "排队中，已等待2 分钟" in text
    assert "b.csv" not in text
    assert list(page.context["cl"].result_list) == [mine]

    for name in ("street", "root"):
        page = admin_client_for(users[name]).get(url)
        assert set(page.context["cl"].result_list) == {mine, done}
        text = page.content.decode()
        assert "7 行：新增 6，更新 1，未变 0" in text
        assert reverse("admin:volunteers_skill_import_job", args=[done.pk]) in text
    # Read-only: nothing to add, change or delete, for anybody.
    client = admin_client_for(users["root"])
    assert client.get(reverse("admin:core_importjob_add")).status_code == 403
    assert client.post(reverse("admin:core_importjob_delete", args=[done.pk])).status_code == 403
    assert ImportJob.objects.count() == 2


def test_the_job_list_opens_for_every_role_and_gives_up_overdue_jobs(
    users, admin_client_for, settings
):
    settings.IMPORT_JOB_QUEUE_TIMEOUT_SECONDS = 60
    overdue = _queued_job(users["grid_a"], ago=61)
    for name in ("street", "cadre_a", "cadre_b", "grid_a", "district", "root"):
        page = admin_client_for(users[name]).get(reverse("admin:core_importjob_changelist"))
        assert page.status_code == 200, name
    overdue.refresh_from_db()
    assert overdue.status == "failed" and "排队超过" in overdue.error
    # Another user's job page is not found; one's own opens (read-only).
    change = reverse("admin:core_importjob_change", args=[overdue.pk])
    assert admin_client_for(users["cadre_a"]).get(change).status_code in (302, 403, 404)
    assert admin_client_for(users["grid_a"]).get(change).status_code == 200
