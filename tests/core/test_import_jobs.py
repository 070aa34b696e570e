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

from core.import_jobs import import_job_run, importer_path, staging_dir
from core.models import AuditLog, ImportJob
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
    from core.tasks import run_import_job

    queued: list[int] = []
    monkeypatch.setattr(run_import_job, "delay", queued.append)
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


def test_a_job_is_seen_by_its_owner_and_superusers_only(users, api):
    response = post_import(api(users["cadre_a"]), skills_file(2))
    url = response.json()["job"]
    assert url.endswith(f"/api/v1/import-jobs/{ImportJob.objects.get().pk}/")

    assert api(users["cadre_a"]).get(url).status_code == 200
    assert api(users["root"]).get(url).status_code == 200
    assert api(users["cadre_b"]).get(url).status_code == 404
    assert api(users["street"]).get(url).status_code == 404
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
    other = admin_client_for(users["street"])
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
    from kombu.exceptions import OperationalError

    from core.tasks import run_import_job

    def broker_down(job_id):
        raise OperationalError("Connection refused")

    monkeypatch.setattr(run_import_job, "delay", broker_down)
    client = api(users["cadre_a"])
    data = skills_file(5)
    with django_capture_on_commit_callbacks(execute=True):
        response = post_import(client, data)
    job = client.get(response.json()["url"]).json()
    assert job["status"] == "failed" and "队列" in job["error"]
    # The file's slot is free again: confirming it once the broker is back queues a new job.
    monkeypatch.setattr(run_import_job, "delay", on_worker.append)
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
    assert '<meta http-equiv="refresh" content="2">' in page
    assert 'id="import-progress" value="0" max="5"' in page
    assert "<script>" not in page and "onload" not in page
    # A second confirm while queued shows the same job.
    again = client.post(reverse("admin:volunteers_skill_import"), form)
    assert again.url == response.url and ImportJob.objects.count() == 1

    ImportJob.objects.filter(pk=job.pk).update(
        status="running", rows_done=3, heartbeat_at=timezone.now(), attempt=1
    )
    page = client.get(response.url).content.decode()
    assert 'value="3" max="5"' in page and "60%" in page

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
            cursor.execute(
                "SELECT pid FROM pg_locks WHERE NOT granted AND relation = 'core_auditlog'::regclass"
            )
            row = cursor.fetchone()
        return row[0] if row else None

    def backend_alive(self, pid: int) -> bool:
        with self.conn.cursor() as cursor:
            cursor.execute("SELECT 1 FROM pg_stat_activity WHERE pid = %s", [pid])
            return cursor.fetchone() is not None

    def release(self):
        self.conn.rollback()

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
