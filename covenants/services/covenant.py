from __future__ import annotations

from datetime import date
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction

from core.links import check_links, derived
from core.scope import require_in_scope
from core.services import apply_changes, audit, scoped_save
from covenants.models import Covenant, CovenantVersion


def covenant_create(*, actor, **data: Any) -> Covenant:
    return scoped_save(actor=actor, instance=Covenant(**data))


def covenant_update(*, actor, covenant: Covenant, **data: Any) -> Covenant:
    apply_changes(covenant, data)
    return scoped_save(actor=actor, instance=covenant)


@transaction.atomic
def covenant_adopt_version(
    *,
    actor,
    covenant: Covenant,
    text: str,
    adopted_on: date,
    adopted_by: str = "居民议事会",
    meeting_reference: str = "",
    meeting=None,
) -> CovenantVersion:
    """A residents' council adopted a new text: it becomes the current, public version and the
    earlier ones are kept. A version adopted on or before the previous one is refused.
    ``meeting`` (a governance ``Meeting``) must be held, convened by the covenant's community
    (or the compound's community) and held on or before ``adopted_on``."""
    covenant = (
        Covenant.objects.select_for_update().select_related("organization").get(pk=covenant.pk)
    )
    require_in_scope(actor, covenant.organization, f"“{covenant.organization}”不在您的管辖范围内。")
    # The meeting in reach (core.links) before anything else is said.
    check_links(actor=actor, instance=CovenantVersion(covenant=covenant, meeting=meeting))
    latest = covenant.versions.order_by("-number").first()
    if latest is not None and adopted_on <= latest.adopted_on:
        raise ValidationError(
            {
                "adopted_on": f"通过日期 {adopted_on} 不晚于上一版（第{latest.number}版，"
                f"{latest.adopted_on} 通过），新版本必须在其后通过。"
            }
        )
    version = CovenantVersion(
        covenant=covenant,
        number=(latest.number + 1) if latest else 1,
        text=(text or "").strip(),
        adopted_on=adopted_on,
        adopted_by=adopted_by,
        meeting=meeting,
        meeting_reference=meeting_reference or (meeting.code[:64] if meeting else ""),
        is_current=True,
        created_by=actor if getattr(actor, "pk", None) else None,
    )
    derived(version, "covenant", "meeting")  # checked above
    version.full_clean(validate_constraints=False)
    covenant.versions.filter(is_current=True).update(is_current=False)
    version.save()
    audit(
        actor=actor,
        action="covenant.adopt",
        target=version,
        organization=covenant.organization,
        detail={
            "number": version.number,
            "adopted_on": adopted_on.isoformat(),
            "meeting": meeting.code if meeting else None,
        },
    )
    return version
