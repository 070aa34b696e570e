"""社区吹哨、党员报到 for tasks (issue 18 item 2): a community dispatches a task to a member
registered with it (双报到, assignee type ``registration``) or to a cadre sent down to it
(``cadre``); that person's desk login sees only its own tasks, accepts, reports progress and
completes with hours, credited once to the member's activity record; the dispatcher's side
stays the dispatcher's (no evaluating on the assignee's side by the wrong people)."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError

from core.models import AuditLog
from governance.models import Task
from governance.services import (
    task_accept,
    task_complete,
    task_dispatch,
    task_evaluate,
    task_progress,
)
from grids.models import DeskAccount
from grids.services.departments import desk_account_save
from organizations.models import MemberActivity, SentDownCadre
from tests.conftest import make_user
from tests.organizations.factories import MemberFactory, RegistrationFactory

pytestmark = pytest.mark.django_db
DEADLINE = date(2030, 5, 1)


@pytest.fixture
def people(users, tree):
    member = MemberFactory(name="刘报到", branch=tree["branch_a"])
    reg = RegistrationFactory(member=member, community=tree["community_a"])
    other = MemberFactory(name="钱报到", branch=tree["branch_a"])
    reg_other = RegistrationFactory(member=other, community=tree["community_a"])
    member_b = MemberFactory(name="孙胜利", branch=tree["branch_b"])
    reg_b = RegistrationFactory(member=member_b, community=tree["community_b"])
    cadre = SentDownCadre.objects.create(
        code="XC1",
        community=tree["community_a"],
        person_name="周下沉",
        member=member,
        start_date=date(2025, 1, 1),
    )
    cadre_b = SentDownCadre.objects.create(
        code="XC2", community=tree["community_b"], person_name="吴下沉", start_date=date(2025, 1, 1)
    )
    logins = {}
    for name, kw in (
        ("member", {"registration": reg}),
        ("other", {"registration": reg_other}),
        ("cadre", {"cadre": cadre}),
    ):
        user = make_user(f"desk_{name}")
        desk_account_save(actor=users["street"], account=DeskAccount(user=user, **kw))
        logins[name] = get_user_model().objects.get(pk=user.pk)  # fresh: no cached account
    return {
        "reg": reg,
        "reg_other": reg_other,
        "reg_b": reg_b,
        "cadre": cadre,
        "cadre_b": cadre_b,
        "logins": logins,
    }


def dispatch(users, tree, assignee, title="清理楼道杂物"):
    return task_dispatch(
        actor=users["cadre_a"],
        title=title,
        assignee=assignee,
        organization=tree["community_a"],
        deadline=DEADLINE,
    )


def fresh(user):
    return get_user_model().objects.get(pk=user.pk)


def test_member_sees_accepts_reports_and_completes_with_hours(users, tree, people):
    task = dispatch(users, tree, people["reg"])
    dispatch(users, tree, people["reg_other"], title="别人的派单")
    me = people["logins"]["member"]
    assert task.assignee_organization == tree["community_a"]
    assert list(Task.objects.visible_to(me)) == [task]
    assert list(Task.objects.visible_to(people["logins"]["cadre"])) == []
    assert Task.objects.visible_to(users["cadre_a"]).count() == 2  # staff unchanged
    with pytest.raises(PermissionDenied):  # another member cannot act for this one
        task_accept(actor=fresh(people["logins"]["other"]), task=task)
    with pytest.raises(PermissionDenied):  # nor the dispatcher
        task_accept(actor=users["cadre_a"], task=task)
    task_accept(actor=me, task=task)
    task_progress(actor=me, task=task, note="已联系物业")
    with pytest.raises(ValidationError) as exc:
        task_complete(actor=me, task=task, note="已清理")
    assert "服务时长" in str(exc.value)
    for bad in ("0.4", "24.5", "x"):
        with pytest.raises(ValidationError):
            task_complete(actor=me, task=task, hours=bad)
    assert MemberActivity.objects.count() == 0
    task_complete(actor=me, task=task, note="已清理", hours="2.5")
    task.refresh_from_db()
    assert task.status == "done"
    activity = MemberActivity.objects.get()
    assert activity.registration == people["reg"] and activity.hours == Decimal("2.5")
    assert task.code in activity.content
    log = AuditLog.objects.get(action="task.complete")
    assert log.detail["hours"] == "2.5" and log.detail["activity"] == activity.code
    with pytest.raises(ValidationError):  # completed once, credited once
        task_complete(actor=me, task=task, hours="1")
    assert MemberActivity.objects.count() == 1
    # the member rates the request; the dispatcher rates the work — never the other way round
    with pytest.raises(PermissionDenied):
        task_evaluate(actor=me, task=task, side="assigner", rating=5)
    with pytest.raises(PermissionDenied):
        task_evaluate(actor=users["cadre_a"], task=task, side="assignee", rating=5)
    task_evaluate(actor=me, task=task, side="assignee", rating=4)
    task_evaluate(actor=users["cadre_a"], task=task, side="assigner", rating=5)
    task.refresh_from_db()
    assert task.status == "evaluated"


def test_cadre_hours_go_to_the_registration_of_the_member_the_cadre_is(users, tree, people):
    task = dispatch(users, tree, people["cadre"])
    me = people["logins"]["cadre"]
    assert list(Task.objects.visible_to(me)) == [task]
    task_accept(actor=me, task=task)
    task_complete(actor=me, task=task, hours=3)
    activity = MemberActivity.objects.get()
    assert activity.registration == people["reg"] and activity.hours == Decimal(3)


def test_wrong_people_are_refused_and_nothing_is_written(users, tree, people):
    # a member registered with another community, reachable by the street: a clear error
    with pytest.raises(ValidationError) as exc:
        task_dispatch(
            actor=users["street"],
            title="x",
            assignee=people["reg_b"],
            organization=tree["community_a"],
            deadline=DEADLINE,
        )
    assert "未到“" in str(exc.value)
    with pytest.raises(ValidationError) as exc:
        task_dispatch(
            actor=users["street"],
            title="x",
            assignee=people["cadre_b"],
            organization=tree["community_a"],
            deadline=DEADLINE,
        )
    assert "不在“" in str(exc.value)
    # a cadre whose sent-down period is over
    people["cadre"].end_date = date.today() - timedelta(days=1)
    people["cadre"].save()
    with pytest.raises(ValidationError) as exc:
        dispatch(users, tree, people["cadre"])
    assert "下沉期" in str(exc.value)
    assert Task.objects.count() == 0


def test_hours_only_for_member_tasks(users, tree, people, branch_a_user):
    task = dispatch(users, tree, tree["branch_a"])
    task_accept(actor=branch_a_user, task=task)
    with pytest.raises(ValidationError) as exc:
        task_complete(actor=branch_a_user, task=task, hours="2")
    assert "服务时长" in str(exc.value)
    task.refresh_from_db()
    assert task.status == "accepted" and MemberActivity.objects.count() == 0


# -- through the API ------------------------------------------------------------------------


def test_api_loop(users, tree, people, api):
    staff = api(users["cadre_a"])
    body = {
        "title": "慰问困难户",
        "organization": "A",
        "assignee": {"type": "registration", "code": people["reg"].code},
        "deadline": "2030-05-01",
    }
    response = staff.post("/api/v1/tasks/", body, format="json")
    assert response.status_code == 201, response.content
    code = response.json()["code"]
    assert response.json()["assignee"]["type"] == "registration"
    # out of reach: community B's member answers like an unknown one
    other = {**body, "assignee": {"type": "registration", "code": people["reg_b"].code}}
    response = staff.post("/api/v1/tasks/", other, format="json")
    assert response.status_code == 400
    unknown = {**body, "assignee": {"type": "registration", "code": "NOPE"}}
    same = staff.post("/api/v1/tasks/", unknown, format="json").json()
    assert str(same).replace("NOPE", people["reg_b"].code) == str(response.json())
    assert Task.objects.count() == 1

    member = api(fresh(people["logins"]["member"]))
    listed = member.get("/api/v1/tasks/").json()
    assert [t["code"] for t in listed["results"]] == [code]
    assert api(fresh(people["logins"]["other"])).get("/api/v1/tasks/").json()["count"] == 0
    assert member.post(f"/api/v1/tasks/{code}/accept/", {}, format="json").status_code == 200
    response = member.post(f"/api/v1/tasks/{code}/progress/", {"note": "已上门一次"}, format="json")
    assert response.status_code == 200
    for bad in (0.4, 25, None):
        response = member.post(
            f"/api/v1/tasks/{code}/complete/", {"note": "完成", "hours": bad}, format="json"
        )
        assert response.status_code == 400, bad
    assert MemberActivity.objects.count() == 0
    response = member.post(
        f"/api/v1/tasks/{code}/complete/", {"note": "完成", "hours": "1.5"}, format="json"
    )
    assert response.status_code == 200 and response.json()["status"] == "done"
    assert MemberActivity.objects.get().hours == Decimal("1.5")
    response = member.post(
        f"/api/v1/tasks/{code}/evaluate/", {"side": "assigner", "rating": 5}, format="json"
    )
    assert response.status_code == 403
    response = staff.post(
        f"/api/v1/tasks/{code}/evaluate/", {"side": "assigner", "rating": 5}, format="json"
    )
    assert response.status_code == 200


# -- through the admin ----------------------------------------------------------------------


def test_admin_loop(users, tree, people, client):
    client.force_login(users["cadre_a"])
    task = dispatch(users, tree, people["cadre"])
    client.force_login(fresh(people["logins"]["cadre"]))
    changelist = client.get("/admin/governance/task/")
    assert changelist.status_code == 200
    assert changelist.context["cl"].result_count == 1
    assert client.get(f"/admin/governance/task/{task.pk}/change/").status_code == 200
    step = f"/admin/governance/task/{task.pk}/step/"
    client.post(step, {"step": "accept"})
    response = client.post(step, {"step": "complete", "text": "已办", "hours": "30"}, follow=True)
    assert "0.5 到 24" in response.content.decode()
    client.post(step, {"step": "complete", "text": "已办", "hours": "4"})
    task.refresh_from_db()
    assert task.status == "done"
    assert MemberActivity.objects.get().hours == Decimal(4)
    # the member of another task cannot open it
    client.force_login(fresh(people["logins"]["other"]))
    assert client.get("/admin/governance/task/").context["cl"].result_count == 0
    assert client.get(f"/admin/governance/task/{task.pk}/change/").status_code in (302, 404)


def test_demo_member_task_is_idempotent(users, tree, people):
    from governance.demo import _member_task

    actor = make_user("demo_admin", superuser=True)
    assert _member_task(actor, date.today()) == 2
    assert _member_task(actor, date.today()) == 0
    assert Task.objects.filter(status="done").count() == 1
    assert MemberActivity.objects.get().registration == people["reg"]
