"""API: scope on every list, workflow actions, score entry rules, ranking and roll-up."""

from decimal import Decimal

import pytest

from governance.assessment.models import AdmissionRequest, Score
from governance.assessment.services import admission_file, score_enter
from governance.assessment.services.rollup import compute_results
from tests.assessment.factories import AdmissionRequestFactory


@pytest.fixture
def requests_ab(tree):
    return {
        "a": AdmissionRequestFactory(code="ZR-A", community=tree["community_a"]),
        "b": AdmissionRequestFactory(code="ZR-B", community=tree["community_b"]),
    }


def codes(response):
    return sorted(row["code"] for row in response.json()["results"])


def test_admission_list_is_scoped(api, users, requests_ab):
    assert codes(api(users["cadre_a"]).get("/api/v1/admission-requests/")) == ["ZR-A"]
    assert codes(api(users["street"]).get("/api/v1/admission-requests/")) == ["ZR-A", "ZR-B"]
    assert api(users["cadre_a"]).get("/api/v1/admission-requests/ZR-B/").status_code == 404


def test_admission_filed_without_funds_is_flagged(api, users, tree):
    response = api(users["cadre_a"]).post(
        "/api/v1/admission-requests/",
        {
            "code": "ZR-N",
            "community": "A",
            "department": "区城管局",
            "title": "门前三包巡查",
            "staff_count": 0,
            "funds": "0",
            "starts_on": "2026-04-01",
        },
        format="json",
    )
    assert response.status_code == 201, response.json()
    assert response.json()["refusable"] is True
    assert response.json()["missing_resources"] == ["人员", "经费"]


def test_admission_actions(api, users, tree):
    a = admission_file(
        actor=users["cadre_a"],
        code="ZR-1",
        community=tree["community_a"],
        department="区民政局",
        title="低保复核",
        starts_on="2026-04-01",
        staff_count=1,
        funds=Decimal("100"),
    )
    b = admission_file(
        actor=users["cadre_a"],
        code="ZR-2",
        community=tree["community_a"],
        department="区统计局",
        title="经济普查入户",
        starts_on="2026-04-01",
    )
    # a community may not approve
    assert (
        api(users["cadre_a"]).post(f"/api/v1/admission-requests/{a.code}/approve/").status_code
        == 403
    )
    r = api(users["street"]).post(f"/api/v1/admission-requests/{a.code}/refuse/", {}, format="json")
    assert r.status_code == 400 and r.json()["code"] == "invalid"
    r = api(users["street"]).post(
        f"/api/v1/admission-requests/{a.code}/approve/", {"reason": "同意"}, format="json"
    )
    assert r.status_code == 200 and r.json()["status"] == "approved"
    r = api(users["cadre_a"]).post(f"/api/v1/admission-requests/{b.code}/community-refuse/")
    assert r.status_code == 200 and r.json()["status"] == "community_refused"
    figures = api(users["street"]).get("/api/v1/admission-requests/figures/").json()
    assert figures["requests"] == 2 and figures["approved"] == 1
    assert figures["community_refused"] == 1 and figures["refusable"] == 1


def test_score_entry_rules_over_api(api, users, tree, indicator_set, assessment):
    url = "/api/v1/scores/"
    body = {"assessment": "KH", "organization": "A", "indicator": "A1-a", "value": "11"}
    r = api(users["street"]).post(url, body, format="json")
    assert r.status_code == 400 and "value" in r.json()["errors"]
    r = api(users["cadre_a"]).post(url, {**body, "value": "5"}, format="json")
    assert r.status_code == 403
    r = api(users["street"]).post(url, {**body, "value": "5"}, format="json")
    assert r.status_code == 201, r.json()
    assert Score.objects.get().value == Decimal("5")
    assert [s["organization"] for s in api(users["cadre_b"]).get(url).json()["results"]] == []


def test_ranking_and_rollup_endpoints(
    api, users, tree, indicator_set, assessment, django_capture_on_commit_callbacks
):
    for org, value in (("community_a", "10"), ("community_b", "5")):
        score_enter(
            actor=users["street"],
            assessment=assessment,
            organization=tree[org],
            indicator=indicator_set["a"],
            value=Decimal(value),
        )
    with django_capture_on_commit_callbacks(execute=True):
        r = api(users["street"]).post("/api/v1/assessments/KH/rollup/")
    assert r.status_code == 202
    run = api(users["street"]).get(f"/api/v1/rollup-runs/{r.json()['id']}/").json()
    assert run["status"] == "done" and run["progress"] == 100
    ranking = api(users["street"]).get("/api/v1/assessments/KH/ranking/").json()["results"]
    assert [(x["organization"], x["rank"]) for x in ranking] == [("A", 1), ("B", 2)]
    # a community cadre does not see the street's assessment
    assert api(users["cadre_a"]).get("/api/v1/assessments/KH/ranking/").status_code == 404
    mine = api(users["cadre_a"]).get("/api/v1/assessment-results/?assessment=KH").json()
    assert [x["organization"] for x in mine["results"]] == ["A"]


def test_result_list_query_count_is_fixed(
    api, users, tree, indicator_set, assessment, django_assert_num_queries
):
    for org in ("community_a", "community_b", "branch_a", "branch_b"):
        score_enter(
            actor=users["street"],
            assessment=assessment,
            organization=tree[org],
            indicator=indicator_set["a"],
            value=Decimal("3"),
        )
    compute_results(assessment)
    client = api(users["street"])
    client.get("/api/v1/assessment-results/")  # warm caches (content types, permissions)
    # count + page, whatever the page size (scope and permissions are cached on the user)
    with django_assert_num_queries(2):
        r = client.get("/api/v1/assessment-results/")
    assert r.json()["count"] == 5


def test_work_items_for_a_community(api, users, tree):
    from governance.assessment.services import worklist_publish, worklist_version_create
    from tests.assessment.factories import WorkItemFactory

    v = worklist_version_create(
        actor=users["street"], street=tree["street"], code="WL", title="清单"
    )
    WorkItemFactory(version=v, code="WL-01", seq=1)
    worklist_publish(actor=users["street"], version=v)
    r = api(users["cadre_a"]).get("/api/v1/work-items/?community=A")
    assert [x["code"] for x in r.json()["results"]] == ["WL-01"]


def test_export_results_xlsx(api, users, tree, assessment):
    r = api(users["street"]).get("/api/v1/assessment-results/export/?file_format=xlsx")
    assert r.status_code == 200 and r["Content-Type"].startswith("application/vnd.openxml")


def test_refusable_requests_cannot_be_seen_by_other_communities(api, users, requests_ab):
    assert AdmissionRequest.objects.count() == 2
    r = api(users["cadre_b"]).post("/api/v1/admission-requests/ZR-A/community-refuse/")
    assert r.status_code == 404
