"""共驻共建 demo data for 站前街道 (TD-ZQ): units of every type, agreements in every state,
claimed projects, two years of activities with ~60% hand-out visits (the seeds' problem), monthly
liaison logs with about a third of the units gone quiet, 三项清单, last year's assessment and a
compound charter with two versions. Idempotent: what exists is left alone. Dates are relative to
today so the dashboard always shows expiring agreements and inactive units."""

from __future__ import annotations

import random
from datetime import date, timedelta

from django.contrib.auth import get_user_model
from django.core.files.base import ContentFile
from django.utils import timezone

from core.validators import credit_code_check_char
from covenants.choices import ActivityKind, AgreementStatus, CoBuildCategory, Frequency
from covenants.clauses import DEFAULT_CLAUSES, DEFAULT_PREAMBLE
from covenants.models import (
    ActivityAttachment,
    ActivityRecord,
    Agreement,
    AgreementClause,
    Covenant,
    LiaisonLog,
    Need,
    PartnerUnit,
    Project,
    Resource,
    ServiceProject,
    UnitAssessment,
    UnitPartnership,
)
from covenants.selectors import months_before
from covenants.services import assessment_compute, covenant_adopt_version, template_for_street
from organizations.models import Organization

STREET = "TD-ZQ"
COMMUNITIES = ["TD-ZQ-YL", "TD-ZQ-SL", "TD-ZQ-DM"]
# (kind, name, credit prefix, registered at, partners, party org, secretary, liaison)
UNITS = [
    (
        "agency",
        "铁东区税务局站前税务所",
        "11",
        STREET,
        ["TD-ZQ-YL", "TD-ZQ-SL"],
        "站前税务所党支部",
        "周建国",
        "孙丽",
    ),
    (
        "agency",
        "铁东区市场监督管理局站前所",
        "11",
        STREET,
        ["TD-ZQ-DM"],
        "站前市场监管所党支部",
        "吴海",
        "郑凯",
    ),
    ("institution", "铁东区图书馆", "12", STREET, ["TD-ZQ-YL"], "区图书馆党支部", "陈静", "杨帆"),
    (
        "institution",
        "站前街道社区卫生服务中心",
        "12",
        "TD-ZQ-SL",
        ["TD-ZQ-SL"],
        "卫生服务中心党支部",
        "刘敏",
        "何晓",
    ),
    (
        "state_enterprise",
        "鞍山供电公司铁东供电部",
        "91",
        STREET,
        ["TD-ZQ-YL", "TD-ZQ-SL", "TD-ZQ-DM"],
        "铁东供电部党总支",
        "赵刚",
        "钱进",
    ),
    (
        "state_enterprise",
        "鞍山热力集团站前供热站",
        "91",
        "TD-ZQ-DM",
        ["TD-ZQ-DM"],
        "站前供热站党支部",
        "冯涛",
        "韩雪",
    ),
    ("school", "站前小学", "12", "TD-ZQ-YL", ["TD-ZQ-YL"], "站前小学党支部", "王红", "李娜"),
    (
        "school",
        "鞍山市第二中学",
        "12",
        STREET,
        ["TD-ZQ-SL", "TD-ZQ-DM"],
        "二中党委",
        "马骏",
        "朱琳",
    ),
    (
        "hospital",
        "鞍山市中心医院",
        "12",
        STREET,
        ["TD-ZQ-YL", "TD-ZQ-DM"],
        "中心医院党委",
        "黄志",
        "林芳",
    ),
    ("hospital", "铁东区中医院", "12", "TD-ZQ-SL", ["TD-ZQ-SL"], "区中医院党支部", "高峰", "罗兰"),
    (
        "private_enterprise",
        "鞍山万联超市有限公司",
        "91",
        "TD-ZQ-YL",
        ["TD-ZQ-YL"],
        "万联超市党支部",
        "徐明",
        "宋佳",
    ),
    (
        "private_enterprise",
        "鞍山恒达物业服务有限公司",
        "91",
        "TD-ZQ-SL",
        ["TD-ZQ-SL"],
        "恒达物业党支部",
        "胡斌",
        "唐静",
    ),
    (
        "social_org",
        "站前街道夕阳红志愿服务协会",
        "52",
        "TD-ZQ-DM",
        ["TD-ZQ-DM"],
        "协会功能型党小组",
        "许兰",
        "邓华",
    ),
    (
        "social_org",
        "铁东区同心社会工作服务中心",
        "52",
        STREET,
        ["TD-ZQ-YL", "TD-ZQ-SL"],
        "社工中心党支部",
        "曹阳",
        "彭丽",
    ),
    ("military", "驻站前某部", "", STREET, ["TD-ZQ-DM"], "某部党委", "曾卫东", "袁野"),
    ("military", "鞍山军分区站前干休所", "", STREET, ["TD-ZQ-YL"], "干休所党支部", "蒋山", "潘伟"),
    (
        "other",
        "站前街道个体劳动者协会",
        "51",
        "TD-ZQ-SL",
        ["TD-ZQ-SL"],
        "个协党支部",
        "杜平",
        "沈冰",
    ),
    (
        "other",
        "铁东区律师协会站前工作站",
        "51",
        STREET,
        ["TD-ZQ-YL", "TD-ZQ-DM"],
        "律协工作站党小组",
        "傅明",
        "姚琴",
    ),
]
PROJECTS = {
    CoBuildCategory.PARTY_BUILDING: ("支部共建主题党日", "辖区党员", ActivityKind.PARTY_STUDY),
    CoBuildCategory.SECURITY: ("治安联防夜间巡逻", "小区居民", ActivityKind.PATROL),
    CoBuildCategory.LIVELIHOOD: (
        "困难家庭结对帮扶",
        "低保户、独居老人",
        ActivityKind.VOLUNTEER_SERVICE,
    ),
    CoBuildCategory.CIVILITY: ("文明家庭评选与宣讲", "辖区家庭", ActivityKind.PUBLICITY),
    CoBuildCategory.ENVIRONMENT: ("楼道环境整治", "老旧小区居民", ActivityKind.CLEAN_UP),
    CoBuildCategory.RESOURCE_SHARING: (
        "活动场地向居民开放",
        "辖区居民",
        ActivityKind.VENUE_OPENING,
    ),
}
HANDOUT_SHARE = 0.6
INACTIVE_EVERY = 3  # every third unit went quiet four months ago


