from django.db import models


class SeriesKind(models.TextChoices):
    COMMITTEE_JOINT = "committee_joint", "大党委联席会议"
    TRIPARTITE = "tripartite", "三方联动会议"
    RESIDENTS_COUNCIL = "residents_council", "居民议事会议"
    CO_CONSTRUCTION = "co_construction", "共建联席会议"
    LIVELIHOOD_DISPATCH = "livelihood_dispatch", "民生工作调度会"
    CUSTOM = "custom", "其他（自定义）"


class Cadence(models.TextChoices):
    WEEKLY = "weekly", "每周"
    MONTHLY = "monthly", "每月"
    QUARTERLY = "quarterly", "每季度"
    YEARLY = "yearly", "每年"


class MemberKind(models.TextChoices):
    COMMITTEE_SEAT = "committee_seat", "兼职委员"
    UNIT_LIAISON = "unit_liaison", "驻区单位联络员"
    OWNERS_COMMITTEE = "owners_committee", "业主委员会"
    PROPERTY_COMPANY = "property_company", "物业服务企业"
    RESIDENTS_REP = "residents_rep", "居民代表"
    CADRE = "cadre", "社区干部"
    OTHER = "other", "其他"


class MeetingStatus(models.TextChoices):
    PLANNED = "planned", "已计划"
    HELD = "held", "已召开"
    CANCELLED = "cancelled", "已取消"


class Attendance(models.TextChoices):
    UNKNOWN = "unknown", "未登记"
    PRESENT = "present", "出席"
    ABSENT = "absent", "缺席"
    EXCUSED = "excused", "请假"


class ResolutionKind(models.TextChoices):
    DISCUSS = "discuss", "大事共议"
    DECIDE = "decide", "要事共决"
    SOLVE = "solve", "难事共解"
    DELIVER = "deliver", "实事共办"


class NotificationKind(models.TextChoices):
    MEETING_REMINDER = "meeting_reminder", "会议提醒"
    PERIOD_REMINDER = "period_reminder", "本期尚未安排会议"
    MEETING_OVERDUE = "meeting_overdue", "会议逾期未召开"
    TASK_REMINDER = "task_reminder", "派单即将到期"
    TASK_OVERDUE = "task_overdue", "派单已逾期"
    DAILY_DIGEST = "daily_digest", "每日逾期事项汇总"
    WEBHOOK_DISABLED = "webhook_disabled", "数据推送地址已停用"


class EmailStatus(models.TextChoices):
    NONE = "none", "无需发送"
    QUEUED = "queued", "待发送"
    SENT = "sent", "已发送"
    FAILED = "failed", "发送失败"


class TaskStatus(models.TextChoices):
    DISPATCHED = "dispatched", "已派单"
    ACCEPTED = "accepted", "已接单"
    IN_PROGRESS = "in_progress", "办理中"
    DONE = "done", "已办结"
    EVALUATED = "evaluated", "已评价"
    REJECTED = "rejected", "已退回"


class EvaluationSide(models.TextChoices):
    ASSIGNER = "assigner", "派单方评价办理质量"
    ASSIGNEE = "assignee", "承办方评价派单清晰度与支持"


OPEN_TASK_STATUSES = (TaskStatus.DISPATCHED, TaskStatus.ACCEPTED, TaskStatus.IN_PROGRESS)
