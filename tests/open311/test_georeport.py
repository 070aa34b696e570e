"""Open311 GeoReport v2 at /open311/v2/: discovery, services, service definitions, POST and GET
requests in JSON and XML, the spec's errors, public-safe output, scope of keys and
jurisdictions, media_url allow-list, and the created case on the portal tracking page and in
the admin desk."""

from __future__ import annotations

import json
import threading
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from xml.etree import ElementTree as ET

import pytest
import xmltodict
from django.utils import timezone

from core.models import AuditLog
from grids.models import Case
from open311.models import ApiKey
from tests.open311.conftest import post_data
from tests.portal.factories import PNG_BYTES, resolve_case

pytestmark = pytest.mark.django_db

V2 = "/open311/v2"


def post(client, data, fmt="json"):
    return client.post(f"{V2}/requests.{fmt}", data)


def created_code(response) -> str:
    assert response.status_code == 200, response.content.decode()
    body = response.json()
    assert isinstance(body, list) and set(body[0]) == {
        "service_request_id",
        "service_notice",
        "account_id",
    }
    return body[0]["service_request_id"]


def errors_of(response, status: int) -> list[str]:
    assert response.status_code == status, response.content.decode()
    if response["Content-Type"].startswith("text/xml"):
        doc = xmltodict.parse(response.content)["errors"]["error"]
        rows = doc if isinstance(doc, list) else [doc]
        assert all(int(r["code"]) == status for r in rows)
        return [r["description"] for r in rows]
    body = response.json()
    assert isinstance(body, list) and body
    assert all(set(e) == {"code", "description"} and e["code"] == status for e in body)
    return [e["description"] for e in body]


# -- discovery and services -----------------------------------------------------------------


def test_discovery_document_in_json_and_xml(client):
    doc = client.get(f"{V2}/discovery.json").json()
    endpoint = doc["endpoints"][0]
    assert endpoint["specification"] == "http://wiki.open311.org/GeoReport_v2"
    assert endpoint["url"] == "http://testserver/open311/v2"
    assert endpoint["formats"] == ["application/json", "text/xml"]
    assert doc["changeset"].endswith("+08:00")
    response = client.get(f"{V2}/discovery.xml")
    assert response["Content-Type"] == "text/xml; charset=utf-8"
    root = ET.fromstring(response.content)
    assert root.tag == "discovery"
    assert [f.text for f in root.iter("format")] == ["application/json", "text/xml"]


def test_services_of_a_street_and_of_a_community(client, tree):
    for code in ("S", "A"):
        services = client.get(f"{V2}/services.json", {"jurisdiction_id": code}).json()
        assert {s["service_code"] for s in services} >= {"facilities", "environment", "safety"}
        first = services[0]
        assert set(first) == {
            "service_code",
            "service_name",
            "description",
            "metadata",
            "type",
            "keywords",
            "group",
        }
        assert first["metadata"] is True and first["type"] == "realtime"
    response = client.get(f"{V2}/services.xml", {"jurisdiction_id": "S"})
    doc = xmltodict.parse(response.content)
    names = [s["service_name"] for s in doc["services"]["service"]]
    assert "市政设施" in names
    assert doc["services"]["service"][0]["metadata"] == "true"


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_unknown_or_missing_jurisdiction(client, tree, fmt):
    assert "jurisdiction_id" in errors_of(client.get(f"{V2}/services.{fmt}"), 400)[0]
    # A node that is not a street or community is unknown, like a code that does not exist.
    for code in ("NOPE", "A-01", "D"):
        response = client.get(f"{V2}/services.{fmt}", {"jurisdiction_id": code})
        assert code in errors_of(response, 404)[0]


