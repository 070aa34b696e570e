"""Demo service centres and handbook entries for the demo communities (idempotent)."""

from organizations.choices import OrgKind
from organizations.models import Organization
from portal.models import ServiceCentre, ServiceItem

HANDBOOK = [
    # (category, title, materials, one_visit)
    ("社会保障", "城乡居民基本养老保险参保登记", "户口簿原件\n身份证原件\n一寸照片 1 张", True),
    ("社会保障", "城乡居民医疗保险参保缴费", "身份证原件\n户口簿原件", True),
    (
        "民政救助",
        "最低生活保障申请",
        "户口簿、身份证原件及复印件\n家庭收入证明\n申请书（窗口领取）",
        False,
    ),
    ("民政救助", "高龄津贴申领", "身份证原件\n银行卡或存折", True),
    ("残疾人服务", "残疾人证办理（初审）", "身份证原件\n户口簿\n近期二寸免冠照片 3 张", False),
    ("计划生育", "生育登记服务", "夫妻双方身份证\n结婚证", True),
    ("证明开具", "居住证明开具", "身份证原件\n房屋产权证明或租赁合同", True),
    ("就业创业", "就业失业登记", "身份证原件\n一寸照片 1 张", True),
]


def seed(stdout) -> None:
    street = Organization.objects.filter(code="TD-ZQ").first()
    communities = Organization.objects.filter(
        kind=OrgKind.COMMUNITY_COMMITTEE, code__startswith="TD-ZQ-"
    )
    centres = items = 0
    for community in communities:
        label = community.name.removesuffix("大党委")
        _, created = ServiceCentre.objects.get_or_create(
            community=community,
            defaults=dict(
                name=f"{label}党群服务中心",
                address=community.address or f"站前街道{label}",
                open_hours="周一至周五 8:30–17:00，周六上午 9:00–12:00",
                phone=community.phone,
                services="政策咨询\n证明开具\n养老、医保参保登记\n志愿服务报名\n法律咨询（每周三下午）",
                committee_name=f"{label}居民委员会",
                committee_address=community.address or "",
                committee_phone=community.phone,
                committee_hours="周一至周五 8:30–17:00",
            ),
        )
        centres += created
        for order, (category, title, materials, one_visit) in enumerate(HANDBOOK[4:], start=1):
            _, created = ServiceItem.objects.get_or_create(
                organization=community,
                title=title,
                defaults=dict(
                    category=category,
                    materials=materials,
                    place=f"{label}党群服务中心一楼窗口",
                    hours="周一至周五 8:30–11:30，13:30–17:00",
                    phone=community.phone,
                    one_visit=one_visit,
                    sort_order=order * 10,
                ),
            )
            items += created
    if street is not None:
        for order, (category, title, materials, one_visit) in enumerate(HANDBOOK[:4], start=1):
            _, created = ServiceItem.objects.get_or_create(
                organization=street,
                title=title,
                defaults=dict(
                    category=category,
                    materials=materials,
                    place="站前街道便民服务大厅（站前街 1 号）",
                    hours="周一至周五 8:30–17:00",
                    phone=street.phone,
                    one_visit=one_visit,
                    sort_order=order,
                ),
            )
            items += created
    stdout.write(f"  居民服务：新增党群服务中心 {centres} 个，办事指南 {items} 项")
