import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from core.models import AuditLog
from governance.models import Invitation, Meeting, Resolution
from governance.services import (
    attendance_record,
    meeting_hold,
    meeting_plan,
    resolution_pass,
    series_create,
    series_update,
)

pytestmark = pytest.mark.django_db


def audits(action):
    return AuditLog.objects.filter(action=action).count()


def test_plan_invites_standing_members_and_audits(series_a, users):
    meeting = meeting_plan(
        actor=users["cadre_a"], series=series_a, planned_on=dt.date(2024, 2, 29), agenda=["a", "b"]
    )
    assert meeting.period_start == dt.date(2024, 2, 1)
    assert meeting.period_end == dt.date(2024, 2, 29)
    assert meeting.code == "A-SF-20240229"
    assert sorted(meeting.invitations.values_list("name", flat=True)) == [
        "李业委",
        "王物业",
        "赵居民",
    ]
    assert meeting.agenda_items.count() == 2
    assert audits("meeting.plan") == 1


def test_meeting_planned_outside_its_period_is_refused(series_a, users):
    with pytest.raises(ValidationError) as exc:
        meeting_plan(
            actor=users["cadre_a"],
            series=series_a,
            planned_on=dt.date(2024, 3, 1),
            period_start=dt.date(2024, 2, 1),
        )
    assert "不在所属周期" in str(exc.value)
    assert Meeting.objects.count() == 0
    assert Invitation.objects.count() == 0
    assert audits("meeting.plan") == 0


def test_period_start_must_be_a_period_boundary(series_a, users):
    with pytest.raises(ValidationError) as exc:
        meeting_plan(
            actor=users["cadre_a"],
            series=series_a,
            planned_on=dt.date(2024, 2, 10),
            period_start=dt.date(2024, 2, 5),
        )
    assert "周期起始日应为 2024-02-01" in str(exc.value)


def test_other_community_cannot_plan(series_a, users):
    with pytest.raises(PermissionDenied):
        meeting_plan(actor=users["cadre_b"], series=series_a, planned_on=dt.date(2024, 2, 1))
    assert Meeting.objects.count() == 0


def test_series_cannot_be_moved_out_of_scope(series_a, users, tree):
    # A body out of reach answers like an unknown one (core.links).
    with pytest.raises(ValidationError, match="对象不存在"):
        series_update(actor=users["cadre_a"], series=series_a, body=tree["community_b"])
    series_a.refresh_from_db()
    assert series_a.body == tree["community_a"]


def test_first_week_anchor_validated_against_cadence(users, tree):
    with pytest.raises(ValidationError) as exc:
        series_create(
            actor=users["street"],
            code="W1",
            name="周会",
            kind="residents_council",
            body=tree["community_a"],
            cadence="weekly",
            due_within_days=9,
            starts_on=dt.date(2024, 1, 1),
        )
    assert "1–7" in str(exc.value)


def test_hold_records_date_and_on_time(series_a, users):
    meeting = meeting_plan(actor=users["cadre_a"], series=series_a, planned_on=dt.date(2024, 2, 20))
    held = meeting_hold(
        actor=users["cadre_a"], meeting=meeting, held_on=dt.date(2024, 3, 2), minutes="纪要"
    )
    assert held.status == "held" and not held.held_on_time  # held after the month ended
    assert audits("meeting.hold") == 1
    with pytest.raises(ValidationError):
        meeting_hold(actor=users["cadre_a"], meeting=meeting, held_on=dt.date(2024, 3, 2))
    assert audits("meeting.hold") == 1


def test_rotating_chair_passes_to_next_unit_at_each_held_meeting(co_series, users):
    names = []
    for month in (1, 4, 7, 10, 1):
        year = 2025 if len(names) == 4 else 2024
        meeting = meeting_plan(
            actor=users["cadre_b"], series=co_series, planned_on=dt.date(year, month, 10)
        )
        assert meeting.chair.name == ["甲", "乙", "丙", "甲", "乙"][len(names)]
        held = meeting_hold(actor=users["cadre_b"], meeting=meeting, held_on=meeting.planned_on)
        names.append(held.chair.name)
    assert names == ["甲", "乙", "丙", "甲", "乙"]
    co_series.refresh_from_db()
    assert co_series.current_chair.name == "丙"
    log = AuditLog.objects.filter(action="meeting.hold").order_by("id").first()
    assert log.detail["chair"].startswith("甲") and log.detail["next_chair"].startswith("乙")


def test_planning_does_not_pass_the_chair(co_series, users):
    meeting_plan(actor=users["cadre_b"], series=co_series, planned_on=dt.date(2024, 1, 10))
    co_series.refresh_from_db()
    assert co_series.current_chair.name == "甲"


def test_attendance_for_someone_not_invited_is_refused_and_nothing_changes(held_meeting, users):
    with pytest.raises(ValidationError) as exc:
        attendance_record(
            actor=users["cadre_a"],
            meeting=held_meeting,
            entries={"王物业": "present", "陌生人": "present"},
        )
    assert "陌生人" in str(exc.value)
    assert not held_meeting.invitations.exclude(attendance="unknown").exists()
    assert audits("meeting.attendance") == 0
    attendance_record(
        actor=users["cadre_a"],
        meeting=held_meeting,
        entries={"王物业": "present", "李业委": "absent", "赵居民": "excused"},
    )
    assert dict(held_meeting.invitations.values_list("name", "attendance")) == {
        "王物业": "present",
        "李业委": "absent",
        "赵居民": "excused",
    }
    assert audits("meeting.attendance") == 1


def test_attendance_before_the_meeting_is_held_is_refused(series_a, users):
    meeting = meeting_plan(actor=users["cadre_a"], series=series_a, planned_on=dt.date(2024, 2, 20))
    with pytest.raises(ValidationError):
        attendance_record(actor=users["cadre_a"], meeting=meeting, entries={"王物业": "present"})


def test_resolution_on_a_meeting_not_yet_held_is_refused(series_a, users):
    meeting = meeting_plan(actor=users["cadre_a"], series=series_a, planned_on=dt.date(2024, 2, 20))
    with pytest.raises(ValidationError) as exc:
        resolution_pass(actor=users["cadre_a"], meeting=meeting, kind="decide", title="加装电梯")
    assert "尚未召开" in str(exc.value)
    assert Resolution.objects.count() == 0
    assert audits("resolution.pass") == 0


def test_resolutions_in_the_four_kinds(held_meeting, users):
    for kind in ("discuss", "decide", "solve", "deliver"):
        resolution_pass(actor=users["cadre_a"], meeting=held_meeting, kind=kind, title=kind)
    assert list(held_meeting.resolutions.order_by("code").values_list("code", flat=True)) == [
        f"A-SF-20240312-R{i}" for i in range(1, 5)
    ]
    assert audits("resolution.pass") == 4
    with pytest.raises(ValidationError):
        resolution_pass(actor=users["cadre_a"], meeting=held_meeting, kind="other", title="x")
