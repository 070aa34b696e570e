from datetime import date

import pytest

from core.models import AuditLog, SensitiveAccessLog
from covenants.models import Agreement, PartnerUnit
from tests.covenants.factories import (
    ActivityFactory,
    AgreementFactory,
    LiaisonLogFactory,
    PartnershipFactory,
    PartnerUnitFactory,
    ServiceProjectFactory,
    credit_code,
)

pytestmark = pytest.mark.django_db


def codes(response):
    assert response.status_code == 200, response.content
    data = response.json()
    rows = data["results"] if isinstance(data, dict) and "results" in data else data
    return {row["code"] for row in rows}


LIST_ROUTES = [
    ("/api/v1/partner-units/", {"a": {"UA", "US"}, "b": {"UB", "US"}}),
    ("/api/v1/agreements/", {"a": {"AG-a", "AG-shared_a"}, "b": {"AG-b", "AG-shared_b"}}),
    ("/api/v1/service-projects/", {"a": {"SP-a", "SP-shared_a"}, "b": {"SP-b", "SP-shared_b"}}),
    ("/api/v1/activities/", {"a": {"ACT-a", "ACT-shared_a"}, "b": {"ACT-b", "ACT-shared_b"}}),
]


@pytest.mark.parametrize("route,expected", LIST_ROUTES)
def test_lists_are_scoped(route, expected, signed, users, api):
    assert codes(api(users["cadre_a"]).get(route)) == expected["a"]
    assert codes(api(users["cadre_b"]).get(route)) == expected["b"]
    assert codes(api(users["street"]).get(route)) == expected["a"] | expected["b"]


def test_other_communitys_records_are_404(signed, users, api):
    client = api(users["cadre_a"])
    assert client.get("/api/v1/partner-units/UB/").status_code == 404
    assert client.get("/api/v1/agreements/AG-b/").status_code == 404
    assert client.get("/api/v1/agreements/AG-shared_b/").status_code == 404
    assert client.get("/api/v1/activities/ACT-shared_b/").status_code == 404
    assert client.post("/api/v1/activities/ACT-b/confirm/").status_code == 404


def test_unit_phone_masked_and_revealed_with_purpose(units, users, api):
    response = api(users["cadre_a"]).get("/api/v1/partner-units/UA/")
    assert response.json()["liaison_phone"] == "138****5678"
    assert "13812345678" not in response.content.decode()
    reveal = api(users["cadre_a"]).post(
        "/api/v1/partner-units/UA/reveal/", {"purpose": "联系单位确认活动"}, format="json"
    )
    assert reveal.status_code == 200
    assert reveal.json()["values"]["liaison_phone"] == "13812345678"
    assert SensitiveAccessLog.objects.filter(target_repr="园林小学").count() == 1


def test_create_unit_via_api_bad_credit_code_then_good(tree, users, api):
    client = api(users["street"])
    payload = {
        "code": "U-NEW",
        "name": "铁东区税务局",
        "kind": "agency",
        "organization": "S",
        "credit_code": "11210302MB0000000X",
        "partners": ["A"],
        "liaison_phone": "13900001111",
    }
    response = client.post("/api/v1/partner-units/", payload, format="json")
    assert response.status_code == 400
    assert "credit_code" in response.json()["errors"]
    assert PartnerUnit.objects.count() == 0
    payload["credit_code"] = credit_code(99)
    response = client.post("/api/v1/partner-units/", payload, format="json")
    assert response.status_code == 201, response.content
    assert response.json()["partners"] == ["A"]
    assert response.json()["liaison_phone"] == "139****1111"