def credit_for(prefix: str, n: int) -> str | None:
    if not prefix:
        return None
    first17 = f"{prefix}210302MA{n:07d}"
    return first17 + credit_code_check_char(first17)


def seed(stdout) -> None:
    orgs = {o.code: o for o in Organization.objects.filter(code__in=[STREET, *COMMUNITIES])}
    if len(orgs) < 1 + len(COMMUNITIES):
        stdout.write("  共驻共建：缺少站前街道演示组织树，跳过")
        return
    rng = random.Random(2026)
    today = timezone.localdate()
    template_for_street(orgs[STREET])
    units = _units(orgs)
    agreements = _agreements(orgs, units, today)
    activities = _activities(agreements, today, rng)
    logs = _liaison(units, today, rng)
    _lists(orgs, units, today)
    _assessments(orgs, units, today)
    _covenants(today)
    stdout.write(
        f"  共驻共建：单位 {len(units)} 个，协议 {Agreement.objects.count()} 份，"
        f"活动 {ActivityRecord.objects.count()} 次（新增 {activities}），"
        f"联络记录 {LiaisonLog.objects.count()} 条（新增 {logs}）"
    )


def _units(orgs) -> list[PartnerUnit]:
    units = []
    for i, (kind, name, prefix, at, partners, party_org, secretary, liaison) in enumerate(
        UNITS, start=1
    ):
        unit, _ = PartnerUnit.objects.get_or_create(
            code=f"{STREET}-U{i:02d}",
            defaults=dict(
                name=name,
                kind=kind,
                credit_code=credit_for(prefix, 1000 + i),
                organization=orgs[at],
                address=f"铁东区站前街道{name[-4:]}",
                party_org_name=party_org,
                party_secretary=secretary,
                liaison_name=liaison,
                liaison_title="党建联络员",
                liaison_phone=f"139412{i:05d}",
            ),
        )
        unit.full_clean()
        for code in partners:
            UnitPartnership.objects.get_or_create(unit=unit, organization=orgs[code])
        unit.demo_partners = [orgs[c] for c in partners]
        unit.demo_inactive = i % INACTIVE_EVERY == 0
        units.append(unit)
    return units


