"""上考下评, judged fairly: the dispatcher is never the assignee side; both evaluations in the API."""

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from core.roles import STREET_ADMIN
from governance.models import Evaluation, Task
from governance.services import (
    task_accept,
    task_complete,
    task_dispatch,
    task_evaluate,
    task_progress,
    task_reject,
)
from tests.conftest import make_user

pytestmark = pytest.mark.django_db
DEADLINE = dt.date(2024, 4, 30)


@pytest.fixture
def street_task(users, tree):
    return task_dispatch(
        actor=users["street"],
        organization=tree["street"],
        title="背街小巷整治",
        assignee=tree["community_a"],
        deadline=DEADLINE,
    )


def test_the_dispatcher_cannot_dispatch_to_themselves(users, tree):
    with pytest.raises(ValidationError) as exc:
        task_dispatch(
            actor=users["street"],
            organization=tree["street"],
            title="自己派给自己",
            assignee=users["street"],
            deadline=DEADLINE,
        )
    assert exc.value.message_dict == {"assignee": ["派单人不能把派单派给自己。"]}
    assert not Task.objects.exists()


@pytest.mark.parametrize(
    "step",
    [
        lambda actor, task: task_accept(actor=actor, task=task),
        lambda actor, task: task_reject(actor=actor, task=task, reason="x"),
    ],
    ids=["accept", "reject"],
)
def test_the_dispatcher_and_the_dispatching_body_cannot_act_as_the_assignee(
    street_task, users, tree, step
):
    with pytest.raises(PermissionDenied, match="派单人不能以承办方身份"):
        step(users["street"], street_task)
    colleague = make_user("street2", role=STREET_ADMIN, scope=[tree["street"]])
    with pytest.raises(PermissionDenied, match="派单方不能以承办方身份"):
        step(colleague, street_task)
    street_task.refresh_from_db()
    assert street_task.status == "dispatched"


def test_the_dispatcher_cannot_rate_on_the_assignee_side(street_task, users):
    task_accept(actor=users["cadre_a"], task=street_task)
    task_progress(actor=users["cadre_a"], task=street_task, note="已清理")
    task_complete(actor=users["cadre_a"], task=street_task)
    with pytest.raises(PermissionDenied, match="派单人不能以承办方身份评价派单"):
        task_evaluate(actor=users["street"], task=street_task, side="assignee", rating=5)
    with pytest.raises(PermissionDenied):  # and the assignee cannot rate its own work
        task_evaluate(actor=users["cadre_a"], task=street_task, side="assigner", rating=5)
    assert not Evaluation.objects.exists()
    task_evaluate(actor=users["cadre_a"], task=street_task, side="assignee", rating=2)
    task_evaluate(actor=users["street"], task=street_task, side="assigner", rating=4)
    assert dict(Evaluation.objects.values_list("side", "author__username")) == {
        "assignee": "cadre_a",
        "assigner": "street",
    }


def test_a_person_dispatched_to_is_the_only_assignee_and_never_rates_the_work(users, tree):
    task = task_dispatch(
        actor=users["street"],
        organization=tree["street"],
        title="走访独居老人",
        assignee=users["grid_a"],
        deadline=DEADLINE,
    )
    with pytest.raises(PermissionDenied):
        task_accept(actor=users["cadre_a"], task=task)  # the person's community is not them
    task_accept(actor=users["grid_a"], task=task)
    task_complete(actor=users["grid_a"], task=task)
    with pytest.raises(PermissionDenied):
        task_evaluate(actor=users["grid_a"], task=task, side="assigner", rating=5)


def test_both_evaluations_are_in_the_task_api(street_task, users, api):
    cadre = api(users["cadre_a"])
    street = api(users["street"])
    url = f"/api/v1/tasks/{street_task.code}/"
    assert street.post(url + "accept/", {}, format="json").status_code == 403
    for step in ("accept", "complete"):
        assert cadre.post(url + f"{step}/", {}, format="json").status_code == 200
    response = street.post(url + "evaluate/", {"side": "assignee", "rating": 5}, format="json")
    assert response.status_code == 403
    assert "派单人不能以承办方身份评价派单" in str(response.json())
    cadre.post(url + "evaluate/", {"side": "assignee", "rating": 3, "comment": "要求不够具体"})
    street.post(url + "evaluate/", {"side": "assigner", "rating": 5, "comment": "按期完成"})
    for client in (cadre, street):
        data = client.get(url).json()
        assert data["status"] == "evaluated"
        assert [
            (e["side"], e["side_display"], e["rating"], e["comment"]) for e in data["evaluations"]
        ] == [
            ("assignee", "承办方评价派单清晰度与支持", 3, "要求不够具体"),
            ("assigner", "派单方评价办理质量", 5, "按期完成"),
        ]
        listed = client.get("/api/v1/tasks/").json()["results"][0]
        assert len(listed["evaluations"]) == 2
