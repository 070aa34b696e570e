"""Confirmed file imports as jobs: in the request when small, on a Celery worker when large.

A confirm creates an ``ImportJob`` (who, importer, file digest). Files over
``IMPORT_BACKGROUND_ROWS`` rows are staged under ``MEDIA_ROOT/import-staging/`` and run by the
``core.run_import_job`` task; smaller ones, and every one when no broker is configured (eager
mode), run at once in the same process. Either way the importer writes in one transaction, and
the job is marked done in that same transaction, so a job is done exactly when its rows are
written. A worker that dies leaves its job ``running`` with a heartbeat that stops moving; after
``IMPORT_JOB_STALE_SECONDS`` the job counts as failed and the file can be confirmed again.

A job that no worker takes (none running, or its task kept in the outbox while the broker is
down) stays ``queued``; its pages say so and for how long, its owner may cancel it, and after
``IMPORT_JOB_QUEUE_TIMEOUT_SECONDS`` it is given up (failed, nothing written). Giving up, cancelling
and a worker's claim each change the row only while it is still ``queued`` (a conditional
UPDATE against the claim's ``SELECT … FOR UPDATE``), so a job is either run once or given up,
never both.
"""

from __future__ import annotations

import hashlib
import logging
import time
import uuid
from datetime import timedelta
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.module_loading import import_string

from core.importing import BaseImporter, ImportResult
from core.models import ImportJob

logger = logging.getLogger(__name__)

STAGING_MAX_AGE = 24 * 3600  # seconds a staged file waits for its confirmation (or its worker)


class JobLost(Exception):
    """The job was given up (stale) or taken over while this process was still running it."""


# ---------------------------------------------------------------- staging


def staging_dir() -> Path:
    directory = Path(settings.MEDIA_ROOT) / "import-staging"
    directory.mkdir(parents=True, exist_ok=True)
    return directory


def stage_file(*, user, data: bytes, filename: str, token: str = "", rows: int = 0) -> str:
    """Keep an uploaded file for its confirmation or its worker; returns its staged name.

    The name carries the owner, a random token and the row count of the clean dry run, so the
    confirm knows the size without reading the file again."""
    token = token or uuid.uuid4().hex
    suffix = Path(filename).suffix.lower()[:8]
    name = f"{user.pk}-{token}-{rows}{suffix}"
    (staging_dir() / name).write_bytes(data)
    return name


def find_staged(*, user, token: str) -> Path | None:
    if not token.isalnum():
        return None
    matches = sorted(staging_dir().glob(f"{user.pk}-{token}-*"))
    return matches[0] if matches else None


def staged_rows(path: Path) -> int:
    """The row count recorded in a staged file's name (0 if unknown)."""
    count = path.stem.split("-")[-1]
    return int(count) if count.isdigit() else 0


def staged_token(job: ImportJob) -> str:
    parts = job.staged_name.split("-")
    return parts[1] if len(parts) >= 3 else ""


def drop_stale_staged_files() -> None:
    """Previews that were never confirmed: their files go after a day."""
    cutoff = time.time() - STAGING_MAX_AGE
    for staged in staging_dir().iterdir():
        try:
            if staged.stat().st_mtime < cutoff:
                staged.unlink()
        except FileNotFoundError:
            continue  # removed meanwhile by another request


# ---------------------------------------------------------------- selectors


def importer_path(importer_class: type[BaseImporter]) -> str:
    return f"{importer_class.__module__}.{importer_class.__qualname__}"


def sees_all_import_jobs(user) -> bool:
    """Superusers and holders of ``core.view_importjob`` (the street admin role) see every
    user's jobs; everybody else only their own."""
    return bool(
        getattr(user, "is_authenticated", False)
        and (user.is_superuser or user.has_perm("core.view_importjob"))
    )


def import_jobs_visible_to(user):
    """A job is its owner's (and the street admins' and superusers'); nobody else learns that
    it exists."""
    jobs = ImportJob.objects.select_related("user")
    if not getattr(user, "is_authenticated", False):
        return jobs.none()
    return jobs if sees_all_import_jobs(user) else jobs.filter(user=user)


def import_job_latest(*, user, importer: str, digest: str) -> ImportJob | None:
    """The user's most recent job for this file within a day (what a repeated confirm shows)."""
    since = timezone.now() - timedelta(seconds=STAGING_MAX_AGE)
    return (
        ImportJob.objects.filter(user=user, importer=importer, digest=digest, created_at__gte=since)
        .order_by("-created_at", "-id")
        .first()
    )


