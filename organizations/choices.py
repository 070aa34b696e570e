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
    PUBLIC_HEALTH = "public_health", "公共卫生专员"
    LEGAL = "legal", "法治专员"
    GRID_INSTRUCTOR = "grid_instructor", "网格指导员"


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


# ---------------------------------------------------------------- officers (骨干)


class OfficerPosition(models.TextChoices):
    SECRETARY = "secretary", "书记"
    DEPUTY_SECRETARY = "deputy_secretary", "副书记"
    COMMITTEE_MEMBER = "committee_member", "委员"
    ORGANIZATION_MEMBER = "organization_member", "组织委员"
    PUBLICITY_MEMBER = "publicity_member", "宣传委员"
    DISCIPLINE_MEMBER = "discipline_member", "纪检委员"
    HONORARY_SECRETARY = "honorary_secretary", "名誉书记"
    GROUP_LEADER = "group_leader", "党小组长"
    HOUSEHOLD_HEAD = "household_head", "中心户长"
    BUILDING_LEADER = "building_leader", "楼栋长"
    UNIT_LEADER = "unit_leader", "单元长"
    RESIDENT_GROUP_LEADER = "resident_group_leader", "居民小组长"


P = OfficerPosition
# Party organisations that have a committee (党委 / 党工委 / 支部委员会).
COMMITTEE_NODE_KINDS = frozenset(
    {K.STREET_COMMITTEE, K.COMMUNITY_COMMITTEE} | COMMUNITY_BRANCH_KINDS
)
PARTY_POSITIONS = frozenset(
    {
        P.SECRETARY,
        P.DEPUTY_SECRETARY,
        P.COMMITTEE_MEMBER,
        P.ORGANIZATION_MEMBER,
        P.PUBLICITY_MEMBER,
        P.DISCIPLINE_MEMBER,
    }
)
# Positions held on a building (楼栋) or a grid node (网格 / 微网格) of a community.
BUILDING_POSITIONS = frozenset({P.BUILDING_LEADER, P.UNIT_LEADER})
GRID_POSITIONS = frozenset({P.RESIDENT_GROUP_LEADER})
# Which organisation kinds each position may be held on.
POSITION_NODE_KINDS: dict[str, frozenset] = {
    **{p: COMMITTEE_NODE_KINDS for p in PARTY_POSITIONS},
    P.HONORARY_SECRETARY: frozenset({K.COMMUNITY_COMMITTEE} | COMMUNITY_BRANCH_KINDS),
    P.GROUP_LEADER: frozenset({K.BUILDING_GROUP}),
    P.HOUSEHOLD_HEAD: frozenset({K.CENTRAL_HOUSEHOLD}),
    P.BUILDING_LEADER: frozenset({K.COMMUNITY_COMMITTEE}),
    P.UNIT_LEADER: frozenset({K.COMMUNITY_COMMITTEE}),
    P.RESIDENT_GROUP_LEADER: frozenset({K.COMMUNITY_COMMITTEE}),
}
# At most one current holder per node (per building, per building unit).
SINGLE_HOLDER_POSITIONS = frozenset(
    {
        P.SECRETARY,
        P.ORGANIZATION_MEMBER,
        P.PUBLICITY_MEMBER,
        P.DISCIPLINE_MEMBER,
        P.HONORARY_SECRETARY,
        P.GROUP_LEADER,
        P.HOUSEHOLD_HEAD,
        P.BUILDING_LEADER,
        P.UNIT_LEADER,
    }
)
# The position a node of each kind must have filled (vacancies).
REQUIRED_POSITION: dict[str, str] = {
    **{k: P.SECRETARY for k in COMMITTEE_NODE_KINDS},
    K.BUILDING_GROUP: P.GROUP_LEADER,
    K.CENTRAL_HOUSEHOLD: P.HOUSEHOLD_HEAD,
}


def position_kinds_label(position: str) -> str:
    return "、".join(sorted(OrgKind(k).label for k in POSITION_NODE_KINDS[position]))