def test_agreement_workflow_through_api(tree, units, users, api):
    client = api(users["cadre_a"])
    response = client.post(
        "/api/v1/agreements/",
        {
            "code": "AG-API",
            "party_a": "A",
            "unit": "UA",
            "starts_on": "2026-01-01",
            "ends_on": "2026-12-31",
        },
        format="json",
    )
    assert response.status_code == 201, response.content
    assert len(response.json()["clauses"]) == 10
    bad = client.post("/api/v1/agreements/AG-API/sign/", {}, format="json")
    assert bad.status_code == 400 and "party_a_signatory" in bad.json()["errors"]
    ok = client.post(
        "/api/v1/agreements/AG-API/sign/",
        {"signed_on": "2025-12-30", "party_a_signatory": "李", "party_b_signatory": "赵"},
        format="json",
    )
    assert ok.status_code == 200 and ok.json()["status"] == "signed"
    no_reason = client.post("/api/v1/agreements/AG-API/terminate/", {}, format="json")
    assert no_reason.status_code == 400
    done = client.post(
        "/api/v1/agreements/AG-API/terminate/",
        {"reason": "单位合并", "terminated_on": "2026-06-30"},
        format="json",
    )
    assert done.status_code == 200 and done.json()["status"] == "terminated"
    assert list(
        AuditLog.objects.filter(target_type="covenants.agreement")
        .order_by("id")
        .values_list("action", flat=True)
    ) == ["agreement.draft", "agreement.sign", "agreement.terminate"]


def test_agreement_party_a_outside_scope_api_reads_as_unknown(tree, units, users, api):
    response = api(users["cadre_a"]).post(
        "/api/v1/agreements/",
        {
            "code": "AG-X",
            "party_a": "B",
            "unit": "US",
            "starts_on": "2026-01-01",
            "ends_on": "2026-12-31",
        },
        format="json",
    )
    # B reads as an unknown 甲方 (400), never as forbidden: nothing confirms B exists.
    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["party_a"]
    assert "胜利" not in response.content.decode()
    bad_term = api(users["cadre_a"]).post(
        "/api/v1/agreements/",
        {
            "code": "AG-Y",
            "party_a": "A",
            "unit": "UA",
            "starts_on": "2026-01-01",
            "ends_on": "2025-12-31",
        },
        format="json",
    )
    assert bad_term.status_code == 400 and "ends_on" in bad_term.json()["errors"]
    assert Agreement.objects.count() == 0


def test_expiring_endpoint(tree, units, users, api):
    from django.utils import timezone

    today = timezone.localdate()
    AgreementFactory(
        code="SOON",
        party_a=tree["community_a"],
        unit=units["a"],
        starts_on=date(today.year - 1, 1, 1),
        ends_on=today.replace(day=1) if False else today,
    )
    AgreementFactory(
        code="LATER",
        party_a=tree["community_a"],
        unit=units["shared"],
        starts_on=today,
        ends_on=date(today.year + 2, 1, 1),
    )
    assert codes(api(users["cadre_a"]).get("/api/v1/agreements/expiring/")) == {"SOON"}
    assert codes(api(users["cadre_b"]).get("/api/v1/agreements/expiring/")) == set()


def _bulk(tree, n):
    for _ in range(n):
        unit = PartnerUnitFactory(organization=tree["street"])
        PartnershipFactory(unit=unit, organization=tree["community_a"])
        agreement = AgreementFactory(party_a=tree["community_a"], unit=unit)
        project = ServiceProjectFactory(agreement=agreement)
        ActivityFactory(project=project)
        LiaisonLogFactory(unit=unit, organization=tree["community_a"])


@pytest.mark.parametrize(
    "route,queries",
    [
        # session/auth-free: scope ranges 1 + count 1 + page 1 + prefetches
        ("/api/v1/partner-units/", 4),
        ("/api/v1/agreements/", 4),
        ("/api/v1/service-projects/", 3),
        ("/api/v1/activities/", 4),
        ("/api/v1/liaison-logs/", 3),
    ],
)
def test_list_query_count_constant(route, queries, tree, users, api, django_assert_num_queries):
    _bulk(tree, 12)
    client = api(users["cadre_a"])
    # Permissions are cached on the user after the first request.
    client.get(route)
    for size in (3, 10):
        users["cadre_a"].__dict__.pop("_scope_ranges_cache", None)
        with django_assert_num_queries(queries):
            response = client.get(route, {"page_size": size})
        assert len(response.json()["results"]) == size