# ---------------------------------------------------------------- services


def runs_on_worker(rows: int | None) -> bool:
    """Whether a confirmed import of this many rows goes to a worker (never without a broker)."""
    from config.celery import app

    return (
        rows is not None
        and rows > settings.IMPORT_BACKGROUND_ROWS
        and not app.conf.task_always_eager
    )


def broker_configured() -> bool:
    from config.celery import app

    return not app.conf.task_always_eager


def duration_text(seconds: float) -> str:
    seconds = max(0, int(seconds))
    if seconds < 60:
        return "不到 1 分钟"
    hours, minutes = divmod(seconds // 60, 60)
    if hours:
        return f"{hours} 小时 {minutes} 分钟" if minutes else f"{hours} 小时"
    return f"{minutes} 分钟"


def queue_timeout_error() -> str:
    limit = duration_text(settings.IMPORT_JOB_QUEUE_TIMEOUT_SECONDS)
    return f"排队超过 {limit} 仍没有后台进程开始导入，已放弃，未写入任何数据；请重新确认导入。"


CANCELLED_ERROR = "导入人已取消本次导入，未写入任何数据。"


def _queue_cutoff():
    return timezone.now() - timedelta(seconds=settings.IMPORT_JOB_QUEUE_TIMEOUT_SECONDS)


def _stale_cutoff():
    return timezone.now() - timedelta(seconds=settings.IMPORT_JOB_STALE_SECONDS)


def _stale_error() -> str:
    minutes = max(1, settings.IMPORT_JOB_STALE_SECONDS // 60)
    return f"导入进程中断（超过 {minutes} 分钟没有进展），未写入任何数据；请重新确认导入。"


def _drop_kept_task(job_ids) -> None:
    """A job that will never run needs no task kept for it in the outbox."""
    from core.models import TaskOutbox

    for job_id in job_ids:
        TaskOutbox.objects.filter(task_name=RUN_TASK, args=[job_id]).delete()


def import_jobs_give_up_overdue(jobs=None) -> int:
    """Fail, in one statement each, the jobs among ``jobs`` (default all) that waited in the
    queue past ``IMPORT_JOB_QUEUE_TIMEOUT_SECONDS`` or whose running heartbeat is stale.
    Each UPDATE re-checks its condition on the row a concurrent claim may just have changed,
    so a job a worker took meanwhile is left alone."""
    jobs = ImportJob.objects.all() if jobs is None else jobs
    now = timezone.now()
    overdue = list(
        jobs.filter(status=ImportJob.Status.QUEUED, created_at__lt=_queue_cutoff()).values_list(
            "pk", flat=True
        )
    )
    count = 0
    if overdue:
        count += ImportJob.objects.filter(
            pk__in=overdue, status=ImportJob.Status.QUEUED, created_at__lt=_queue_cutoff()
        ).update(status=ImportJob.Status.FAILED, error=queue_timeout_error(), finished_at=now)
        _drop_kept_task(overdue)
    stale = list(
        jobs.filter(status=ImportJob.Status.RUNNING, heartbeat_at__lt=_stale_cutoff()).values_list(
            "pk", flat=True
        )
    )
    if stale:
        count += ImportJob.objects.filter(
            pk__in=stale, status=ImportJob.Status.RUNNING, heartbeat_at__lt=_stale_cutoff()
        ).update(status=ImportJob.Status.FAILED, error=_stale_error(), finished_at=now)
    return count


def import_job_give_up_if_stale(job: ImportJob) -> ImportJob:
    """A running job whose heartbeat stopped (its worker died) is failed; nothing was written,
    since the import's transaction died with the worker's database connection. A queued job
    that no worker took within ``IMPORT_JOB_QUEUE_TIMEOUT_SECONDS`` is failed too (race-safe
    against a worker claiming it at the same moment: whichever commits first wins)."""
    if job.status == ImportJob.Status.QUEUED:
        if job.created_at >= _queue_cutoff():
            return job
        given_up = ImportJob.objects.filter(
            pk=job.pk, status=ImportJob.Status.QUEUED, created_at__lt=_queue_cutoff()
        ).update(
            status=ImportJob.Status.FAILED,
            error=queue_timeout_error(),
            finished_at=timezone.now(),
        )
        if given_up:
            _drop_kept_task([job.pk])
    elif job.status == ImportJob.Status.RUNNING:
        ImportJob.objects.filter(
            pk=job.pk, status=ImportJob.Status.RUNNING, heartbeat_at__lt=_stale_cutoff()
        ).update(
            status=ImportJob.Status.FAILED,
            error=_stale_error(),
            finished_at=timezone.now(),
        )
    else:
        return job
    job.refresh_from_db()
    return job


def import_job_cancel(*, actor, job: ImportJob) -> bool:
    """The owner cancels a job that no worker has started; False when it is no longer queued
    (a worker took it, or it ended). Race-safe against a claim like the give-up."""
    if job.user_id != getattr(actor, "pk", None):
        raise PermissionDenied("只有发起导入的人可以取消。")
    cancelled = ImportJob.objects.filter(pk=job.pk, status=ImportJob.Status.QUEUED).update(
        status=ImportJob.Status.CANCELLED, error=CANCELLED_ERROR, finished_at=timezone.now()
    )
    if cancelled:
        _drop_kept_task([job.pk])
    job.refresh_from_db()
    return bool(cancelled)


def import_job_waiting(job: ImportJob) -> dict[str, Any] | None:
    """For a queued job: how long it has waited, why (kept in the outbox, or no worker has
    taken it yet), when it will be given up, and all of that said in one plain sentence."""
    if job.status != ImportJob.Status.QUEUED:
        return None
    from core.models import TaskOutbox

    now = timezone.now()
    waited = (now - job.created_at).total_seconds()
    deadline = job.created_at + timedelta(seconds=settings.IMPORT_JOB_QUEUE_TIMEOUT_SECONDS)
    kept = job.background and TaskOutbox.objects.filter(task_name=RUN_TASK, args=[job.pk]).exists()
    why = (
        "消息队列暂不可用，任务已暂存，恢复后自动发出"
        if kept
        else "还没有后台导入进程开始处理（进程可能都在忙，或没有运行）"
    )
    message = (
        f"排队中，已等待{duration_text(waited)}：{why}。"
        f"超过 {duration_text(settings.IMPORT_JOB_QUEUE_TIMEOUT_SECONDS)} 仍未开始将自动放弃"
        f"（不写入任何数据，届时请重新确认导入）；也可以现在取消。"
    )
    return {
        "waiting_seconds": int(waited),
        "gives_up_at": deadline,
        "kept_in_outbox": bool(kept),
        "message": message,
    }


def import_job_confirm(
    *,
    actor,
    importer_class: type[BaseImporter],
    data: bytes,
    filename: str,
    rows: int | None = None,
    staged_name: str = "",
) -> tuple[ImportJob, ImportResult | None]:
    """Confirm a (dry-run clean) file: returns its job and, when it ran here, the live result.

    ``rows`` is the dry run's row count; ``None`` means unknown (then it runs here). Over
    ``IMPORT_BACKGROUND_ROWS`` with a broker, it is queued for a worker and the result is
    ``None``. A queued or running job for the same user, importer and file is returned as is
    (a second confirm never writes twice); a stale one is failed first and replaced.
    """
    path = importer_path(importer_class)
    digest = hashlib.sha256(data).hexdigest()
    background = runs_on_worker(rows)
    job = None
    for _ in range(2):
        try:
            with transaction.atomic():
                job = ImportJob.objects.create(
                    user=actor,
                    importer=path,
                    filename=filename[:255],
                    digest=digest,
                    staged_name=staged_name,
                    rows_total=rows or 0,
                    background=background,
                )
            break
        except IntegrityError:
            active = ImportJob.objects.filter(
                user=actor, importer=path, digest=digest, status__in=ImportJob.ACTIVE
            ).first()
            if active is None:
                continue  # it finished meanwhile
            active = import_job_give_up_if_stale(active)
            if active.active:
                return active, None
    if job is None:
        raise IntegrityError("import job could not be created")
    if not background:
        return job, import_job_run(job_id=job.pk, data=data)
    if not job.staged_name:
        job.staged_name = stage_file(user=actor, data=data, filename=filename, rows=rows or 0)
        job.save(update_fields=["staged_name"])
    transaction.on_commit(lambda: _enqueue(job))
    return job, None


RUN_TASK = "core.run_import_job"


def _enqueue(job: ImportJob) -> None:
    # By its registered name through the project's app (core.tasks imports this module; no
    # import circle, and no need for core.tasks to be imported in this process). With the
    # broker down the call is kept in the task outbox and the job stays queued until it is back.
    from core.outbox import publish

    try:
        publish(RUN_TASK, [job.pk], {})
    except Exception:
        logger.exception("import job %s could not be queued", job.pk)
        ImportJob.objects.filter(pk=job.pk, status=ImportJob.Status.QUEUED).update(
            status=ImportJob.Status.FAILED,
            error="后台任务队列暂不可用，未写入任何数据；请稍后重新确认导入。",
            finished_at=timezone.now(),
        )


def _claim(job_id: int) -> ImportJob | None:
    """Take the job for this process: queued, or running with a stopped heartbeat (a worker
    died and the broker handed the task out again). A job queued past its timeout is given
    up here instead (never started late, after its owner was told it was given up)."""
    cutoff = _stale_cutoff()
    with transaction.atomic():
        job = ImportJob.objects.select_for_update().filter(pk=job_id).first()
        if job is None:
            return None
        stale = job.status == ImportJob.Status.RUNNING and (
            job.heartbeat_at is None or job.heartbeat_at < cutoff
        )
        if job.status != ImportJob.Status.QUEUED and not stale:
            return None
        now = timezone.now()
        if job.status == ImportJob.Status.QUEUED and job.created_at < _queue_cutoff():
            job.status = ImportJob.Status.FAILED
            job.error = queue_timeout_error()
            job.finished_at = now
            job.save(update_fields=["status", "error", "finished_at"])
            return None
        job.status = ImportJob.Status.RUNNING
        job.attempt += 1
        job.rows_done = 0
        job.started_at = job.heartbeat_at = now
        job.save(update_fields=["status", "attempt", "rows_done", "started_at", "heartbeat_at"])
    return job


def _mine(job: ImportJob):
    return ImportJob.objects.filter(pk=job.pk, status=ImportJob.Status.RUNNING, attempt=job.attempt)


def _report_progress(job: ImportJob, done: int, total: int) -> None:
    if not _mine(job).update(rows_done=done, rows_total=total, heartbeat_at=timezone.now()):
        raise JobLost


def _finish(job: ImportJob, result: ImportResult) -> bool:
    outcome = {**result.as_dict(), "dry_run": False, "committed": True}
    return bool(
        _mine(job).update(
            status=ImportJob.Status.DONE,
            result=outcome,
            rows_done=result.total,
            rows_total=result.total,
            error="",
            heartbeat_at=timezone.now(),
            finished_at=timezone.now(),
        )
    )


def _fail(job: ImportJob, error: str, result: dict[str, Any] | None = None) -> None:
    _mine(job).update(
        status=ImportJob.Status.FAILED, error=error, result=result, finished_at=timezone.now()
    )


def import_job_run(*, job_id: int, data: bytes | None = None) -> ImportResult | None:
    """Run a job's import (in the request or on a worker); the result, or None if this process
    did not run it to the end (not claimable, given up meanwhile, or an internal error)."""
    job = _claim(job_id)
    if job is None:
        return None
    staged = staging_dir() / job.staged_name if job.staged_name else None
    try:
        if data is None:
            if staged is None or not staged.exists():
                _fail(job, "暂存的文件已过期或丢失，未写入任何数据；请重新上传。")
                return None
            data = staged.read_bytes()
        if hashlib.sha256(data).hexdigest() != job.digest:
            _fail(job, "暂存的文件与确认时不一致，未写入任何数据；请重新上传。")
            return None
        importer = import_string(job.importer)(job.user)
        importer.progress = lambda done, total: _report_progress(job, done, total)
        after_save = importer.after_save

        def after_save_and_finish(result: ImportResult) -> None:
            # Inside the import's transaction: the job is done exactly when the rows are
            # written, and a job given up meanwhile rolls its rows back instead.
            after_save(result)
            if not _finish(job, result):
                raise JobLost

        importer.after_save = after_save_and_finish
        result = importer.run(data, job.filename, dry_run=False)
    except JobLost:
        return None
    except Exception:
        logger.exception("import job %s failed", job_id)
        _fail(job, "导入时发生内部错误，未写入任何数据；请稍后重新确认，或联系管理员。")
        return None
    if result.committed:
        # An importer that skips after_save (nothing to write) is finished here.
        _finish(job, result)
        if staged is not None:
            staged.unlink(missing_ok=True)
    else:
        _fail(
            job,
            f"文件有 {len(result.errors)} 处错误，未导入任何数据。",
            {**result.as_dict(), "dry_run": False},
        )
    return result
