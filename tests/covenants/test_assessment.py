from datetime import date
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from core.models import AuditLog
from covenants.choices import Grade
from covenants.importers import UnitAssessmentExporter
from covenants.services import assessment_compute
from covenants.services.engagement import assessment_score, grade_for
from tests.covenants.factories import ActivityFactory, LiaisonLogFactory

pytestmark = pytest.mark.django_db


def test_score_formula():
    full = dict(activity_count=12, handout_count=0, contact_months=12)
    assert assessment_score(**full, meetings_held=4, meetings_attended=4) == Decimal("100.0")
    assert assessment_score(**full, meetings_held=None, meetings_attended=None) == Decimal("100.0")
    # Hand-out visits count half.
    half = assessment_score(
        activity_count=12, handout_count=12, contact_months=12, meetings_held=4, meetings_attended=4
    )
    assert half == Decimal("80.0")
    assert assessment_score(
        activity_count=0, handout_count=0, contact_months=0, meetings_held=4, meetings_attended=0
    ) == Decimal("0.0")
    assert [grade_for(Decimal(s)) for s in ("90", "89.9", "75", "60", "59.9")] == [
        Grade.GOOD,
        Grade.FAIRLY_GOOD,
        Grade.FAIRLY_GOOD,
        Grade.FAIR,
        Grade.POOR,
    ]


def test_compute_from_recorded_data(signed, users, tree, units):
    project = signed["a"]["project"]  # one volunteer activity in March already
    for month in range(1, 7):
        ActivityFactory(project=project, date=date(2026, month, 10), kind="handout_visit")
        LiaisonLogFactory(
            unit=units["a"], organization=tree["community_a"], date=date(2026, month, 3)
        )
    LiaisonLogFactory(unit=units["a"], organization=tree["community_a"], date=date(2026, 6, 20))
    LiaisonLogFactory(unit=units["a"], organization=tree["community_b"], date=date(2026, 7, 1))
    assessment = assessment_compute(
        actor=users["cadre_a"],
        unit=units["a"],
        organization=tree["community_a"],
        year=2026,
        meetings_held=4,
        meetings_attended=3,
    )
    assert (assessment.activity_count, assessment.handout_count, assessment.contact_months) == (
        7,
        6,
        6,
    )
    # (1 + 6/2)/12*40 + 6/12*30 + 3/4*30 = 13.3 + 15 + 22.5
    assert assessment.score == Decimal("50.8")
    assert assessment.grade == Grade.POOR
    assert AuditLog.objects.filter(action="unit_assessment.grade").count() == 1
    again = assessment_compute(
        actor=users["cadre_a"],
        unit=units["a"],
        organization=tree["community_a"],
        year=2026,
    )
    assert again.pk == assessment.pk and again.meetings_held is None
    assert again.score == Decimal("40.5")  # (13.33 + 15) / 70 * 100


def test_compute_rules(units, users, tree):
    with pytest.raises(ValidationError, match="对象不存在"):  # out of reach: like unknown
        assessment_compute(
            actor=users["cadre_a"], unit=units["a"], organization=tree["community_b"], year=2025
        )
    with pytest.raises(ValidationError):
        assessment_compute(
            actor=users["cadre_a"],
            unit=units["a"],
            organization=tree["community_a"],
            year=2025,
            meetings_held=2,
            meetings_attended=3,
        )
    with pytest.raises(ValidationError):
        assessment_compute(
            actor=users["cadre_a"],
            unit=units["a"],
            organization=tree["community_a"],
            year=2025,
            meetings_held=2,
        )


def test_district_report_export(signed, users, tree, units, api):
    assessment_compute(
        actor=users["cadre_a"], unit=units["a"], organization=tree["community_a"], year=2026
    )
    assessment_compute(
        actor=users["cadre_b"], unit=units["b"], organization=tree["community_b"], year=2026
    )
    content = (
        UnitAssessmentExporter(users["district"])
        .export(
            __import__("covenants.selectors", fromlist=["x"]).assessments_visible_to(
                users["district"]
            ),
            "csv",
        )
        .decode("utf-8-sig")
    )
    lines = content.strip().splitlines()
    assert lines[0].startswith("年度,单位编码,单位名称,统一社会信用代码")
    assert len(lines) == 3
    response = api(users["cadre_a"]).get("/api/v1/unit-assessments/export/", {"file_format": "csv"})
    assert response.status_code == 200
    body = response.content.decode("utf-8-sig")
    assert "园林小学" in body and "胜利医院" not in body
    refused = api(users["cadre_a"]).post(
        "/api/v1/unit-assessments/import/",
        {"file": __import__("io").BytesIO(b"a,b\n1,2\n")},
        format="multipart",
    )
    assert refused.status_code == 400
    assert "只支持导出" in refused.json()["errors"][0]["message"]


def test_api_compute(units, users, api):
    response = api(users["cadre_a"]).post(
        "/api/v1/unit-assessments/compute/",
        {
            "unit": "UA",
            "organization": "A",
            "year": 2025,
            "meetings_held": 4,
            "meetings_attended": 4,
        },
        format="json",
    )
    assert response.status_code == 200, response.content
    assert response.json()["grade"] == "poor" and response.json()["score"] == "30.0"
    assert (
        api(users["cadre_a"]).post("/api/v1/unit-assessments/", {}, format="json").status_code
        == 405
    )


# --- joint-meeting attendance from governance ----------------------------------------------


