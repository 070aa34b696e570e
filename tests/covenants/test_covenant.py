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
