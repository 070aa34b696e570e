"""Demo members, 双报到, seats, standing posts, the six needles and 六有 on the demo tree.

Codes are fixed so that reseeding is a no-op; every row goes through the services (full_clean,
scope, history)."""

from datetime import date

from organizations.demo.tree import COMMUNITIES
from organizations.models import Organization

DEMO_UNITS = [
    ("TD-U01", "鞍山市自来水公司", "state_enterprise"),
    ("TD-U02", "铁东区人民法院", "agency"),
    ("TD-U03", "鞍山市第二中学", "school"),
    ("TD-U04", "鞍钢集团总医院", "hospital"),
]
SURNAMES = "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗"
GIVEN = [
    "建国",
    "秀英",
    "志强",
    "桂兰",
    "海燕",
    "立新",
    "淑珍",
    "国庆",
    "丽华",
    "文博",
    "晓东",
    "玉梅",
]
CATEGORY_CYCLE = [
    "in_service",
    "in_service",
    "retired",
    "resident",
    "in_service",
    "mobile",
    "retired",
    "unemployed",
    "in_service",
    "resident",
]


def demo_id_number(born: date, seq: int, male: bool) -> str:
    from core.validators import id_number_check_char

    order = f"{(2 * seq + (1 if male else 0)) % 1000:03d}"
    first17 = f"210302{born:%Y%m%d}{order}"
    return first17 + id_number_check_char(first17)


def _admin():
    from django.contrib.auth import get_user_model

    return get_user_model().objects.filter(is_superuser=True).order_by("pk").first()


def _ensure(model, code, **fields):
    from core.services import scoped_save

    obj = model._default_manager.filter(code=code).first()
    if obj is None:
        obj = scoped_save(actor=_admin(), instance=model(code=code, **fields))
    return obj


def seed_units():
    from covenants.models import PartnerUnit

    street = Organization.objects.get(code="TD-ZQ")
    return [
        PartnerUnit.objects.get_or_create(
            code=code, defaults={"name": name, "kind": kind, "organization": street}
        )[0]
        for code, name, kind in DEMO_UNITS
    ]


def seed_members(units):
    from organizations.models import Member
    from organizations.services import member_create

    created = 0
    seq = 0
    for c_code, _, compounds in COMMUNITIES:
        branches = [f"TD-ZQ-{c_code}-{i:02d}" for i in range(1, len(compounds) + 1)]
        branches += [f"TD-ZQ-{c_code}-GN", f"TD-ZQ-{c_code}-LD", f"TD-ZQ-{c_code}-01-B01"]
        for b_index, branch_code in enumerate(branches):
            branch = Organization.objects.get(code=branch_code)
            for k in range(6):
                seq += 1
                code = f"DY-{c_code}-{b_index + 1:02d}{k + 1:02d}"
                if Member.objects.filter(code=code).exists():
                    continue
                male = seq % 3 != 0
                born = date(1950 + (seq * 7) % 50, 1 + seq % 12, 1 + seq % 28)
                category = CATEGORY_CYCLE[seq % len(CATEGORY_CYCLE)]
                if branch_code.endswith("-LD"):
                    category = "mobile"
                member_create(
                    actor=_admin(),
                    code=code,
                    name=SURNAMES[seq % len(SURNAMES)] + GIVEN[seq % len(GIVEN)],
                    gender="male" if male else "female",
                    birth_date=born,
                    id_number=demo_id_number(born, seq, male),
                    phone=f"139{seq:08d}",
                    category=category,
                    status="probationary" if seq % 17 == 0 else "full",
                    branch=branch,
                    join_date=date(born.year + 25, 7, 1),
                    work_unit=units[seq % len(units)] if category == "in_service" else None,
                    address=f"站前街道{branch.name.removesuffix('党支部')}",
                )
                created += 1
    return created


