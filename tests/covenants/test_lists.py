from datetime import date

import pytest
from django.core.exceptions import ValidationError

from core.models import AuditLog
from covenants.choices import NeedStatus
from covenants.selectors import needs_unmatched, resources_idle
from covenants.services import project_match, project_match_update
from tests.covenants.factories import NeedFactory, ResourceFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def lists(tree, units):
    return {
        "need_a": NeedFactory(code="N-A", organization=tree["community_a"]),
        "need_a2": NeedFactory(code="N-A2", organization=tree["community_a"]),
        "need_b": NeedFactory(code="N-B", organization=tree["community_b"]),
        "res_a": ResourceFactory(code="R-A", unit=units["a"], organization=tree["community_a"]),
        "res_street": ResourceFactory(
            code="R-S", unit=units["shared"], organization=tree["street"]
        ),
        "res_b": ResourceFactory(code="R-B", unit=units["b"], organization=tree["community_b"]),
    }


def test_unmatched_needs_and_idle_resources(lists, users):
    assert {n.code for n in needs_unmatched(users["cadre_a"])} == {"N-A", "N-A2"}
    assert {r.code for r in resources_idle(users["cadre_a"])} == {"R-A"}
    project = project_match(
        actor=users["cadre_a"],
        need=lists["need_a"],
        resource=lists["res_a"],
        code="P-1",
        title="校园操场开放",
        started_on=date(2026, 3, 1),
    )
    lists["need_a"].refresh_from_db()
    assert lists["need_a"].status == NeedStatus.MATCHED
    assert {n.code for n in needs_unmatched(users["cadre_a"])} == {"N-A2"}
    assert {r.code for r in resources_idle(users["cadre_a"])} == set()
    assert AuditLog.objects.filter(action="project.match").count() == 1
    # A finished project frees the resource again; the need stays met.
    project_match_update(actor=users["cadre_a"], project=project, status="done")
    assert {r.code for r in resources_idle(users["cadre_a"])} == {"R-A"}
    assert {n.code for n in needs_unmatched(users["cadre_a"])} == {"N-A2"}
    assert {r.code for r in resources_idle(users["street"])} == {"R-A", "R-S", "R-B"}


def test_a_street_resource_serves_its_communities_not_the_reverse(lists, users):
    project_match(
        actor=users["street"],
        need=lists["need_a2"],
        resource=lists["res_street"],
        code="P-2",
        title="供电公司义务检修",
    )
    with pytest.raises(ValidationError) as exc:
        project_match(
            actor=users["street"],
            need=lists["need_b"],
            resource=lists["res_a"],
            code="P-3",
            title="跨社区",
        )
    assert "resource" in exc.value.message_dict


def test_match_outside_scope_refused(lists, users):
    with pytest.raises(ValidationError, match="对象不存在"):
        project_match(
            actor=users["cadre_a"],
            need=lists["need_b"],
            resource=lists["res_b"],
            code="P-4",
            title="越权",
        )


def test_api_unmatched_and_idle(lists, users, api):
    client = api(users["cadre_b"])
    assert [r["code"] for r in client.get("/api/v1/needs/unmatched/").json()["results"]] == ["N-B"]
    assert [r["code"] for r in client.get("/api/v1/resources/idle/").json()["results"]] == ["R-B"]
    created = client.post(
        "/api/v1/matched-projects/",
        {"code": "P-API", "need": "N-B", "resource": "R-B", "title": "义诊进社区"},
        format="json",
    )
    assert created.status_code == 201, created.content
    assert created.json()["organization"] == "B"
    assert client.get("/api/v1/needs/unmatched/").json()["results"] == []
