"""Demo volunteers for the street of organizations.demo: skills, volunteers in every status,
teams of every type (one temporary emergency team), past activities with check-in/out and
hours, future ones with a full list and a waitlist, a cancelled one, star-level veterans, a
correction, and wishes in every state. Written through the services (so audit rows exist);
idempotent: it does nothing when the demo activities are already there."""

from __future__ import annotations

import random
from datetime import timedelta
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.core.files.base import ContentFile
from django.utils import timezone

from core.validators import id_number_check_char
from organizations.models import Organization
from volunteers import services
from volunteers.choices import TeamKind, VolunteerStatus, WishSource
from volunteers.models import Activity, Skill, Volunteer

MARKER = "TD-ZQ-YL-A01"
SKILLS = [
    ("medical", "医疗护理"),
    ("legal", "法律咨询"),
    ("psych", "心理疏导"),
    ("repair", "水电维修"),
    ("driving", "驾驶"),
    ("arts", "文艺演出"),
    ("tutor", "教育辅导"),
    ("photo", "摄影宣传"),
    ("it", "信息技术"),
    ("rescue", "应急救援"),
]
SURNAMES = "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗"
GIVEN = [
    "秀英",
    "桂兰",
    "建国",
    "志强",
    "丽华",
    "海燕",
    "德明",
    "淑珍",
    "国庆",
    "春梅",
    "立新",
    "红霞",
]
# Community → the team kinds it runs (together every kind, as in the seeds' "8类服务队").
TEAMS = {
    "YL": [TeamKind.PATROL, TeamKind.ELDER_CARE, TeamKind.PARTY_MEMBER, TeamKind.MEDICAL],
    "SL": [TeamKind.MEDIATION, TeamKind.LEGAL_AID, TeamKind.ENVIRONMENT],
    "DM": [TeamKind.CULTURE_SPORTS, TeamKind.EMERGENCY, TeamKind.OTHER],
}
TEAM_NAMES = {
    TeamKind.PATROL: "平安巡防队",
    TeamKind.MEDIATION: "老娘舅调解队",
    TeamKind.LEGAL_AID: "法律援助服务队",
    TeamKind.ELDER_CARE: "助老助残服务队",
    TeamKind.ENVIRONMENT: "环境整治服务队",
    TeamKind.CULTURE_SPORTS: "文体志愿服务队",
    TeamKind.MEDICAL: "健康义诊服务队",
    TeamKind.PARTY_MEMBER: "党员志愿服务队",
    TeamKind.EMERGENCY: "防汛应急突击队",
    TeamKind.OTHER: "便民维修服务队",
}
PAST = ["楼道小广告清理", "独居老人走访", "夜间治安巡逻"]
FUTURE = ["健康义诊进社区", "反诈宣传"]


def _id_number(n: int) -> str:
    first17 = f"21030219{60 + n % 40:02d}{1 + n % 12:02d}{1 + n % 28:02d}{n % 1000:03d}"
    return first17 + id_number_check_char(first17)


