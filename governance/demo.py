"""Demo meetings for 站前街道: series of every kind, a year of meetings (some missed, some held
late), attendance, resolutions in the four kinds and tasks made from them in every state.

Idempotent: a series whose code exists is left alone. Dates count back from today (Asia/Shanghai)
so the dashboards and reminders always have a recent year to show.
"""

from __future__ import annotations

from datetime import timedelta

from django.contrib.auth import get_user_model

from governance.cadence import periods_between, shanghai_today
from governance.choices import ResolutionKind
from governance.models import MeetingSeries, Task
from governance.services import (
    attendance_record,
    meeting_hold,
    meeting_plan,
    member_add,
    resolution_pass,
    series_create,
    task_accept,
    task_complete,
    task_dispatch,
    task_evaluate,
    task_progress,
    task_reject,
)
from organizations.models import Organization

COMMUNITIES = [
    ("YL", "园林社区", "yuanlin"),
    ("SL", "胜利社区", "shengli"),
    ("DM", "东明社区", None),
]
PEOPLE = ["张明", "李华", "王强", "赵丽", "刘洋"]
UNITS = ["市第十二中学", "站前供电所", "铁东区中心医院", "站前派出所", "建设银行站前支行"]
AGENDA = {
    "committee_joint": ["通报上季度共建项目进展", "研究驻区单位资源清单", "部署下季度重点工作"],
    "tripartite": ["小区物业服务问题会商", "业委会换届筹备", "公共收益使用公示"],
    "residents_council": ["居民诉求汇总", "楼道堆物清理", "停车秩序"],
    "co_construction": ["共建项目认领情况", "轮值主席交接", "下季度共建活动安排"],
    "livelihood_dispatch": ["民生实事进度调度", "重点人群走访情况"],
    "custom": ["网格事项分析", "疑难事项会诊"],
}
RESOLUTIONS = [
    (ResolutionKind.DISCUSS, "老旧小区改造方案征求意见"),
    (ResolutionKind.DECIDE, "公共收益用于加装单元门禁"),
    (ResolutionKind.SOLVE, "解决园林小区停车难"),
    (ResolutionKind.DELIVER, "为独居老人安装紧急呼叫器"),
]


def _series_specs(street, communities):
    specs = [
        dict(
            code="TD-ZQ-DGW",
            name="站前街道大工委联席会议",
            kind="committee_joint",
            body=street,
            cadence="quarterly",
            due_within_days=15,
            users=("street",),
        ),
        dict(
            code="TD-ZQ-MSDD",
            name="站前街道民生工作调度会",
            kind="livelihood_dispatch",
            body=street,
            cadence="monthly",
            users=("street",),
        ),
    ]
    for code, name, login in communities:
        body = Organization.objects.get(code=f"TD-ZQ-{code}")
        who = (login,) if login else ()
        specs += [
            dict(
                code=f"TD-ZQ-{code}-DDW",
                name=f"{name}大党委联席会议",
                kind="committee_joint",
                body=body,
                cadence="quarterly",
                due_within_days=7,
                users=who,
            ),
            dict(
                code=f"TD-ZQ-{code}-SFLD",
                name=f"{name}三方联动会议",
                kind="tripartite",
                body=body,
                cadence="monthly",
                users=who,
            ),
            dict(
                code=f"TD-ZQ-{code}-YSH",
                name=f"{name}居民议事会议",
                kind="residents_council",
                body=body,
                cadence="weekly",
                users=who,
            ),
            dict(
                code=f"TD-ZQ-{code}-GJ",
                name=f"{name}共建联席会",
                kind="co_construction",
                body=body,
                cadence="quarterly",
                rotating_chair=True,
                users=who,
            ),
        ]
    specs.append(
        dict(
            code="TD-ZQ-YL-WGLH",
            name="园林社区网格工作例会",
            kind="custom",
            body=Organization.objects.get(code="TD-ZQ-YL"),
            cadence="monthly",
            users=("yuanlin",),
        )
    )
    return specs


def _members(kind: str, community_name: str):
    if kind == "co_construction":
        return [
            dict(kind="unit_liaison", name=PEOPLE[i - 1], unit_name=u, rotation_order=i)
            for i, u in enumerate(UNITS[:4], start=1)
        ]
    if kind == "tripartite":
        return [
            dict(kind="cadre", name="社区书记", unit_name=community_name),
            dict(kind="owners_committee", name="业委会主任", unit_name="小区业主委员会"),
            dict(kind="property_company", name="物业经理", unit_name="红枫物业服务公司"),
        ]
    if kind == "residents_council":
        return [dict(kind="residents_rep", name=f"居民代表{i}", unit_name="") for i in range(1, 6)]
    return [
        dict(kind="committee_seat", name=f"兼职委员{i}", unit_name=u)
        for i, u in enumerate(UNITS, start=1)
    ]


def _assignee_user(organization):
    """A demo account of the assignee organisation (who accepts, reports and rates the request)."""
    from core.demo import ensure_user
    from core.roles import COMMUNITY_CADRE

    return ensure_user(
        f"task-{organization.code.lower()}",
        role=COMMUNITY_CADRE,
        scope_codes=[organization.code],
        name=f"{organization.name[:20]}承办人",
    )


