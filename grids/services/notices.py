"""Notices written with a case's steps (same transaction as the step itself).

- The reporter hears of each status change that matters to them (accepted, dispatched,
  resolved, reopened): a row the portal's 我的 lists as unread, and an SMS queued through the
  task outbox (``grids.send_case_sms``) unless the resident opted out. The text names only the
  tracking code.
- When the resident says the problem is not fixed, the grid worker who handles it (or the
  grid's active workers with an account) and the community are told too.

One row per (step, audience) — a database constraint — so a retried step writes nothing twice.
"""

from __future__ import annotations

from datetime import timedelta

from django.apps import apps
from django.conf import settings
from django.db import transaction
from django.utils import timezone

from core.outbox import enqueue
from core.sms import SmsRateLimited, SmsRejected, SmsUnavailable, get_backend
from grids.choices import CaseAction, CaseSource, DispatchKind, NoticeAudience, SmsStatus
from grids.models import Case, CaseEvent, CaseNotice, GridWorker

SMS_TASK = "grids.send_case_sms"

RESIDENT_WORDS = {
    CaseAction.ACCEPT: "社区已受理",
    CaseAction.DISPATCH: "已交给承办人员处理",
    CaseAction.RESOLVE: "已办结，请查看办理结果并评价；如果问题没解决，15 天内可以告诉我们",
    CaseAction.REOPEN: "已退回重新办理",
}
# Cases a grid worker files on patrol have no resident reporter to tell.
NO_RESIDENT_SOURCES = (CaseSource.PATROL,)


def resident_text(case: Case, action: str) -> str:
    return f"您反映的问题（查询码 {case.tracking_code}）{RESIDENT_WORDS[action]}。"


def sms_opted_out(phone: str) -> bool:
    """Whether the resident with this phone turned SMS off (in the portal's 我的)."""
    if not apps.is_installed("portal"):
        return False
    profile = apps.get_model("portal", "ResidentProfile")
    return profile.objects.filter(phone=phone, sms_opt_out=True).exists()


def _sms_status(case: Case) -> str:
    if not getattr(settings, "SMS_BACKEND", ""):
        return SmsStatus.NONE
    if sms_opted_out(case.reporter_phone):
        return SmsStatus.SKIPPED
    return SmsStatus.QUEUED


def _workers_to_tell(case: Case) -> list:
    """The dispatched grid worker's account, else the accounts of the grid's active workers."""
    if case.dispatch_kind == DispatchKind.GRID_WORKER and case.target_object_id:
        worker = GridWorker.objects.filter(pk=case.target_object_id).first()
        if worker is not None and worker.user_id:
            return [worker.user_id]
    if case.grid_id:
        return list(
            GridWorker.objects.filter(grid_id=case.grid_id, active=True, user__isnull=False)
            .order_by("role", "code")
            .values_list("user_id", flat=True)[:1]
        )
    return []


def notices_for_step(case: Case, event: CaseEvent) -> list[CaseNotice]:
    """Write the notices one step owes (none for most staff-internal steps)."""
    action = event.action
    notices = []
    if action in RESIDENT_WORDS and case.source not in NO_RESIDENT_SOURCES:
        notices.append(
            CaseNotice(
                case=case,
                event=event,
                audience=NoticeAudience.RESIDENT,
                text=resident_text(case, action),
                sms_status=_sms_status(case),
            )
        )
    if action == CaseAction.REOPEN:
        reason = (event.note or "").replace("\n", " ")
        head = (
            f"居民反映问题没解决，诉求 {case.tracking_code} 已退回重办（第 {case.reopen_count} 次）"
        )
        text = f"{head}：{reason}"[:200]
        workers = _workers_to_tell(case)
        notices.append(
            CaseNotice(
                case=case,
                event=event,
                audience=NoticeAudience.WORKER,
                recipient_id=workers[0] if workers else None,
                organization=case.community,
                text=text,
            )
        )
        notices.append(
            CaseNotice(
                case=case,
                event=event,
                audience=NoticeAudience.COMMUNITY,
                organization=case.community,
                text=text,
            )
        )
    if action in (CaseAction.RETURN, CaseAction.ESCALATE):
        # 吹哨报到: the community's desk hears of a department's return and of an escalation
        detail = event.detail or {}
        who = detail.get("department_name") or case.target_label or "承办部门"
        if action == CaseAction.RETURN:
            text = f"{who}退回诉求 {case.tracking_code}，请重新派单：{event.note}"
        else:
            text = f"诉求 {case.tracking_code}：{event.note}"
        notices.append(
            CaseNotice(
                case=case,
                event=event,
                audience=NoticeAudience.COMMUNITY,
                organization=case.community,
                text=text.replace("\n", " ")[:200],
            )
        )
    for notice in notices:
        notice.save()
        if notice.sms_status == SmsStatus.QUEUED:
            enqueue(SMS_TASK, notice.pk)
    return notices


