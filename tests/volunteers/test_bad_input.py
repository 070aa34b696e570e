"""Requests that used to answer 500 (issue 15)."""

import pytest

from volunteers.models import HoursEntry

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("reason", [None, "", "   "])
def test_manual_award_without_a_reason_is_a_400(users, api, vol_a, reason):
    body = {"volunteer": vol_a.number, "hours": "2.00", "served_on": "2024-05-01"}
    if reason is not None:
        body["reason"] = reason
    response = api(users["street"]).post("/api/v1/volunteer-hours/", body, format="json")
    assert response.status_code == 400, response.content
    assert "reason" in response.json()["errors"]
    assert HoursEntry.objects.count() == 0


def test_manual_award_with_a_reason_is_recorded(users, api, vol_a):
    response = api(users["street"]).post(
        "/api/v1/volunteer-hours/",
        {
            "volunteer": vol_a.number,
            "hours": "2.00",
            "served_on": "2024-05-01",
            "reason": "纸质签到",
        },
        format="json",
    )
    assert response.status_code == 201, response.content
    assert HoursEntry.objects.get().reason == "纸质签到"


def test_skill_dictionary_is_written_through_the_api_by_the_street(users, api):
    client = api(users["street"])
    created = client.post("/api/v1/volunteer-skills/", {"code": "first-aid", "name": "急救"})
    assert created.status_code == 201, created.content
    renamed = client.patch("/api/v1/volunteer-skills/first-aid/", {"name": "急救培训"})
    assert renamed.status_code == 200 and renamed.json()["name"] == "急救培训"
    assert client.delete("/api/v1/volunteer-skills/first-aid/").status_code == 204
    from core.models import AuditLog

    assert AuditLog.objects.filter(action__startswith="skill.").count() == 3
