"""The case (民情诉求) workflow: report → accept (三事分办) → dispatch → resolve → evaluate,
with reopening by the resident. Every step checks the transition and the actor's scope, and
writes a CaseEvent (the case's own history) and an AuditLog row in the same transaction.

For the resident portal: ``case_report(actor=None, source="portal", …)``, then
``case_track(tracking_code=…, phone_last4=…)``; ``case_evaluate`` / ``case_reopen`` with
``actor=None`` need ``phone_last4`` of the reporter's phone.
"""

from __future__ import annotations

import hmac
from collections.abc import Iterable
from datetime import timedelta

from django.apps import apps
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import File
from django.db import models, transaction
from django.http import Http404
from django.utils import timezone

from core.events import emit
from core.links import (
    NOT_FOUND,
    LinkScope,
    check_links,
    check_target,
    derived,
    linkable_targets,
)
from core.masking import mask_name
from core.photos import photo_problems
from core.scope import in_scope, require_in_scope
from core.services import audit
from core.validators import normalize_phone
from grids.choices import (
    DEPARTMENT_MAX_EXTENSION_DAYS,
    DEPARTMENT_MAX_EXTENSIONS,
    DISPATCH_TARGET_MODELS,
    REOPEN_WINDOW_DAYS,
    RESOLUTION_LEVEL_BY_DISPATCH,
    TRIAGE_DISPATCH_KINDS,
    CaseAction,
    CaseSource,
    CaseStatus,
    DispatchKind,
    Triage,
    case_deadline,
    department_deadlines,
)
from grids.models import Building, Case, CaseEvent, CasePhoto, Grid, Household, Resident
from grids.models.cases import (
    desk_account_of,
    new_tracking_code,
    reporter_phone_matches,
    tracking_input,
)
from grids.services.notices import notices_for_step
from organizations.services.service_hours import (
    check_serves_community,
    credit_service_hours,
    parse_service_hours,
)

S = CaseStatus
# action → (statuses it may start from, status it leads to)
TRANSITIONS: dict[str, tuple[tuple[str, ...], str]] = {
    CaseAction.ACCEPT: ((S.REPORTED,), S.ACCEPTED),
    CaseAction.DISPATCH: ((S.ACCEPTED, S.DISPATCHED), S.DISPATCHED),
    CaseAction.ACKNOWLEDGE: ((S.DISPATCHED,), S.DISPATCHED),
    CaseAction.RESOLVE: ((S.DISPATCHED,), S.RESOLVED),
    CaseAction.EVALUATE: ((S.RESOLVED,), S.EVALUATED),
    # Within REOPEN_WINDOW_DAYS of the resolution, rated or not (a 1★ rating may lead to it).
    CaseAction.REOPEN: ((S.RESOLVED, S.EVALUATED), S.DISPATCHED),
    # a change of 三事分办 keeps the status; the next dispatch follows the new triage
    CaseAction.RETRIAGE: ((S.ACCEPTED, S.DISPATCHED), S.ACCEPTED),
    # 吹哨报到: the department asks for more time, or returns the case to the community's desk
    CaseAction.EXTEND: ((S.DISPATCHED,), S.DISPATCHED),
    CaseAction.RETURN: ((S.DISPATCHED,), S.ACCEPTED),
    CaseAction.ESCALATE: ((S.DISPATCHED,), S.DISPATCHED),
}
STAFF_SOURCES = (CaseSource.PATROL, CaseSource.VISIT, CaseSource.DESK)


def actor_display(actor) -> str:
    if actor is None or not getattr(actor, "pk", None):
        return ""
    from core.users import user_full_name_or_display

    return user_full_name_or_display(actor)


