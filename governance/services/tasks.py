"""Tasks (派单): dispatch, the assignee's accept/reject/progress/complete, two-way evaluation."""

from __future__ import annotations

import uuid
from datetime import date

from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models, transaction
from django.utils import timezone

from core.events import emit
from core.links import check_links, check_target, derived
from core.scope import in_scope, require_in_scope
from core.services import audit
from governance.choices import EvaluationSide, TaskStatus
from governance.models import Evaluation, Resolution, Task, TaskProgress
from governance.references import (
    ASSIGNEE_MODELS,
    HOURS_ASSIGNEES,
    PERSON_ASSIGNEES,
    SOURCE_MODELS,
    anchor_organization,
    check_allowed,
    desk_person,
)
from organizations.services.service_hours import (
    check_serves_community,
    credit_service_hours,
    parse_service_hours,
)


def _source_organization(source):
    if isinstance(source, Resolution):
        return source.meeting.series.body
    return anchor_organization(source)


def _task_code(source) -> str:
    if isinstance(source, Resolution):
        return f"{source.code}-T{source.tasks.count() + 1}"
    return f"T{timezone.localdate():%Y%m%d}-{uuid.uuid4().hex[:8].upper()}"


@transaction.atomic
def task_dispatch(
    *,
    actor,
    title: str,
    assignee: models.Model,
    deadline: date,
    description: str = "",
    source: models.Model | None = None,
    organization=None,
) -> Task:
    """Dispatch a task to a grid, body, unit, team or person inside the actor's scope."""
    check_allowed(assignee, ASSIGNEE_MODELS, "assignee")
    check_allowed(source, SOURCE_MODELS, "source")
    # The generic references go through core.links like the foreign keys: out of reach answers
    # exactly like an unknown record (the API resolves them with ``resolve_visible`` already).
    check_target(actor=actor, obj=assignee, field="assignee")
    check_target(actor=actor, obj=source, field="source")
    if organization is None:
        organization = _source_organization(source) if source is not None else None
    if organization is None:
        raise ValidationError({"organization": "请指定派单组织。"})
    require_in_scope(actor, organization)
    if getattr(assignee, "pk", None) == actor.pk and assignee._meta.label == actor._meta.label:
        raise ValidationError({"assignee": "派单人不能把派单派给自己。"})
    if assignee._meta.label_lower in HOURS_ASSIGNEES:
        # 社区吹哨、党员报到: the member registered with / the cadre sent down to this community.
        check_serves_community(assignee, organization, field="assignee")
        if desk_person(actor) == (assignee._meta.label_lower, assignee.pk):
            raise ValidationError({"assignee": "派单人不能把派单派给自己。"})
    assignee_org = anchor_organization(assignee)
    task = Task(
        code=_task_code(source),
        title=title,
        description=description,
        organization=organization,
        assigned_by=actor,
        source_type=ContentType.objects.get_for_model(source) if source is not None else None,
        source_id=source.pk if source is not None else None,
        source_label=str(source)[:200] if source is not None else "",
        assignee_type=ContentType.objects.get_for_model(assignee),
        assignee_id=assignee.pk,
        assignee_label=str(assignee)[:200],
        assignee_organization=assignee_org,
        deadline=deadline,
    )
    check_links(actor=actor, instance=task)
    task.full_clean()
    task.save()
    audit(
        actor=actor,
        action="task.dispatch",
        target=task,
        organization=organization,
        detail={"assignee": task.assignee_label, "deadline": deadline.isoformat()},
    )
    emit("task.dispatch", organization=organization, instance=task)
    return task


def _assignee_label(task: Task) -> str:
    return f"{task.assignee_type.app_label}.{task.assignee_type.model}"


def _assignee_is_person(task: Task) -> bool:
    """Dispatched to one person: a user, or a member / cadre acting through a desk account."""
    return _assignee_label(task) in PERSON_ASSIGNEES


def _is_the_person(actor, task: Task) -> bool:
    label = _assignee_label(task)
    if label == "auth.user":
        return task.assignee_id == actor.pk
    return desk_person(actor) == (label, task.assignee_id)


def is_assigner_side(actor, task: Task) -> bool:
    """The dispatching body's people — never the person the task was dispatched to."""
    if _assignee_is_person(task) and _is_the_person(actor, task):
        return False
    return in_scope(actor, task.organization)


def is_assignee_side(actor, task: Task) -> bool:
    """Who accepts, reports, completes and rates the request (上考下评: judged fairly).

    Never the dispatcher; for a task dispatched to a person, only that person; otherwise the
    people whose scope reaches the assignee's place in the tree *without* going through the
    dispatching body (a street cadre is in scope of every community below, but when the street
    dispatched the task to a community, the street is the assigner side, not the assignee). A
    task dispatched inside one node (assignee place = dispatching body) is done by that node's
    people other than the dispatcher."""
    if actor.pk == task.assigned_by_id:
        return False
    if _assignee_is_person(task):
        return _is_the_person(actor, task)
    if actor.is_superuser:
        return True
    if task.assignee_organization_id is None or not in_scope(actor, task.assignee_organization):
        return False
    if task.assignee_organization_id != task.organization_id and in_scope(actor, task.organization):
        return False
    return True