def seed_dual_registration():
    from organizations import services
    from organizations.choices import PostKind
    from organizations.models import (
        Appraisal,
        CommunityRegistration,
        Member,
        MemberActivity,
        Post,
        PostClaim,
    )

    admin = _admin()
    today = date.today()
    for c_code, c_name, _ in COMMUNITIES:
        community = Organization.objects.get(code=f"TD-ZQ-{c_code}")
        for i, (kind, label) in enumerate(PostKind.choices, start=1):
            _ensure(
                Post,
                f"GW-{c_code}-{i}",
                community=community,
                kind=kind,
                name=f"{c_name}{label}岗"
                if kind != PostKind.CUSTOM
                else f"{c_name}老旧小区改造监督岗",
                capacity=None if i % 2 else 6,
            )
    for c_index, (c_code, _name, _) in enumerate(COMMUNITIES):
        community = Organization.objects.get(code=f"TD-ZQ-{c_code}")
        in_service = Member.objects.filter(
            category="in_service", branch__code__startswith=f"TD-ZQ-{c_code}"
        ).order_by("code")
        for n, member in enumerate(in_service):
            # Most report where their branch is; every fourth lives in the next community.
            home = community
            if n % 4 == 3:
                nxt = COMMUNITIES[(c_index + 1) % len(COMMUNITIES)]
                home = Organization.objects.get(code=f"TD-ZQ-{nxt[0]}")
            reg = CommunityRegistration.objects.filter(member=member).first()
            if reg is None:
                reg = services.registration_create(
                    actor=admin,
                    code=f"BD-{member.code}",
                    member=member,
                    community=home,
                    branch=Organization.objects.get(code=f"{home.code}-01"),
                    registered_on=date(today.year - 1, 3, 1 + n % 28),
                )
            home_posts = list(Post.objects.filter(community=home).order_by("code"))
            # Three in four claim a post (the seeds: 145 of 196).
            if n % 4 != 2 and not PostClaim.objects.filter(registration=reg).exists():
                services.post_claim(
                    actor=admin,
                    registration=reg,
                    post=home_posts[n % len(home_posts)],
                    claimed_on=reg.registered_on,
                )
            if not MemberActivity.objects.filter(registration=reg).exists():
                for month, hours in ((4, "2.0"), (9, "3.5")):
                    _ensure(
                        MemberActivity,
                        f"HD-{member.code}-{month}",
                        registration=reg,
                        date=date(today.year - 1, month, 10),
                        hours=hours,
                        content="楼院环境整治、政策宣传入户",
                        confirmed_by="社区书记",
                    )
                if n % 2 == 0:
                    _ensure(
                        MemberActivity,
                        f"HD-{member.code}-now",
                        registration=reg,
                        date=today,
                        hours="2.0",
                        content="便民服务日值守",
                        confirmed_by="网格长",
                    )
            if not Appraisal.objects.filter(member=member, year=today.year - 1).exists():
                grade = [
                    "excellent",
                    "qualified",
                    "qualified",
                    "basic",
                    "qualified",
                    "unqualified",
                ][n % 6]
                appraisal = services.feedback_submit(
                    actor=admin,
                    registration=reg,
                    year=today.year - 1,
                    grade=grade,
                    comment="按时参加社区活动" if grade != "unqualified" else "全年未参加活动",
                    sent_on=date(today.year - 1, 12, 20),
                )
                services.appraisal_conclude(actor=admin, appraisal=appraisal)


def seed_seats_and_posts(units):
    from organizations import services
    from organizations.models import CommitteeSeat, SentDownCadre, StandingAppointment

    admin = _admin()
    make_up = {"YL": (3, 3, 3), "SL": (3, 2, 3), "DM": (5, 2, 1)}  # DM is unbalanced
    for c_code, _name, _ in COMMUNITIES:
        community = Organization.objects.get(code=f"TD-ZQ-{c_code}")
        cadres, residents, unit_members = make_up[c_code]
        seats = (
            [("community_cadre", None)] * cadres
            + [("resident_member", None)] * residents
            + [("unit_member", u) for u in (units * 3)[:unit_members]]
        )
        for i, (seat_type, unit) in enumerate(seats, start=1):
            _ensure(
                CommitteeSeat,
                f"WY-{c_code}-{i:02d}",
                committee=community,
                person_name=f"{SURNAMES[i]}{GIVEN[i]}",
                seat_type=seat_type,
                unit=unit,
                position="副书记" if i == 1 else "兼职委员",
                phone=f"137{i:04d}{i:04d}",
                term_start=date(2023, 1, 1),
                term_end=date(2027, 12, 31),
            )
        _ensure(
            StandingAppointment,
            f"ZS-{c_code}-1",
            community=community,
            kind="first_secretary",
            person_name=f"{SURNAMES[3]}第一书记",
            sending_unit=units[0],
            start_date=date(2024, 3, 1),
        )
        _ensure(
            StandingAppointment,
            f"ZS-{c_code}-2",
            community=community,
            kind="commissioner",
            person_name=f"{SURNAMES[4]}专员",
            start_date=date(2023, 9, 1),
        )
        # YL covers every workday, SL misses Friday, DM misses Wednesday.
        rosters = {"YL": [[0, 1], [2, 3], [4]], "SL": [[0, 2], [1, 3]], "DM": [[0, 1], [3, 4]]}
        for i, days in enumerate(rosters[c_code], start=1):
            code = f"XC-{c_code}-{i}"
            if not SentDownCadre.objects.filter(code=code).exists():
                services.sent_down_cadre_save(
                    actor=admin,
                    cadre=SentDownCadre(
                        code=code,
                        community=community,
                        person_name=f"{SURNAMES[i + 5]}{GIVEN[i + 5]}",
                        unit=units[i % len(units)],
                        start_date=date(2025, 1, 1),
                    ),
                    weekdays=days,
                )
    street = Organization.objects.get(code="TD-ZQ")
    for i, unit in enumerate(units, start=1):
        _ensure(
            CommitteeSeat,
            f"WY-ZQ-{i:02d}",
            committee=street,
            person_name=f"{unit.name}书记",
            seat_type="unit_member",
            unit=unit,
            term_start=date(2023, 1, 1),
        )