def _record(
    case: Case,
    action: str,
    from_status: str,
    *,
    actor,
    actor_name: str = "",
    note: str = "",
    detail: dict | None = None,
) -> CaseEvent:
    event = CaseEvent.objects.create(
        case=case,
        action=action,
        from_status=from_status,
        to_status=case.status,
        actor=actor if getattr(actor, "pk", None) else None,
        actor_name=(actor_name or actor_display(actor))[:64],
        note=note,
        detail=detail or {},
    )
    audit(
        actor=actor,
        action=f"case.{action}",
        target=case,
        organization=case.community,
        detail={"from": from_status, "to": case.status, **(detail or {})},
    )
    notices_for_step(case, event)
    emit(f"case.{action}", instance=case)
    return event


def location_of(community, grid, building, household):
    """Fill the location upwards (household → building/grid → community) and check it agrees."""
    if household is not None:
        if grid is not None and household.grid_id != grid.pk:
            raise ValidationError({"household": "户不在所选网格中。"})
        if building is not None and household.building_id != building.pk:
            raise ValidationError({"household": "户不在所选楼栋中。"})
        grid = household.grid
        building = building or household.building
    if building is not None:
        if grid is not None and building.grid_id != grid.pk:
            raise ValidationError({"building": "楼栋不在所选网格中。"})
        grid = grid or building.grid
    if grid is not None:
        if community is not None and grid.community_id != community.pk:
            raise ValidationError({"grid": "网格不属于所选社区。"})
        community = grid.community
    if community is None:
        raise ValidationError({"grid": "请至少指明所在社区、网格、楼栋或户之一。"})
    return community, grid, building, household


@transaction.atomic
def case_report(
    *,
    actor=None,
    source: str,
    reporter_name: str,
    reporter_phone: str,
    category: str,
    description: str,
    community=None,
    grid: Grid | None = None,
    building: Building | None = None,
    household: Household | None = None,
    location: str = "",
    reporter_resident: Resident | None = None,
    photos: Iterable[File] = (),
    same_problem_as: Case | None = None,
) -> Case:
    """File a new case. Staff sources (patrol, visit, desk) need an actor whose scope holds the
    place; the portal files with ``actor=None``. Returns the case with its tracking code.
    ``same_problem_as``: the first report of the same problem by someone else (the portal's
    duplicate check); the new case keeps its own code and reporter, linked to the first one."""
    if source not in CaseSource.values:
        raise ValidationError({"source": f"来源“{source}”无效。"})
    staff = getattr(actor, "pk", None) is not None
    if source in STAFF_SOURCES and not staff:
        raise PermissionDenied("巡查、走访和窗口代填的诉求必须由工作人员登记。")
    community, grid, building, household = location_of(community, grid, building, household)
    now = timezone.now()
    case = Case(
        source=source,
        category=category,
        description=(description or "").strip(),
        reporter_name=(reporter_name or "").strip(),
        reporter_phone=normalize_phone(reporter_phone),
        reporter_resident=reporter_resident,
        community=community,
        grid=grid,
        building=building,
        household=household,
        location=location,
        reported_by=actor if staff else None,
        same_problem_as=(same_problem_as.same_problem_as or same_problem_as)
        if same_problem_as is not None
        else None,
        reported_at=now,
        due_at=now,
    )
    if staff:  # the place and the resident in the actor's reach (core.links), checked first
        check_links(actor=actor, instance=case)
    else:
        # The portal offers the public places of the installation (portal selectors) and a
        # signed-in resident's own record; no cadre's scope applies.
        derived(case, "community", "grid", "building", "household", "reporter_resident")
    errors = {}
    try:
        case.due_at = now + case_deadline(category)
    except KeyError:
        errors["category"] = [f"类别“{category}”无效。"]
    try:
        case.full_clean(exclude=["due_at"] if errors else None)
    except ValidationError as exc:
        for name, messages in exc.message_dict.items():
            errors.setdefault(name, []).extend(messages)
    if reporter_resident is not None and household is not None:
        if reporter_resident.household_id != household.pk:
            errors.setdefault("reporter_resident", []).append("反映人不是该户居民。")
    photos = list(photos or ())
    problems = photo_problems(photos)
    if problems:
        errors["photos"] = problems
    if errors:
        raise ValidationError(errors)
    while Case.objects.filter(tracking_code=case.tracking_code).exists():
        case.tracking_code = new_tracking_code()
    case.save()
    for upload in photos:
        photo = derived(CasePhoto(case=case, file=upload), "case")
        photo.full_clean(exclude=["case"])
        photo.save()
    name = actor_display(actor) if staff else f"居民 {mask_name(case.reporter_name)}"
    _record(
        case,
        CaseAction.REPORT,
        "",
        actor=actor,
        actor_name=name,
        detail={"source": source},
    )
    return case


