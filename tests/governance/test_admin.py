import datetime as dt

import pytest
from django.contrib.auth import get_user_model

from governance.admin.meetings import MeetingAdmin, MeetingSeriesAdmin
from governance.admin.tasks import TaskAdmin
from governance.models import Evaluation, Meeting, Notification, Resolution, Task
from governance.reminders import reminders_run
from governance.services import meeting_plan, resolution_pass, series_create, task_dispatch

pytestmark = pytest.mark.django_db
D = dt.date


def login(client, user):
    client.force_login(get_user_model().objects.get(pk=user.pk))
    return client


def twelve_months(series, user):
    for month in range(1, 13):
        meeting_plan(actor=user, series=series, planned_on=D(2024, month, 10))


@pytest.mark.parametrize("size", [3, 12])
def test_meeting_changelist_constant_queries(
    series_a, users, client, size, monkeypatch, django_assert_num_queries
):
    twelve_months(series_a, users["cadre_a"])
    monkeypatch.setattr(MeetingAdmin, "list_per_page", size)
    login(client, users["cadre_a"])
    client.get("/admin/governance/meeting/")  # warm process-wide caches (content types)
    with django_assert_num_queries(11):
        response = client.get("/admin/governance/meeting/")
    assert response.status_code == 200
    assert len(response.context["cl"].result_list) == size


@pytest.mark.parametrize("size", [2, 7])
def test_series_changelist_constant_queries(
    users, tree, client, size, monkeypatch, django_assert_num_queries
):
    for n in range(7):
        series_create(
            actor=users["street"],
            code=f"S{n}",
            name=f"系列{n}",
            kind="custom",
            body=tree["community_a"],
            cadence="monthly",
            starts_on=D(2024, 1, 1),
        )
    monkeypatch.setattr(MeetingSeriesAdmin, "list_per_page", size)
    login(client, users["street"])
    client.get("/admin/governance/meetingseries/")  # warm process-wide caches (content types)
    with django_assert_num_queries(9):
        response = client.get("/admin/governance/meetingseries/")
    assert len(response.context["cl"].result_list) == size


@pytest.mark.parametrize("size", [2, 8])
def test_task_changelist_constant_queries(
    users, tree, client, size, monkeypatch, django_assert_num_queries
):
    for i in range(8):
        task_dispatch(
            actor=users["street"],
            organization=tree["street"],
            title=f"任务{i}",
            assignee=tree["community_a"],
            deadline=D(2024, 5, 1),
        )
    monkeypatch.setattr(TaskAdmin, "list_per_page", size)
    login(client, users["cadre_a"])
    client.get("/admin/governance/task/")  # warm process-wide caches (content types)
    # 12: the selector prefetches both sides' evaluations (上考下评) in one query per page.
    with django_assert_num_queries(12):
        response = client.get("/admin/governance/task/")
    assert len(response.context["cl"].result_list) == size


def test_other_community_gets_404_on_meeting_and_task(series_a, users, tree, client):
    meeting = meeting_plan(actor=users["cadre_a"], series=series_a, planned_on=D(2024, 3, 10))
    task = task_dispatch(
        actor=users["cadre_a"],
        organization=tree["community_a"],
        title="t",
        assignee=tree["branch_a"],
        deadline=D(2024, 5, 1),
    )
    login(client, users["cadre_b"])
    assert client.get(f"/admin/governance/meeting/{meeting.pk}/change/").status_code == 404
    assert client.get(f"/admin/governance/task/{task.pk}/change/").status_code == 404
    assert client.get("/admin/governance/meeting/").context["cl"].result_count == 0


def test_calendar_shows_planned_and_held_meetings_in_scope(series_a, co_series, users, client):
    from governance.services import meeting_hold

    planned = meeting_plan(actor=users["cadre_a"], series=series_a, planned_on=D(2024, 3, 10))
    held = meeting_plan(actor=users["cadre_b"], series=co_series, planned_on=D(2024, 3, 5))
    meeting_hold(actor=users["cadre_b"], meeting=held, held_on=D(2024, 3, 6))
    login(client, users["street"])
    page = client.get("/admin/governance/meeting/calendar/?month=2024-03").content.decode()
    assert planned.title in page and held.title in page
    assert "2024年3月" in page and "（2 次会议）" in page
    login(client, users["cadre_a"])
    page = client.get("/admin/governance/meeting/calendar/?month=2024-03").content.decode()
    assert planned.title in page and held.title not in page
    page = client.get("/admin/governance/meeting/calendar/?month=2024-04").content.decode()
    assert "（0 次会议）" in page


def test_admin_plan_outside_period_shows_error_and_saves_nothing(series_a, users, client):
    login(client, users["cadre_a"])
    response = client.post(
        "/admin/governance/meeting/add/",
        {
            "series": series_a.pk,
            "title": "三月例会",
            "period_start": "2024-02-01",
            "planned_on": "2024-03-05",
            "place": "",
            **{
                f"{p}-TOTAL_FORMS": "0"
                for p in ("agenda_items", "invitations", "resolutions", "attachments")
            },
            **{
                f"{p}-INITIAL_FORMS": "0"
                for p in ("agenda_items", "invitations", "resolutions", "attachments")
            },
        },
    )
    assert response.status_code in (200, 302)
    assert Meeting.objects.count() == 0


