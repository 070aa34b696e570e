from datetime import date
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

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
    with pytest.raises(PermissionDenied):
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