def case_file_at_desk(*, actor, **data) -> Case:
    """A cadre at the service-centre desk files a case for a resident who came in person."""
    return case_report(actor=actor, source=CaseSource.DESK, **data)


def _begin(case: Case, action: str) -> tuple[Case, str]:
    """Lock the case row and check that ``action`` may follow its current status."""
    locked = Case.objects.select_for_update().select_related("community").get(pk=case.pk)
    allowed, _ = TRANSITIONS[action]
    if locked.status not in allowed:
        raise ValidationError(
            {
                "status": [
                    f"诉求当前为“{locked.get_status_display()}”，不能执行“{CaseAction(action).label}”"
                    f"（只能在{'、'.join(S(s).label for s in allowed)}时执行）。"
                ]
            }
        )
    return locked, locked.status


def _require_staff(actor, case: Case) -> None:
    if getattr(actor, "pk", None) is None:
        raise PermissionDenied("需要工作人员登录。")
    require_in_scope(actor, case.community, "该诉求不在您的管辖范围内。")


def _finish(case: Case, fields: list[str]) -> None:
    case.full_clean()
    case.save(update_fields=[*fields, "status"])


@transaction.atomic
def case_accept(*, actor, case: Case, triage: str, note: str = "") -> Case:
    """受理并三事分办: 大事 (departments), 小事 (community and grid), 私事 (volunteers, market)."""
    case, before = _begin(case, CaseAction.ACCEPT)
    _require_staff(actor, case)
    if triage not in Triage.values:
        raise ValidationError({"triage": ["请选择大事、小事或私事。"]})
    case.triage = triage
    case.status = S.ACCEPTED
    case.accepted_at = timezone.now()
    _finish(case, ["triage", "accepted_at"])
    _record(case, CaseAction.ACCEPT, before, actor=actor, note=note, detail={"triage": triage})
    return case


@transaction.atomic
def case_retriage(*, actor, case: Case, triage: str, reason: str) -> Case:
    """改变三事分办 (小事 → 大事 and back, or 私事) with a reason kept in the case history. The
    status stays; a dispatched case keeps its handler until it is dispatched again, and that
    dispatch must fit the new triage."""
    case, before = _begin(case, CaseAction.RETRIAGE)
    _require_staff(actor, case)
    if triage not in Triage.values:
        raise ValidationError({"triage": ["请选择大事、小事或私事。"]})
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": ["请说明改变分办的理由。"]})
    if triage == case.triage:
        raise ValidationError({"triage": [f"该诉求已是“{Triage(triage).label}”。"]})
    old = case.triage
    case.triage = triage
    _finish(case, ["triage"])
    _record(
        case,
        CaseAction.RETRIAGE,
        before,
        actor=actor,
        note=reason,
        detail={"from_triage": old, "triage": triage},
    )
    return case


def allowed_dispatch_kinds(triage: str) -> tuple[str, ...]:
    """The dispatch kinds a case of this triage may go to (none before 三事分办)."""
    return TRIAGE_DISPATCH_KINDS.get(triage, ())


