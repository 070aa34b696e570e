"""A real Open311 client (``georeport`` from PyPI, on ``requests``) against the live server for
the read side, a POST with ``requests`` as an integrator would send it, and the key admin:
issue (shown once), revoke, who may."""

from __future__ import annotations

import pytest
import requests
from georeport import GeoReport

from grids.models import Case
from open311.models import ApiKey
from tests.open311.conftest import post_data

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_georeport_client_round_trip(live_server, places, keys, fmt):
    root = f"{live_server.url}/open311/v2"
    # an integrator's POST (the client library only reads)
    response = requests.post(f"{root}/requests.{fmt}", data=post_data(keys["street"]), timeout=10)
    assert response.status_code == 200, response.text
    if fmt == "json":
        code = response.json()[0]["service_request_id"]
    else:
        assert response.headers["Content-Type"] == "text/xml; charset=utf-8"
        code = response.text.split("<service_request_id>")[1].split("<")[0]
    assert Case.objects.filter(tracking_code=code, source="portal").exists()

    client = GeoReport(root, jurisdiction="S", output_format=fmt)
    services = client.get_service_list()
    assert "facilities" in {s["service_code"] for s in services}
    definition = client.get_service_definition("facilities")
    attributes = definition["attributes"]
    if fmt == "xml":
        attributes = attributes["attribute"]
    assert [a["code"] for a in attributes] == ["compound", "building", "unit", "door"]
    found = client.get_service_requests(service_code="facilities", status="open")
    if fmt == "xml":
        found = [found] if isinstance(found, dict) else found
    assert [r["service_request_id"] for r in found] == [code]
    one = client.get_service_request(code)
    assert one["service_request_id"] == code and one["status"] == "open"
    assert one["address"] == "园林社区，春晖家园3号楼"
    assert "王" not in str(one) and "13912345678" not in str(one)
    # the client raises on the spec's errors
    with pytest.raises(requests.HTTPError) as exc:
        GeoReport(root, jurisdiction="B", output_format=fmt).get_service_request(code)
    assert exc.value.response.status_code == 404
    with pytest.raises(requests.HTTPError) as exc:
        GeoReport(root, jurisdiction="NOPE", output_format=fmt).get_service_list()
    assert exc.value.response.status_code == 404


def test_street_admin_issues_a_key_shown_once_and_revokes_it(
    client, tree, users, admin_client_for, places
):
    admin = admin_client_for(users["street"])
    assert admin.get("/admin/open311/apikey/add/").status_code == 200
    response = admin.post(
        "/admin/open311/apikey/add/",
        {"name": "12345 热线", "organization": tree["community_a"].pk},
    )
    assert response.status_code == 200 and "no-store" in response["Cache-Control"]
    html = response.content.decode()
    raw = html.split('id="open311-key"')[1].split(">")[1].split("<")[0]
    assert raw.startswith("o311_") and len(raw) > 40
    key = ApiKey.objects.get()
    assert key.key_hash != raw and raw not in str(key.__dict__)
    assert key.created_by == users["street"] and key.organization == tree["community_a"]
    # never shown again
    assert raw not in admin.get(f"/admin/open311/apikey/{key.pk}/change/").content.decode()
    assert raw not in admin.get("/admin/open311/apikey/").content.decode()
    # it works …
    data = post_data(raw, jurisdiction_id="A")
    assert client.post("/open311/v2/requests.json", data).status_code == 200
    # … until revoked
    admin.post(
        "/admin/open311/apikey/",
        {"action": "revoke", "_selected_action": [key.pk]},
    )
    key.refresh_from_db()
    assert not key.active and key.revoked_at is not None and key.use_count == 1
    response = client.post("/open311/v2/requests.json", post_data(raw, jurisdiction_id="A"))
    assert response.status_code == 403


def test_only_the_street_admin_issues_keys(tree, users, admin_client_for, keys):
    for name in ("cadre_a", "cadre_b", "grid_a"):
        admin = admin_client_for(users[name])
        assert admin.get("/admin/open311/apikey/add/").status_code == 403
        assert admin.get("/admin/open311/apikey/").status_code == 403
    district = admin_client_for(users["district"])
    assert district.get("/admin/open311/apikey/").status_code == 200
    assert district.get("/admin/open311/apikey/add/").status_code == 403


def test_a_key_can_only_be_issued_within_the_issuers_scope(tree, users):
    from django.core.exceptions import ValidationError

    from core.roles import STREET_ADMIN
    from core.scope import in_scope
    from open311.services import api_key_issue
    from tests.conftest import make_user

    other = make_user("other_street", role=STREET_ADMIN, scope=[tree["community_b"]])
    assert not in_scope(other, tree["community_a"])
    with pytest.raises(ValidationError):
        api_key_issue(actor=other, name="x", organization=tree["community_a"])
    assert not ApiKey.objects.exists()


def test_key_admin_pages_open_for_every_role(users, keys, admin_client_for):
    """The admin walk's rule for this model, quick: no page is a server error for any role."""
    key = keys["street_key"]
    pages = [
        "/admin/open311/apikey/",
        "/admin/open311/apikey/?q=1",
        "/admin/open311/apikey/add/",
        f"/admin/open311/apikey/{key.pk}/change/",
        f"/admin/open311/apikey/{key.pk}/delete/",
        f"/admin/open311/apikey/{key.pk}/history/",
    ]
    for name in ("street", "cadre_a", "cadre_b", "grid_a", "district", "root"):
        admin = admin_client_for(users[name])
        for url in pages:
            assert admin.get(url).status_code < 500, (name, url)
    root = admin_client_for(users["root"])
    assert root.get(f"/admin/open311/apikey/{key.pk}/change/").status_code == 200
    assert root.get(f"/admin/open311/apikey/{key.pk}/delete/").status_code == 403
