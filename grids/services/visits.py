"""Central-household links (联系户) and visit diaries (民情日记), and turning a visit into a case."""

from __future__ import annotations

import secrets

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from core.links import check_links, derived
from core.scope import require_in_scope
from core.services import audit
from grids.choices import CENTRAL_HOUSEHOLD_MAX, CaseSource, VisitorKind
from grids.models import CentralHouseholdLink, Household, VisitLog
from grids.services.cases import actor_display, case_report
from organizations.models import Member, Organization


def _check_link_count(organization: Organization, *, adding: int = 1) -> None:
    current = CentralHouseholdLink.objects.filter(organization=organization).count()
    if current + adding > CENTRAL_HOUSEHOLD_MAX:
        raise ValidationError(
            {
                "household": [
                    f"“{organization}”已联系 {current} 户，每个中心户最多联系 {CENTRAL_HOUSEHOLD_MAX} 户。"
                ]
            }
        )


@transaction.atomic
def central_link_create(
    *, actor, organization: Organization, household: Household, since=None, note: str = ""
) -> CentralHouseholdLink:
    # Lock the central household's row so two links added at once cannot pass the limit.
    organization = Organization.objects.select_for_update().get(pk=organization.pk)
    link = CentralHouseholdLink(
        organization=organization,
        household=household,
        since=since or timezone.localdate(),
        note=note,
    )
    check_links(actor=actor, instance=link)  # both ends in reach (core.links)
    link.full_clean()
    _check_link_count(organization)
    link.save()
    audit(actor=actor, action="central_link.create", target=link, organization=organization)
    return link


@transaction.atomic
def central_link_update(*, actor, link: CentralHouseholdLink, **data) -> CentralHouseholdLink:
    require_in_scope(actor, link.organization)
    for name in ("since", "note"):
        if name in data:
            setattr(link, name, data[name])
    if "household" in data or "organization" in data:
        raise ValidationError("联系关系不能改挂，请删除后重新添加。")
    link.full_clean()
    link.save()
    audit(actor=actor, action="central_link.update", target=link, organization=link.organization)
    return link


@transaction.atomic
def central_link_delete(*, actor, link: CentralHouseholdLink) -> None:
    require_in_scope(actor, link.organization)
    audit(actor=actor, action="central_link.delete", target=link, organization=link.organization)
    link.delete()


def require_visit_member_in_scope(actor, member: Member) -> None:
    """A visit may name only a member the actor oversees (create, update and file import).
    Refused with the words used for an unknown code, so nothing about the member shows."""
    require_in_scope(actor, member.branch, f"找不到党员“{member.code}”。")


def new_visit_code() -> str:
    return f"V{timezone.localdate():%Y%m%d}{secrets.token_hex(3).upper()}"


@transaction.atomic
def visit_log_create(
    *,
    actor,
    household: Household,
    content: str,
    visitor_kind: str = "",
    visitor_name: str = "",
    visited_on=None,
    needs: str = "",
    central_household: Organization | None = None,
    member: Member | None = None,
    code: str = "",
) -> VisitLog:
    """Record a visit. The visitor is the acting user; a member's name may be given for a
    member without an account (recorded by the cadre who enters the diary), or the member
    themself (``organizations.Member``, which must lie in the actor's scope): the kind then
    defaults to 党员 and the name to the member's."""
    default_kind = VisitorKind.MEMBER if member is not None else VisitorKind.GRID_WORKER
    default_name = member.name if member is not None else actor_display(actor)
    visit = VisitLog(
        code=code or new_visit_code(),
        household=household,
        visitor_kind=visitor_kind or default_kind,
        visitor=actor,
        member=member,
        visitor_name=(visitor_name or default_name)[:64],
        visited_on=visited_on or timezone.localdate(),
        content=content,
        needs=needs,
        central_household=central_household,
    )
    # The household, the member and the central household in reach (core.links), first.
    check_links(actor=actor, instance=visit)
    visit.full_clean()
    if (
        central_household is not None
        and not CentralHouseholdLink.objects.filter(
            organization=central_household, household=household
        ).exists()
    ):
        raise ValidationError({"central_household": ["该户不是这个中心户的联系户。"]})
    visit.save()
    audit(actor=actor, action="visit.create", target=visit, organization=household.grid.community)
    return visit


@transaction.atomic
def visit_log_update(*, actor, visit: VisitLog, **data) -> VisitLog:
    require_in_scope(actor, visit.household.grid.community)
    fixed = {
        name: ["走访记录的户和中心户登记后不能更改。"]
        for name in ("household", "central_household")
        if name in data and getattr(data[name], "pk", None) != getattr(visit, f"{name}_id")
    }
    if fixed:  # refused, never silently ignored
        raise ValidationError(fixed)
    for name in ("content", "needs", "visited_on", "visitor_kind", "visitor_name", "member"):
        if name in data:
            setattr(visit, name, data[name])
    check_links(actor=actor, instance=visit)  # a changed member in reach; a kept one may stay
    visit.full_clean()
    visit.save()
    audit(
        actor=actor,
        action="visit.update",
        target=visit,
        organization=visit.household.grid.community,
    )
    return visit


@transaction.atomic
def visit_to_case(
    *,
    actor,
    visit: VisitLog,
    category: str,
    description: str = "",
    reporter_name: str = "",
    reporter_phone: str = "",
):
    """One step from a visit diary to a case: the household's place, the visit's needs as
    the description, the household head as the reporter (unless told otherwise)."""
    visit = VisitLog.objects.select_for_update().get(pk=visit.pk)
    if visit.case_id:
        raise ValidationError({"case": ["这条走访记录已经转为诉求。"]})
    household = visit.household
    head = household.residents.filter(relation="head").exclude(phone="").first()
    case = case_report(
        actor=actor,
        source=CaseSource.VISIT,
        reporter_name=reporter_name or household.head_name,
        reporter_phone=reporter_phone or (head.phone if head else ""),
        reporter_resident=head if not reporter_name else None,
        category=category,
        description=description or visit.needs or visit.content,
        household=household,
    )
    visit.case = case
    derived(visit, "case")  # the case just filed from it
    visit.save(update_fields=["case"])
    audit(
        actor=actor,
        action="visit.to_case",
        target=visit,
        organization=case.community,
        detail={"case": case.tracking_code},
    )
    return case