def _check_kind_fits_triage(case: Case, kind: str) -> None:
    if not case.triage:
        raise ValidationError({"kind": ["请先三事分办（受理时选择大事、小事或私事）。"]})
    if kind == DispatchKind.DEPARTMENT and case.triage != Triage.MAJOR:
        raise ValidationError({"kind": ["只有“大事”才能吹哨上报政府部门。"]})
    if case.triage == Triage.MAJOR and kind != DispatchKind.DEPARTMENT:
        raise ValidationError({"kind": ["“大事”应吹哨上报政府部门办理。"]})
    allowed = allowed_dispatch_kinds(case.triage)
    if kind not in allowed:
        labels = "、".join(DispatchKind(k).label for k in allowed)
        raise ValidationError(
            {"kind": [f"“{Triage(case.triage).label}”只能派给{labels}；如需改派请先改变分办。"]}
        )


def dispatch_target_model(kind: str) -> type[models.Model] | None:
    """The model a dispatch kind points at, if its app exists in this installation."""
    label = DISPATCH_TARGET_MODELS[kind]
    if label is None:
        return None
    try:
        return apps.get_model(label)
    except LookupError:
        return None


def dispatch_targets(actor, case: Case, kind: str) -> models.QuerySet:
    """The records ``actor`` may pick as the target of ``kind`` for ``case`` (the admin's
    autocomplete): the same rule ``_check_target`` applies — grid workers on duty in the case's
    community; other kinds within the actor's link scope (``core.links``)."""
    model = dispatch_target_model(kind)
    if model is None:
        return Case.objects.none()
    if kind == DispatchKind.GRID_WORKER:
        return model._default_manager.filter(grid__community_id=case.community_id, active=True)
    if kind == DispatchKind.DEPARTMENT:
        return linkable_targets(actor, model, LinkScope.STREET).filter(active=True)
    if kind == DispatchKind.MEMBER:
        return linkable_targets(actor, model, LinkScope.IN_SCOPE).filter(
            community_id=case.community_id
        )
    if kind == DispatchKind.CADRE:
        today = timezone.localdate()
        return (
            linkable_targets(actor, model, LinkScope.IN_SCOPE)
            .filter(community_id=case.community_id, start_date__lte=today)
            .exclude(end_date__lt=today)
        )
    if not hasattr(model, "scope_path"):
        return model._default_manager.none()
    return linkable_targets(actor, model, LinkScope.IN_SCOPE)


def _check_target(actor, case: Case, kind: str, target) -> None:
    model = dispatch_target_model(kind)
    if model is None:
        raise ValidationError(
            {"target": [f"“{DispatchKind(kind).label}”尚未在本系统启用，不能派单。"]}
        )
    if target is None or not isinstance(target, model):
        raise ValidationError({"target": [f"请选择一个{model._meta.verbose_name}作为派单对象。"]})
    # core.links first: a target out of reach answers like an unknown one. A department sits
    # with the street: anyone in the street may whistle to it.
    reach = LinkScope.STREET if kind == DispatchKind.DEPARTMENT else LinkScope.IN_SCOPE
    check_target(actor=actor, obj=target, field="target", kind=reach)
    if kind == DispatchKind.DEPARTMENT and not target.active:
        raise ValidationError({"target": [f"部门“{target.name}”已停用。"]})
    _check_dispatch_person(case, kind, target)
    if kind == DispatchKind.GRID_WORKER:
        if target.grid.community_id != case.community_id or not target.active:
            raise ValidationError({"target": ["只能派给本社区在岗的网格员。"]})


def _check_dispatch_person(case: Case, kind: str, target) -> None:
    """社区吹哨、党员报到: a registered in-service member must be registered (双报到) with the
    case's community; a sent-down cadre must serve there now (shared with governance tasks)."""
    if kind in (DispatchKind.MEMBER, DispatchKind.CADRE):
        check_serves_community(target, case.community)


