"""Writes for officers (骨干任职): one path for the admin, the API and the demo.

A single-holder post (书记, 党小组长, 中心户长, 楼栋长, …) has at most one holder at any day:
the service locks the node the post hangs on (the organisation row; for a building post the
building row) before it looks for a clashing term, so two writers assigning a 书记 to the same
branch at once are serialised and the second is refused. Open-ended terms are also kept single
by partial unique indexes (``Officer.Meta.constraints``), whatever the writer.
"""

from __future__ import annotations

from typing import Any

from django.apps import apps
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from core.links import check_links
from core.scope import require_in_scope, scope_anchor
from core.services import apply_changes, audit
from organizations.models import Officer, Organization
from organizations.models.officers import overlap_message, overlapping_officers_q, single_key


def officer_clash_errors(officer: Officer) -> dict[str, list[str]]:
    """A stored officer holding the same single post in an overlapping term (one query)."""
    q = overlapping_officers_q(officer)
    if q is None:
        return {}
    other = Officer.objects.filter(q).order_by("term_start").first()
    if other is None:
        return {}
    return {
        "term_start": [
            overlap_message(officer, other.person_name, other.term_start, other.term_end)
        ]
    }


def _lock_post(officer: Officer) -> None:
    key = single_key(officer)
    if key is None:
        return
    if key[1] == "b" and officer.building_id:
        building = apps.get_model("grids", "Building")
        list(building.objects.select_for_update().filter(pk=officer.building_id).values("pk"))
    elif officer.organization_id:
        list(
            Organization.objects.select_for_update().filter(pk=officer.organization_id).values("pk")
        )


@transaction.atomic
def officer_save(*, actor, officer: Officer) -> Officer:
    """Create or update one officer: scope (old and new node), links, rules, then the
    single-holder check under the post's lock; audited as ``officer.create/update``."""
    stored = None
    if officer.pk is not None:
        stored = Officer.objects.select_related("organization").filter(pk=officer.pk).first()
        if stored is not None:
            require_in_scope(actor, scope_anchor(stored))
    check_links(actor=actor, instance=officer, stored=stored)
    # Fills a building / grid post's community, then the row rules; the single-holder
    # constraints are checked below under the post's lock, with a message that names the holder.
    officer.full_clean(validate_constraints=False)
    if stored is None or stored.organization_id != officer.organization_id:
        # The derived community is the checked building's or grid's: still re-checked here.
        check_links(actor=actor, instance=officer, stored=stored)
    require_in_scope(actor, officer.organization)
    _lock_post(officer)
    errors = officer_clash_errors(officer)
    if errors:
        raise ValidationError(errors)
    creating = officer.pk is None
    try:
        with transaction.atomic():
            officer.save()
    except IntegrityError as exc:
        if "uniq_open" in str(exc):
            raise ValidationError(
                {"term_end": ["该职务已有任期未结束的在任人员，请先填写前任的任期结束日期。"]}
            ) from exc
        raise
    audit(
        actor=actor,
        action="officer.create" if creating else "officer.update",
        target=officer,
        organization=officer.organization,
        detail={"position": officer.position, "term_start": str(officer.term_start)},
    )
    return officer


def officer_create(*, actor, data: dict[str, Any]) -> Officer:
    return officer_save(actor=actor, officer=Officer(**data))


def officer_update(*, actor, officer: Officer, data: dict[str, Any]) -> Officer:
    apply_changes(officer, data)
    return officer_save(actor=actor, officer=officer)


@transaction.atomic
def officer_delete(*, actor, officer: Officer) -> None:
    require_in_scope(actor, scope_anchor(officer))
    audit(
        actor=actor,
        action="officer.delete",
        target=officer,
        organization=officer.organization,
    )
    officer.delete()
