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