def _series(body, code, kind="co_construction"):
    from governance.models import MeetingSeries

    return MeetingSeries.objects.create(
        code=code,
        name=f"{body.name}{code}",
        kind=kind,
        body=body,
        cadence="monthly",
        starts_on=date(2024, 1, 1),
    )


def _held(series, day, invitees, status="held"):
    """``invitees``: (name, unit_name, member or None, attendance)."""
    from governance.models import Invitation, Meeting

    meeting = Meeting.objects.create(
        code=f"{series.code}-{day:%Y%m%d}",
        series=series,
        period_start=day.replace(day=1),
        period_end=day.replace(day=28),
        title="共建联席会议",
        planned_on=day,
        status=status,
        held_on=day if status == "held" else None,
    )
    for name, unit_name, member, attendance in invitees:
        Invitation.objects.create(
            meeting=meeting, name=name, unit_name=unit_name, member=member, attendance=attendance
        )
    return meeting


@pytest.fixture
def joint_meetings(tree, units):
    """Unit A (园林小学) at community A's 共建联席会议 in 2026: invited to 4 held meetings,
    present at 2 — plus meetings that must not count."""
    from django.contrib.contenttypes.models import ContentType

    from governance.models import SeriesMember

    joint = _series(tree["community_a"], "GJ-A")
    liaison = SeriesMember.objects.create(
        series=joint,
        kind="unit_liaison",
        name="王联络员",
        unit_name="学校办公室",  # differs from the unit's name: matched by the member's unit
        unit_type=ContentType.objects.get_for_model(units["a"]),
        unit_id=units["a"].pk,
    )
    # counted: M1 present (a second, unlisted colleague absent: one meeting), M2 absent,
    # M3 excused, M4 invited by unit name only and present → invited 4, attended 2
    _held(
        joint,
        date(2026, 1, 8),
        [
            ("王联络员", "学校办公室", liaison, "present"),
            ("李老师", "园林小学", None, "absent"),
        ],
    )
    _held(joint, date(2026, 2, 8), [("王联络员", "学校办公室", liaison, "absent")])
    _held(joint, date(2026, 3, 8), [("王联络员", "学校办公室", liaison, "excused")])
    _held(joint, date(2026, 4, 8), [("李老师", "园林小学", None, "present")])
    # not counted: another year, not held, another kind of series, another community
    _held(joint, date(2025, 12, 8), [("王联络员", "学校办公室", liaison, "present")])
    _held(joint, date(2026, 5, 8), [("王联络员", "学校办公室", liaison, "unknown")], "planned")
    _held(
        _series(tree["community_a"], "DDW-A", kind="committee_joint"),
        date(2026, 6, 8),
        [("李老师", "园林小学", None, "present")],
    )
    _held(
        _series(tree["community_b"], "GJ-B"),
        date(2026, 6, 8),
        [("李老师", "园林小学", None, "present")],
    )
    return joint


def test_attendance_from_governance(joint_meetings, signed, users, tree, units):
    from covenants.services.engagement import unit_meeting_attendance

    for month in (1, 2, 3):
        LiaisonLogFactory(
            unit=units["a"], organization=tree["community_a"], date=date(2026, month, 3)
        )
    assert unit_meeting_attendance(units["a"], tree["community_a"], 2026) == (4, 2)
    assert unit_meeting_attendance(units["a"], tree["community_a"], 2024) is None
    assessment = assessment_compute(
        actor=users["cadre_a"],
        unit=units["a"],
        organization=tree["community_a"],
        year=2026,
        meetings_held=4,  # hand figures give way to governance data
        meetings_attended=4,
    )
    assert (assessment.meetings_held, assessment.meetings_attended) == (4, 2)
    # 1 activity: 1/12*40 = 3.33; 3 contact months: 3/12*30 = 7.5; 2/4*30 = 15 → 25.83
    assert assessment.score == Decimal("25.8")
    assert assessment.grade == Grade.POOR
    log = AuditLog.objects.get(action="unit_assessment.grade")
    assert log.detail["meetings_source"] == "governance"
    # the street grades over its communities: community B's 共建联席会议 counts too (5 invited,
    # 3 attended); community A's committee_joint meeting still does not
    assert unit_meeting_attendance(units["a"], tree["street"], 2026) == (5, 3)


def test_not_invited_falls_back_to_scaling(joint_meetings, signed, users, tree, units):
    for month in range(1, 7):
        LiaisonLogFactory(
            unit=units["b"], organization=tree["community_b"], date=date(2026, month, 3)
        )
    assessment = assessment_compute(
        actor=users["cadre_b"], unit=units["b"], organization=tree["community_b"], year=2026
    )
    assert assessment.meetings_held is None and assessment.meetings_attended is None
    # (1/12*40 + 6/12*30) / 70 * 100 = (3.33 + 15) / 70 * 100 = 26.19
    assert assessment.score == Decimal("26.2")
    # hand figures still apply when governance has nothing: 3.33 + 15 + 1/2*30 = 33.33
    manual = assessment_compute(
        actor=users["cadre_b"],
        unit=units["b"],
        organization=tree["community_b"],
        year=2026,
        meetings_held=2,
        meetings_attended=1,
    )
    assert manual.score == Decimal("33.3")
    assert (
        AuditLog.objects.filter(action="unit_assessment.grade")
        .order_by("pk")
        .last()
        .detail["meetings_source"]
        == "manual"
    )
