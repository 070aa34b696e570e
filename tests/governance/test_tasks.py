import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from core.models import AuditLog
from governance.models import Evaluation, Task
from governance.services import (
    resolution_pass,
    task_accept,
    task_complete,
    task_dispatch,
    task_evaluate,
    task_progress,
    task_reject,
)

pytestmark = pytest.mark.django_db
DEADLINE = dt.date(2024, 4, 30)


@pytest.fixture
def resolution(held_meeting, users):
    return resolution_pass(
        actor=users["cadre_a"], meeting=held_meeting, kind="deliver", title="修缮健身器材"
    )


@pytest.fixture
def task(resolution, users, tree):
    return task_dispatch(
        actor=users["cadre_a"],
        title="更换健身器材",
        source=resolution,
        assignee=tree["branch_a"],
        deadline=DEADLINE,
    )


def actions():
    return list(
        AuditLog.objects.filter(action__startswith="task.")
        .order_by("id")
        .values_list("action", flat=True)
    )


def test_resolution_becomes_a_task_of_the_meeting_body(task, resolution, tree):
    assert task.organization == tree["community_a"]
    assert task.source == resolution
    assert task.code == f"{resolution.code}-T1"
    assert task.assignee_organization == tree["branch_a"]
    assert task.status == "dispatched"
    assert list(resolution.tasks.all()) == [task]
    assert actions() == ["task.dispatch"]


def test_full_state_machine_with_two_way_evaluation(task, users, branch_a_user):
    user = branch_a_user
    task_accept(actor=user, task=task)
    task_progress(actor=user, task=task, note="已联系厂家")
    task_complete(actor=user, task=task, note="已更换")
    task.refresh_from_db()
    assert task.status == "done" and task.done_at and task.accepted_at
    assert task.progress_notes.count() == 2
    task_evaluate(actor=user, task=task, side="assignee", rating=4, comment="要求清楚")
    task.refresh_from_db()
    assert task.status == "done"
    task_evaluate(actor=users["cadre_a"], task=task, side="assigner", rating=5)
    task.refresh_from_db()
    assert task.status == "evaluated"
    assert sorted(task.evaluations.values_list("side", "rating")) == [
        ("assignee", 4),
        ("assigner", 5),
    ]
    assert actions() == [
        "task.dispatch",
        "task.accept",
        "task.progress",
        "task.complete",
        "task.evaluate",
        "task.evaluate",
    ]
    with pytest.raises(ValidationError):
        task_evaluate(actor=users["cadre_a"], task=task, side="assigner", rating=3)


@pytest.mark.parametrize("step", ["accept", "progress", "complete", "dispatched"])
def test_evaluation_before_completion_is_refused(task, users, step, branch_a_user):
    user = branch_a_user
    if step != "dispatched":
        task_accept(actor=user, task=task)
    if step in ("progress", "complete"):
        task_progress(actor=user, task=task, note="在办")
    for side, who in (("assigner", users["cadre_a"]), ("assignee", user)):
        with pytest.raises(ValidationError) as exc:
            task_evaluate(actor=who, task=task, side=side, rating=5)
        assert "办结后才能评价" in str(exc.value)
    assert Evaluation.objects.count() == 0
    assert "task.evaluate" not in actions()


def test_rating_out_of_range_is_refused(task, users, branch_a_user):
    task_accept(actor=branch_a_user, task=task)
    task_complete(actor=branch_a_user, task=task)
    with pytest.raises(ValidationError):
        task_evaluate(actor=users["cadre_a"], task=task, side="assigner", rating=6)
    assert Evaluation.objects.count() == 0


def test_reject_needs_a_reason_and_ends_the_task(task, users, branch_a_user):
    user = branch_a_user
    with pytest.raises(ValidationError):
        task_reject(actor=user, task=task, reason="  ")
    task.refresh_from_db()
    assert task.status == "dispatched"
    task_reject(actor=user, task=task, reason="不属于本支部职责")
    task.refresh_from_db()
    assert task.status == "rejected" and task.reject_reason == "不属于本支部职责"
    with pytest.raises(ValidationError):
        task_accept(actor=user, task=task)
    with pytest.raises(ValidationError):
        task_complete(actor=user, task=task)