def test_admin_resolution_on_unheld_meeting_is_refused(series_a, users, client):
    meeting = meeting_plan(actor=users["cadre_a"], series=series_a, planned_on=D(2024, 3, 10))
    login(client, users["cadre_a"])
    page = client.get(f"/admin/governance/meeting/{meeting.pk}/change/")
    assert page.status_code == 200
    data = {
        "series": series_a.pk,
        "title": meeting.title,
        "period_start": "2024-03-01",
        "planned_on": "2024-03-10",
        "place": "",
        "minutes": "",
    }
    for prefix, initial in (
        ("agenda_items", 0),
        ("invitations", 3),
        ("resolutions", 0),
        ("attachments", 0),
    ):
        data[f"{prefix}-TOTAL_FORMS"] = str(initial + (1 if prefix == "resolutions" else 0))
        data[f"{prefix}-INITIAL_FORMS"] = str(initial)
    for i, inv in enumerate(meeting.invitations.order_by("id")):
        data.update(
            {
                f"invitations-{i}-id": inv.pk,
                f"invitations-{i}-meeting": meeting.pk,
                f"invitations-{i}-name": inv.name,
                f"invitations-{i}-unit_name": inv.unit_name,
                f"invitations-{i}-attendance": "unknown",
                f"invitations-{i}-note": "",
            }
        )
    data.update(
        {
            "resolutions-0-kind": "decide",
            "resolutions-0-title": "加装电梯",
            "resolutions-0-content": "",
        }
    )
    response = client.post(f"/admin/governance/meeting/{meeting.pk}/change/", data, follow=True)
    assert "会议尚未召开" in response.content.decode()
    assert Resolution.objects.count() == 0


def test_hold_action_passes_rotating_chair(co_series, users, client):
    meeting = meeting_plan(actor=users["cadre_b"], series=co_series, planned_on=D(2024, 1, 10))
    login(client, users["cadre_b"])
    client.post(
        "/admin/governance/meeting/",
        {"action": "hold_on_planned_day", "_selected_action": [meeting.pk]},
    )
    meeting.refresh_from_db()
    co_series.refresh_from_db()
    assert meeting.status == "held" and meeting.chair.name == "甲"
    assert co_series.current_chair.name == "乙"


def test_notification_list_is_personal_with_unread_count(series_a, users, client):
    meeting_plan(actor=users["cadre_a"], series=series_a, planned_on=D(2024, 3, 8))
    reminders_run(today=D(2024, 3, 1))
    login(client, users["cadre_a"])
    page = client.get("/admin/governance/notification/")
    assert "我的提醒（1 条未读）" in page.content.decode()
    assert page.context["cl"].result_count == 1
    note = Notification.objects.get(recipient=users["cadre_a"])
    client.get(f"/admin/governance/notification/{note.pk}/change/")
    assert "我的提醒（0 条未读）" in client.get("/admin/governance/notification/").content.decode()
    login(client, users["cadre_b"])
    assert client.get("/admin/governance/notification/").context["cl"].result_count == 0
    assert client.get(f"/admin/governance/notification/{note.pk}/change/").status_code in (302, 404)


def test_task_steps_and_evaluation_from_the_admin(held_meeting, users, tree, client, branch_a_user):
    resolution = resolution_pass(
        actor=users["cadre_a"], meeting=held_meeting, kind="deliver", title="修缮路灯"
    )
    login(client, users["cadre_a"])
    response = client.post(
        f"/admin/governance/task/dispatch/{resolution.code}/",
        {
            "title": "修缮路灯",
            "assignee_type": "organization",
            "assignee_code": "B",
            "deadline": "2024-05-01",
        },
    )
    assert (
        "找不到" in response.content.decode() or "不在您的管辖范围内" in response.content.decode()
    )
    assert Task.objects.count() == 0
    response = client.post(
        f"/admin/governance/task/dispatch/{resolution.code}/",
        {
            "title": "修缮路灯",
            "assignee_type": "organization",
            "assignee_code": "A-01",
            "deadline": "2024-05-01",
        },
    )
    task = Task.objects.get()
    assert response.status_code == 302
    step = f"/admin/governance/task/{task.pk}/step/"
    response = client.post(step, {"step": "evaluate", "side": "assigner", "rating": 5}, follow=True)
    assert "办结后才能评价" in response.content.decode()
    # the dispatcher cannot accept or rate on the assignee's side
    response = client.post(step, {"step": "accept"}, follow=True)
    assert "派单人不能以承办方身份接单" in response.content.decode()
    login(client, branch_a_user)
    client.post(step, {"step": "accept"})
    client.post(step, {"step": "complete", "text": "已修好"})
    client.post(step, {"step": "evaluate", "side": "assignee", "rating": 4, "text": "要求清楚"})
    login(client, users["cadre_a"])
    response = client.post(step, {"step": "evaluate", "side": "assignee", "rating": 5}, follow=True)
    assert (
        "这一方已经评价过了" in response.content.decode() or "派单人" in response.content.decode()
    )
    client.post(step, {"step": "evaluate", "side": "assigner", "rating": 5, "text": "好"})
    task.refresh_from_db()
    assert task.status == "evaluated"
    assert dict(Evaluation.objects.values_list("side", "rating")) == {
        "assigner": 5,
        "assignee": 4,
    }
    page = client.get(f"/admin/governance/task/{task.pk}/change/").content.decode()
    assert "办理与评价" in page and "已修好" in page
