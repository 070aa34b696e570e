from datetime import date

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from core.models import AuditLog
from covenants.models import CovenantVersion
from covenants.selectors import public_covenant_versions
from covenants.services import covenant_adopt_version, covenant_create

pytestmark = pytest.mark.django_db


@pytest.fixture
def covenant(tree, users):
    return covenant_create(
        actor=users["cadre_a"],
        code="CV-A",
        organization=tree["branch_a"],
        kind="compound_charter",
        title="一号院自治章程",
    )


def test_versions_current_public_and_history_kept(covenant, users, tree):
    v1 = covenant_adopt_version(
        actor=users["cadre_a"], covenant=covenant, text="第一版正文", adopted_on=date(2024, 3, 1)
    )
    v2 = covenant_adopt_version(
        actor=users["cadre_a"],
        covenant=covenant,
        text="第二版正文",
        adopted_on=date(2026, 3, 1),
        meeting_reference="YSH-2026-03",
    )
    v1.refresh_from_db()
    assert (v1.number, v1.is_current) == (1, False)
    assert (v2.number, v2.is_current) == (2, True)
    assert list(public_covenant_versions()) == [v2]
    assert list(public_covenant_versions(tree["community_b"])) == []
    assert CovenantVersion.objects.filter(covenant=covenant).count() == 2
    assert AuditLog.objects.filter(action="covenant.adopt").count() == 2


@pytest.mark.parametrize("day", [date(2026, 2, 28), date(2026, 3, 1)])
def test_version_adopted_before_the_previous_refused(covenant, users, day):
    covenant_adopt_version(
        actor=users["cadre_a"], covenant=covenant, text="现行", adopted_on=date(2026, 3, 1)
    )
    with pytest.raises(ValidationError) as exc:
        covenant_adopt_version(actor=users["cadre_a"], covenant=covenant, text="旧", adopted_on=day)
    assert "第1版" in exc.value.message_dict["adopted_on"][0]
    assert CovenantVersion.objects.get().text == "现行"
    assert CovenantVersion.objects.get().is_current


def test_covenant_scope_and_owner_kind(covenant, users, tree):
    with pytest.raises(PermissionDenied):
        covenant_adopt_version(
            actor=users["cadre_b"], covenant=covenant, text="x", adopted_on=date(2026, 1, 1)
        )
    with pytest.raises(ValidationError):
        covenant_create(
            actor=users["street"],
            code="CV-S",
            organization=tree["street"],
            kind="residents",
            title="x",
        )


def test_covenant_api(covenant, users, api):
    client = api(users["cadre_a"])
    ok = client.post(
        "/api/v1/covenants/CV-A/adopt/",
        {"text": "正文", "adopted_on": "2026-01-10", "adopted_by": "居民议事会"},
        format="json",
    )
    assert ok.status_code == 201 and ok.json()["is_current"] is True
    bad = client.post(
        "/api/v1/covenants/CV-A/adopt/", {"text": "旧", "adopted_on": "2025-01-10"}, format="json"
    )
    assert bad.status_code == 400 and "adopted_on" in bad.json()["errors"]
    assert api(users["cadre_b"]).get("/api/v1/covenants/CV-A/").status_code == 404


# --- adopting meeting (governance.Meeting) -------------------------------------------------


def _meeting(body, held_on, *, code, status="held"):
    from governance.models import Meeting, MeetingSeries

    series, _ = MeetingSeries.objects.get_or_create(
        code=f"YSH-{body.code}",
        defaults={
            "name": "居民议事会议",
            "kind": "residents_council",
            "body": body,
            "cadence": "monthly",
            "starts_on": date(2024, 1, 1),
        },
    )
    return Meeting.objects.create(
        code=code,
        series=series,
        period_start=held_on.replace(day=1),
        period_end=held_on.replace(day=28),
        title="居民议事会",
        planned_on=held_on,
        status=status,
        held_on=held_on if status == "held" else None,
    )


