"""Admin: lists scoped, workflow actions, roll-up from the admin with its progress page."""

from decimal import Decimal

import pytest
from django.urls import reverse

from governance.assessment.models import AdmissionRequest, RollupRun
from governance.assessment.services import score_enter
from tests.assessment.factories import AdmissionRequestFactory


@pytest.fixture
def requests_ab(tree):
    return {
        "a": AdmissionRequestFactory(code="ZR-A", community=tree["community_a"], funds=0),
        "b": AdmissionRequestFactory(code="ZR-B", community=tree["community_b"]),
    }


def test_admission_changelist_is_scoped(admin_client_for, users, requests_ab):
    client = admin_client_for(users["cadre_a"])
    page = client.get(reverse("admin:assessment_admissionrequest_changelist"))
    assert page.status_code == 200
    assert "ZR-A" in page.content.decode() and "ZR-B" not in page.content.decode()
    other = reverse("admin:assessment_admissionrequest_change", args=[requests_ab["b"].pk])
    assert client.get(other).status_code == 404


def test_community_refusal_is_one_click(admin_client_for, users, requests_ab):
    client = admin_client_for(users["cadre_a"])
    client.post(
        reverse("admin:assessment_admissionrequest_changelist"),
        {"action": "community_refuse", "_selected_action": [requests_ab["a"].pk]},
    )
    assert AdmissionRequest.objects.get(code="ZR-A").status == "community_refused"


def test_street_refusal_asks_for_a_reason(admin_client_for, users, requests_ab):
    client = admin_client_for(users["street"])
    url = reverse("admin:assessment_admissionrequest_changelist")
    pk = requests_ab["b"].pk
    page = client.post(url, {"action": "refuse", "_selected_action": [pk]})
    assert "理由（必填）" in page.content.decode()
    client.post(
        url, {"action": "refuse", "_selected_action": [pk], "apply": "1", "reason": "无法定依据"}
    )
    b = AdmissionRequest.objects.get(pk=pk)
    assert b.status == "refused" and b.decision_reason == "无法定依据"


def test_rollup_from_admin_shows_progress(
    admin_client_for, users, tree, indicator_set, assessment, django_capture_on_commit_callbacks
):
    score_enter(
        actor=users["street"],
        assessment=assessment,
        organization=tree["community_a"],
        indicator=indicator_set["a"],
        value=Decimal("7"),
    )
    client = admin_client_for(users["street"])
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("admin:assessment_assessment_changelist"),
            {"action": "rollup", "_selected_action": [assessment.pk]},
        )
    run = RollupRun.objects.get()
    assert response.url == reverse("admin:assessment_rolluprun_change", args=[run.pk])
    page = client.get(response.url).content.decode()
    assert "100%" in page and "查看考核结果与排名" in page and 'http-equiv="refresh"' not in page
    results = client.get(reverse("admin:assessment_result_changelist")).content.decode()
    assert "园林社区大党委" in results


def test_running_rollup_page_refreshes(admin_client_for, users, assessment):
    run = RollupRun.objects.create(assessment=assessment, status="running", progress=40)
    page = (
        admin_client_for(users["street"])
        .get(reverse("admin:assessment_rolluprun_change", args=[run.pk]))
        .content.decode()
    )
    assert 'http-equiv="refresh"' in page and "40%" in page


@pytest.mark.parametrize(
    "name",
    [
        "worklistversion",
        "workitem",
        "admissionrequest",
        "indicatorset",
        "indicator",
        "assessment",
        "score",
        "satisfactiontally",
        "result",
        "rolluprun",
    ],
)
def test_changelists_render(admin_client_for, users, name):
    page = admin_client_for(users["street"]).get(reverse(f"admin:assessment_{name}_changelist"))
    assert page.status_code == 200
