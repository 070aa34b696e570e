from django.db import models


class UnitKind(models.TextChoices):
    AGENCY = "agency", "机关"
    INSTITUTION = "institution", "事业单位"
    STATE_ENTERPRISE = "state_enterprise", "国有企业"
    SCHOOL = "school", "学校"
    HOSPITAL = "hospital", "医院"
    PRIVATE_ENTERPRISE = "private_enterprise", "非公企业"
    SOCIAL_ORG = "social_org", "社会组织"
    MILITARY = "military", "驻军"
    OTHER = "other", "其他"


class AgreementStatus(models.TextChoices):
    DRAFT = "draft", "草稿"
    SIGNED = "signed", "已签订"
    EXPIRED = "expired", "已到期"
    TERMINATED = "terminated", "已终止"


class CoBuildCategory(models.TextChoices):
    """六个共建 (seed 004)."""

    PARTY_BUILDING = "party_building", "党建共抓"
    SECURITY = "security", "治安共防"
    LIVELIHOOD = "livelihood", "民生共做"
    CIVILITY = "civility", "文明共创"
    ENVIRONMENT = "environment", "环境共管"
    RESOURCE_SHARING = "resource_sharing", "资源共享"


class Frequency(models.TextChoices):
    WEEKLY = "weekly", "每周"
    MONTHLY = "monthly", "每月"
    QUARTERLY = "quarterly", "每季度"
    HALF_YEARLY = "half_yearly", "每半年"
    YEARLY = "yearly", "每年"
    ONCE = "once", "一次性"


class ProjectStatus(models.TextChoices):
    CLAIMED = "claimed", "已认领"
    ACTIVE = "active", "实施中"
    COMPLETED = "completed", "已完成"
    SUSPENDED = "suspended", "已暂停"


class ActivityKind(models.TextChoices):
    """What was actually done; ``handout_visit`` is the 60% problem of seed 004."""

    HANDOUT_VISIT = "handout_visit", "走访慰问（送钱送物）"
    VOLUNTEER_SERVICE = "volunteer_service", "志愿服务"
    PUBLICITY = "publicity", "宣传教育"
    CULTURE_SPORTS = "culture_sports", "文体活动"
    CLEAN_UP = "clean_up", "环境整治"
    PATROL = "patrol", "治安巡逻"
    VENUE_OPENING = "venue_opening", "场地开放"
    TRAINING = "training", "培训就业"
    MEDICAL = "medical", "义诊健康"
    PARTY_STUDY = "party_study", "党组织共建活动"
    OTHER = "other", "其他"


class AttachmentKind(models.TextChoices):
    PLAN = "plan", "活动方案"
    RECORD = "record", "活动记录"
    PHOTO = "photo", "影像资料"


class ContactMode(models.TextChoices):
    VISIT = "visit", "上门会商"
    PHONE = "phone", "电话"
    MEETING = "meeting", "会议"
    ONLINE = "online", "微信/网络"
    LETTER = "letter", "书面"


class NeedSource(models.TextChoices):
    CASE = "case", "民情诉求"
    WISH = "wish", "微心愿"
    SURVEY = "survey", "走访调查"
    MEETING = "meeting", "议事会议"
    OTHER = "other", "其他"


class NeedStatus(models.TextChoices):
    OPEN = "open", "待对接"
    MATCHED = "matched", "已对接"
    CLOSED = "closed", "已关闭"


class ResourceKind(models.TextChoices):
    VENUE = "venue", "场地阵地"
    SKILL = "skill", "人才技能"
    FUNDS = "funds", "资金"
    EQUIPMENT = "equipment", "设备物资"
    OTHER = "other", "其他"


class MatchStatus(models.TextChoices):
    PLANNED = "planned", "拟实施"
    ONGOING = "ongoing", "实施中"
    DONE = "done", "已完成"
    CANCELLED = "cancelled", "已取消"


class Grade(models.TextChoices):
    GOOD = "good", "好"
    FAIRLY_GOOD = "fairly_good", "较好"
    FAIR = "fair", "一般"
    POOR = "poor", "差"


class CovenantKind(models.TextChoices):
    RESIDENTS = "residents", "居民公约"
    COMPOUND_CHARTER = "compound_charter", "小区自治章程"
