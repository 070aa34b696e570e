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
