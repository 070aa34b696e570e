"""Choices of the grids app, with Chinese labels, and the tunable thresholds."""

from datetime import timedelta

from django.conf import settings
from django.db import models


class GridLevel(models.TextChoices):
    COMMUNITY = "community", "社区网格"
    SECTOR = "sector", "片区"
    GRID = "grid", "网格"
    MICRO_GRID = "micro_grid", "微网格"


# Which levels a node of each level may hang under (None: a root, tied to its community).
ALLOWED_PARENT_LEVELS: dict[str, frozenset] = {
    GridLevel.COMMUNITY: frozenset({None}),
    GridLevel.SECTOR: frozenset({GridLevel.COMMUNITY}),
    GridLevel.GRID: frozenset({GridLevel.COMMUNITY, GridLevel.SECTOR}),
    GridLevel.MICRO_GRID: frozenset({GridLevel.GRID}),
}


def oversize_limits() -> dict[str, int]:
    """Households above which a node is flagged: seed 001 (≈400 per grid), seed 002 (≈10)."""
    return {
        GridLevel.GRID: 400,
        GridLevel.MICRO_GRID: 10,
        **getattr(settings, "GRIDS_OVERSIZE_HOUSEHOLDS", {}),
    }


class WorkerRole(models.TextChoices):
    LEADER = "leader", "网格长"
    FULL_TIME = "full_time", "专职网格员"
    PART_TIME = "part_time", "兼职网格员"


class Relation(models.TextChoices):
    HEAD = "head", "户主"
    SPOUSE = "spouse", "配偶"
    CHILD = "child", "子女"
    PARENT = "parent", "父母"
    GRANDCHILD = "grandchild", "孙子女"
    SIBLING = "sibling", "兄弟姐妹"
    TENANT = "tenant", "租住人员"
    OTHER = "other", "其他"


class ResidentType(models.TextChoices):
    REGISTERED = "registered", "户籍人口"
    FLOATING = "floating", "流动人口"
    TENANT = "tenant", "租户"


class Gender(models.TextChoices):
    MALE = "male", "男"
    FEMALE = "female", "女"


# Key-care flags (重点关爱): model field → label. Stored as booleans so lists can filter.
CARE_FLAGS: dict[str, str] = {
    "elderly_alone": "独居老人",
    "empty_nest": "空巢老人",
    "disabled": "残疾",
    "low_income": "低保",
    "key_person": "重点人员",
    "left_behind_child": "留守儿童",
}


class CaseSource(models.TextChoices):
    PORTAL = "portal", "居民网上反映"
    PATROL = "patrol", "网格员巡查"
    VISIT = "visit", "入户走访"
    DESK = "desk", "服务中心窗口代填"


class CaseCategory(models.TextChoices):
    SAFETY = "safety", "治安安全"
    ENVIRONMENT = "environment", "环境卫生"
    FACILITIES = "facilities", "市政设施"
    PROPERTY = "property", "物业管理"
    DISPUTE = "dispute", "邻里纠纷"
    LIVELIHOOD = "livelihood", "民生服务"
    OTHER = "other", "其他"


def case_deadline(category: str) -> timedelta:
    """Time allowed to resolve a case of this category (GRIDS_CASE_DEADLINE_DAYS overrides)."""
    days = {
        CaseCategory.SAFETY: 1,
        CaseCategory.ENVIRONMENT: 3,
        CaseCategory.FACILITIES: 7,
        CaseCategory.PROPERTY: 7,
        CaseCategory.DISPUTE: 5,
        CaseCategory.LIVELIHOOD: 5,
        CaseCategory.OTHER: 7,
        **getattr(settings, "GRIDS_CASE_DEADLINE_DAYS", {}),
    }
    return timedelta(days=days[category])


class Triage(models.TextChoices):
    MAJOR = "major", "大事（政府部门）"
    MINOR = "minor", "小事（社区和网格）"
    PRIVATE = "private", "私事（志愿和市场帮助）"


class CaseStatus(models.TextChoices):
    REPORTED = "reported", "已上报"
    ACCEPTED = "accepted", "已受理"
    DISPATCHED = "dispatched", "已派单"
    RESOLVED = "resolved", "已办结"
    EVALUATED = "evaluated", "已评价"


OPEN_STATUSES = (CaseStatus.REPORTED, CaseStatus.ACCEPTED, CaseStatus.DISPATCHED)
DONE_STATUSES = (CaseStatus.RESOLVED, CaseStatus.EVALUATED)


class DispatchKind(models.TextChoices):
    GRID_WORKER = "grid_worker", "网格员"
    COMMUNITY_BODY = "community_body", "社区组织（6根针）"
    VOLUNTEER_TEAM = "volunteer_team", "志愿服务队"
    DEPARTMENT = "department", "政府部门（吹哨报到）"
    MEMBER = "member", "双报到党员（社区吹哨）"
    CADRE = "cadre", "下沉干部（社区吹哨）"


class DepartmentKind(models.TextChoices):
    DEPARTMENT = "department", "职能部门"
    PARTNER_UNIT = "partner_unit", "驻区单位"