def _agreements(orgs, units, today) -> list[Agreement]:
    """One agreement per unit and partner community; states chosen to show every case."""
    signed_from = date(today.year - 1, 1, 1)
    live = []
    for i, unit in enumerate(units, start=1):
        for j, community in enumerate(unit.demo_partners, start=1):
            code = f"XY-{unit.code[-3:]}-{community.code[-2:]}"
            ends = date(today.year + 1, 12, 31)
            status, terminated_on, reason = AgreementStatus.SIGNED, None, ""
            if i == 2 and j == 1:
                ends = today + timedelta(days=20)  # shows on the dashboard
            if i == 4:
                status = AgreementStatus.TERMINATED
                terminated_on, reason = months_before(today, 5), "单位党组织关系调整，双方协商终止"
            if i == 17:
                status = AgreementStatus.DRAFT
            agreement, created = Agreement.objects.get_or_create(
                code=code,
                defaults=dict(
                    party_a=community,
                    unit=unit,
                    starts_on=signed_from,
                    ends_on=ends,
                    status=status,
                    preamble=DEFAULT_PREAMBLE,
                    party_a_signatory=f"{community.name[:2]}书记",
                    party_b_signatory=unit.party_secretary,
                    party_a_seal_label="社区党组织（盖章）",
                    signed_on=None if status == AgreementStatus.DRAFT else signed_from,
                    terminated_on=terminated_on,
                    termination_reason=reason,
                ),
            )
            if created:
                agreement.full_clean()
                AgreementClause.objects.bulk_create(
                    AgreementClause(agreement=agreement, number=n, text=t)
                    for n, t in enumerate(DEFAULT_CLAUSES, start=1)
                )
            if agreement.status != AgreementStatus.DRAFT:
                agreement.demo_unit = unit
                live.append(agreement)
    # The first unit's renewal with 园林, still a draft: a community edits (and re-imports)
    # its drafts, while signed agreements change only by terminating and re-signing.
    first, yuanlin = units[0], orgs["TD-ZQ-YL"]
    renewal, created = Agreement.objects.get_or_create(
        code=f"XY-{first.code[-3:]}-YL-R",
        defaults=dict(
            title="共驻共建协议书（续签）",
            party_a=yuanlin,
            unit=first,
            starts_on=date(today.year + 2, 1, 1),
            ends_on=date(today.year + 3, 12, 31),
            status=AgreementStatus.DRAFT,
            preamble=DEFAULT_PREAMBLE,
            party_a_seal_label="社区党组织（盖章）",
        ),
    )
    if created:
        renewal.full_clean()
        AgreementClause.objects.bulk_create(
            AgreementClause(agreement=renewal, number=n, text=t)
            for n, t in enumerate(DEFAULT_CLAUSES, start=1)
        )
    return live


def _activities(agreements, today, rng) -> int:
    categories = list(PROJECTS)
    new, count = [], 0
    for n, agreement in enumerate(agreements):
        category = categories[n % len(categories)]
        title, target, kind = PROJECTS[category]
        project, _ = ServiceProject.objects.get_or_create(
            code=f"XM-{agreement.code[3:]}",
            defaults=dict(
                agreement=agreement,
                title=title,
                category=category,
                target_group=target,
                frequency=Frequency.MONTHLY,
                venue="单位活动室、会议室" if category == CoBuildCategory.RESOURCE_SHARING else "",
                status="active",
            ),
        )
        if project.activities.exists():
            continue
        last = today - timedelta(days=3)
        if agreement.demo_unit.demo_inactive:
            last = months_before(today, 4)
        if agreement.status == AgreementStatus.TERMINATED:
            last = min(last, agreement.terminated_on)
        day, seq = agreement.starts_on + timedelta(days=rng.randint(3, 20)), 0
        while day <= last:
            seq += 1
            handout = rng.random() < HANDOUT_SHARE
            new.append(
                ActivityRecord(
                    code=f"{project.code}-A{seq:04d}",
                    project=project,
                    date=day,
                    kind=ActivityKind.HANDOUT_VISIT if handout else kind,
                    title="走访慰问困难户（米面油、慰问金）" if handout else title,
                    place="困难户家中" if handout else "社区党群服务中心",
                    staff_count=rng.randint(2, 12),
                    member_count=rng.randint(1, 8),
                    residents_served=rng.randint(5, 120),
                    description="单位党员带慰问品入户走访" if handout else f"{title}，居民反响良好",
                )
            )
            day += timedelta(days=rng.randint(20, 45))
    ActivityRecord.objects.bulk_create(new, batch_size=1000)
    count += len(new)
    _hand_over(today)
    return count