@transaction.atomic
def case_dispatch(*, actor, case: Case, kind: str, target=None, note: str = "") -> Case:
    """派单 to a grid worker, a community body, a volunteer team, a registered in-service
    member or a sent-down cadre (社区吹哨、党员报到); 大事 are whistled to a department of
    the street (吹哨报到, a ``Department``), which must acknowledge and resolve within the
    deadlines of the case's category (``department_deadlines``)."""
    case, before = _begin(case, CaseAction.DISPATCH)
    _require_staff(actor, case)
    if kind not in DispatchKind.values:
        raise ValidationError({"kind": ["派单对象类型无效。"]})
    _check_kind_fits_triage(case, kind)
    now = timezone.now()
    _check_target(actor, case, kind, target)
    case.target_content_type = ContentType.objects.get_for_model(target)
    case.target_object_id = target.pk
    case.target_label = str(target)[:200]
    case.department = target if kind == DispatchKind.DEPARTMENT else None
    case.registration = target if kind == DispatchKind.MEMBER else None
    case.cadre = target if kind == DispatchKind.CADRE else None
    case.ack_escalated_at = None
    case.due_escalated_at = None
    case.extension_count = 0
    case.acknowledged_at = None
    if kind == DispatchKind.DEPARTMENT:
        ack, resolve = department_deadlines(case.category)
        case.ack_due_at = now + ack
        case.department_due_at = now + resolve
    else:
        case.ack_due_at = None
        case.department_due_at = None
    case.dispatch_kind = kind
    case.status = S.DISPATCHED
    case.dispatched_at = now
    derived(case, "department", "registration", "cadre", "target_content_type")
    _finish(
        case,
        [
            "dispatch_kind",
            "target_content_type",
            "target_object_id",
            "target_label",
            "department",
            "registration",
            "cadre",
            "ack_due_at",
            "department_due_at",
            "acknowledged_at",
            "extension_count",
            "ack_escalated_at",
            "due_escalated_at",
            "dispatched_at",
        ],
    )
    detail = {"kind": kind, "target": case.target_label, "target_code": target.code}
    _record(case, CaseAction.DISPATCH, before, actor=actor, note=note, detail=detail)
    return case


def _require_handler(actor, case: Case, *, staff_may: bool = False) -> None:
    """The department (or member, cadre) the case was dispatched to acts itself. Staff who
    see the case are told who may act (403) — or may act on the person's behalf when
    ``staff_may``; anyone else is answered as for an unknown case (404)."""
    account = desk_account_of(actor)
    if account is not None and (
        (case.department_id and account.department_id == case.department_id)
        or (case.registration_id and account.registration_id == case.registration_id)
        or (case.cadre_id and account.cadre_id == case.cadre_id)
    ):
        return
    if getattr(actor, "pk", None) is None or not in_scope(actor, case.community):
        raise Http404(NOT_FOUND)
    if staff_may:
        return
    raise PermissionDenied(f"只有承办方“{case.target_label}”本身可以办理这一步。")


def _department_case(case: Case) -> None:
    if case.dispatch_kind != DispatchKind.DEPARTMENT or not case.department_id:
        raise ValidationError({"status": ["只有吹哨上报部门的诉求由部门报到、延期或退回。"]})


@transaction.atomic
def case_acknowledge(*, actor, case: Case, note: str = "") -> Case:
    """The department reports in (报到) on a whistled case — by its own account."""
    case, before = _begin(case, CaseAction.ACKNOWLEDGE)
    _require_handler(actor, case)
    _department_case(case)
    if case.acknowledged_at is not None:
        when = timezone.localtime(case.acknowledged_at).strftime("%Y-%m-%d %H:%M")
        raise ValidationError({"status": [f"部门已于 {when} 报到，不能重复报到。"]})
    now = timezone.now()
    case.acknowledged_at = now
    _finish(case, ["acknowledged_at"])
    _record(
        case,
        CaseAction.ACKNOWLEDGE,
        before,
        actor=actor,
        note=note,
        detail={"department": case.department.code, "late": bool(now > case.ack_due_at)},
    )
    return case