def test_service_definition_lists_the_jurisdictions_compounds_buildings_and_unit(client, places):
    doc = client.get(f"{V2}/services/facilities.json", {"jurisdiction_id": "A"}).json()
    assert doc["service_code"] == "facilities"
    attributes = {a["code"]: a for a in doc["attributes"]}
    assert list(attributes) == ["compound", "building", "unit", "door"]
    assert attributes["building"]["datatype"] == "singlevaluelist"
    assert attributes["building"]["values"] == [{"key": "BLD1", "name": "春晖家园 3号楼"}]
    assert attributes["compound"]["values"] == [{"key": "A-CH", "name": "春晖家园"}]
    assert attributes["unit"]["datatype"] == "number"
    assert all(a["required"] is False and a["variable"] is True for a in doc["attributes"])
    street = client.get(f"{V2}/services/facilities.json", {"jurisdiction_id": "S"}).json()
    keys = {v["key"] for a in street["attributes"] if a["code"] == "building" for v in a["values"]}
    assert keys == {"BLD1", "BLD2"}
    xml = xmltodict.parse(
        client.get(f"{V2}/services/facilities.xml", {"jurisdiction_id": "A"}).content
    )
    building = xml["service_definition"]["attributes"]["attribute"][1]
    assert building["code"] == "building" and building["values"]["value"]["key"] == "BLD1"
    unknown = client.get(f"{V2}/services/nothing.json", {"jurisdiction_id": "A"})
    assert "nothing" in errors_of(unknown, 404)[0]


# -- POST requests --------------------------------------------------------------------------


def test_post_files_a_portal_case_with_the_portal_rules(client, places, keys):
    code = created_code(post(client, post_data(keys["street"])))
    case = Case.objects.get(tracking_code=code)
    assert case.source == "portal" and case.building == places["a"]
    assert case.community.code == "A" and case.reporter_name == "王阿姨"
    assert case.location == "2单元302室"  # unit and door as the portal writes them
    key = ApiKey.objects.get(pk=keys["street_key"].pk)
    assert key.use_count == 1 and key.last_used_at is not None
    log = AuditLog.objects.get(action="open311.request")
    assert log.target_id == str(case.pk) and log.detail["integrator"] == "12345 热线"
    assert AuditLog.objects.filter(action="case.report", target_id=str(case.pk)).exists()


def test_post_in_xml(client, places, keys):
    response = post(client, post_data(keys["street"]), fmt="xml")
    assert response.status_code == 200
    doc = xmltodict.parse(response.content)
    code = doc["service_requests"]["request"]["service_request_id"]
    assert Case.objects.filter(tracking_code=code).exists()


def test_post_to_a_community_without_a_building_needs_address_string(client, places, keys):
    data = post_data(keys["a"], jurisdiction_id="A", address_id="", **{"attribute[unit]": ""})
    data.pop("attribute[door]")
    messages = errors_of(post(client, data), 400)
    assert any("address_string" in m for m in messages)
    data["address_string"] = "小区东门车棚"
    code = created_code(post(client, data))
    case = Case.objects.get(tracking_code=code)
    assert case.building is None and case.community.code == "A"
    assert case.location == "小区东门车棚"
    # compound only: its community, the compound named in front of the location
    data = post_data(
        keys["street"],
        address_id="",
        address_string="北侧绿地",
        description="北侧绿地的垃圾没人清理",
        **{"attribute[compound]": "A-CH", "attribute[unit]": "", "attribute[door]": ""},
    )
    case = Case.objects.get(tracking_code=created_code(post(client, data)))
    assert case.community.code == "A" and case.location == "春晖家园，北侧绿地"


def test_post_to_a_street_without_a_place_is_refused(client, places, keys):
    data = post_data(keys["street"], address_id="")
    assert any("address_id" in m for m in errors_of(post(client, data), 400))
    assert not Case.objects.exists()


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"description": "灯坏"}, "description"),
        ({"first_name": "", "last_name": ""}, "first_name"),
        ({"phone": "12345"}, "phone"),
        ({"phone": None}, "phone"),
        ({"attribute[unit]": "9"}, "attribute[unit]"),
        ({"address_id": "BLD2", "jurisdiction_id": "A"}, "address_id"),  # B's building
        ({"address_id": "NOPE"}, "address_id"),
        ({"attribute[compound]": "B-CH"}, "attribute[building]"),
        ({"start": "x", "service_code": ""}, "service_code"),
    ],
)
def test_post_bad_input_is_400_and_writes_nothing(client, places, keys, overrides, field):
    messages = errors_of(post(client, post_data(keys["street"], **overrides)), 400)
    assert any(m.startswith(field) for m in messages), messages
    assert not Case.objects.exists()


