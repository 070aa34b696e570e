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
