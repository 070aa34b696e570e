"""A street shaped like the seeds: 铁东区 → 站前街道 → communities → compound branches →
building groups → central households → pioneer posts, plus functional/temporary branches."""

from datetime import date

from core.demo import ensure_user
from core.roles import COMMUNITY_CADRE, COMMUNITY_SECRETARY, DISTRICT_READONLY, STREET_ADMIN
from organizations.choices import OrgKind as K
from organizations.models import Organization
from organizations.services import lock_tree
from organizations.tree import load_nodes

COMMUNITIES = [
    ("YL", "园林社区", ["园林小区", "春晖家园", "钢城花园"]),
    ("SL", "胜利社区", ["胜利小区", "和平里"]),
    ("DM", "东明社区", ["东明新村", "阳光水岸"]),
]


def demo_tree() -> list[dict]:
    nodes = [
        dict(code="TD", name="铁东区委组织部", kind=K.DISTRICT_COMMITTEE, parent=None),
        dict(
            code="TD-ZQ",
            name="站前街道党工委",
            kind=K.STREET_COMMITTEE,
            parent="TD",
            address="铁东区站前街 1 号",
            phone="0412-2220001",
            established_on=date(2005, 3, 1),
        ),
    ]
    for c_code, c_name, compounds in COMMUNITIES:
        community = f"TD-ZQ-{c_code}"
        nodes.append(
            dict(
                code=community,
                name=f"{c_name}大党委",
                kind=K.COMMUNITY_COMMITTEE,
                parent="TD-ZQ",
                address=f"站前街道{c_name}党群服务中心",
                phone=f"0412-22210{len(nodes):02d}",
                established_on=date(2010, 7, 1),
            )
        )
        for i, compound in enumerate(compounds, start=1):
            branch = f"{community}-{i:02d}"
            nodes.append(
                dict(
                    code=branch,
                    name=f"{compound}党支部",
                    kind=K.COMPOUND_BRANCH,
                    parent=community,
                    established_on=date(2018, 6, 1),
                )
            )
            for b in range(1, 4):
                group = f"{branch}-B{b:02d}"
                nodes.append(
                    dict(
                        code=group,
                        name=f"{compound}{b}号楼党小组",
                        kind=K.BUILDING_GROUP,
                        parent=branch,
                    )
                )
                household = f"{group}-H1"
                nodes.append(
                    dict(
                        code=household,
                        name=f"{compound}{b}号楼党员中心户",
                        kind=K.CENTRAL_HOUSEHOLD,
                        parent=group,
                    )
                )
                nodes.append(
                    dict(
                        code=f"{household}-P1",
                        name=f"{compound}{b}号楼党员先锋岗",
                        kind=K.PIONEER_POST,
                        parent=household,
                    )
                )
        nodes.append(
            dict(
                code=f"{community}-GN",
                name=f"{c_name}志愿服务功能型党支部",
                kind=K.FUNCTIONAL_BRANCH,
                parent=community,
            )
        )
        nodes.append(
            dict(
                code=f"{community}-LD",
                name=f"{c_name}流动党员党支部",
                kind=K.MOBILE_BRANCH,
                parent=community,
            )
        )
        nodes.append(
            dict(
                code=f"{community}-WY",
                name=f"{c_name}物业党支部",
                kind=K.PROPERTY_BRANCH,
                parent=community,
            )
        )
    nodes.append(
        dict(
            code="TD-ZQ-YL-LS",
            name="园林社区疫情防控临时党支部",
            kind=K.TEMPORARY_BRANCH,
            parent="TD-ZQ-YL",
            established_on=date(2022, 3, 1),
            ended_on=date(2022, 6, 30),
        )
    )
    return nodes


def seed(stdout) -> None:
    lock_tree()
    existing = set(Organization.objects.values_list("code", flat=True))
    new, parents = [], {}
    for node in demo_tree():
        if node["code"] in existing:
            continue
        new.append(Organization(**{k: v for k, v in node.items() if k != "parent"}))
        parents[node["code"]] = node["parent"]
    if new:
        load_nodes(new, [], parents, update_fields=[])
    stdout.write(f"  党组织：{Organization.objects.count()} 个节点（新增 {len(new)}）")

    ensure_user("street", role=STREET_ADMIN, scope_codes=["TD-ZQ"], name="街道管理员")
    ensure_user("yuanlin", role=COMMUNITY_SECRETARY, scope_codes=["TD-ZQ-YL"], name="园林社区书记")
    ensure_user("shengli", role=COMMUNITY_CADRE, scope_codes=["TD-ZQ-SL"], name="胜利社区干部")
    ensure_user("district", role=DISTRICT_READONLY, scope_codes=["TD"], name="区委组织部")