def seed_needles():
    from organizations.models import Body, FinancialDisclosure, SixHaves

    admin = _admin()
    for c_code, c_name, compounds in COMMUNITIES:
        community = Organization.objects.get(code=f"TD-ZQ-{c_code}")
        _ensure(
            Body,
            f"ZT-{c_code}-GZZ",
            community=community,
            kind="workstation",
            name=f"{c_name}工作站",
            head_name="站长",
        )
        _ensure(
            Body,
            f"ZT-{c_code}-JWH",
            community=community,
            kind="residents_committee",
            name=f"{c_name}居委会",
            head_name="居委会主任",
        )
        _ensure(
            Body,
            f"ZT-{c_code}-SHZZ",
            community=community,
            kind="social_org",
            name=f"{c_name}邻里互助会",
        )
        for i, compound in enumerate(compounds, start=1):
            branch = Organization.objects.get(code=f"{community.code}-{i:02d}")
            red = i != len(compounds)  # the last compound's property company has no branch
            _ensure(
                Body,
                f"ZT-{c_code}-WY{i}",
                community=community,
                kind="property_company",
                name=f"{compound}物业服务有限公司",
                compound=branch,
                property_branch=Organization.objects.get(code=f"{community.code}-WY")
                if red
                else None,
            )
            _ensure(
                Body,
                f"ZT-{c_code}-YW{i}",
                community=community,
                kind="owners_committee",
                name=f"{compound}业主委员会",
                compound=branch,
                is_party_led=(i + len(c_code)) % 3 != 0,
            )
            if not SixHaves.objects.filter(branch=branch).exists():
                flags = [(i + k) % 4 != 0 or c_code == "YL" for k in range(6)]
                from core.services import scoped_save

                scoped_save(
                    actor=admin,
                    instance=SixHaves(
                        branch=branch,
                        has_approval=flags[0],
                        approval_document="铁东组字〔2019〕12号" if flags[0] else "",
                        has_members=flags[1],
                        has_commissioner=flags[2],
                        has_rules=flags[3],
                        has_venue=flags[4],
                        has_activities=flags[5],
                        checked_on=date(2025, 6, 30),
                    ),
                )
    company = _ensure(
        Body,
        "ZT-YL-GF",
        community=Organization.objects.get(code="TD-ZQ-YL"),
        kind="shareholding_company",
        name="园林社区股份合作公司",
        head_name="董事长",
    )
    for q, public in ((1, True), (2, False)):
        _ensure(
            FinancialDisclosure,
            f"GK-YL-2025Q{q}",
            body=company,
            period=f"2025年第{q}季度",
            period_start=date(2025, 3 * q - 2, 1),
            period_end=date(2025, 3 * q, 30 if q == 2 else 31),
            title=f"园林社区股份合作公司2025年第{q}季度财务公开",
            income=356000 + q * 1000,
            expenditure=212000,
            dividend=80000,
            summary="租金收入、物业费收入及分红情况",
            is_public=public,
            published_on=date(2025, 3 * q + 1, 10) if public else None,
        )


def seed_issue3(stdout) -> None:
    units = seed_units()
    created = seed_members(units)
    seed_dual_registration()
    seed_seats_and_posts(units)
    seed_needles()
    from organizations.models import CommunityRegistration, Member, PostClaim

    stdout.write(
        f"  党员：{Member.objects.count()} 名（新增 {created}），双报到 "
        f"{CommunityRegistration.objects.count()} 人，认岗 "
        f"{PostClaim.objects.values('registration').distinct().count()} 人"
    )