@transaction.atomic
def case_extend(*, actor, case: Case, days, reason: str) -> Case:
    """The department asks for more time with a reason: the department's deadline moves by
    ``days`` (1–DEPARTMENT_MAX_EXTENSION_DAYS), at most DEPARTMENT_MAX_EXTENSIONS times."""
    case, before = _begin(case, CaseAction.EXTEND)
    _require_handler(actor, case)
    _department_case(case)
    reason = (reason or "").strip()
    errors = {}
    if not reason:
        errors["reason"] = ["请说明延期理由。"]
    try:
        days = int(days)
    except (TypeError, ValueError):
        days = 0
    if not 1 <= days <= DEPARTMENT_MAX_EXTENSION_DAYS:
        errors["days"] = [f"延期天数应为 1 到 {DEPARTMENT_MAX_EXTENSION_DAYS} 天。"]
    if case.extension_count >= DEPARTMENT_MAX_EXTENSIONS:
        errors["status"] = [f"每件诉求最多延期 {DEPARTMENT_MAX_EXTENSIONS} 次，已用完。"]
    if errors:
        raise ValidationError(errors)
    old = case.department_due_at
    case.department_due_at = old + timedelta(days=days)
    case.extension_count += 1
    if case.acknowledged_at is None:  # asking for time is reporting in
        case.acknowledged_at = timezone.now()
    _finish(case, ["department_due_at", "extension_count", "acknowledged_at"])
    _record(
        case,
        CaseAction.EXTEND,
        before,
        actor=actor,
        note=reason,
        detail={
            "department": case.department.code,
            "days": days,
            "from": old.isoformat(),
            "to": case.department_due_at.isoformat(),
        },
    )
    return case


@transaction.atomic
def case_return(*, actor, case: Case, reason: str) -> Case:
    """The department returns a whistled case to the community's desk with a reason (not its
    remit, wrong department…): the case is 已受理 again and waits for a new dispatch."""
    case, before = _begin(case, CaseAction.RETURN)
    _require_handler(actor, case)
    _department_case(case)
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": ["请说明退回理由。"]})
    department = case.department
    case.status = S.ACCEPTED
    case.dispatch_kind = ""
    case.target_content_type = None
    case.target_object_id = None
    case.target_label = ""
    case.department = None
    case.ack_due_at = None
    case.department_due_at = None
    case.acknowledged_at = None
    _finish(
        case,
        [
            "dispatch_kind",
            "target_content_type",
            "target_object_id",
            "target_label",
            "department",
            "ack_due_at",
            "department_due_at",
            "acknowledged_at",
        ],
    )
    _record(
        case,
        CaseAction.RETURN,
        before,
        actor=actor,
        note=reason,
        detail={"department": department.code, "department_name": department.name},
    )
    return case


@transaction.atomic
def case_resolve(*, actor, case: Case, resolution: str, hours=None) -> Case:
    """办结. A whistled case is resolved by its department; a case dispatched to a registered
    member or a sent-down cadre by that person (or staff in scope on their behalf), and
    ``hours`` of service are then credited to the member's 双报到 activity record."""
    case, before = _begin(case, CaseAction.RESOLVE)
    if case.dispatch_kind == DispatchKind.DEPARTMENT:
        _require_handler(actor, case)
    elif case.dispatch_kind in (DispatchKind.MEMBER, DispatchKind.CADRE):
        _require_handler(actor, case, staff_may=True)
    else:
        _require_staff(actor, case)
    resolution = (resolution or "").strip()
    if not resolution:
        raise ValidationError({"resolution": ["请填写办理结果。"]})
    credited = _credit_hours(actor, case, hours, resolution)
    now = timezone.now()
    case.resolution = resolution
    case.resolved_at = now
    case.resolved_on_time = now <= case.due_at
    case.resolution_level = RESOLUTION_LEVEL_BY_DISPATCH[case.dispatch_kind]
    if case.dispatch_kind == DispatchKind.DEPARTMENT and case.acknowledged_at is None:
        case.acknowledged_at = now
    case.status = S.RESOLVED
    _finish(
        case,
        ["resolution", "resolved_at", "resolved_on_time", "resolution_level", "acknowledged_at"],
    )
    detail = {"on_time": case.resolved_on_time, "level": case.resolution_level}
    if credited is not None:
        detail |= {"hours": str(credited.hours), "activity": credited.code}
    _record(case, CaseAction.RESOLVE, before, actor=actor, detail=detail)
    return case


