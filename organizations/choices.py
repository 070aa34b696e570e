from django.db import models


class OrgKind(models.TextChoices):
    DISTRICT_COMMITTEE = "district_committee", "区委（组织部）"
    STREET_COMMITTEE = "street_committee", "街道党工委"
    COMMUNITY_COMMITTEE = "community_committee", "社区大党委"
    COMPOUND_BRANCH = "compound_branch", "小区（楼院）党支部"
    BUILDING_GROUP = "building_group", "楼栋党小组"
    CENTRAL_HOUSEHOLD = "central_household", "党员中心户"
    PIONEER_POST = "pioneer_post", "党员先锋岗"
    FUNCTIONAL_BRANCH = "functional_branch", "功能型党支部"
    MOBILE_BRANCH = "mobile_branch", "流动党员党支部"
    TEMPORARY_BRANCH = "temporary_branch", "临时党支部"
    PROPERTY_BRANCH = "property_branch", "物业党支部"
    ENTERPRISE_BRANCH = "enterprise_branch", "非公企业与社会组织党支部"


K = OrgKind
COMMUNITY_BRANCH_KINDS = frozenset(
    {
        K.COMPOUND_BRANCH,
        K.FUNCTIONAL_BRANCH,
        K.MOBILE_BRANCH,
        K.TEMPORARY_BRANCH,
        K.PROPERTY_BRANCH,
        K.ENTERPRISE_BRANCH,
    }
)

# Which kinds a node of each kind may hang under; None means "may be a root".
ALLOWED_PARENT_KINDS: dict[str, frozenset] = {
    K.DISTRICT_COMMITTEE: frozenset({None}),
    K.STREET_COMMITTEE: frozenset({None, K.DISTRICT_COMMITTEE}),
    K.COMMUNITY_COMMITTEE: frozenset({K.STREET_COMMITTEE}),
    K.COMPOUND_BRANCH: frozenset({K.COMMUNITY_COMMITTEE}),
    K.BUILDING_GROUP: frozenset({K.COMPOUND_BRANCH}),
    K.CENTRAL_HOUSEHOLD: frozenset({K.BUILDING_GROUP}),
    K.PIONEER_POST: frozenset({K.CENTRAL_HOUSEHOLD, K.BUILDING_GROUP}),
    K.FUNCTIONAL_BRANCH: frozenset({K.COMMUNITY_COMMITTEE}),
    K.MOBILE_BRANCH: frozenset({K.COMMUNITY_COMMITTEE}),
    K.TEMPORARY_BRANCH: frozenset({K.COMMUNITY_COMMITTEE}),
    K.PROPERTY_BRANCH: frozenset({K.COMMUNITY_COMMITTEE}),
    K.ENTERPRISE_BRANCH: frozenset({K.COMMUNITY_COMMITTEE}),
}


def allowed_parent_labels(kind: str) -> str:
    labels = [OrgKind(k).label if k else "无上级（根节点）" for k in ALLOWED_PARENT_KINDS[kind]]
    return "、".join(sorted(labels))


# ---------------------------------------------------------------- members and 双报到


class Gender(models.TextChoices):
    MALE = "male", "男"
    FEMALE = "female", "女"


class MemberCategory(models.TextChoices):
    IN_SERVICE = "in_service", "在职党员"
    RETIRED = "retired", "离退休党员"
    RESIDENT = "resident", "居民党员"
    MOBILE = "mobile", "流动党员"
    UNEMPLOYED = "unemployed", "下岗失业党员"


class MemberStatus(models.TextChoices):
    FULL = "full", "正式党员"
    PROBATIONARY = "probationary", "预备党员"


class PostKind(models.TextChoices):
    RESCUE = "rescue", "救助服务"
    CONVENIENCE = "convenience", "便民服务"
    POLICY = "policy", "政策宣传"
    LEGAL = "legal", "法律咨询"
    SECURITY = "security", "治安维稳"
    ENVIRONMENT = "environment", "环境整治"
    CULTURE = "culture", "文化娱乐"
    CUSTOM = "custom", "社区自设岗位"


class Grade(models.TextChoices):
    """民主评议 and the community's feedback grade share one scale."""

    EXCELLENT = "excellent", "优秀"
    QUALIFIED = "qualified", "合格"
    BASIC = "basic", "基本合格"
    UNQUALIFIED = "unqualified", "不合格"


# ---------------------------------------------------------------- seats and standing posts


class SeatType(models.TextChoices):
    COMMUNITY_CADRE = "community_cadre", "社区干部"
    RESIDENT_MEMBER = "resident_member", "居民党员"
    UNIT_MEMBER = "unit_member", "驻区单位党员"


class AppointmentKind(models.TextChoices):
    FIRST_SECRETARY = "first_secretary", "第一书记"
    COMMISSIONER = "commissioner", "党建专员"


class Weekday(models.IntegerChoices):
    MONDAY = 0, "星期一"
    TUESDAY = 1, "星期二"
    WEDNESDAY = 2, "星期三"
    THURSDAY = 3, "星期四"
    FRIDAY = 4, "星期五"


# ---------------------------------------------------------------- the six needles


class BodyKind(models.TextChoices):
    WORKSTATION = "workstation", "社区工作站"
    RESIDENTS_COMMITTEE = "residents_committee", "社区居委会"
    SHAREHOLDING_COMPANY = "shareholding_company", "股份合作公司"
    SOCIAL_ORG = "social_org", "社会组织"
    PROPERTY_COMPANY = "property_company", "物业服务企业"
    OWNERS_COMMITTEE = "owners_committee", "业主委员会"


SIX_HAVES = [
    ("has_approval", "有批复文件"),
    ("has_members", "有党员"),
    ("has_commissioner", "有党建专员"),
    ("has_rules", "有制度"),
    ("has_venue", "有场所"),
    ("has_activities", "有常态活动"),
]