def seed(stdout) -> None:
    if Activity.objects.filter(code=MARKER).exists():
        stdout.write(f"  志愿服务：已有演示数据（志愿者 {Volunteer.objects.count()} 名）")
        return
    rng = random.Random(2026)
    admin = get_user_model().objects.get(username="admin")
    skills = []
    for code, name in SKILLS:
        skill, _ = Skill.objects.get_or_create(code=code, defaults={"name": name})
        skills.append(skill)
    now = timezone.now().replace(minute=0, second=0, microsecond=0)
    street = Organization.objects.get(code="TD-ZQ")
    n = 0
    all_volunteers: dict[str, list[Volunteer]] = {}
    for c_code, kinds in TEAMS.items():
        community = Organization.objects.get(code=f"TD-ZQ-{c_code}")
        volunteers = []
        for i in range(40):
            n += 1
            status = (
                VolunteerStatus.APPLIED
                if i >= 37
                else VolunteerStatus.SUSPENDED
                if i >= 35
                else VolunteerStatus.REGISTERED
            )
            volunteer = services.volunteer_create(
                actor=admin,
                community=community,
                name=rng.choice(SURNAMES) + rng.choice(GIVEN),
                phone=f"139{n:08d}",
                id_number=_id_number(n),
                gender=rng.choice(["male", "female"]),
                person_kind="party_member" if i % 4 == 0 else "resident",
                status=status,
                skills=rng.sample(skills, k=rng.randint(1, 3)),
                availability=rng.sample(["weekday", "evening", "weekend", "emergency"], k=2),
            )
            volunteers.append(volunteer)
        registered = [v for v in volunteers if v.status == VolunteerStatus.REGISTERED]
        all_volunteers[c_code] = registered
        teams = []
        for t, kind in enumerate(kinds, start=1):
            members = registered[t * 6 : t * 6 + 8]
            temporary = kind == TeamKind.EMERGENCY
            teams.append(
                services.team_create(
                    actor=admin,
                    code=f"TD-ZQ-{c_code}-T{t:02d}",
                    name=f"{community.name.removesuffix('大党委')}{TEAM_NAMES[kind]}",
                    kind=kind,
                    community=community,
                    leader=members[0],
                    members=members,
                    is_temporary=temporary,
                    established_on=(now - timedelta(days=30)).date() if temporary else None,
                    ends_on=(now + timedelta(days=60)).date() if temporary else None,
                )
            )
        _activities(admin, community, c_code, teams, registered, now)
    _street_activity(admin, street, all_volunteers, now)
    _veterans(admin, all_volunteers, now)
    _wishes(admin, all_volunteers, now)
    stdout.write(
        f"  志愿服务：志愿者 {Volunteer.objects.count()} 名，活动 {Activity.objects.count()} 个"
    )


def _activity(admin, code, title, organizer, team, starts_at, hours, capacity):
    return services.activity_create(
        actor=admin,
        code=code,
        title=title,
        organizer=organizer,
        team=team,
        starts_at=starts_at,
        ends_at=starts_at + timedelta(hours=hours),
        place=f"{organizer.name.removesuffix('大党委')}党群服务中心",
        capacity=capacity,
    )


def _move_to_past(activity, starts_at, hours):
    # Sign-ups were taken while the activity lay ahead; now it has happened.
    Activity.objects.filter(pk=activity.pk).update(
        starts_at=starts_at, ends_at=starts_at + timedelta(hours=hours)
    )
    activity.refresh_from_db()


def _activities(admin, community, c_code, teams, registered, now):
    for a, title in enumerate(PAST, start=1):
        activity = _activity(
            admin,
            f"TD-ZQ-{c_code}-A{a:02d}",
            title,
            community,
            teams[a % len(teams)],
            now + timedelta(days=1),
            3,
            12,
        )
        sign_ups = [
            services.sign_up_create(actor=admin, activity=activity, volunteer=v)
            for v in registered[a * 8 : a * 8 + 10]
        ]
        start = now - timedelta(days=20 * a)
        _move_to_past(activity, start, 3)
        for i, sign_up in enumerate(sign_ups[:8]):
            services.sign_up_check_in(
                actor=admin, sign_up=sign_up, at=start - timedelta(minutes=10)
            )
            entry = services.sign_up_check_out(
                actor=admin, sign_up=sign_up, at=start + timedelta(hours=2, minutes=15 * (i % 4))
            )
            if a == 1 and i == 0:
                services.hours_correct(
                    actor=admin,
                    entry=entry,
                    new_hours=Decimal("3"),
                    reason="签退时漏记，按签到表更正",
                )
    for f, title in enumerate(FUTURE, start=1):
        capacity = 5 if f == 1 else 20
        activity = _activity(
            admin,
            f"TD-ZQ-{c_code}-A{10 + f:02d}",
            title,
            community,
            teams[0],
            now + timedelta(days=7 * f, hours=2),
            2,
            capacity,
        )
        for v in registered[:7] if f == 1 else registered[10:16]:
            services.sign_up_create(actor=admin, activity=activity, volunteer=v)
    cancelled = _activity(
        admin,
        f"TD-ZQ-{c_code}-A20",
        "广场文艺汇演",
        community,
        teams[-1],
        now + timedelta(days=3),
        2,
        30,
    )
    services.sign_up_create(actor=admin, activity=cancelled, volunteer=registered[-1])
    services.activity_cancel(actor=admin, activity=cancelled, reason="天气预报有大雨，改期举行")