def _credit_hours(actor, case: Case, hours, resolution: str):
    """社区吹哨、党员报到: the hours go to the registered member's activity record card
    (``organizations.MemberActivity``); for a sent-down cadre, to the registration of the member
    the cadre is, if any. Returns the activity written, or None."""
    if case.dispatch_kind not in (DispatchKind.MEMBER, DispatchKind.CADRE):
        if hours not in (None, ""):
            raise ValidationError({"hours": ["只有派给党员或下沉干部的诉求记录服务时长。"]})
        return None
    return credit_service_hours(
        actor=actor,
        person=case.registration or case.cadre,
        hours=parse_service_hours(hours),
        content=f"社区吹哨派单 {case.tracking_code}：{resolution}",
        detail={"case": case.tracking_code},
    )


@transaction.atomic
def escalate_one(case_id: int, field: str, now=None) -> bool:
    """Mark one overdue whistled case as escalated to the street — exactly once: the row is
    claimed by an UPDATE that only matches while the mark is empty, so two schedulers (or a
    retried task) write one event between them."""
    now = now or timezone.now()
    claimed = Case.objects.filter(pk=case_id, **{f"{field}__isnull": True}).update(**{field: now})
    if not claimed:
        return False
    case = Case.objects.select_related("community", "department").get(pk=case_id)
    what = "报到" if field == "ack_escalated_at" else "办结"
    _record(
        case,
        CaseAction.ESCALATE,
        case.status,
        actor=None,
        actor_name="系统",
        note=f"{case.department.name if case.department else case.target_label}超过{what}时限，已上报街道。",
        detail={"overdue": "acknowledge" if field == "ack_escalated_at" else "resolve"},
    )
    return True


def escalate_overdue(now=None) -> dict:
    """The periodic sweep: every open whistled case past its acknowledgement or resolution
    deadline is marked (``ack_escalated_at`` / ``due_escalated_at``) and gets one 超期上报街道
    step (a notice to the community with it) — each exactly once (``escalate_one``)."""
    from grids.selectors import cases_overdue_for_acknowledgement, cases_overdue_for_department

    now = now or timezone.now()
    counts = {"acknowledge": 0, "resolve": 0}
    sweeps = (
        ("acknowledge", "ack_escalated_at", cases_overdue_for_acknowledgement(now=now)),
        ("resolve", "due_escalated_at", cases_overdue_for_department(now=now)),
    )
    for key, field, qs in sweeps:
        ids = list(qs.filter(**{f"{field}__isnull": True}).values_list("pk", flat=True)[:5000])
        for pk in ids:
            counts[key] += escalate_one(pk, field, now)
    return counts


def _reporter_or_staff(actor, case: Case, phone_last4: str | None) -> str:
    """Either a staff member in scope, or the reporter proving the last four phone digits."""
    if getattr(actor, "pk", None) is not None:
        _require_staff(actor, case)
        return actor_display(actor)
    if not phone_last4 or not hmac.compare_digest(
        str(phone_last4).strip(), case.reporter_phone[-4:]
    ):
        raise PermissionDenied("手机号后四位不正确。")
    return f"居民 {mask_name(case.reporter_name)}"


