"""社区工作事项清单: drafts are edited, publishing makes a version current for the street."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from core.links import check_links
from core.scope import require_in_scope
from core.services import audit
from governance.assessment.choices import ListStatus
from governance.assessment.models import WorkItem, WorkListVersion


@transaction.atomic
def worklist_version_create(*, actor, street, code: str, title: str, **extra) -> WorkListVersion:
    version = WorkListVersion(street=street, code=code, title=title, **extra)
    version.status = ListStatus.DRAFT
    check_links(actor=actor, instance=version)  # the street in reach (core.links)
    version.full_clean()
    version.save()
    audit(actor=actor, action="worklist.create", target=version, organization=street)
    return version


@transaction.atomic
def work_item_save(*, actor, item: WorkItem) -> WorkItem:
    """Create or change one item; only a draft version may change."""
    version = WorkListVersion.objects.select_for_update().get(pk=item.version_id)
    require_in_scope(actor, version.street)
    if version.status != ListStatus.DRAFT:
        raise ValidationError("清单已发布，不能再修改；请复制为新版本后修改并重新发布。")
    check_links(actor=actor, instance=item)
    item.full_clean()
    item.save()
    return item


@transaction.atomic
def worklist_publish(*, actor, version: WorkListVersion) -> WorkListVersion:
    """Make ``version`` the street's current list; the previously current one is superseded."""
    version = (
        WorkListVersion.objects.select_for_update().select_related("street").get(pk=version.pk)
    )
    require_in_scope(actor, version.street)
    if version.status != ListStatus.DRAFT:
        raise ValidationError(f"只能发布草稿，该清单状态为“{version.get_status_display()}”。")
    count = version.items.count()
    if not count:
        raise ValidationError("清单中还没有事项，不能发布。")
    previous = list(
        WorkListVersion.objects.select_for_update().filter(
            street_id=version.street_id, status=ListStatus.PUBLISHED
        )
    )
    for old in previous:
        old.status = ListStatus.SUPERSEDED
        old.save(update_fields=["status", "updated_at"])
    version.status = ListStatus.PUBLISHED
    version.published_at = timezone.now()
    version.full_clean()
    version.save()
    audit(
        actor=actor,
        action="worklist.publish",
        target=version,
        organization=version.street,
        detail={"items": count, "superseded": [v.code for v in previous]},
    )
    return version


@transaction.atomic
def worklist_copy(*, actor, version: WorkListVersion, code: str, title: str) -> WorkListVersion:
    """Start a revision: a new draft with the same items (item codes get the new version's code)."""
    draft = worklist_version_create(
        actor=actor, street=version.street, code=code, title=title, note=version.note
    )
    items = []
    for item in version.items.all():
        suffix = item.code.removeprefix(version.code)
        items.append(
            WorkItem(
                version=draft,
                code=f"{code}{suffix}" if suffix != item.code else f"{code}-{item.seq:02d}",
                seq=item.seq,
                holder=item.holder,
                responsibility=item.responsibility,
                title=item.title,
                description=item.description,
                legal_basis=item.legal_basis,
                is_public=item.is_public,
            )
        )
    for item in items:
        item.full_clean()
    WorkItem.objects.bulk_create(items)
    return draft