def test_post_unknown_service_code_and_jurisdiction_are_404(client, places, keys):
    assert errors_of(post(client, post_data(keys["street"], service_code="ufo")), 404)
    assert errors_of(post(client, post_data(keys["street"], jurisdiction_id="NOPE")), 404)
    assert not Case.objects.exists()


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_post_with_a_revoked_unknown_missing_or_out_of_scope_key_is_403(client, places, keys, fmt):
    for key in (keys["revoked"], "o311_" + "x" * 40, "", "garbage"):
        assert errors_of(post(client, post_data(key), fmt), 403)
    # the community A key may not file for the whole street, nor for community B
    assert errors_of(post(client, post_data(keys["a"]), fmt), 403)
    data = post_data(keys["a"], jurisdiction_id="B", address_id="BLD2")
    assert errors_of(post(client, data, fmt), 403)
    assert not Case.objects.exists()
    # … but it may for its own community
    created_code(post(client, post_data(keys["a"], jurisdiction_id="A")))


def test_post_duplicates_merge_like_the_portal(client, places, keys):
    first = created_code(post(client, post_data(keys["street"])))
    again = created_code(post(client, post_data(keys["street"])))
    assert again == first and Case.objects.count() == 1
    # the same problem through another integrator: a case of its own, linked
    other = created_code(post(client, post_data(keys["a"], jurisdiction_id="A")))
    assert other != first
    assert Case.objects.get(tracking_code=other).same_problem_as.tracking_code == first


def test_post_rate_limits_per_phone_like_the_portal(client, places, keys):
    for n in range(3):
        created_code(post(client, post_data(keys["street"], description=f"第{n}次反映楼道灯坏了")))
    response = post(client, post_data(keys["street"], description="第四次反映楼道灯坏了"))
    assert "太频繁" in errors_of(response, 429)[0]
    assert Case.objects.count() == 3


def test_post_rate_limits_per_key(client, places, keys, settings):
    settings.OPEN311_KEY_RATE_LIMIT = 2
    for n in range(2):
        created_code(
            post(
                client,
                post_data(keys["street"], phone=f"1391234560{n}", description=f"第{n}个问题描述"),
            )
        )
    response = post(client, post_data(keys["street"], phone="13912345609"))
    errors_of(response, 429)


def test_other_methods_are_405(client, tree):
    assert errors_of(client.delete(f"{V2}/requests.json", {"jurisdiction_id": "S"}), 405)
    assert errors_of(client.post(f"{V2}/services.json"), 405)
    assert errors_of(client.get(f"{V2}/nothing.xml"), 404)


# -- media_url ------------------------------------------------------------------------------


@pytest.fixture
def image_server():
    """A local server answering /photo.png (an image), /text.png (not one), /big.png (6 MB)
    and /moved.png (a redirect elsewhere)."""

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):
            bodies = {
                "/photo.png": PNG_BYTES,
                "/text.png": b"<html>not an image</html>",
                "/big.png": PNG_BYTES + b"\0" * (6 * 1024 * 1024),
            }
            if self.path == "/moved.png":
                self.send_response(302)
                self.send_header("Location", "http://example.com/x.png")
                self.end_headers()
                return
            body = bodies.get(self.path)
            if body is None:
                self.send_response(404)
                self.end_headers()
                return
            self.send_response(200)
            self.send_header("Content-Type", "image/png")
            if self.path != "/big.png":
                self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


def test_media_url_from_a_listed_host_becomes_the_case_photo(
    client, places, keys, settings, image_server
):
    settings.OPEN311_MEDIA_HOSTS = ["127.0.0.1"]
    data = post_data(keys["street"], media_url=f"{image_server}/photo.png")
    case = Case.objects.get(tracking_code=created_code(post(client, data)))
    photo = case.photos.get()
    assert photo.file.name.startswith("cases/") and photo.file.name.endswith(".png")