def _street_activity(admin, street, volunteers, now):
    activity = _activity(
        admin, "TD-ZQ-A01", "学雷锋志愿服务日", street, None, now + timedelta(days=1), 4, 30
    )
    sign_ups = [
        services.sign_up_create(actor=admin, activity=activity, volunteer=v)
        for group in volunteers.values()
        for v in group[30:34]
    ]
    start = now - timedelta(days=45)
    _move_to_past(activity, start, 4)
    for sign_up in sign_ups:
        services.sign_up_check_in(actor=admin, sign_up=sign_up, at=start)
        services.sign_up_check_out(actor=admin, sign_up=sign_up, at=start + timedelta(hours=4))


def _veterans(admin, volunteers, now):
    """Five long-serving volunteers reaching 1★ to 5★ (hours recorded on paper before)."""
    targets = [120, 320, 640, 1040, 1560]
    pool = [group[0] for group in volunteers.values()] + [group[1] for group in volunteers.values()]
    for volunteer, target in zip(pool, targets, strict=False):
        for month in range(target // 20):
            services.hours_award(
                actor=admin,
                volunteer=volunteer,
                hours=Decimal(20),
                served_on=(now - timedelta(days=100 + month * 30)).date(),
                reason="历年纸质服务记录按月汇总补录",
            )


def _wishes(admin, volunteers, now):
    from covenants.models import PartnerUnit

    community = Organization.objects.get(code="TD-ZQ-YL")
    yl = volunteers["YL"]
    team = community.volunteer_teams.order_by("code").first()
    unit = PartnerUnit.objects.filter(organization__code__startswith="TD-ZQ").first()
    wishes = [
        ("想要一台助听器", "王秀英", "submitted"),
        ("希望有人帮忙修理漏水的水龙头", "李建国", "rejected"),
        ("想学用智能手机视频通话", "张桂兰", "approved"),
        ("孩子需要一套初中数学辅导书", "刘海燕", "published"),
        ("行动不便，希望有人陪同去医院复查", "陈德明", "claimed"),
        ("楼道灯坏了，希望帮忙更换", "杨淑珍", "claimed_team"),
        ("想要一张适合老人的护理床", "赵国庆", "claimed_unit"),
        ("希望有人帮忙打扫房间", "黄春梅", "fulfilled"),
        ("想有人陪着下下象棋", "周立新", "confirmed"),
    ]
    for index, (title, name, state) in enumerate(wishes, start=1):
        wish = services.wish_post(
            actor=admin,
            community=community,
            title=title,
            beneficiary_name=name,
            beneficiary_phone=f"1350412{index:04d}",
            beneficiary_address="园林小区",
            source=WishSource.GRID_WORKER,
        )
        if state == "submitted":
            continue
        if state == "rejected":
            services.wish_review(actor=admin, wish=wish, approve=False, note="已由物业免费维修")
            continue
        services.wish_review(actor=admin, wish=wish, approve=True)
        if state == "approved":
            continue
        services.wish_publish(actor=admin, wish=wish)
        if state == "published":
            continue
        if state == "claimed_team" or (state == "claimed_unit" and unit is None):
            services.wish_claim(actor=admin, wish=wish, team=team)
            continue
        if state == "claimed_unit":
            services.wish_claim(actor=admin, wish=wish, unit=unit)
            continue
        services.wish_claim(actor=admin, wish=wish, volunteer=yl[len(title) % len(yl)])
        if state == "claimed":
            continue
        photo = ContentFile(b"\xff\xd8\xff\xe0demo", name="wish.jpg")
        services.wish_fulfil(
            actor=admin, wish=wish, note="已上门完成", photo=photo, hours=Decimal("2")
        )
        if state == "confirmed":
            services.wish_confirm(actor=admin, wish=wish)