# 吹哨报到 deadlines per category: (hours to acknowledge, days to resolve), counted from the
# dispatch. ``GRIDS_DEPARTMENT_DEADLINES`` (optional setting) overrides entries.
DEPARTMENT_DEADLINES: dict[str, tuple[int, int]] = {
    CaseCategory.SAFETY: (2, 1),
    CaseCategory.ENVIRONMENT: (24, 5),
    CaseCategory.FACILITIES: (24, 7),
    CaseCategory.PROPERTY: (24, 7),
    CaseCategory.DISPUTE: (24, 5),
    CaseCategory.LIVELIHOOD: (24, 5),
    CaseCategory.OTHER: (24, 7),
}
# A department may ask for more time this many times, at most this many days each.
DEPARTMENT_MAX_EXTENSIONS = 1
DEPARTMENT_MAX_EXTENSION_DAYS = 15


def department_deadlines(category: str) -> tuple[timedelta, timedelta]:
    """(acknowledge within, resolve within) for a 吹哨 case of this category."""
    table = {**DEPARTMENT_DEADLINES, **getattr(settings, "GRIDS_DEPARTMENT_DEADLINES", {})}
    hours, days = table.get(category, (24, 7))
    return timedelta(hours=hours), timedelta(days=days)


# 三事分办 decides who may take the case: 大事 go to government departments (吹哨报到), 小事 stay
# with the community and its grids, 私事 go to volunteers (or the grid worker who links the
# resident with volunteer and market help). A case not yet triaged (未分办) cannot be dispatched.
TRIAGE_DISPATCH_KINDS: dict[str, tuple[str, ...]] = {
    Triage.MAJOR: (DispatchKind.DEPARTMENT,),
    Triage.MINOR: (
        DispatchKind.GRID_WORKER,
        DispatchKind.COMMUNITY_BODY,
        DispatchKind.MEMBER,
        DispatchKind.CADRE,
    ),
    Triage.PRIVATE: (DispatchKind.VOLUNTEER_TEAM, DispatchKind.GRID_WORKER),
}


# Dispatch kind → the model (app_label.ModelName) its target must be; checked at runtime,
# so a kind whose app is not installed yet is simply refused.
DISPATCH_TARGET_MODELS: dict[str, str | None] = {
    DispatchKind.GRID_WORKER: "grids.GridWorker",
    DispatchKind.COMMUNITY_BODY: "organizations.Body",
    DispatchKind.VOLUNTEER_TEAM: "volunteers.Team",
    DispatchKind.DEPARTMENT: "grids.Department",
    DispatchKind.MEMBER: "organizations.CommunityRegistration",
    DispatchKind.CADRE: "organizations.SentDownCadre",
}


class ResolutionLevel(models.TextChoices):
    GRID = "grid", "网格内解决"
    COMMUNITY = "community", "社区内解决"
    ESCALATED = "escalated", "上报部门解决"


RESOLUTION_LEVEL_BY_DISPATCH = {
    DispatchKind.GRID_WORKER: ResolutionLevel.GRID,
    DispatchKind.COMMUNITY_BODY: ResolutionLevel.COMMUNITY,
    DispatchKind.VOLUNTEER_TEAM: ResolutionLevel.COMMUNITY,
    DispatchKind.DEPARTMENT: ResolutionLevel.ESCALATED,
    DispatchKind.MEMBER: ResolutionLevel.COMMUNITY,
    DispatchKind.CADRE: ResolutionLevel.COMMUNITY,
}


class CaseAction(models.TextChoices):
    REPORT = "report", "上报"
    ACCEPT = "accept", "受理分办"
    DISPATCH = "dispatch", "派单"
    ACKNOWLEDGE = "acknowledge", "部门报到"
    RESOLVE = "resolve", "办结"
    EVALUATE = "evaluate", "评价"
    REOPEN = "reopen", "居民退回重办"
    RETRIAGE = "retriage", "改变分办"
    EXTEND = "extend", "部门申请延期"
    RETURN = "return", "部门退回社区"
    ESCALATE = "escalate", "超期上报街道"


class VisitorKind(models.TextChoices):
    GRID_WORKER = "grid_worker", "网格员"
    MEMBER = "member", "党员"
    CADRE = "cadre", "社区干部"


CENTRAL_HOUSEHOLD_KINDS = ("central_household", "pioneer_post")
CENTRAL_HOUSEHOLD_USUAL = (1, 5)  # seed 002: each looks after 1–5 households
CENTRAL_HOUSEHOLD_MAX = 10


# A resident may say "问题没解决" up to this long after the case was resolved.
REOPEN_WINDOW_DAYS = 15


class NoticeAudience(models.TextChoices):
    RESIDENT = "resident", "反映人"
    WORKER = "worker", "承办网格员"
    COMMUNITY = "community", "社区"


class SmsStatus(models.TextChoices):
    NONE = "none", "不发短信"
    QUEUED = "queued", "待发送"
    SENT = "sent", "已发送"
    FAILED = "failed", "发送失败"
    SKIPPED = "skipped", "居民已退订"
