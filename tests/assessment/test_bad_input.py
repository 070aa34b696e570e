"""Requests that used to answer 500 (issue 15)."""

import pytest

from governance.assessment.models import SatisfactionTally

pytestmark = pytest.mark.django_db


def test_tally_without_the_optional_counts_records_zero(users, api, assessment):
    response = api(users["street"]).post(
        "/api/v1/satisfaction-tallies/",
        {"assessment": "KH", "organization": "A", "voter_kind": "member", "satisfied": 12},
        format="json",
    )
    assert response.status_code == 201, response.content
    tally = SatisfactionTally.objects.get()
    assert (tally.satisfied, tally.basically_satisfied, tally.dissatisfied) == (12, 0, 0)


def test_tally_correction_keeps_counts_not_sent(users, api, assessment):
    client = api(users["street"])
    body = {"assessment": "KH", "organization": "A", "voter_kind": "member"}
    first = client.post(
        "/api/v1/satisfaction-tallies/",
        {**body, "satisfied": 3, "basically_satisfied": 2, "dissatisfied": 1},
        format="json",
    )
    assert first.status_code == 201
    patched = client.patch(
        f"/api/v1/satisfaction-tallies/{first.json()['id']}/", {"dissatisfied": 4}, format="json"
    )
    assert patched.status_code == 200, patched.content
    tally = SatisfactionTally.objects.get()
    assert (tally.satisfied, tally.basically_satisfied, tally.dissatisfied) == (3, 2, 4)
