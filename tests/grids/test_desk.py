"""吹哨报到 with department accounts, and 社区吹哨、党员报到 (issue 18 items 1 and 2): the
department sees only what was whistled to it, acts itself (acknowledge, extend, return,
resolve), overdue whistles escalate to the street exactly once; a registered member or a
sent-down cadre reports done and the hours are credited to the member's 双报到 record."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.urls import reverse
from django.utils import timezone

from grids.models import Case, CaseEvent, CaseNotice, Department, DeskAccount
from grids.roles import DEPARTMENT_ROLE, MEMBER_ROLE
from grids.selectors import cases_overdue_for_acknowledgement, cases_overdue_for_department
from grids.services.cases import (
    case_accept,
    case_acknowledge,
    case_dispatch,
    case_extend,
    case_report,
    case_resolve,
    case_return,
    escalate_overdue,
)
from grids.services.departments import desk_account_save
from organizations.models import MemberActivity, SentDownCadre
from tests.conftest import make_user
from tests.organizations.factories import MemberFactory, RegistrationFactory


@pytest.fixture
def desk(users, roster, tree):
    street = tree["street"]
    zj = Department.objects.create(code="D-ZJ", name="区住建局", street=street)
    cg = Department.objects.create(code="D-CG", name="区城管局", street=street)
    member = MemberFactory(name="刘报到", branch=tree["branch_a"])
    reg = RegistrationFactory(member=member, community=tree["community_a"])
    member_b = MemberFactory(name="孙胜利", branch=tree["branch_b"])
    reg_b = RegistrationFactory(member=member_b, community=tree["community_b"])
    cadre = SentDownCadre.objects.create(
        code="XC1",
        community=tree["community_a"],
        person_name="周下沉",
        member=member,
        start_date=date(2025, 1, 1),
    )
    accounts = {}
    for name, kw in (
        ("zj", {"department": zj}),
        ("cg", {"department": cg}),
        ("member", {"registration": reg}),
        ("cadre", {"cadre": cadre}),
    ):
        user = make_user(f"desk_{name}")
        desk_account_save(actor=users["street"], account=DeskAccount(user=user, **kw))
        accounts[name] = type(user).objects.get(pk=user.pk)  # fresh: no cached account
    return {
        "zj": zj,
        "cg": cg,
        "reg": reg,
        "reg_b": reg_b,
        "cadre": cadre,
        "users": accounts,
    }


def new_case(roster, category="facilities"):
    return case_report(
        source="portal",
        reporter_name="张三",
        reporter_phone="13812345678",
        category=category,
        description="楼顶漏水",
        building=roster["buildings"]["b1"],
    )


def whistled(users, roster, department, category="facilities"):
    case = new_case(roster, category)
    case_accept(actor=users["cadre_a"], case=case, triage="major")
    return case_dispatch(actor=users["cadre_a"], case=case, kind="department", target=department)


def small(users, roster):
    case = new_case(roster, "livelihood")
    return case_accept(actor=users["cadre_a"], case=case, triage="minor")


# -- departments are accounts -----------------------------------------------------------


def test_accounts_get_their_roles(desk):
    assert desk["users"]["zj"].groups.filter(name=DEPARTMENT_ROLE).exists()
    assert desk["users"]["member"].groups.filter(name=MEMBER_ROLE).exists()
    account = DeskAccount.objects.get(user=desk["users"]["zj"])
    assert account.organization.code == "S"


def test_department_whistle_sets_deadlines_per_category(settings, users, roster, desk):
    settings.GRIDS_DEPARTMENT_DEADLINES = {"safety": (1, 1)}
    case = whistled(users, roster, desk["zj"], category="safety")
    assert case.department == desk["zj"] and case.target_label == "区住建局"
    assert timedelta(minutes=59) < case.ack_due_at - case.dispatched_at <= timedelta(hours=1)
    assert case.department_due_at - case.dispatched_at == timedelta(days=1)
    other = whistled(users, roster, desk["zj"], category="facilities")
    assert other.ack_due_at - other.dispatched_at == timedelta(hours=24)
    assert other.department_due_at - other.dispatched_at == timedelta(days=7)


def test_department_sees_only_what_was_whistled_to_it(users, roster, desk):
    mine = whistled(users, roster, desk["zj"])
    theirs = whistled(users, roster, desk["cg"])
    new_case(roster)  # not whistled at all
    assert set(Case.objects.visible_to(desk["users"]["zj"])) == {mine}
    assert set(Case.objects.visible_to(desk["users"]["cg"])) == {theirs}
    # staff scope is unchanged
    assert Case.objects.visible_to(users["cadre_a"]).count() == 3
    assert Case.objects.visible_to(users["cadre_b"]).count() == 0


def test_department_acts_itself_and_only_on_its_cases(users, roster, desk):
    case = whistled(users, roster, desk["zj"])
    zj, cg = desk["users"]["zj"], desk["users"]["cg"]
    with pytest.raises(Http404):  # not whistled to it: like an unknown case
        case_acknowledge(actor=cg, case=case)
    with pytest.raises(PermissionDenied):  # the community cannot report in for it
        case_acknowledge(actor=users["cadre_a"], case=case)
    case = case_acknowledge(actor=zj, case=case, note="已派人到场")
    with pytest.raises(ValidationError) as exc:
        case_acknowledge(actor=zj, case=case)
    assert "不能重复报到" in str(exc.value)
    with pytest.raises(PermissionDenied):
        case_resolve(actor=users["cadre_a"], case=case, resolution="x")
    case = case_resolve(actor=zj, case=case, resolution="已修复")
    assert case.status == "resolved" and case.resolution_level == "escalated"


def test_extension_once_with_a_reason(users, roster, desk):
    case = whistled(users, roster, desk["zj"])
    zj = desk["users"]["zj"]
    due = case.department_due_at
    with pytest.raises(ValidationError) as exc:
        case_extend(actor=zj, case=case, days=3, reason="")
    assert "reason" in exc.value.message_dict
    with pytest.raises(ValidationError):
        case_extend(actor=zj, case=case, days=99, reason="材料未到")
    case = case_extend(actor=zj, case=case, days=3, reason="材料未到")
    assert case.department_due_at == due + timedelta(days=3) and case.extension_count == 1
    assert case.acknowledged_at is not None  # asking for time is reporting in
    with pytest.raises(ValidationError) as exc:
        case_extend(actor=zj, case=case, days=1, reason="再等等")
    assert "最多延期" in str(exc.value)
    event = case.events.get(action="extend")
    assert event.note == "材料未到" and event.detail["days"] == 3


def test_return_needs_a_reason_and_goes_back_to_the_desk(users, roster, desk):
    case = whistled(users, roster, desk["zj"])
    zj = desk["users"]["zj"]
    with pytest.raises(ValidationError):
        case_return(actor=zj, case=case, reason="  ")
    assert Case.objects.get(pk=case.pk).status == "dispatched"  # nothing half-written
    case = case_return(actor=zj, case=case, reason="不属本部门职责")
    assert case.status == "accepted" and case.department is None and case.dispatch_kind == ""
    assert not Case.objects.visible_to(zj).exists()
    event = case.events.get(action="return")
    assert event.detail["department"] == "D-ZJ" and event.note == "不属本部门职责"
    notice = CaseNotice.objects.get(event=event)
    assert notice.audience == "community" and "区住建局退回" in notice.text
    # the desk can whistle again, to another department
    case = case_dispatch(actor=users["cadre_a"], case=case, kind="department", target=desk["cg"])
    assert case.department == desk["cg"]


def test_overdue_whistles_escalate_exactly_once(users, roster, desk):
    late_ack = whistled(users, roster, desk["zj"])
    late_done = whistled(users, roster, desk["cg"])
    case_acknowledge(actor=desk["users"]["cg"], case=late_done)
    whistled(users, roster, desk["zj"])  # in time
    past = timezone.now() - timedelta(hours=1)
    Case.objects.filter(pk=late_ack.pk).update(ack_due_at=past)
    Case.objects.filter(pk=late_done.pk).update(department_due_at=past)
    assert list(cases_overdue_for_acknowledgement()) == [Case.objects.get(pk=late_ack.pk)]
    assert list(cases_overdue_for_department()) == [Case.objects.get(pk=late_done.pk)]
    assert escalate_overdue() == {"acknowledge": 1, "resolve": 1}
    assert escalate_overdue() == {"acknowledge": 0, "resolve": 0}
    assert CaseEvent.objects.filter(action="escalate").count() == 2
    notices = CaseNotice.objects.filter(event__action="escalate", audience="community")
    assert notices.count() == 2 and "已上报街道" in notices.first().text
    assert Case.objects.get(pk=late_ack.pk).ack_escalated_at is not None
    assert Case.objects.get(pk=late_done.pk).due_escalated_at is not None


def test_escalation_claims_each_case_once_under_two_schedulers(users, roster, desk):
    from grids.services.cases import escalate_one

    case = whistled(users, roster, desk["zj"])
    Case.objects.filter(pk=case.pk).update(ack_due_at=timezone.now() - timedelta(hours=1))
    assert escalate_one(case.pk, "ack_escalated_at") is True
    assert escalate_one(case.pk, "ack_escalated_at") is False  # the second scheduler
    assert CaseEvent.objects.filter(case=case, action="escalate").count() == 1


def test_escalate_task_runs(users, roster, desk):
    from grids.tasks import escalate_overdue_cases

    case = whistled(users, roster, desk["zj"])
    Case.objects.filter(pk=case.pk).update(ack_due_at=timezone.now() - timedelta(hours=1))
    assert escalate_overdue_cases() == {"acknowledge": 1, "resolve": 0}


# -- through the API -------------------------------------------------------------------


def test_api_department_queue_and_steps(api, users, roster, desk):
    mine = whistled(users, roster, desk["zj"])
    other = whistled(users, roster, desk["cg"])
    zj = api(desk["users"]["zj"])
    listed = zj.get("/api/v1/cases/").json()
    codes = [row["tracking_code"] for row in listed["results"]]
    assert codes == [mine.tracking_code]
    assert listed["results"][0]["department"] == "D-ZJ"
    url = f"/api/v1/cases/{other.tracking_code}/acknowledge/"
    unknown = "/api/v1/cases/ZZZZZZZZZZ/acknowledge/"
    assert zj.post(url, {}, format="json").status_code == 404
    assert zj.post(unknown, {}, format="json").status_code == 404
    url = f"/api/v1/cases/{mine.tracking_code}/"
    assert zj.post(url + "acknowledge/", {"note": "到"}, format="json").status_code == 200
    again = zj.post(url + "acknowledge/", {}, format="json")
    assert again.status_code == 400 and "重复报到" in str(again.json())
    bad = zj.post(url + "extend/", {"days": 2, "reason": ""}, format="json")
    assert bad.status_code == 400
    ok = zj.post(url + "extend/", {"days": 2, "reason": "等材料"}, format="json")
    assert ok.status_code == 200 and ok.json()["extension_count"] == 1
    no_reason = zj.post(url + "return/", {"reason": ""}, format="json")
    assert no_reason.status_code == 400
    done = zj.post(url + "resolve/", {"resolution": "已修复"}, format="json")
    assert done.status_code == 200 and done.json()["status"] == "resolved"


def test_api_return_and_dispatch_by_department_code(api, users, roster, desk):
    case = new_case(roster)
    case_accept(actor=users["cadre_a"], case=case, triage="major")
    cadre = api(users["cadre_a"])
    url = f"/api/v1/cases/{case.tracking_code}/"
    missing = cadre.post(url + "dispatch/", {"kind": "department", "target": "NOPE"}, format="json")
    assert missing.status_code == 400
    sent = cadre.post(url + "dispatch/", {"kind": "department", "target": "D-ZJ"}, format="json")
    assert sent.status_code == 200 and sent.json()["department"] == "D-ZJ"
    back = api(desk["users"]["zj"]).post(url + "return/", {"reason": "非本部门"}, format="json")
    assert back.status_code == 200 and back.json()["status"] == "accepted"
    # the community desk cannot acknowledge for a department
    cadre.post(url + "dispatch/", {"kind": "department", "target": "D-CG"}, format="json")
    assert cadre.post(url + "acknowledge/", {}, format="json").status_code == 403


def test_api_departments_list(api, users, desk):
    rows = api(users["cadre_a"]).get("/api/v1/departments/").json()
    assert rows == {"count": 0, "next": None, "previous": None, "results": []} or rows
    street = api(users["street"]).get("/api/v1/departments/").json()
    assert {r["code"] for r in street["results"]} == {"D-ZJ", "D-CG"}


# -- through the admin -----------------------------------------------------------------


def test_admin_department_queue_and_steps(admin_client_for, users, roster, desk):
    mine = whistled(users, roster, desk["zj"])
    other = whistled(users, roster, desk["cg"])
    client = admin_client_for(desk["users"]["zj"])
    page = client.get(reverse("admin:grids_case_changelist"))
    assert page.status_code == 200
    body = page.content.decode()
    assert mine.tracking_code in body and other.tracking_code not in body
    assert client.get(reverse("admin:grids_case_change", args=[other.pk])).status_code == 404
    change = client.get(reverse("admin:grids_case_change", args=[mine.pk])).content.decode()
    assert "疑似重复" not in change  # not the community's other cases
    for step in ("acknowledge", "extend", "return", "resolve"):
        assert reverse("admin:grids_case_step", args=[mine.pk, step]) in change
    assert reverse("admin:grids_case_step", args=[mine.pk, "dispatch"]) not in change
    foreign = reverse("admin:grids_case_step", args=[other.pk, "acknowledge"])
    assert client.post(foreign, {"note": ""}).status_code == 404
    step = reverse("admin:grids_case_step", args=[mine.pk, "acknowledge"])
    assert client.post(step, {"note": "到了"}).status_code == 302
    again = client.post(step, {"note": ""})
    assert again.status_code == 200 and "不能重复报到" in again.content.decode()
    ret = reverse("admin:grids_case_step", args=[mine.pk, "return"])
    assert client.post(ret, {"reason": ""}).status_code == 200  # the form asks for it
    assert Case.objects.get(pk=mine.pk).status == "dispatched"
    assert client.post(ret, {"reason": "非本部门"}).status_code == 302
    assert Case.objects.get(pk=mine.pk).status == "accepted"


def test_admin_street_sees_overdue_whistles(admin_client_for, users, roster, desk):
    case = whistled(users, roster, desk["zj"])
    Case.objects.filter(pk=case.pk).update(ack_due_at=timezone.now() - timedelta(hours=1))
    escalate_overdue()
    client = admin_client_for(users["street"])
    page = client.get(reverse("admin:grids_case_changelist") + "?whistle=ack_overdue")
    body = page.content.decode()
    assert case.tracking_code in body and "报到超期·已上报街道" in body


def test_admin_dispatch_to_department_by_autocomplete(admin_client_for, users, roster, desk):
    case = new_case(roster)
    case_accept(actor=users["cadre_a"], case=case, triage="major")
    client = admin_client_for(users["cadre_a"])
    url = reverse("admin:grids_case_dispatch_targets", args=[case.pk, "department"])
    found = client.get(url, {"term": "住建"}).json()["results"]
    assert [r["text"] for r in found] == ["D-ZJ 区住建局"]
    step = reverse("admin:grids_case_step", args=[case.pk, "dispatch"])
    answer = client.post(step, {"kind": "department", "department": desk["zj"].pk})
    assert answer.status_code == 302
    assert Case.objects.get(pk=case.pk).department == desk["zj"]


# -- 社区吹哨、党员报到 -----------------------------------------------------------------


def test_member_dispatch_report_done_credits_hours(users, roster, desk):
    case = small(users, roster)
    case = case_dispatch(actor=users["cadre_a"], case=case, kind="member", target=desk["reg"])
    member = desk["users"]["member"]
    assert list(Case.objects.visible_to(member)) == [case]
    assert not Case.objects.visible_to(desk["users"]["cadre"]).exists()
    with pytest.raises(ValidationError) as exc:
        case_resolve(actor=member, case=case, resolution="已送药")
    assert "hours" in exc.value.message_dict
    case = case_resolve(actor=member, case=case, resolution="已送药", hours="2.5")
    activity = MemberActivity.objects.get(registration=desk["reg"])
    assert activity.hours == Decimal("2.5") and case.tracking_code in activity.content
    assert case.events.get(action="resolve").detail["activity"] == activity.code
    assert case.resolution_level == "community"


def test_member_outside_their_community_is_refused(users, roster, desk):
    case = small(users, roster)
    # a community-B member: the A cadre cannot reach them (answered as unknown)
    with pytest.raises(ValidationError):
        case_dispatch(actor=users["cadre_a"], case=case, kind="member", target=desk["reg_b"])
    # the street reaches both, and is told the member is registered elsewhere
    with pytest.raises(ValidationError) as exc:
        case_dispatch(actor=users["street"], case=case, kind="member", target=desk["reg_b"])
    assert "未到" in str(exc.value) and "报到" in str(exc.value)
    assert Case.objects.get(pk=case.pk).status == "accepted"


def test_cadre_dispatch_credits_the_cadre_members_registration(users, roster, desk):
    case = small(users, roster)
    case = case_dispatch(actor=users["cadre_a"], case=case, kind="cadre", target=desk["cadre"])
    case_resolve(actor=desk["users"]["cadre"], case=case, resolution="已调解", hours=1)
    assert MemberActivity.objects.get(registration=desk["reg"]).hours == Decimal("1.0")


def test_member_cannot_touch_other_cases(users, roster, desk):
    case = small(users, roster)
    case = case_dispatch(actor=users["cadre_a"], case=case, kind="member", target=desk["reg"])
    with pytest.raises(Http404):
        case_resolve(actor=desk["users"]["zj"], case=case, resolution="x", hours=1)


def test_api_member_reports_done(api, users, roster, desk):
    case = small(users, roster)
    cadre = api(users["cadre_a"])
    url = f"/api/v1/cases/{case.tracking_code}/"
    refused = cadre.post(url + "dispatch/", {"kind": "member", "target": "BD-NONE"}, format="json")
    assert refused.status_code == 400
    code = desk["reg"].code
    sent = cadre.post(url + "dispatch/", {"kind": "member", "target": code}, format="json")
    assert sent.status_code == 200 and sent.json()["registration"] == code
    member = api(desk["users"]["member"])
    assert [r["tracking_code"] for r in member.get("/api/v1/cases/").json()["results"]] == [
        case.tracking_code
    ]
    done = member.post(url + "resolve/", {"resolution": "已办", "hours": "3"}, format="json")
    assert done.status_code == 200
    assert MemberActivity.objects.filter(registration=desk["reg"], hours=3).exists()


def test_admin_member_reports_done(admin_client_for, users, roster, desk):
    case = small(users, roster)
    case_dispatch(actor=users["cadre_a"], case=case, kind="member", target=desk["reg"])
    client = admin_client_for(desk["users"]["member"])
    change = client.get(reverse("admin:grids_case_change", args=[case.pk])).content.decode()
    assert reverse("admin:grids_case_step", args=[case.pk, "resolve"]) in change
    step = reverse("admin:grids_case_step", args=[case.pk, "resolve"])
    assert client.post(step, {"resolution": "已办", "hours": "1.5"}).status_code == 302
    assert MemberActivity.objects.get(registration=desk["reg"]).hours == Decimal("1.5")


@pytest.mark.parametrize("extra", [1, 4])
def test_department_lists_constant_queries(
    api, users, roster, desk, django_assert_num_queries, extra
):
    from django.contrib.auth import get_user_model

    for n in range(extra):
        Department.objects.create(code=f"D-X{n}", name=f"部门{n}", street=desk["zj"].street)
        whistled(users, roster, desk["zj"])
    User = get_user_model()
    street = api(User.objects.get(pk=users["street"].pk))
    # permissions and scope (one statement) + count + page
    with django_assert_num_queries(3):
        assert street.get("/api/v1/departments/").status_code == 200
    zj = api(User.objects.get(pk=desk["users"]["zj"].pk))
    # the same + the department account (read once for a user without scope)
    with django_assert_num_queries(4):
        rows = zj.get("/api/v1/cases/").json()["results"]
    assert len(rows) == extra


def test_admin_street_ties_a_login_to_a_department(admin_client_for, users, desk):
    user = make_user("new_dept")
    client = admin_client_for(users["street"])
    url = reverse("admin:grids_deskaccount_add")
    answer = client.post(url, {"user": user.pk, "department": desk["zj"].pk})
    assert answer.status_code == 302
    account = DeskAccount.objects.get(user=user)
    assert account.organization == desk["zj"].street
    assert user.groups.filter(name=DEPARTMENT_ROLE).exists()
    # two targets at once: refused, nothing written
    other = make_user("two_targets")
    page = client.post(
        url, {"user": other.pk, "department": desk["zj"].pk, "cadre": desk["cadre"].pk}
    )
    assert page.status_code == 200 and not DeskAccount.objects.filter(user=other).exists()