def test_report_endpoints(signed, users, api):
    table = api(users["cadre_a"]).get(
        "/api/v1/partner-units/activity-table/", {"year": 2026, "on": "2026-04-01"}
    )
    assert table.status_code == 200
    rows = {r["unit"]: r for r in table.json()["rows"]}
    assert set(rows) == {"UA", "US"}
    assert rows["UA"]["activities"] == 1 and rows["UA"]["inactive"] is True
    inactive = api(users["cadre_b"]).get("/api/v1/partner-units/inactive/", {"on": "2026-04-01"})
    assert {r["unit"] for r in inactive.json()} == {"UB", "US"}
    assert (
        api(users["cadre_a"])
        .get("/api/v1/partner-units/activity-table/", {"organization": "B"})
        .status_code
        == 404
    )
    streets = api(users["street"]).get("/api/v1/partner-units/street-summary/", {"year": 2026})
    assert streets.json() == [
        {
            "street": "S",
            "street_name": "站前街道党工委",
            "activities": 4,
            "handouts": 0,
            "handout_share": 0.0,
            "contacts": 0,
        }
    ]


@pytest.mark.parametrize(
    "route,make,queries",
    [
        ("/api/v1/needs/", "need", 3),
        ("/api/v1/resources/", "resource", 3),
        ("/api/v1/matched-projects/", "match", 3),
        ("/api/v1/covenants/", "covenant", 4),
        ("/api/v1/unit-assessments/", "assessment", 3),
    ],
)
def test_more_list_query_counts_constant(
    route, make, queries, tree, units, users, api, django_assert_num_queries
):
    from covenants.models import Covenant, CovenantVersion, Project, UnitAssessment
    from tests.covenants.factories import NeedFactory, ResourceFactory

    seq = iter(range(1000))

    def one():
        n = next(seq)
        need = NeedFactory(organization=tree["community_a"])
        resource = ResourceFactory(unit=units["a"], organization=tree["community_a"])
        if make == "match":
            Project.objects.create(
                code=f"P{n}",
                organization=tree["community_a"],
                need=need,
                resource=resource,
                title="对接",
            )
        if make == "covenant":
            covenant = Covenant.objects.create(
                code=f"C{n}", organization=tree["community_a"], kind="residents", title="公约"
            )
            CovenantVersion.objects.create(
                covenant=covenant,
                number=1,
                text="正文",
                adopted_on=date(2026, 1, 1),
                is_current=True,
            )
        if make == "assessment":
            UnitAssessment.objects.create(
                unit=units["a"],
                organization=tree["community_a"],
                year=2000 + n,
                score=80,
                grade="fairly_good",
            )

    client = api(users["cadre_a"])
    for _ in range(12):
        one()
    client.get(route)
    for size in (3, 10):
        users["cadre_a"].__dict__.pop("_scope_ranges_cache", None)
        with django_assert_num_queries(queries):
            response = client.get(route, {"page_size": size})
        assert len(response.json()["results"]) == size


def test_api_bad_input_overlap_and_activity_date(signed, users, api):
    client = api(users["cadre_a"])
    created = client.post(
        "/api/v1/agreements/",
        {
            "code": "AG-OVL",
            "party_a": "A",
            "unit": "UA",
            "starts_on": "2026-06-01",
            "ends_on": "2027-05-31",
        },
        format="json",
    )
    assert created.status_code == 201
    clash = client.post(
        "/api/v1/agreements/AG-OVL/sign/",
        {"party_a_signatory": "李", "party_b_signatory": "赵"},
        format="json",
    )
    assert clash.status_code == 400
    assert "AG-a" in clash.json()["errors"]["non_field_errors"][0]
    assert Agreement.objects.get(code="AG-OVL").status == "draft"
    outside = client.post(
        "/api/v1/activities/",
        {"project": "SP-a", "date": "2027-01-02", "kind": "patrol", "title": "巡逻"},
        format="json",
    )
    assert outside.status_code == 400
    assert "不在协议“AG-a”的期限内" in outside.json()["errors"]["date"][0]
    inside = client.post(
        "/api/v1/activities/",
        {"project": "SP-a", "date": "2026-07-02", "kind": "patrol", "title": "巡逻"},
        format="json",
    )
    assert inside.status_code == 201 and inside.json()["code"] == "SP-a-A0001"
