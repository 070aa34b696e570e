from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from core.links import check_links, derived
from core.scope import require_in_scope, scope_anchor
from core.services import apply_changes, audit
from covenants.choices import AttachmentKind
from covenants.models import ActivityAttachment, ActivityRecord, Agreement, ServiceProject

MB = 1024 * 1024
_DOCS = {"pdf", "doc", "docx", "wps", "odt", "txt"}
_IMAGES = {"jpg", "jpeg", "png", "webp"}
# kind → (allowed extensions, size limit in bytes)
ATTACHMENT_RULES: dict[str, tuple[frozenset[str], int]] = {
    AttachmentKind.PLAN: (frozenset(_DOCS), 20 * MB),
    AttachmentKind.RECORD: (frozenset(_DOCS | {"xls", "xlsx"} | _IMAGES), 20 * MB),
    AttachmentKind.PHOTO: (frozenset(_IMAGES), 10 * MB),
}
# What the first bytes must be for the formats we can recognise (a renamed .exe is refused).
_MAGIC = {
    "pdf": (b"%PDF",),
    "png": (b"\x89PNG\r\n\x1a\n",),
    "jpg": (b"\xff\xd8\xff",),
    "jpeg": (b"\xff\xd8\xff",),
    "webp": (b"RIFF",),
    "docx": (b"PK\x03\x04",),
    "xlsx": (b"PK\x03\x04",),
}


def attachment_error(kind: str, name: str, size: int, head: bytes = b"") -> str | None:
    """Why this file cannot be attached as ``kind`` (None if it can); names the broken limit."""
    if kind not in ATTACHMENT_RULES:
        return f"资料类型“{kind}”无效。"
    allowed, limit = ATTACHMENT_RULES[kind]
    label = AttachmentKind(kind).label
    ext = Path(name).suffix.lower().lstrip(".")
    if ext not in allowed:
        shown = f".{ext}" if ext else "无扩展名"
        return (
            f"文件类型不允许：{label}不接受“{name}”（{shown}），"
            f"允许的类型：{'、'.join(sorted(allowed))}。"
        )
    if size > limit:
        return f"文件过大：“{name}”为 {size / MB:.1f} MB，超过{label}的 {limit // MB} MB 上限。"
    if size == 0:
        return f"文件“{name}”是空文件。"
    magic = _MAGIC.get(ext)
    if magic and head and not head.startswith(magic):
        return f"文件内容与类型不符：“{name}”不是有效的 {ext} 文件。"
    return None


def _project_scope(actor, project: ServiceProject) -> None:
    party_a = project.agreement.party_a
    require_in_scope(actor, party_a, f"协议甲方“{party_a}”不在您的管辖范围内。")


@transaction.atomic
def project_claim(*, actor, agreement: Agreement, **data: Any) -> ServiceProject:
    project = ServiceProject(agreement=agreement, **data)
    check_links(actor=actor, instance=project)  # the agreement in reach (core.links)
    project.full_clean()
    project.save()
    audit(actor=actor, action="project.claim", target=project, organization=agreement.party_a)
    return project


@transaction.atomic
def project_update(*, actor, project: ServiceProject, **data: Any) -> ServiceProject:
    stored = ServiceProject.objects.select_related("agreement__party_a").get(pk=project.pk)
    _project_scope(actor, stored)
    apply_changes(project, data)
    check_links(actor=actor, instance=project, stored=stored)
    project.full_clean()
    project.save()
    return project


def _next_activity_code(project: ServiceProject) -> str:
    ServiceProject.objects.select_for_update().filter(pk=project.pk).first()
    prefix = f"{project.code}-A"
    taken = ActivityRecord.objects.filter(project=project, code__startswith=prefix).count()
    number = taken + 1
    while ActivityRecord.objects.filter(code=f"{prefix}{number:04d}").exists():
        number += 1
    return f"{prefix}{number:04d}"