@pytest.mark.parametrize("body_key", ["community_a", "branch_a"])
def test_adopted_by_a_held_meeting_of_the_community(covenant, users, tree, body_key):
    meeting = _meeting(tree[body_key], date(2026, 3, 1), code="M-OK")
    version = covenant_adopt_version(
        actor=users["cadre_a"],
        covenant=covenant,
        text="正文",
        adopted_on=date(2026, 3, 1),
        meeting=meeting,
    )
    version.refresh_from_db()
    assert version.meeting == meeting
    assert version.meeting_reference == "M-OK"
    assert list(meeting.covenant_versions.all()) == [version]
    log = AuditLog.objects.get(action="covenant.adopt")
    assert log.detail["meeting"] == "M-OK"


@pytest.mark.parametrize(
    ("body_key", "held_on", "status", "message"),
    [
        # Out of the cadre's reach: answered like an unknown meeting (core.links).
        ("community_b", date(2026, 2, 1), "held", "对象不存在"),
        ("street", date(2026, 2, 1), "held", "对象不存在"),
        ("community_a", date(2026, 3, 2), "held", "晚于通过日期"),
        ("community_a", date(2026, 2, 1), "planned", "尚未召开"),
    ],
)
def test_adopting_meeting_refused(covenant, users, tree, body_key, held_on, status, message):
    meeting = _meeting(tree[body_key], held_on, code="M-BAD", status=status)
    with pytest.raises(ValidationError) as exc:
        covenant_adopt_version(
            actor=users["cadre_a"],
            covenant=covenant,
            text="正文",
            adopted_on=date(2026, 3, 1),
            meeting=meeting,
        )
    assert message in " ".join(exc.value.message_dict["meeting"])
    assert not CovenantVersion.objects.exists()


def test_community_covenant_refuses_its_compound_meeting(tree, users):
    covenant = covenant_create(
        actor=users["cadre_a"],
        code="CV-C",
        organization=tree["community_a"],
        kind="residents",
        title="居民公约",
    )
    meeting = _meeting(tree["branch_a"], date(2026, 2, 1), code="M-BR")
    with pytest.raises(ValidationError):
        covenant_adopt_version(
            actor=users["cadre_a"],
            covenant=covenant,
            text="正文",
            adopted_on=date(2026, 3, 1),
            meeting=meeting,
        )


def test_covenant_api_meeting_by_code(covenant, users, tree, api):
    _meeting(tree["community_a"], date(2026, 1, 5), code="M-A")
    _meeting(tree["community_b"], date(2026, 1, 5), code="M-B")
    client = api(users["cadre_a"])
    bad = client.post(
        "/api/v1/covenants/CV-A/adopt/",
        {"text": "正文", "adopted_on": "2026-01-10", "meeting": "M-B"},
        format="json",
    )
    assert bad.status_code == 400 and "meeting" in bad.json()["errors"]
    unknown = client.post(
        "/api/v1/covenants/CV-A/adopt/",
        {"text": "正文", "adopted_on": "2026-01-10", "meeting": "NOPE"},
        format="json",
    )
    assert unknown.status_code == 400 and "meeting" in unknown.json()["errors"]
    ok = client.post(
        "/api/v1/covenants/CV-A/adopt/",
        {"text": "正文", "adopted_on": "2026-01-10", "meeting": "M-A"},
        format="json",
    )
    assert ok.status_code == 201 and ok.json()["meeting"] == "M-A"
    assert client.get("/api/v1/covenants/CV-A/").json()["versions"][0]["meeting"] == "M-A"


def test_covenant_admin_adopt_with_meeting(covenant, users, tree, admin_client_for):
    meeting = _meeting(tree["community_a"], date(2026, 1, 5), code="M-A")
    _meeting(tree["community_b"], date(2026, 1, 5), code="M-B")
    from django.urls import reverse

    client = admin_client_for(users["cadre_a"])
    url = reverse("admin:covenants_covenant_adopt", args=[covenant.pk])
    page = client.get(url)
    assert page.status_code == 200
    body = page.content.decode()
    assert "M-A" in body and "M-B" not in body
    response = client.post(
        url,
        {
            "text": "正文",
            "adopted_on": "2026-01-10",
            "adopted_by": "居民议事会",
            "meeting": meeting.pk,
        },
    )
    assert response.status_code == 302
    assert CovenantVersion.objects.get().meeting == meeting
