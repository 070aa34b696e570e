"""社区吹哨、党员报到: the people a community may dispatch work to (a member registered there
under 双报到, a sent-down cadre serving there now) and the service hours credited to the
member's activity record once the work is done. Shared by ``grids`` (cases) and
``governance`` (tasks), so both judge and credit the same way."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.utils import timezone

from core.links import derived
from core.services import audit
from organizations.models import CommunityRegistration, MemberActivity, SentDownCadre

MIN_HOURS = Decimal("0.5")
MAX_HOURS = Decimal(24)


def check_serves_community(target, community, *, field: str = "target", verb: str = "派单") -> None:
    """A registration must be to ``community``; a cadre must serve there, inside the
    sent-down period. Anything else is left to the caller."""
    if isinstance(target, CommunityRegistration) and target.community_id != community.pk:
        raise ValidationError(
            {field: [f"党员 {target.member.name} 未到“{community.name}”报到，不能{verb}。"]}
        )
    if isinstance(target, SentDownCadre):
        today = timezone.localdate()
        if target.community_id != community.pk:
            raise ValidationError(
                {field: [f"下沉干部 {target.person_name} 不在“{community.name}”服务。"]}
            )
        if target.start_date > today or (target.end_date and target.end_date < today):
            raise ValidationError({field: [f"下沉干部 {target.person_name} 不在下沉期内。"]})


def parse_service_hours(hours) -> Decimal:
    """Hours of service, to a tenth, between 0.5 and 24 (400 otherwise)."""
    if hours in (None, ""):
        raise ValidationError({"hours": ["请填写服务时长（小时）。"]})
    try:
        value = Decimal(str(hours)).quantize(Decimal("0.1"))
    except (InvalidOperation, ValueError):
        value = Decimal(0)
    if not MIN_HOURS <= value <= MAX_HOURS:
        raise ValidationError({"hours": ["服务时长应为 0.5 到 24 小时。"]})
    return value


def registration_behind(person) -> CommunityRegistration | None:
    """The 双报到 registration the hours go to: the registration itself, or for a sent-down
    cadre the registration of the member the cadre is (if any)."""
    if isinstance(person, CommunityRegistration):
        return person
    if isinstance(person, SentDownCadre) and person.member_id:
        return CommunityRegistration.objects.filter(member_id=person.member_id).first()
    return None


def credit_service_hours(*, actor, person, hours: Decimal, content: str, detail: dict):
    """Write one ``MemberActivity`` for ``person`` (registration or cadre) and audit it as
    ``memberactivity.credit``. Returns the activity, or None when there is no registration
    to credit (a cadre who is not a registered member)."""
    from core.users import user_full_name_or_display

    registration = registration_behind(person)
    if registration is None:
        return None
    activity = MemberActivity(
        registration=registration,
        date=timezone.localdate(),
        hours=hours,
        content=content[:300],
        confirmed_by=(user_full_name_or_display(actor) if getattr(actor, "pk", None) else "")[:50],
    )
    derived(activity, "registration")
    activity.full_clean()
    activity.save()
    audit(
        actor=actor,
        action="memberactivity.credit",
        target=activity,
        organization=registration.community,
        detail={**detail, "hours": str(hours)},
    )
    return activity
