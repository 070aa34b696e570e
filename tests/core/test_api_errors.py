"""Errors found by the schemathesis run (tests/core/test_schemathesis.py), each answered in the
API's error shape with a status the schema documents."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.django_db

SHAPE = {"status", "code", "detail", "errors"}


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/organizations/A.B/",  # a code with a dot: the router's pattern does not match
        "/api/v1/organizations/A/B/",  # a decoded %2F
        "/api/v1/import-jobs/abc/",  # not a number
        "/api/v1/no-such-collection/",
    ],
)
def test_an_api_address_no_route_matches_is_a_404_in_the_error_shape(api, users, path):
    response = api(users["root"]).get(path)
    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"
    body = response.json()
    assert set(body) == SHAPE and body["code"] == "not_found"


def test_outside_the_api_a_404_is_still_a_page(client, db):
    response = client.get("/no-such-page-anywhere/")
    assert response.status_code == 404
    assert not response["Content-Type"].startswith("application/json")