@transaction.atomic
def case_evaluate(
    *,
    case: Case,
    satisfaction: int,
    comment: str = "",
    actor=None,
    phone_last4: str | None = None,
) -> Case:
    """The resident's satisfaction (1–5) and comment on a resolved case."""
    case, before = _begin(case, CaseAction.EVALUATE)
    name = _reporter_or_staff(actor, case, phone_last4)
    try:
        satisfaction = int(satisfaction)
    except (TypeError, ValueError):
        satisfaction = 0
    if not 1 <= satisfaction <= 5:
        raise ValidationError({"satisfaction": ["满意度应为 1 到 5 分。"]})
    case.satisfaction = satisfaction
    case.evaluation_comment = (comment or "").strip()
    case.evaluated_at = timezone.now()
    case.status = S.EVALUATED
    _finish(case, ["satisfaction", "evaluation_comment", "evaluated_at"])
    _record(
        case,
        CaseAction.EVALUATE,
        before,
        actor=actor,
        actor_name=name,
        note=case.evaluation_comment,
        detail={"satisfaction": satisfaction},
    )
    return case


def reopen_deadline(case: Case):
    """Until when the resident may say a resolved case is not fixed (None: not resolved)."""
    if case.status not in (S.RESOLVED, S.EVALUATED) or case.resolved_at is None:
        return None
    return case.resolved_at + timedelta(days=REOPEN_WINDOW_DAYS)


def can_reopen(case: Case, now=None) -> bool:
    deadline = reopen_deadline(case)
    return deadline is not None and (now or timezone.now()) <= deadline


@transaction.atomic
def case_reopen(
    *,
    case: Case,
    reason: str,
    actor=None,
    phone_last4: str | None = None,
    photos: Iterable[File] = (),
) -> Case:
    """The resident says a resolved case is not fixed (问题没解决): within
    ``REOPEN_WINDOW_DAYS`` of the resolution, rated or not, with a reason and optionally
    photos. The case goes back to its handler with a new deadline; the grid worker and the
    community are notified; ``reopen_count`` feeds the figures. A rating given before is kept
    in the step's detail and cleared, so the resident rates the new result."""
    case, before = _begin(case, CaseAction.REOPEN)
    name = _reporter_or_staff(actor, case, phone_last4)
    now = timezone.now()
    if not can_reopen(case, now):
        raise ValidationError(
            {
                "status": [
                    f"办结已超过 {REOPEN_WINDOW_DAYS} 天，不能再退回重办。"
                    "如果问题还在，请重新反映。"
                ]
            }
        )
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": ["请说明仍未解决的情况。"]})
    if len(reason) > 500:
        raise ValidationError({"reason": ["请不要超过 500 字。"]})
    photos = list(photos or ())
    problems = photo_problems(photos)
    if problems:
        raise ValidationError({"photos": problems})
    detail = {"reopen_count": case.reopen_count + 1}
    if before == S.EVALUATED:
        detail["previous_satisfaction"] = case.satisfaction
    case.reopen_count += 1
    case.resolved_at = None
    case.resolved_on_time = None
    case.resolution_level = ""
    case.satisfaction = None
    case.evaluation_comment = ""
    case.evaluated_at = None
    case.due_at = now + case_deadline(case.category)
    case.status = S.DISPATCHED
    _finish(
        case,
        [
            "reopen_count",
            "resolved_at",
            "resolved_on_time",
            "resolution_level",
            "satisfaction",
            "evaluation_comment",
            "evaluated_at",
            "due_at",
        ],
    )
    for upload in photos:
        photo = derived(CasePhoto(case=case, file=upload), "case")
        photo.full_clean(exclude=["case"])
        photo.save()
    if photos:
        detail["photos"] = len(photos)
    _record(
        case, CaseAction.REOPEN, before, actor=actor, actor_name=name, note=reason, detail=detail
    )
    return case


def case_track(*, tracking_code: str, phone_last4: str) -> Case | None:
    """The reporter's view of a case: the right code AND the last four digits of the phone.

    A wrong code, a wrong phone, or a malformed input all give the same ``None`` (and take the
    same path), so nothing tells whether a code exists for someone else.
    """
    code, digits, well_formed = tracking_input(tracking_code, phone_last4)
    case = (
        Case.objects.select_related("community", "grid").filter(tracking_code=code).first()
        if well_formed
        else None
    )
    matches = reporter_phone_matches(case.reporter_phone if case else None, digits)
    return case if matches else None