@transaction.atomic
def activity_record(
    *, actor, project: ServiceProject, code: str = "", **data: Any
) -> ActivityRecord:
    """Record an activity; its date must lie in the agreement's term."""
    activity = ActivityRecord(project=project, **data)
    check_links(actor=actor, instance=activity)  # the project in reach (core.links), first
    activity.code = code or _next_activity_code(project)
    activity.full_clean()
    activity.save()
    audit(
        actor=actor,
        action="activity.record",
        target=activity,
        organization=project.agreement.party_a,
    )
    return activity


def _require_open(activity: ActivityRecord) -> None:
    if activity.confirmed_at is not None:
        raise ValidationError(f"活动“{activity}”已由社区确认，不能再修改。")


@transaction.atomic
def activity_update(*, actor, activity: ActivityRecord, **data: Any) -> ActivityRecord:
    stored = ActivityRecord.objects.select_for_update().get(pk=activity.pk)
    require_in_scope(actor, scope_anchor(stored))
    _require_open(stored)
    data.pop("confirmed_at", None)
    data.pop("confirmed_by", None)
    apply_changes(activity, data)
    check_links(actor=actor, instance=activity, stored=stored)
    activity.full_clean()
    require_in_scope(actor, scope_anchor(activity))
    activity.save()
    return activity


@transaction.atomic
def activity_delete(*, actor, activity: ActivityRecord) -> None:
    stored = ActivityRecord.objects.select_for_update().get(pk=activity.pk)
    require_in_scope(actor, scope_anchor(stored))
    _require_open(stored)
    audit(actor=actor, action="activity.delete", target=stored, organization=scope_anchor(stored))
    for attachment in stored.attachments.all():
        attachment.file.delete(save=False)
    stored.delete()


@transaction.atomic
def attachment_add(*, actor, activity: ActivityRecord, kind: str, upload) -> ActivityAttachment:
    """Attach a plan, record or photo (handed over to 甲方). Type and size are checked per kind."""
    stored = ActivityRecord.objects.select_for_update().get(pk=activity.pk)
    require_in_scope(actor, scope_anchor(stored))
    _require_open(stored)
    name = Path(upload.name or "").name
    head = upload.read(16)
    upload.seek(0)
    message = attachment_error(kind, name, upload.size, head)
    if message:
        raise ValidationError({"file": message})
    attachment = ActivityAttachment(
        activity=stored,
        kind=kind,
        original_name=name[:200],
        size=upload.size,
        uploaded_by=actor if getattr(actor, "pk", None) else None,
    )
    derived(attachment, "activity")  # the record checked above
    attachment.file.save(name, upload, save=False)
    try:
        attachment.full_clean()
        attachment.save()
    except Exception:
        attachment.file.delete(save=False)
        raise
    audit(
        actor=actor,
        action="activity.attach",
        target=stored,
        organization=scope_anchor(stored),
        detail={"kind": kind, "file": name, "size": upload.size},
    )
    return attachment


@transaction.atomic
def activity_confirm(*, actor, activity: ActivityRecord) -> ActivityRecord:
    """The community confirms the activity after the unit handed over its record or photos."""
    stored = (
        ActivityRecord.objects.select_for_update()
        .select_related("project__agreement__party_a")
        .get(pk=activity.pk)
    )
    party_a = stored.project.agreement.party_a
    require_in_scope(actor, party_a, f"协议甲方“{party_a}”不在您的管辖范围内，不能确认。")
    if stored.confirmed_at is not None:
        raise ValidationError(f"活动“{stored}”已于 {stored.confirmed_at:%Y-%m-%d} 确认。")
    handed_over = stored.attachments.filter(
        kind__in=[AttachmentKind.RECORD, AttachmentKind.PHOTO]
    ).exists()
    if not handed_over:
        raise ValidationError("单位尚未移交活动记录或影像资料（协议第四条），不能确认。")
    stored.confirmed_at = timezone.now()
    stored.confirmed_by = actor if getattr(actor, "pk", None) else None
    stored.save(update_fields=["confirmed_at", "confirmed_by", "updated_at"])
    audit(actor=actor, action="activity.confirm", target=stored, organization=party_a)
    return stored