def _hand_over(today) -> None:
    """The unit handed over photos of its latest activities and the community confirmed them."""
    admin = get_user_model().objects.filter(username="admin").first()
    recent = ActivityRecord.objects.filter(
        date__lt=today - timedelta(days=7), confirmed_at__isnull=True, attachments__isnull=True
    ).order_by("-date")[:12]
    for activity in recent:
        attachment = ActivityAttachment(
            activity=activity, kind="record", original_name="活动记录.txt", uploaded_by=admin
        )
        content = f"{activity.date} {activity.title}\n参与 {activity.staff_count} 人，服务居民 {activity.residents_served} 人次。\n"
        data = content.encode("utf-8")
        attachment.size = len(data)
        attachment.file.save(f"{activity.code}.txt", ContentFile(data), save=False)
        attachment.save()
        activity.confirmed_at = timezone.now()
        activity.confirmed_by = admin
        activity.save(update_fields=["confirmed_at", "confirmed_by"])


def _liaison(units, today, rng) -> int:
    new = []
    modes = ["phone", "visit", "online", "meeting"]
    for unit in units:
        if unit.liaison_logs.exists():
            continue
        last = months_before(today, 3) if unit.demo_inactive else today - timedelta(days=2)
        for community in unit.demo_partners:
            day = date(today.year - 1, 1, 1) + timedelta(days=rng.randint(0, 20))
            while day <= last:
                new.append(
                    LiaisonLog(
                        unit=unit,
                        organization=community,
                        date=day,
                        mode=rng.choice(modes),
                        liaison_name=unit.liaison_name,
                        content="通报本月共建项目进展，商定下月活动安排",
                        follow_ups="准备活动方案，活动后报送影像资料" if rng.random() < 0.5 else "",
                    )
                )
                day = months_before(day, -1) + timedelta(days=rng.randint(-5, 5))
    LiaisonLog.objects.bulk_create(new, batch_size=1000)
    return len(new)


def _lists(orgs, units, today) -> None:
    yl, sl, dm = (orgs[c] for c in COMMUNITIES)
    needs = [
        ("XQ-YL-01", yl, "独居老人助餐", CoBuildCategory.LIVELIHOOD, "survey", 36),
        ("XQ-YL-02", yl, "四点半课堂辅导老师", CoBuildCategory.CIVILITY, "wish", 25),
        ("XQ-YL-03", yl, "老旧小区楼道照明维修", CoBuildCategory.ENVIRONMENT, "case", 120),
        ("XQ-SL-01", sl, "居民免费体检", CoBuildCategory.LIVELIHOOD, "meeting", 200),
        ("XQ-SL-02", sl, "夜间巡逻力量不足", CoBuildCategory.SECURITY, "case", 600),
        ("XQ-DM-01", dm, "法律咨询进社区", CoBuildCategory.LIVELIHOOD, "survey", 80),
        ("XQ-DM-02", dm, "居民议事活动场地", CoBuildCategory.RESOURCE_SHARING, "meeting", 40),
    ]
    for code, org, title, category, source, people in needs:
        Need.objects.get_or_create(
            code=code,
            defaults=dict(
                organization=org,
                title=title,
                category=category,
                source=source,
                beneficiaries=people,
                reported_on=months_before(today, 2),
            ),
        )
    by_name = {u.name: u for u in units}
    resources = [
        ("ZY-01", "站前小学", yl, "skill", "教师志愿者课后辅导", "每周 2 次"),
        ("ZY-02", "鞍山市中心医院", yl, "skill", "义诊医疗队", "每季度 1 次"),
        ("ZY-03", "鞍山供电公司铁东供电部", orgs[STREET], "skill", "电工义务检修", "每月 1 次"),
        ("ZY-04", "铁东区律师协会站前工作站", dm, "skill", "律师坐班咨询", "每月 2 次"),
        ("ZY-05", "铁东区图书馆", yl, "venue", "图书馆多功能厅", "80 人"),
        ("ZY-06", "鞍山万联超市有限公司", yl, "funds", "助餐补贴资金", "2 万元/年"),
        ("ZY-07", "鞍山热力集团站前供热站", dm, "equipment", "检修工具车", "1 辆"),
    ]
    for code, unit_name, org, kind, title, capacity in resources:
        Resource.objects.get_or_create(
            code=code,
            defaults=dict(
                unit=by_name[unit_name], organization=org, kind=kind, title=title, capacity=capacity
            ),
        )
    matches = [
        ("XMQD-01", "XQ-YL-02", "ZY-01", "四点半课堂", "ongoing"),
        ("XMQD-02", "XQ-YL-03", "ZY-03", "楼道照明义务检修", "done"),
        ("XMQD-03", "XQ-DM-01", "ZY-04", "律师每月坐班", "ongoing"),
    ]
    for code, need_code, resource_code, title, status in matches:
        if Project.objects.filter(code=code).exists():
            continue
        need = Need.objects.get(code=need_code)
        Project.objects.create(
            code=code,
            organization=need.organization,
            need=need,
            resource=Resource.objects.get(code=resource_code),
            title=title,
            status=status,
            started_on=months_before(today, 1),
        )
        need.status = "matched"
        need.save(update_fields=["status"])


