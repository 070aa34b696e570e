"""Re-importing 志愿活动 (issue 13 item 5): plain fields of an existing activity are edited as
``activity_update`` edits them (capacity not below the confirmed sign-ups, the waitlist moves
up when it grows); the status is the workflow's, and a cancelled activity is not edited."""

import io

import openpyxl
import pytest

from core.models import AuditLog
from tests.volunteers.factories import ActivityFactory, VolunteerFactory
from tests.volunteers.files import xlsx_bytes
from volunteers.choices import ActivityStatus, SignUpStatus
from volunteers.importers import ActivityImporter
from volunteers.models import Activity
from volunteers.services import sign_up_create

pytestmark = pytest.mark.django_db


def exported(user) -> list[list]:
    importer = ActivityImporter(user)
    content = importer.export(Activity.objects.order_by("code"), "xlsx")
    sheet = openpyxl.load_workbook(io.BytesIO(content)).worksheets[0]
    return [["" if c.value is None else c.value for c in row] for row in sheet.iter_rows()]


def run(user, rows, dry_run=True):
    return ActivityImporter(user).run(xlsx_bytes(rows, "志愿活动"), "a.xlsx", dry_run=dry_run)


@pytest.fixture
def full(users, tree):
    """An activity with 2 places, both taken, and one volunteer on the waitlist."""
    activity = ActivityFactory(code="ACT-1", organizer=tree["community_a"], capacity=2)
    for _ in range(3):
        sign_up_create(
            actor=users["cadre_a"],
            activity=activity,
            volunteer=VolunteerFactory(community=tree["community_a"]),
        )
    return activity


def test_plain_fields_are_edited_and_the_waitlist_moves_up(users, full):
    rows = exported(users["cadre_a"])
    header = rows[0]
    rows[1][header.index("地点")] = "园林小区广场"
    rows[1][header.index("名额")] = 3
    preview = run(users["cadre_a"], rows)
    assert preview.ok and preview.updated == 1, [str(e) for e in preview.errors]
    assert {f["column"] for f in preview.changes[0]["fields"]} == {"地点", "名额"}
    result = run(users["cadre_a"], rows, dry_run=False)
    assert result.committed
    full.refresh_from_db()
    assert (full.place, full.capacity) == ("园林小区广场", 3)
    assert full.sign_ups.filter(status=SignUpStatus.CONFIRMED).count() == 3
    assert AuditLog.objects.filter(action="activity.update").count() == 1
    assert AuditLog.objects.filter(action="signup.promote").count() == 1


def test_capacity_below_confirmed_is_a_row_error(users, full):
    rows = exported(users["cadre_a"])
    rows[1][rows[0].index("名额")] = 1
    result = run(users["cadre_a"], rows, dry_run=False)
    assert [str(e) for e in result.errors] == ["第 2 行 名额: 已有 2 人报名成功，名额不能少于 2。"]
    full.refresh_from_db()
    assert full.capacity == 2


def test_status_and_cancelled_activities_stay_with_the_workflow(users, tree, full):
    ActivityFactory(
        code="ACT-2",
        organizer=tree["community_a"],
        status=ActivityStatus.CANCELLED,
        cancel_reason="下雨",
    )
    rows = exported(users["cadre_a"])
    header = rows[0]
    rows[1][header.index("状态")] = "已取消"
    rows[2][header.index("地点")] = "改个地方"
    result = run(users["cadre_a"], rows, dry_run=False)
    assert [e.row for e in result.errors] == [2, 3]
    assert "活动状态由活动流程维护" in str(result.errors[0])
    assert "已取消，不能修改" in str(result.errors[1])
    assert Activity.objects.get(code="ACT-1").status == ActivityStatus.OPEN


def test_new_activity_cannot_start_cancelled(users, tree):
    rows = exported(users["cadre_a"])
    rows.append(
        [
            "ACT-N",
            "新活动",
            "A",
            "",
            "2027-01-05 09:00",
            "2027-01-05 11:00",
            "广场",
            5,
            "",
            "已取消",
        ]
    )
    result = run(users["cadre_a"], rows)
    assert [str(e) for e in result.errors] == ["第 2 行 状态: 新增的活动只能是已发布（留空即可）。"]