@pytest.mark.parametrize(
    ("hosts", "path", "message"),
    [
        ([], "/photo.png", "允许的主机"),  # empty list: every media_url refused
        (["img.example.gov.cn"], "/photo.png", "允许的主机"),
        (["127.0.0.1"], "/text.png", "不是图片"),
        (["127.0.0.1"], "/big.png", "上限"),
        (["127.0.0.1"], "/moved.png", "HTTP 302"),
        (["127.0.0.1"], "/missing.png", "HTTP 404"),
    ],
)
def test_media_url_refused(client, places, keys, settings, image_server, hosts, path, message):
    settings.OPEN311_MEDIA_HOSTS = hosts
    data = post_data(keys["street"], media_url=f"{image_server}{path}")
    messages = errors_of(post(client, data), 400)
    assert any(message in m for m in messages), messages
    assert not Case.objects.exists()


def test_media_url_scheme_must_be_http(client, places, keys, settings):
    settings.OPEN311_MEDIA_HOSTS = ["127.0.0.1"]
    data = post_data(keys["street"], media_url="file://127.0.0.1/etc/passwd")
    assert errors_of(post(client, data), 400)


# -- GET requests ---------------------------------------------------------------------------


def _file(client, keys, **overrides):
    return created_code(post(client, post_data(keys["street"], **overrides)))


def test_requests_are_public_safe(client, places, keys):
    code = _file(
        client, keys, description="楼道灯坏了，联系我 139 1234 5678 或身份证210302198001010011"
    )
    rows = client.get(f"{V2}/requests.json", {"jurisdiction_id": "S"}).json()
    assert [r["service_request_id"] for r in rows] == [code]
    row = rows[0]
    text = json.dumps(row, ensure_ascii=False)
    for private in ("王阿姨", "王", "13912345678", "5678", "302", "2单元", "210302198001010011"):
        assert private not in text, private
    assert row["address"] == "园林社区，春晖家园3号楼" and row["address_id"] == "BLD1"
    assert row["status"] == "open" and row["service_code"] == "facilities"
    assert row["requested_datetime"].endswith("+08:00")
    assert row["updated_datetime"].endswith("+08:00")
    assert row["expected_datetime"].endswith("+08:00")
    assert row["agency_responsible"] == "园林社区"
    assert "***" in row["description"]


def test_request_by_id_and_from_another_jurisdiction(client, places, keys):
    code = _file(client, keys)
    one = client.get(f"{V2}/requests/{code}.json", {"jurisdiction_id": "A"}).json()
    assert len(one) == 1 and one[0]["service_request_id"] == code
    xml = xmltodict.parse(client.get(f"{V2}/requests/{code}.xml", {"jurisdiction_id": "S"}).content)
    assert xml["service_requests"]["request"]["service_request_id"] == code
    # another jurisdiction's request answers like an unknown one
    other = client.get(f"{V2}/requests/{code}.json", {"jurisdiction_id": "B"})
    unknown = client.get(f"{V2}/requests/ABCDEFGHJK.json", {"jurisdiction_id": "B"})
    assert errors_of(other, 404)[0].split("：")[0] == errors_of(unknown, 404)[0].split("：")[0]


