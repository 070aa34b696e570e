from django.db import models


class VolunteerStatus(models.TextChoices):
    APPLIED = "applied", "申请"
    REGISTERED = "registered", "已注册"
    SUSPENDED = "suspended", "暂停"


class PersonKind(models.TextChoices):
    RESIDENT = "resident", "居民"
    PARTY_MEMBER = "party_member", "党员"
    UNIT_STAFF = "unit_staff", "驻区单位职工"


class Gender(models.TextChoices):
    MALE = "male", "男"
    FEMALE = "female", "女"


class Availability(models.TextChoices):
    WEEKDAY = "weekday", "工作日白天"
    EVENING = "evening", "工作日晚间"
    WEEKEND = "weekend", "周末"
    EMERGENCY = "emergency", "随叫随到（应急）"


class TeamKind(models.TextChoices):
    PATROL = "patrol", "治安巡防"
    MEDIATION = "mediation", "矛盾调解"
    LEGAL_AID = "legal_aid", "法律援助"
    ELDER_CARE = "elder_care", "助老助残"
    ENVIRONMENT = "environment", "环境整治"
    CULTURE_SPORTS = "culture_sports", "文体"
    MEDICAL = "medical", "医疗义诊"
    PARTY_MEMBER = "party_member", "党员志愿"
    EMERGENCY = "emergency", "应急突击"
    OTHER = "other", "其他"


class ActivityStatus(models.TextChoices):
    OPEN = "open", "已发布"
    CANCELLED = "cancelled", "已取消"


class SignUpStatus(models.TextChoices):
    CONFIRMED = "confirmed", "已报名"
    WAITLISTED = "waitlisted", "候补"
    CANCELLED = "cancelled", "已取消"


ACTIVE_SIGNUP_STATUSES = (SignUpStatus.CONFIRMED, SignUpStatus.WAITLISTED)


class HoursSource(models.TextChoices):
    ACTIVITY = "activity", "活动签到签退"
    WISH = "wish", "微心愿"
    MANUAL = "manual", "人工认定"
    CORRECTION = "correction", "更正"


class WishSource(models.TextChoices):
    CADRE = "cadre", "社区干部代录"
    GRID_WORKER = "grid_worker", "网格员代录"
    RESIDENT = "resident", "居民本人（服务平台）"


class WishStatus(models.TextChoices):
    SUBMITTED = "submitted", "待审核"
    REJECTED = "rejected", "未通过"
    APPROVED = "approved", "已审核待发布"
    PUBLISHED = "published", "已发布"
    CLAIMED = "claimed", "已认领"
    FULFILLED = "fulfilled", "已完成待确认"
    CONFIRMED = "confirmed", "已确认"
