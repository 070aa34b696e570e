from django.db import models


class Holder(models.TextChoices):
    PARTY_COMMITTEE = "party_committee", "社区综合党委（纪委、群团组织）"
    WORKSTATION = "workstation", "社区工作站"
    RESIDENTS_COMMITTEE = "residents_committee", "社区居委会"


class Responsibility(models.TextChoices):
    LEAD = "lead", "主体责任"
    ASSIST = "assist", "协助责任"


class ListStatus(models.TextChoices):
    DRAFT = "draft", "草稿"
    PUBLISHED = "published", "现行"
    SUPERSEDED = "superseded", "已废止"


class AdmissionStatus(models.TextChoices):
    PENDING = "pending", "待审批"
    APPROVED = "approved", "准予准入"
    REFUSED = "refused", "街道不予准入"
    COMMUNITY_REFUSED = "community_refused", "社区拒绝承接"


class PeriodKind(models.TextChoices):
    QUARTER = "quarter", "季度"
    YEAR = "year", "年度"


class SetStatus(models.TextChoices):
    DRAFT = "draft", "草稿"
    ACTIVE = "active", "已启用"


class IndicatorSource(models.TextChoices):
    MANUAL = "manual", "人工评分（上考）"
    AUTOMATIC = "automatic", "系统自动取数"


class VoterKind(models.TextChoices):
    MEMBER = "member", "党员"
    RESIDENT = "resident", "居民群众"


class RunStatus(models.TextChoices):
    QUEUED = "queued", "排队中"
    RUNNING = "running", "计算中"
    DONE = "done", "已完成"
    FAILED = "failed", "失败"


class RunTrigger(models.TextChoices):
    MANUAL = "manual", "手动"
    SCHEDULE = "schedule", "到期自动"


# Satisfaction ballots: points per answer (满意 / 基本满意 / 不满意), on a 100-point scale.
BALLOT_POINTS = {"satisfied": 100, "basically_satisfied": 60, "dissatisfied": 0}