def _member_task(actor, today) -> int:
    """社区吹哨、党员报到: one task to the demo member (``member1``'s registration), accepted
    and completed by the member with 2 hours credited, and one still waiting. Idempotent."""
    from django.apps import apps
    from django.contrib.contenttypes.models import ContentType

    if not apps.is_installed("grids"):
        return 0
    account = (
        apps.get_model("grids", "DeskAccount")
        .objects.filter(registration__isnull=False)
        .select_related("user", "registration__community")
        .order_by("pk")
        .first()
    )
    if account is None:
        return 0
    registration = account.registration
    kind = ContentType.objects.get_for_model(registration)
    if Task.objects.filter(assignee_type=kind, assignee_id=registration.pk).exists():
        return 0
    member = account.user
    done = task_dispatch(
        actor=actor,
        title="协助入户走访独居老人",
        assignee=registration,
        organization=registration.community,
        deadline=today + timedelta(days=7),
    )
    task_accept(actor=member, task=done)
    task_complete(actor=member, task=done, note="走访 3 户，已反馈社区", hours="2")
    task_dispatch(
        actor=actor,
        title="参加楼道环境整治志愿服务",
        assignee=registration,
        organization=registration.community,
        deadline=today + timedelta(days=14),
    )
    return 2


def seed(stdout) -> None:
    User = get_user_model()
    actor = User.objects.filter(is_superuser=True).order_by("pk").first()
    street = Organization.objects.filter(code="TD-ZQ").first()
    if actor is None or street is None:
        stdout.write("  联席会议：缺少演示组织或管理员，跳过")
        return
    today = shanghai_today()
    start = today - timedelta(days=365)
    made = meetings = tasks = 0
    for index, spec in enumerate(_series_specs(street, COMMUNITIES)):
        if MeetingSeries.objects.filter(code=spec["code"]).exists():
            continue
        logins = spec.pop("users")
        convenor = User.objects.filter(username__in=logins).first()
        series = series_create(actor=actor, starts_on=start, convenor=convenor, **spec)
        made += 1
        for member in _members(series.kind, series.body.name):
            if member["kind"] == "cadre" and convenor is not None:
                member["user"] = convenor
            member_add(actor=actor, series=series, **member)
        periods = periods_between(series.cadence, start, today, series.due_within_days)
        for n, period in enumerate(periods):
            if period.start < start:
                continue
            planned_on = min(period.due, period.start + timedelta(days=(index + n) % 5 + 1))
            current = period.contains(today)
            missed = (n + index) % (4 if series.cadence == "weekly" else 5) == 3 and not current
            if missed and n % 2:
                continue  # nothing planned at all
            meeting = meeting_plan(
                actor=actor,
                series=series,
                planned_on=planned_on,
                agenda=AGENDA[series.kind],
                place=f"{series.body.name}党群服务中心",
            )
            meetings += 1
            if missed or planned_on >= today:
                continue  # planned but never held (or still ahead)
            late = (n + index) % 7 == 5 and period.end < today - timedelta(days=5)
            held_on = period.end + timedelta(days=3) if late else planned_on
            meeting = meeting_hold(
                actor=actor,
                meeting=meeting,
                held_on=held_on,
                minutes=f"会议由{series.body.name}召集，围绕议题逐项讨论并形成意见。",
            )
            names = list(meeting.invitations.values_list("name", flat=True))
            attendance_record(
                actor=actor,
                meeting=meeting,
                entries={
                    name: (
                        "absent"
                        if (i + n) % 4 == 3
                        else "excused"
                        if (i + n) % 9 == 4
                        else "present"
                    )
                    for i, name in enumerate(names)
                },
            )
            if series.cadence == "weekly" and n % 4:
                continue
            kind, title = RESOLUTIONS[(n + index) % 4]
            resolution = resolution_pass(actor=actor, meeting=meeting, kind=kind, title=title)
            if n % 2:
                continue
            assignee = (
                Organization.objects.filter(parent=series.body).order_by("code").first()
                or series.body
            )
            task = task_dispatch(
                actor=actor,
                source=resolution,
                title=f"落实：{title}",
                assignee=assignee,
                deadline=meeting.held_on + timedelta(days=30),
            )
            tasks += 1
            stage = (n + index) % 6
            # 上考下评: the assignee side is someone at the assignee, never the dispatcher.
            doer = _assignee_user(assignee)
            if stage == 5:
                task_reject(actor=doer, task=task, reason="需街道协调职能部门，社区无力单独承办")
                continue
            if stage >= 1:
                task_accept(actor=doer, task=task)
            if stage >= 2:
                task_progress(actor=doer, task=task, note="已走访相关居民，制定实施方案")
            if stage >= 3:
                task_complete(actor=doer, task=task, note="已按期完成")
            if stage >= 4:
                task_evaluate(actor=doer, task=task, side="assignee", rating=4 + (n + 1) % 2)
                task_evaluate(actor=actor, task=task, side="assigner", rating=4 + n % 2)
    tasks += _member_task(actor, today)
    from governance.digest import digest_run
    from governance.reminders import reminders_run

    result = reminders_run(today=today)
    digests = digest_run(today=today)
    stdout.write(
        f"  联席会议：新增 {made} 个会议制度、{meetings} 次会议、{tasks} 张派单；"
        f"今日提醒 {result.created} 条，逾期事项汇总 {digests.created} 份"
    )
