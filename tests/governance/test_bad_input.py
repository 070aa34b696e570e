"""Requests that used to answer 500 (issue 15): each now gets a clear 4xx or works."""

import pytest

from governance.models import Task

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("source_type", ["case", "resolution", "admission_request"])
def test_task_with_an_unknown_source_is_a_400_not_a_500(users, api, source_type):
    response = api(users["street"]).post(
        "/api/v1/tasks/",
        {
            "title": "核查",
            "organization": "A",
            "assignee": {"type": "organization", "code": "A"},
            "source": {"type": source_type, "code": "NO-SUCH"},
            "deadline": "2030-05-01",
        },
        format="json",
    )
    assert response.status_code == 400, response.content
    assert Task.objects.count() == 0


def test_task_from_a_case_names_it_by_tracking_code(users, api, tree):
    from grids.services.cases import case_report

    case = case_report(
        actor=users["street"],
        source="desk",
        reporter_name="王大妈",
        reporter_phone="13800001234",
        category="environment",
        description="楼道堆物",
        community=tree["community_a"],
    )
    response = api(users["street"]).post(
        "/api/v1/tasks/",
        {
            "title": "核查",
            "organization": "A",
            "assignee": {"type": "organization", "code": "A"},
            "source": {"type": "case", "code": case.tracking_code},
            "deadline": "2030-05-01",
        },
        format="json",
    )
    assert response.status_code == 201, response.content
    assert Task.objects.get().source_id == case.pk
