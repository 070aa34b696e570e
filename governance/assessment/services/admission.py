"""准入 workflow: filed → approved / refused by the street, or refused by the community."""

from __future__ import annotations

import logging

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from core.links import check_links
from core.scope import in_scope, require_in_scope
from core.services import audit
from governance.assessment.choices import AdmissionStatus
from governance.assessment.models import AdmissionRequest

log = logging.getLogger(__name__)
COMMUNITY_REFUSAL_REASON = "未经街道准入审批，社区依据《社区工作准入办法》拒绝承接。"


def _locked(request: AdmissionRequest) -> AdmissionRequest:
    return (
        AdmissionRequest.objects.select_for_update(of=("self",))
        .select_related("community__parent")
        .get(pk=request.pk)
    )


@transaction.atomic
def admission_file(*, actor, **data) -> AdmissionRequest:
    """Record a department's request. Missing staff or funds do not block it: it is flagged."""
    request = AdmissionRequest(**data)
    request.status = AdmissionStatus.PENDING
    request.filed_by = actor if getattr(actor, "pk", None) else None
    request.refusable = bool(request.missing_resources)
    check_links(actor=actor, instance=request)  # the community in reach (core.links)
    request.full_clean()
    request.save()
    audit(
        actor=actor,
        action="admission.file",
        target=request,
        organization=request.community,
        detail={"refusable": request.refusable, "missing": request.missing_resources},
    )
    return request


def _require_street(actor, request: AdmissionRequest) -> None:
    """The street decides: the actor must see the community's parent (strictly above it)."""
    street = request.community.parent
    if street is None or not in_scope(actor, street):
        raise PermissionDenied("准入申请由街道审批，您没有审批该社区申请的权限。")


def _decide(*, actor, request, status: str, reason: str, action: str) -> AdmissionRequest:
    request = _locked(request)
    _require_street(actor, request)
    if request.status != AdmissionStatus.PENDING:
        raise ValidationError(f"该申请已处理（{request.get_status_display()}），不能重复审批。")
    request.status = status
    request.decided_by = actor
    request.decided_at = timezone.now()
    request.decision_reason = reason
    request.full_clean()
    request.save()
    audit(
        actor=actor,
        action=action,
        target=request,
        organization=request.community,
        detail={"reason": reason},
    )
    return request


@transaction.atomic
def admission_approve(*, actor, request: AdmissionRequest, reason: str = "") -> AdmissionRequest:
    request = _decide(
        actor=actor,
        request=request,
        status=AdmissionStatus.APPROVED,
        reason=reason.strip() or "同意准入。",
        action="admission.approve",
    )
    _dispatch_task(actor=actor, request=request)
    return request


@transaction.atomic
def admission_refuse(*, actor, request: AdmissionRequest, reason: str) -> AdmissionRequest:
    if not (reason or "").strip():
        raise ValidationError({"decision_reason": "不予准入必须说明理由。"})
    return _decide(
        actor=actor,
        request=request,
        status=AdmissionStatus.REFUSED,
        reason=reason.strip(),
        action="admission.refuse",
    )


@transaction.atomic
def admission_community_refuse(
    *, actor, request: AdmissionRequest, reason: str = ""
) -> AdmissionRequest:
    """One click: the community records that it refuses work the street has not approved."""
    request = _locked(request)
    require_in_scope(actor, request.community)
    if request.status == AdmissionStatus.APPROVED:
        raise ValidationError("该事项已经街道准入，社区应承接办理，不能拒绝。")
    if request.status == AdmissionStatus.COMMUNITY_REFUSED:
        raise ValidationError("社区已登记拒绝该事项。")
    request.status = AdmissionStatus.COMMUNITY_REFUSED
    request.decided_by = actor
    request.decided_at = timezone.now()
    request.decision_reason = reason.strip() or COMMUNITY_REFUSAL_REASON
    request.full_clean()
    request.save()
    audit(
        actor=actor,
        action="admission.community_refuse",
        target=request,
        organization=request.community,
        detail={"reason": request.decision_reason, "refusable": request.refusable},
    )
    return request


def _dispatch_task(*, actor, request: AdmissionRequest):
    """Approved work becomes a task (governance's 派单) from the street to the community.

    The admission request is the task's source when governance accepts it as one
    (``governance.references.SOURCE_MODELS``); otherwise the task names the request in its text.
    """
    try:
        from governance.references import SOURCE_MODELS
        from governance.services import task_dispatch
    except ImportError:
        log.info("governance task dispatch not available; approval recorded only")
        return None
    linked = request._meta.label_lower in SOURCE_MODELS
    description = "\n".join(
        filter(
            None,
            [
                f"准入申请 {request.code}（{request.department}）经街道审批准予准入。",
                request.description,
                f"依据：{request.legal_authority}" if request.legal_authority else "",
                f"随事配备人员 {request.staff_count} 人，经费 {request.funds} 元。",
            ],
        )
    )
    return task_dispatch(
        actor=actor,
        organization=request.community.parent,
        title=request.title,
        description=description,
        source=request if linked else None,
        assignee=request.community,
        deadline=request.ends_on or request.starts_on,
    )
