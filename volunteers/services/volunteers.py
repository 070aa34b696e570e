"""Volunteers and teams: registration (by a cadre or by the resident on the portal), status
changes, team membership. Every write is keyword-only, atomic, full_clean'ed and audited."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from core.links import check_links, check_many, derived
from core.scope import require_in_scope
from core.services import apply_changes, audit
from organizations.models import Organization
from volunteers.choices import VolunteerStatus
from volunteers.models import Skill, Team, Volunteer
from volunteers.services._common import lock, next_code

VOLUNTEER_FIELDS = {
    "name",
    "gender",
    "id_number",
    "phone",
    "person_kind",
    "partner_unit",
    "community",
    "availability",
    "registered_on",
    "note",
    "resident",
    "member",
}


def _check_links(actor, volunteer: Volunteer) -> None:
    """Every changed link (resident, member, unit …) must be one the actor may link to
    (``core.links``); refused like an unknown record, naming nobody."""
    stored = Volunteer.objects.filter(pk=volunteer.pk).first() if volunteer.pk else None
    check_links(actor=actor, instance=volunteer, stored=stored)


def _new_number(community: Organization) -> str:
    lock(Organization, community.pk)
    return next_code(Volunteer, "number", f"{community.code}-V")


def _save_volunteer(volunteer: Volunteer, skills: Iterable[Skill] | None) -> Volunteer:
    if volunteer.id_number:
        volunteer.id_number = volunteer.id_number.strip().upper()
    volunteer.full_clean()
    volunteer.save()
    if skills is not None:
        volunteer.skills.set(list(skills))
    return volunteer


@transaction.atomic
def volunteer_create(
    *,
    actor,
    community: Organization,
    name: str,
    phone: str,
    number: str = "",
    status: str = VolunteerStatus.REGISTERED,
    skills: Iterable[Skill] | None = None,
    **data: Any,
) -> Volunteer:
    """A cadre registers a volunteer of a community in their scope (number generated if blank)."""
    unknown = set(data) - VOLUNTEER_FIELDS - {"user"}
    if unknown:
        raise TypeError(f"unknown fields: {sorted(unknown)}")
    volunteer = Volunteer(
        community=community,
        name=name,
        phone=phone,
        status=status,
        **data,
    )
    _check_links(actor, volunteer)  # the community first: out of reach answers like unknown
    volunteer.number = number or _new_number(community)
    if status == VolunteerStatus.REGISTERED and not volunteer.registered_on:
        volunteer.registered_on = timezone.localdate()
    _save_volunteer(volunteer, skills)
    audit(actor=actor, action="volunteer.create", target=volunteer, organization=community)
    return volunteer


@transaction.atomic
def volunteer_apply(
    *,
    actor,
    community: Organization,
    name: str,
    phone: str,
    id_number: str | None = None,
    skills: Iterable[Skill] | None = None,
    availability: list[str] | None = None,
    person_kind: str = "resident",
) -> Volunteer:
    """Portal: a signed-in resident applies to volunteer for a community (status 申请)."""
    if not getattr(actor, "is_authenticated", False):
        raise PermissionDenied("请先登录再申请成为志愿者。")
    if Volunteer.objects.filter(user=actor).exists():
        raise ValidationError("您已经提交过志愿者申请或已是志愿者。")
    volunteer = Volunteer(
        community=community,
        name=name,
        phone=phone,
        id_number=id_number or None,
        availability=availability or [],
        person_kind=person_kind,
        number=_new_number(community),
        status=VolunteerStatus.APPLIED,
        user=actor,
    )
    derived(volunteer, "community")  # any community the portal lists; the resident applies
    _save_volunteer(volunteer, skills)
    audit(actor=actor, action="volunteer.apply", target=volunteer, organization=community)
    return volunteer


@transaction.atomic
def volunteer_update(
    *, actor, volunteer: Volunteer, skills: Iterable[Skill] | None = None, **data: Any
) -> Volunteer:
    """Cadre edits a volunteer; the stored and the new community must both be in scope."""
    volunteer = lock(Volunteer, volunteer.pk, "community")
    require_in_scope(actor, volunteer.community)
    unknown = set(data) - VOLUNTEER_FIELDS - {"user", "number"}
    if unknown:
        raise TypeError(f"unknown fields: {sorted(unknown)}")
    apply_changes(volunteer, data)
    _check_links(actor, volunteer)  # a changed community, resident, member, unit in reach
    _save_volunteer(volunteer, skills)
    audit(
        actor=actor,
        action="volunteer.update",
        target=volunteer,
        organization=volunteer.community,
        detail={"fields": sorted(data) + (["skills"] if skills is not None else [])},
    )
    return volunteer


@transaction.atomic
def volunteer_set_status(
    *, actor, volunteer: Volunteer, status: str, reason: str = ""
) -> Volunteer:
    """Approve an application (申请 → 已注册), suspend (暂停) or reinstate a volunteer."""
    volunteer = lock(Volunteer, volunteer.pk, "community")
    require_in_scope(actor, volunteer.community)
    if status not in VolunteerStatus.values:
        raise ValidationError({"status": [f"未知状态“{status}”。"]})
    if status == volunteer.status:
        raise ValidationError({"status": [f"志愿者已是“{volunteer.get_status_display()}”状态。"]})
    if status == VolunteerStatus.SUSPENDED and not reason.strip():
        raise ValidationError({"reason": ["暂停志愿者须说明原因。"]})
    previous = volunteer.status
    volunteer.status = status
    if status == VolunteerStatus.REGISTERED and not volunteer.registered_on:
        volunteer.registered_on = timezone.localdate()
    volunteer.full_clean()
    volunteer.save(update_fields=["status", "registered_on", "updated_at"])
    audit(
        actor=actor,
        action="volunteer.status",
        target=volunteer,
        organization=volunteer.community,
        detail={"from": previous, "to": status, "reason": reason},
    )
    return volunteer


# ---------------------------------------------------------------- teams


def _check_members(actor, team: Team, volunteers: Iterable[Volunteer]) -> list[Volunteer]:
    volunteers = list(volunteers)
    # In the actor's reach first (core.links): out of reach answers like an unknown volunteer.
    check_many(actor=actor, model=Team, field_name="members", values=volunteers)
    # Named by their numbers (what the caller sent), never by name: no other community's data.
    outside = [v.number for v in volunteers if v.community_id != team.community_id]
    if outside:
        raise ValidationError({"members": [f"以下志愿者不属于本社区：{'、'.join(outside)}。"]})
    return volunteers


@transaction.atomic
def team_create(
    *,
    actor,
    code: str,
    name: str,
    kind: str,
    community: Organization,
    leader: Volunteer | None = None,
    members: Iterable[Volunteer] = (),
    is_temporary: bool = False,
    established_on: date | None = None,
    ends_on: date | None = None,
    description: str = "",
) -> Team:
    team = Team(
        code=code,
        name=name,
        kind=kind,
        community=community,
        leader=leader,
        is_temporary=is_temporary,
        established_on=established_on,
        ends_on=ends_on,
        description=description,
    )
    check_links(actor=actor, instance=team)  # community and leader in reach (core.links)
    team.full_clean()
    team.save()
    members = _check_members(actor, team, members)
    if leader is not None and leader not in members:
        check_many(actor=actor, model=Team, field_name="members", values=[leader])
        members.append(leader)
    team.members.set(members)
    audit(actor=actor, action="team.create", target=team, organization=community)
    return team


@transaction.atomic
def team_update(
    *, actor, team: Team, members: Iterable[Volunteer] | None = None, **data: Any
) -> Team:
    team = lock(Team, team.pk, "community")
    require_in_scope(actor, team.community)
    stored = Team.objects.get(pk=team.pk)
    apply_changes(team, data)
    check_links(actor=actor, instance=team, stored=stored)
    team.full_clean()
    team.save()
    if members is not None:
        members = _check_members(actor, team, members)
        if team.leader_id and team.leader not in members:
            check_many(actor=actor, model=Team, field_name="members", values=[team.leader])
            members.append(team.leader)
        team.members.set(members)
    elif team.leader_id:
        check_many(actor=actor, model=Team, field_name="members", values=[team.leader])
        team.members.add(team.leader)
    audit(
        actor=actor,
        action="team.update",
        target=team,
        organization=team.community,
        detail={"fields": sorted(data) + (["members"] if members is not None else [])},
    )
    return team


@transaction.atomic
def team_add_member(*, actor, team: Team, volunteer: Volunteer) -> Team:
    team = lock(Team, team.pk, "community")
    require_in_scope(actor, team.community)
    _check_members(actor, team, [volunteer])
    team.members.add(volunteer)
    audit(
        actor=actor,
        action="team.add_member",
        target=team,
        organization=team.community,
        detail={"volunteer": volunteer.number},
    )
    return team


@transaction.atomic
def team_remove_member(*, actor, team: Team, volunteer: Volunteer) -> Team:
    team = lock(Team, team.pk, "community")
    require_in_scope(actor, team.community)
    if team.leader_id == volunteer.pk:
        raise ValidationError({"members": ["不能移除队长，请先更换队长。"]})
    team.members.remove(volunteer)
    audit(
        actor=actor,
        action="team.remove_member",
        target=team,
        organization=team.community,
        detail={"volunteer": volunteer.number},
    )
    return team