# -- SMS delivery (the delivery log is the notice row itself) ----------------------------------

FIRST_RETRY_SECONDS = 60
MAX_RETRY_SECONDS = 3600
STALE_AFTER = timedelta(minutes=10)  # a queued message nobody tried for this long is re-queued


def _backoff(attempts: int) -> int:
    return min(FIRST_RETRY_SECONDS * 2 ** max(attempts - 1, 0), MAX_RETRY_SECONDS)


def deliver_case_sms(notice_id: int) -> dict:
    """Send one queued notice's SMS, exactly once.

    The row is locked while sending (another worker holding it skips), and only a ``queued``
    row whose retry time has come is sent; success marks it ``sent`` in the same transaction.
    The gateway also gets ``client_ref`` = the notice id, so even a crash between its answer
    and our commit cannot deliver the message twice through a gateway that honours it.
    Returns ``{"state": …}``; ``retry`` comes with ``countdown`` seconds."""
    now = timezone.now()
    with transaction.atomic():
        notice = (
            CaseNotice.objects.select_for_update(skip_locked=True, of=("self",))
            .select_related("case")
            .filter(pk=notice_id)
            .first()
        )
        if notice is None:
            return {"state": "busy"}  # gone, or being sent by another worker right now
        if notice.sms_status != SmsStatus.QUEUED:
            return {"state": "done"}
        if notice.sms_next_at is not None and notice.sms_next_at > now:
            return {"state": "not_due", "countdown": (notice.sms_next_at - now).total_seconds()}
        backend = get_backend()
        if backend is None:
            return {"state": "off"}  # kept queued until a gateway is configured
        phone = notice.case.reporter_phone
        fields = ["sms_status", "sms_attempts", "sms_error", "sms_next_at"]
        if sms_opted_out(phone):
            notice.sms_status = SmsStatus.SKIPPED
            notice.sms_next_at = None
            notice.save(update_fields=fields)
            return {"state": "skipped"}
        notice.sms_attempts += 1
        result: dict = {"state": "sent"}
        try:
            reference = backend.send(
                phone=phone, text=notice.text, client_ref=f"case-notice-{notice.pk}"
            )
        except SmsRejected as exc:
            notice.sms_status = SmsStatus.FAILED
            notice.sms_error = str(exc)[:200]
            notice.sms_next_at = None
            result = {"state": "failed"}
        except SmsUnavailable as exc:
            notice.sms_error = str(exc)[:200]
            if notice.sms_attempts >= settings.SMS_MAX_ATTEMPTS:
                notice.sms_status = SmsStatus.FAILED
                notice.sms_next_at = None
                result = {"state": "failed"}
            else:
                wait = _backoff(notice.sms_attempts)
                if isinstance(exc, SmsRateLimited) and exc.retry_after:
                    wait = max(wait, min(exc.retry_after, MAX_RETRY_SECONDS))
                notice.sms_next_at = now + timedelta(seconds=wait)
                result = {"state": "retry", "countdown": wait}
        else:
            notice.sms_status = SmsStatus.SENT
            notice.sms_sent_at = timezone.now()
            notice.sms_reference = (reference or "")[:64]
            notice.sms_error = ""
            notice.sms_next_at = None
            fields += ["sms_sent_at", "sms_reference"]
        notice.save(update_fields=fields)
    return result


def requeue_stale_sms(*, now=None, limit: int = 500) -> int:
    """Queue again the SMS still waiting whose retry time passed long ago (a retry lost with a
    restarted worker, a broker outage): beat runs this every 10 minutes."""
    now = now or timezone.now()
    due = (
        CaseNotice.objects.filter(sms_status=SmsStatus.QUEUED, created_at__lt=now - STALE_AFTER)
        .exclude(sms_next_at__gt=now - STALE_AFTER)
        .order_by("created_at")
        .values_list("pk", flat=True)[:limit]
    )
    ids = list(due)
    for pk in ids:
        enqueue(SMS_TASK, pk)
    return len(ids)
