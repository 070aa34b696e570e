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

from django.apps import apps
from django.conf import settings

from core.outbox import enqueue
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
    for notice in notices:
        notice.save()
        if notice.sms_status == SmsStatus.QUEUED:
            enqueue(SMS_TASK, notice.pk)
    return notices
