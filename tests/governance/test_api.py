import datetime as dt

import pytest
from django.core import mail  # noqa: F401  (locmem outbox reset per test)

from core.models import AuditLog
from core.tokens import token_issue
from governance.models import Meeting, Notification, Resolution, Task
from governance.reminders import reminders_run
from governance.services import (
    meeting_hold,
    meeting_plan,
    resolution_pass,
    series_create,
    task_dispatch,
)

pytestmark = pytest.mark.django_db
D = dt.date


def fresh(api, user):
    """A client for a freshly loaded user: permission and scope caches start empty."""
    from django.contrib.auth import get_user_model

    return api(get_user_model().objects.get(pk=user.pk))


def make_meetings(series, user, n):
    for i in range(n):
        day = D(2024, 1, 1) + dt.timedelta(days=31 * i)
        meeting_plan(actor=user, series=series, planned_on=day.replace(day=10))


def test_series_list_is_scoped_and_constant_in_queries(
    series_a, co_series, users, api, tree, django_assert_num_queries
):
    client = api(users["cadre_a"])
    codes = [r["code"] for r in client.get("/api/v1/meeting-series/").json()["results"]]
    assert codes == ["A-SF"]
    for n in range(6):
        series_create(
            actor=users["street"],
            code=f"X{n}",
            name=f"系列{n}",
            kind="custom",
            body=tree["community_a"],
            cadence="weekly",
            starts_on=D(2024, 1, 1),
        )
    for size in (2, 8):
        street = fresh(api, users["street"])
        with django_assert_num_queries(3):
            response = street.get(f"/api/v1/meeting-series/?page_size={size}")
        assert response.status_code == 200
        assert len(response.json()["results"]) == size


def test_meeting_list_constant_queries_and_other_community_sees_nothing(
    series_a, users, api, django_assert_num_queries
):
    make_meetings(series_a, users["cadre_a"], 10)
    client = api(users["cadre_a"])
    for size in (3, 10):
        client = fresh(api, users["cadre_a"])
        with django_assert_num_queries(3):
            response = client.get(f"/api/v1/meetings/?page_size={size}")
        assert len(response.json()["results"]) == size
    assert api(users["cadre_b"]).get("/api/v1/meetings/").json()["count"] == 0
    code = Meeting.objects.first().code
    assert api(users["cadre_b"]).get(f"/api/v1/meetings/{code}/").status_code == 404
    response = api(users["cadre_b"]).post(
        f"/api/v1/meetings/{code}/hold/", {"held_on": "2024-01-10"}, format="json"
    )
    assert response.status_code == 404