def test_illegal_transitions(task, users, branch_a_user):
    with pytest.raises(ValidationError):
        task_complete(actor=branch_a_user, task=task)  # not accepted yet
    with pytest.raises(ValidationError):
        task_progress(actor=branch_a_user, task=task, note="x")
    task_accept(actor=branch_a_user, task=task)
    with pytest.raises(ValidationError):
        task_accept(actor=branch_a_user, task=task)


def test_task_assigned_outside_the_assigners_scope_is_refused(resolution, users, tree):
    with pytest.raises(ValidationError) as exc:
        task_dispatch(
            actor=users["cadre_a"],
            title="越权派单",
            source=resolution,
            assignee=tree["community_b"],
            deadline=DEADLINE,
        )
    # Out of reach answers like an unknown assignee, naming nobody (core.links).
    assert exc.value.message_dict == {"assignee": ["对象不存在。"]}
    with pytest.raises(ValidationError):
        task_dispatch(
            actor=users["cadre_a"],
            title="派给别社区的人",
            source=resolution,
            assignee=users["cadre_b"],
            deadline=DEADLINE,
        )
    assert Task.objects.count() == 0
    assert actions() == []


def test_cadre_cannot_dispatch_from_another_communitys_resolution(resolution, users, tree):
    with pytest.raises(ValidationError, match="对象不存在"):
        task_dispatch(
            actor=users["cadre_b"],
            title="x",
            source=resolution,
            assignee=tree["community_b"],
            deadline=DEADLINE,
        )
    assert Task.objects.count() == 0


def test_assignee_must_be_an_allowed_model(resolution, users):
    with pytest.raises(ValidationError) as exc:
        task_dispatch(
            actor=users["cadre_a"],
            title="x",
            source=resolution,
            assignee=resolution,
            deadline=DEADLINE,
        )
    assert "不能选择" in str(exc.value)


def test_person_as_assignee_acts_on_their_own_task(users, tree):
    task = task_dispatch(
        actor=users["street"],
        organization=tree["street"],
        title="走访独居老人",
        assignee=users["grid_a"],
        deadline=DEADLINE,
    )
    assert task.assignee_organization == tree["community_a"]
    task_accept(actor=users["grid_a"], task=task)
    with pytest.raises(PermissionDenied):
        task_complete(actor=users["cadre_b"], task=task)


def test_only_the_assignee_side_works_and_only_the_assigner_rates_the_work(users, tree):
    task = task_dispatch(
        actor=users["street"],
        organization=tree["street"],
        title="垃圾分类宣传",
        assignee=tree["community_a"],
        deadline=DEADLINE,
    )
    with pytest.raises(PermissionDenied):
        task_accept(actor=users["cadre_b"], task=task)
    task_accept(actor=users["cadre_a"], task=task)
    task_complete(actor=users["cadre_a"], task=task)
    with pytest.raises(PermissionDenied):
        task_evaluate(actor=users["cadre_a"], task=task, side="assigner", rating=5)
    with pytest.raises(PermissionDenied):
        task_evaluate(actor=users["cadre_b"], task=task, side="assignee", rating=5)
    task_evaluate(actor=users["street"], task=task, side="assigner", rating=3, comment="较好")
    task_evaluate(actor=users["cadre_a"], task=task, side="assignee", rating=5)
    task.refresh_from_db()
    assert task.status == "evaluated"


def test_task_visibility_covers_both_sides(users, tree):
    task = task_dispatch(
        actor=users["street"],
        organization=tree["street"],
        title="街道派给A",
        assignee=tree["community_a"],
        deadline=DEADLINE,
    )
    assert list(Task.objects.visible_to(users["cadre_a"])) == [task]
    assert list(Task.objects.visible_to(users["cadre_b"])) == []
    assert list(Task.objects.visible_to(users["street"])) == [task]