def _assessments(orgs, units, today) -> None:
    admin = get_user_model().objects.filter(username="admin").first()
    if admin is None or UnitAssessment.objects.exists():
        return
    for n, unit in enumerate(units):
        for community in unit.demo_partners:
            held = 4
            assessment_compute(
                actor=admin,
                unit=unit,
                organization=community,
                year=today.year - 1,
                meetings_held=held,
                meetings_attended=(held - n % 4) if not unit.demo_inactive else 1,
            )


CHARTER_V1 = """一、本小区业主、住户应遵守国家法律法规，爱护公共设施。
二、不得在楼道、消防通道堆放杂物，不得私拉电线充电。
三、饲养宠物应拴绳牵引，及时清理粪便。
四、垃圾分类投放，不高空抛物。
五、邻里互助，矛盾纠纷先由楼栋长、小区党支部调解。"""

CHARTER_V2 = (
    CHARTER_V1
    + """
六、电动自行车一律在集中充电车棚充电，严禁入户、入楼道。
七、小区公共收益每季度在公示栏和“一核多元共治”居民门户公开。
八、本章程由小区居民议事会表决通过，修改须经议事会三分之二以上代表同意。"""
)


def _covenants(today) -> None:
    admin = get_user_model().objects.filter(username="admin").first()
    branch = Organization.objects.filter(code="TD-ZQ-YL-01").first()
    community = Organization.objects.filter(code="TD-ZQ-YL").first()
    if admin is None or branch is None or community is None:
        return
    charter, created = Covenant.objects.get_or_create(
        code="GY-YL-01",
        defaults=dict(organization=branch, kind="compound_charter", title="园林小区自治章程"),
    )
    if created:
        covenant_adopt_version(
            actor=admin,
            covenant=charter,
            text=CHARTER_V1,
            adopted_on=date(today.year - 2, 3, 15),
            meeting_reference="园林小区居民议事会第 3 次会议",
        )
        covenant_adopt_version(
            actor=admin,
            covenant=charter,
            text=CHARTER_V2,
            adopted_on=months_before(today, 2),
            meeting_reference="园林小区居民议事会第 27 次会议",
        )
    pact, created = Covenant.objects.get_or_create(
        code="GY-YL",
        defaults=dict(organization=community, kind="residents", title="园林社区居民公约"),
    )
    if created:
        covenant_adopt_version(
            actor=admin,
            covenant=pact,
            text="爱党爱国守法纪，邻里和睦讲文明；环境整洁靠大家，移风易俗树新风；"
            "扶老助残献爱心，平安社区共守护。",
            adopted_on=date(today.year - 1, 5, 4),
            adopted_by="园林社区居民代表会议",
        )