def test_plan_hold_attend_resolve_dispatch_through_the_api(
    series_a, users, api, tree, branch_a_user
):
    client = api(users["cadre_a"])
    response = client.post(
        "/api/v1/meetings/",
        {"series": "A-SF", "planned_on": "2024-03-12", "agenda": ["电梯加装", "停车管理"]},
        format="json",
    )
    assert response.status_code == 201, response.json()
    code = response.json()["code"]
    response = client.post(
        f"/api/v1/meetings/{code}/resolutions/",
        {"kind": "decide", "title": "加装电梯"},
        format="json",
    )
    assert response.status_code == 400
    assert "尚未召开" in str(response.json()["errors"])
    assert (
        client.post(
            f"/api/v1/meetings/{code}/hold/", {"held_on": "2024-03-12"}, format="json"
        ).status_code
        == 200
    )
    response = client.post(
        f"/api/v1/meetings/{code}/attendance/",
        {"attendance": {"王物业": "present", "外人": "present"}},
        format="json",
    )
    assert response.status_code == 400 and "外人" in str(response.json())
    response = client.post(
        f"/api/v1/meetings/{code}/attendance/",
        {"attendance": {"王物业": "present", "李业委": "absent"}},
        format="json",
    )
    assert response.status_code == 200
    detail = client.get(f"/api/v1/meetings/{code}/").json()
    assert [a["title"] for a in detail["agenda_items"]] == ["电梯加装", "停车管理"]
    assert {i["name"]: i["attendance"] for i in detail["invitations"]}["王物业"] == "present"
    response = client.post(
        f"/api/v1/meetings/{code}/resolutions/",
        {"kind": "deliver", "title": "维修路灯"},
        format="json",
    )
    assert response.status_code == 201
    rcode = response.json()["code"]
    response = client.post(
        f"/api/v1/resolutions/{rcode}/dispatch_task/",
        {
            "title": "维修路灯",
            "assignee": {"type": "organization", "code": "B"},
            "deadline": "2024-04-01",
        },
        format="json",
    )
    assert response.status_code == 400  # community B is not in cadre A's scope
    assert Task.objects.count() == 0
    response = client.post(
        f"/api/v1/resolutions/{rcode}/dispatch_task/",
        {
            "title": "维修路灯",
            "assignee": {"type": "organization", "code": "A-01"},
            "deadline": "2024-04-01",
        },
        format="json",
    )
    assert response.status_code == 201, response.json()
    tcode = response.json()["code"]
    assert response.json()["assignee"]["label"] == tree["branch_a"].name
    response = client.post(
        f"/api/v1/tasks/{tcode}/evaluate/", {"side": "assigner", "rating": 5}, format="json"
    )
    assert response.status_code == 400 and "办结后才能评价" in str(response.json())
    # the dispatcher cannot act as the assignee (上考下评: judged fairly)
    response = client.post(f"/api/v1/tasks/{tcode}/accept/", {}, format="json")
    assert response.status_code == 403 and "派单" in str(response.json())
    branch = api(branch_a_user)
    for step, body in (("accept", {}), ("progress", {"note": "已报修"}), ("complete", {})):
        assert branch.post(f"/api/v1/tasks/{tcode}/{step}/", body, format="json").status_code == 200
    response = client.post(
        f"/api/v1/tasks/{tcode}/evaluate/", {"side": "assignee", "rating": 5}, format="json"
    )
    assert response.status_code == 403  # the dispatcher rating the request on the other side
    for who, side, rating in ((branch, "assignee", 4), (client, "assigner", 5)):
        response = who.post(
            f"/api/v1/tasks/{tcode}/evaluate/", {"side": side, "rating": rating}, format="json"
        )
        assert response.status_code == 200
    assert response.json()["status"] == "evaluated"
    assert AuditLog.objects.filter(action__startswith="task.").count() == 6


def test_task_list_constant_queries(users, tree, api, django_assert_num_queries):
    for i in range(8):
        task_dispatch(
            actor=users["street"],
            organization=tree["street"],
            title=f"任务{i}",
            assignee=tree["community_a"] if i % 2 else users["grid_a"],
            deadline=D(2024, 5, 1),
        )
    client = api(users["cadre_a"])
    for size in (2, 8):
        client = fresh(api, users["cadre_a"])
        with django_assert_num_queries(4):  # + both sides' evaluations, one prefetch
            response = client.get(f"/api/v1/tasks/?page_size={size}")
        assert len(response.json()["results"]) == size
    assert api(users["cadre_b"]).get("/api/v1/tasks/").json()["count"] == 0


def test_task_create_outside_scope_is_refused(users, api):
    response = api(users["cadre_a"]).post(
        "/api/v1/tasks/",
        {
            "title": "x",
            "organization": "A",
            "assignee": {"type": "user", "code": "cadre_b"},
            "deadline": "2024-05-01",
        },
        format="json",
    )
    assert response.status_code == 400
    assert Task.objects.count() == 0


def test_notifications_are_personal_and_mark_read(series_a, users, api):
    meeting_plan(actor=users["cadre_a"], series=series_a, planned_on=D(2024, 3, 8))
    reminders_run(today=D(2024, 3, 1))
    mine = api(users["cadre_a"]).get("/api/v1/notifications/?unread=1").json()
    assert mine["count"] == Notification.objects.filter(recipient=users["cadre_a"]).count() == 1
    assert api(users["cadre_b"]).get("/api/v1/notifications/").json()["count"] == 0
    response = api(users["cadre_a"]).post("/api/v1/notifications/mark-read/", {}, format="json")
    assert response.json()["marked"] == 1
    assert api(users["cadre_a"]).get("/api/v1/notifications/?unread=1").json()["count"] == 0