def _not_dispatcher_side(actor, task: Task, verb: str) -> None:
    if actor.pk == task.assigned_by_id:
        raise PermissionDenied(f"派单人不能以承办方身份{verb}。")
    if (
        not _assignee_is_person(task)
        and not actor.is_superuser
        and task.assignee_organization_id != task.organization_id
        and in_scope(actor, task.organization)
        and in_scope(actor, task.assignee_organization)
    ):
        raise PermissionDenied(f"派单方不能以承办方身份{verb}。")


def _locked(task: Task) -> Task:
    return (
        Task.objects.select_for_update(of=("self",))
        .select_related("organization", "assignee_organization", "assignee_type")
        .get(pk=task.pk)
    )


def _step(actor, task: Task, allowed: set[str], verb: str) -> Task:
    task = _locked(task)
    if not is_assignee_side(actor, task):
        _not_dispatcher_side(actor, task, verb)
        raise PermissionDenied(f"只有承办方可以{verb}。")
    if task.status not in allowed:
        raise ValidationError(f"派单状态为“{task.get_status_display()}”，不能{verb}。")
    return task


def _finish(actor, task: Task, action: str, fields: list[str], detail=None) -> Task:
    task.full_clean()
    task.save(update_fields=[*fields, "updated_at"])
    audit(actor=actor, action=action, target=task, organization=task.organization, detail=detail)
    emit(action, instance=task)
    return task


@transaction.atomic
def task_accept(*, actor, task: Task) -> Task:
    task = _step(actor, task, {TaskStatus.DISPATCHED}, "接单")
    task.status = TaskStatus.ACCEPTED
    task.accepted_at = timezone.now()
    return _finish(actor, task, "task.accept", ["status", "accepted_at"])


@transaction.atomic
def task_reject(*, actor, task: Task, reason: str) -> Task:
    task = _step(actor, task, {TaskStatus.DISPATCHED, TaskStatus.ACCEPTED}, "退回")
    task.status = TaskStatus.REJECTED
    task.reject_reason = (reason or "").strip()
    return _finish(actor, task, "task.reject", ["status", "reject_reason"], {"reason": reason})


@transaction.atomic
def task_progress(*, actor, task: Task, note: str) -> TaskProgress:
    task = _step(actor, task, {TaskStatus.ACCEPTED, TaskStatus.IN_PROGRESS}, "填写进展")
    progress = derived(TaskProgress(task=task, author=actor, note=note), "task")
    progress.full_clean()
    progress.save()
    task.status = TaskStatus.IN_PROGRESS
    _finish(actor, task, "task.progress", ["status"], {"note": note[:200]})
    return progress


@transaction.atomic
def task_complete(*, actor, task: Task, note: str = "", hours=None) -> Task:
    """办结. A task dispatched to a registered member or a sent-down cadre (社区吹哨、党员报到)
    is completed by that person with ``hours`` of service (0.5–24), credited once — the task
    can be completed once — as a ``MemberActivity`` of the member's 双报到 registration (for a
    cadre, the registration of the member the cadre is, if any)."""
    task = _step(actor, task, {TaskStatus.ACCEPTED, TaskStatus.IN_PROGRESS}, "办结")
    credits = _assignee_label(task) in HOURS_ASSIGNEES
    if not credits and hours not in (None, ""):
        raise ValidationError({"hours": ["只有派给双报到党员或下沉干部的派单记录服务时长。"]})
    value = parse_service_hours(hours) if credits else None
    if note:
        progress = derived(TaskProgress(task=task, author=actor, note=note), "task")
        progress.full_clean()
        progress.save()
    task.status = TaskStatus.DONE
    task.done_at = timezone.now()
    detail = None
    if credits:
        activity = credit_service_hours(
            actor=actor,
            person=task.assignee,
            hours=value,
            content=f"社区派单 {task.code}：{task.title}" + (f"（{note}）" if note else ""),
            detail={"task": task.code},
        )
        detail = {"hours": str(value), "activity": activity.code if activity else ""}
    return _finish(actor, task, "task.complete", ["status", "done_at"], detail)


@transaction.atomic
def task_evaluate(*, actor, task: Task, side: str, rating: int, comment: str = "") -> Evaluation:
    """Two-way evaluation after completion: the assigner's rating closes the task."""
    task = _locked(task)
    if side == EvaluationSide.ASSIGNER:
        if not is_assigner_side(actor, task):
            raise PermissionDenied("只有派单方可以评价办理质量。")
    elif side == EvaluationSide.ASSIGNEE:
        if not is_assignee_side(actor, task):
            _not_dispatcher_side(actor, task, "评价派单")
            raise PermissionDenied("只有承办方可以评价派单的清晰度与支持。")
    else:
        raise ValidationError({"side": "评价方只能是 assigner 或 assignee。"})
    if task.status not in (TaskStatus.DONE, TaskStatus.EVALUATED):
        raise ValidationError(f"派单状态为“{task.get_status_display()}”，办结后才能评价。")
    if task.evaluations.filter(side=side).exists():
        raise ValidationError({"side": "这一方已经评价过了。"})
    evaluation = Evaluation(task=task, side=side, rating=rating, comment=comment, author=actor)
    derived(evaluation, "task")  # the task the actor is a side of (checked above)
    evaluation.full_clean()
    evaluation.save()
    fields: list[str] = []
    if side == EvaluationSide.ASSIGNER:
        task.status = TaskStatus.EVALUATED
        task.evaluated_at = timezone.now()
        fields = ["status", "evaluated_at"]
    _finish(actor, task, "task.evaluate", fields, {"side": side, "rating": rating})
    return evaluation
