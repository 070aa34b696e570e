"""Governance models, one module per domain (issue 8 adds work lists, admission, assessment)."""

from governance.models.meetings import (
    AgendaItem,
    Invitation,
    Meeting,
    MeetingAttachment,
    MeetingSeries,
    Resolution,
    SeriesMember,
)
from governance.models.notifications import EmailDelivery, Notification
from governance.models.tasks import Evaluation, Task, TaskProgress

__all__ = [
    "AgendaItem",
    "Evaluation",
    "Invitation",
    "Meeting",
    "MeetingAttachment",
    "MeetingSeries",
    "Notification",
    "EmailDelivery",
    "Resolution",
    "SeriesMember",
    "Task",
    "TaskProgress",
]