def test_figures(series_a, co_series, users, api):
    # series_a (monthly from Jan 2024): Jan held on time, Feb held late (in March), rest missed.
    jan = meeting_plan(actor=users["cadre_a"], series=series_a, planned_on=D(2024, 1, 20))
    meeting_hold(actor=users["cadre_a"], meeting=jan, held_on=D(2024, 1, 20))
    feb = meeting_plan(actor=users["cadre_a"], series=series_a, planned_on=D(2024, 2, 20))
    meeting_hold(actor=users["cadre_a"], meeting=feb, held_on=D(2024, 3, 2))
    from governance.services import attendance_record

    attendance_record(
        actor=users["cadre_a"],
        meeting=jan,
        entries={"王物业": "present", "李业委": "absent", "赵居民": "present"},
    )
    attendance_record(
        actor=users["cadre_a"],
        meeting=feb,
        entries={"王物业": "absent", "李业委": "absent", "赵居民": "present"},
    )
    r = resolution_pass(actor=users["cadre_a"], meeting=jan, kind="solve", title="停车难")
    task_dispatch(
        actor=users["cadre_a"],
        source=r,
        title="划车位",
        assignee=users["grid_a"],
        deadline=D(2024, 2, 1),
    )
    from governance import selectors

    rows = selectors.meeting_compliance(
        users["street"], D(2024, 1, 1), D(2024, 6, 30), today=D(2024, 7, 1)
    )
    by_code = {row.series.code: row for row in rows}
    assert (by_code["A-SF"].due, by_code["A-SF"].held_on_time, by_code["A-SF"].held_late) == (
        6,
        1,
        1,
    )
    assert by_code["A-SF"].missed == 4
    assert by_code["B-GJ"].due == 2 and by_code["B-GJ"].held_on_time == 0
    response = api(users["street"]).get(
        "/api/v1/governance/figures/?start=2024-01-01&end=2024-06-30"
    )
    assert response.status_code == 200
    data = response.json()
    units = {u["unit_name"]: u for u in data["attendance_by_unit"]}
    assert units["园林物业公司"]["invited"] == 2 and units["园林物业公司"]["rate"] == 0.5
    members = {m["name"]: m for m in data["attendance_by_member"]}
    assert members["赵居民"]["rate"] == 1.0 and members["李业委"]["rate"] == 0.0
    assert data["resolutions"] == [
        {
            "body": "A",
            "body_name": series_a.body.name,
            "resolutions": 1,
            "by_kind": {"solve": 1},
            "tasks": 1,
            "tasks_done": 0,
            "completion_rate": 0.0,
        }
    ]
    # Community B's cadre sees only B's series.
    response = api(users["cadre_b"]).get(
        "/api/v1/governance/figures/?start=2024-01-01&end=2024-06-30"
    )
    assert [m["body"] for m in response.json()["meetings"]] == ["B"]
    assert response.json()["resolutions"] == []


def test_import_and_export_meetings(series_a, users, api):
    from tests.core.files import csv_bytes

    client = api(users["cadre_a"])
    rows = [
        ["会议制度编码", "计划日期", "状态", "实际召开日期"],
        ["A-SF", "2024-02-10", "已召开", "2024-02-10"],
        ["A-SF", "2024-03-05", "", ""],
    ]
    from django.core.files.uploadedfile import SimpleUploadedFile

    upload = SimpleUploadedFile("m.csv", csv_bytes(rows, "gb18030"))
    response = client.post("/api/v1/meetings/import/", {"file": upload, "dry_run": "false"})
    assert response.status_code == 200, response.json()["errors"]
    assert Meeting.objects.count() == 2
    bad = [
        ["会议制度编码", "计划日期", "所属周期起"],
        ["A-SF", "2024-04-03", "2024-03-01"],
        ["B-XX", "2024-04-03", ""],
    ]
    response = client.post(
        "/api/v1/meetings/import/",
        {"file": SimpleUploadedFile("b.csv", csv_bytes(bad)), "dry_run": "false"},
    )
    assert response.status_code == 400
    messages = [e["message"] for e in response.json()["errors"]]
    assert any("第 2 行" in m and "不在所属周期" in m for m in messages)
    assert any("第 3 行" in m and "B-XX" in m for m in messages)
    assert Meeting.objects.count() == 2
    export = client.get("/api/v1/meetings/export/?file_format=csv")
    text = export.content.decode("utf-8-sig")
    assert "A-SF-20240210" in text and "已召开" in text


