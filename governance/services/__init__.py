"""Every write of the governance app (keyword-only, with ``actor``, audited)."""

from governance.services.meetings import (
    attachment_add,
    attendance_record,
    meeting_hold,
    meeting_invite,
    meeting_plan,
    meeting_update,
    member_add,
    resolution_pass,
    resolution_set_public,
    series_create,
    series_update,
)
from governance.services.notifications import notification_mark_read
from governance.services.tasks import (
    task_accept,
    task_complete,
    task_dispatch,
    task_evaluate,
    task_progress,
    task_reject,
)

__all__ = [
    "attachment_add",
    "attendance_record",
    "meeting_hold",
    "meeting_invite",
    "meeting_plan",
    "meeting_update",
    "member_add",
    "notification_mark_read",
    "resolution_pass",
    "resolution_set_public",
    "series_create",
    "series_update",
    "task_accept",
    "task_complete",
    "task_dispatch",
    "task_evaluate",
    "task_progress",
    "task_reject",
]