def test_requests_filters(client, places, keys, users):
    facilities = _file(client, keys)
    environment = _file(
        client,
        keys,
        service_code="environment",
        description="垃圾桶满了没人清运",
        phone="13900000001",
    )
    in_b = _file(
        client,
        keys,
        jurisdiction_id="B",
        address_id="BLD2",
        description="胜利社区路灯不亮",
        phone="13900000002",
    )
    resolve_case(facilities, users["street"], places["worker_a"])

    def codes(**params):
        response = client.get(f"{V2}/requests.json", {"jurisdiction_id": "S", **params})
        assert response.status_code == 200, response.content
        return {r["service_request_id"] for r in response.json()}

    assert codes() == {facilities, environment, in_b}
    assert codes(jurisdiction_id="B") == {in_b}
    assert codes(service_code="environment") == {environment}
    assert codes(service_code="environment,facilities") == {environment, facilities, in_b}
    assert codes(status="closed") == {facilities}
    assert codes(status="open") == {environment, in_b}
    assert codes(status="open,closed") == {facilities, environment, in_b}
    assert codes(agency_responsible="B") == {in_b}
    assert codes(service_request_id=f"{facilities},{in_b}") == {facilities, in_b}
    now = timezone.localtime()
    assert codes(start_date=(now - timedelta(hours=1)).isoformat()) == {
        facilities,
        environment,
        in_b,
    }
    assert codes(end_date=(now - timedelta(hours=1)).isoformat()) == set()
    assert codes(start_date=(now + timedelta(hours=1)).isoformat()) == set()
    # FixMyStreet's updated_after: the resolved case changed last
    Case.objects.filter(tracking_code=facilities).update(
        resolved_at=timezone.now() + timedelta(minutes=5)
    )
    assert codes(updated_after=(now + timedelta(minutes=1)).isoformat()) == {facilities}
    assert codes(updated_before=(now + timedelta(minutes=1)).isoformat()) == {environment, in_b}
    closed = client.get(f"{V2}/requests.json", {"jurisdiction_id": "S", "status": "closed"})
    row = closed.json()[0]
    assert row["status"] == "closed" and row["status_notes"] == "已办结"
    # a grid worker handles it: the grid is named, never the person
    assert "网格员" in row["agency_responsible"] and "赵网格" not in row["agency_responsible"]
    # paging
    assert len(client.get(f"{V2}/requests.json", {"jurisdiction_id": "S", "limit": 2}).json()) == 2
    page2 = client.get(f"{V2}/requests.json", {"jurisdiction_id": "S", "limit": 2, "page": 2})
    assert len(page2.json()) == 1


@pytest.mark.parametrize(
    "params",
    [
        {"status": "pending"},
        {"service_code": "ufo"},
        {"start_date": "yesterday"},
        {"start_date": "2026-01-01", "end_date": "2026-12-01"},  # more than 90 days
        {"start_date": "2026-02-01", "end_date": "2026-01-01"},
        {"limit": "0"},
        {"limit": "100000"},
        {"page": "0"},
        {"page": "101"},
        {"page": "x"},
    ],
)
@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_requests_bad_filters_are_400(client, tree, params, fmt):
    errors_of(client.get(f"{V2}/requests.{fmt}", {"jurisdiction_id": "S", **params}), 400)


def test_requests_list_is_one_query(client, places, keys, django_assert_num_queries):
    for n in range(5):
        _file(client, keys, phone=f"1390000000{n}", description=f"第{n}个问题的描述")
    client.get(f"{V2}/requests.json", {"jurisdiction_id": "S"})  # jurisdiction and names cached
    with django_assert_num_queries(1):
        rows = client.get(f"{V2}/requests.json", {"jurisdiction_id": "S"}).json()
    assert len(rows) == 5
    with django_assert_num_queries(1):
        client.get(f"{V2}/requests.xml", {"jurisdiction_id": "S", "updated_after": "2026-01-01"})
    with django_assert_num_queries(0):
        client.get(f"{V2}/services.json", {"jurisdiction_id": "S"})


# -- the case where staff and the reporter find it --------------------------------------------


def test_created_case_on_the_portal_tracking_page_and_in_the_admin_desk(
    client, places, keys, users, admin_client_for
):
    code = _file(client, keys)
    html = client.post("/track/", {"tracking_code": code, "phone_last4": "5678"}).content.decode()
    assert code in html and "市政设施" in html
    admin = admin_client_for(users["cadre_a"])
    listing = admin.get("/admin/grids/case/", {"q": code}).content.decode()
    assert code in listing
    case = Case.objects.get(tracking_code=code)
    page = admin.get(f"/admin/grids/case/{case.pk}/change/")
    assert page.status_code == 200 and code in page.content.decode()
    # community B's cadre does not see it
    assert code not in admin_client_for(users["cadre_b"]).get("/admin/grids/case/").content.decode()
