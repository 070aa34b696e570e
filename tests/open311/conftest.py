"""Open311 fixtures: a street with two communities (tests/conftest.py ``tree``), a building in
each, and keys issued through the service — for the street, for community A only, revoked."""

from __future__ import annotations

import pytest
from django.core.cache import cache

from open311.services import api_key_issue, api_key_revoke
from tests.portal.factories import make_grid_with_building


@pytest.fixture(autouse=True)
def _clear_cache():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def places(tree):
    grid_a, worker_a, building_a = make_grid_with_building(tree["community_a"])
    grid_b, worker_b, building_b = make_grid_with_building(
        tree["community_b"], code="G2", building_code="BLD2"
    )
    return {
        "a": building_a,
        "b": building_b,
        "worker_a": worker_a,
        "grid_a": grid_a,
    }


@pytest.fixture
def keys(users, tree):
    street, street_raw = api_key_issue(
        actor=users["street"], name="12345 热线", organization=tree["street"]
    )
    only_a, only_a_raw = api_key_issue(
        actor=users["street"], name="园林小程序", organization=tree["community_a"]
    )
    revoked, revoked_raw = api_key_issue(
        actor=users["street"], name="旧平台", organization=tree["street"]
    )
    api_key_revoke(actor=users["street"], key=revoked)
    return {
        "street": street_raw,
        "a": only_a_raw,
        "revoked": revoked_raw,
        "street_key": street,
    }


def post_data(key: str, **overrides) -> dict:
    data = {
        "api_key": key,
        "jurisdiction_id": "S",
        "service_code": "facilities",
        "description": "3号楼二单元楼道灯坏了一个星期",
        "first_name": "阿姨",
        "last_name": "王",
        "phone": "13912345678",
        "address_id": "BLD1",
        "attribute[unit]": "2",
        "attribute[door]": "302",
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}