def test_series_import_rejects_other_scope(users, api, tree):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from tests.core.files import csv_bytes

    rows = [
        [
            "系列编码",
            "名称",
            "会议类型",
            "召集组织编码",
            "频次",
            "须在每期前几天内召开",
            "起始日期",
        ],
        ["Q-A", "大党委联席会议", "大党委联席会议", "A", "每季度", "7", "2024-01-01"],
        ["Q-B", "大党委联席会议", "大党委联席会议", "B", "每季度", "", "2024-01-01"],
    ]
    client = api(users["cadre_a"])
    response = client.post(
        "/api/v1/meeting-series/import/",
        {"file": SimpleUploadedFile("s.csv", csv_bytes(rows)), "dry_run": "false"},
    )
    assert response.status_code == 400
    assert "第 3 行" in response.json()["errors"][0]["message"]
    rows.pop()
    response = client.post(
        "/api/v1/meeting-series/import/",
        {"file": SimpleUploadedFile("s.csv", csv_bytes(rows)), "dry_run": "false"},
    )
    assert response.status_code == 200, response.json()["errors"]
    from governance.models import MeetingSeries

    assert MeetingSeries.objects.get(code="Q-A").due_within_days == 7


def test_ics_feed_by_signed_token_and_api_token(series_a, co_series, users, api, client):
    meeting = meeting_plan(
        actor=users["cadre_a"],
        series=series_a,
        planned_on=D(2024, 3, 12),
        title="三方联动会议;三月, 例会",
    )
    response = api(users["cadre_a"]).get("/api/v1/meeting-series/calendar-feed/A/")
    url = response.json()["url"]
    assert "token=" in url
    feed = client.get(url.replace("http://testserver", ""))
    assert feed.status_code == 200
    assert feed["Content-Type"].startswith("text/calendar")
    body = feed.content.decode()
    assert body.startswith("BEGIN:VCALENDAR\r\n") and body.endswith("END:VCALENDAR\r\n")
    assert f"UID:{meeting.code}@testserver" in body
    assert "DTSTART;VALUE=DATE:20240312" in body
    assert "SUMMARY:三方联动会议\\;三月\\, 例会" in body
    assert all(len(line.encode()) <= 75 for line in body.split("\r\n"))
    # The same token does not open another body's feed; B's cadre cannot get A's URL.
    other = url.replace("/calendars/A.ics", "/calendars/B.ics").replace("http://testserver", "")
    assert client.get(other).status_code == 404
    assert api(users["cadre_b"]).get("/api/v1/meeting-series/calendar-feed/A/").status_code == 404
    assert client.get("/api/v1/governance/calendars/A.ics").status_code == 404
    assert client.get("/api/v1/governance/calendars/A.ics?token=forged").status_code == 404
    _, key = token_issue(user=users["cadre_b"])
    assert (
        client.get(
            "/api/v1/governance/calendars/A.ics", HTTP_AUTHORIZATION=f"Token {key}"
        ).status_code
        == 404
    )
    feed_b = client.get("/api/v1/governance/calendars/B.ics", HTTP_AUTHORIZATION=f"Token {key}")
    assert feed_b.status_code == 200 and "BEGIN:VCALENDAR" in feed_b.content.decode()


def test_resolution_list_counts_tasks_without_n_plus_one(
    held_meeting, users, api, tree, django_assert_num_queries
):
    for i in range(6):
        r = resolution_pass(
            actor=users["cadre_a"], meeting=held_meeting, kind="deliver", title=f"r{i}"
        )
        task_dispatch(
            actor=users["cadre_a"],
            source=r,
            title="t",
            assignee=tree["branch_a"],
            deadline=D(2024, 5, 1),
        )
    client = api(users["cadre_a"])
    for size in (2, 6):
        client = fresh(api, users["cadre_a"])
        with django_assert_num_queries(3):
            response = client.get(f"/api/v1/resolutions/?page_size={size}")
        assert [r["task_count"] for r in response.json()["results"]] == [1] * size
    assert Resolution.objects.count() == 6
