"""Activities, sign-ups and attendance.

Capacity is guarded by a row lock on the activity (SELECT … FOR UPDATE) taken before any
sign-up, cancellation or capacity change is counted, so concurrent requests are serialised per
activity and never over-fill it; a volunteer's row is locked after the activity's (always in
that order) so two sign-ups of one person cannot both pass the overlap check.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from core.links import check_links, derived
from core.scope import in_scope, require_in_scope
from core.services import apply_changes, audit
from organizations.models import Organization
from volunteers.choices import (
    ACTIVE_SIGNUP_STATUSES,
    ActivityStatus,
    HoursSource,
    SignUpStatus,
    VolunteerStatus,
)
from volunteers.models import Activity, HoursEntry, SignUp, Skill, Team, Volunteer
from volunteers.services._common import (
    is_own_volunteer,
    is_team_leader,
    lock,
    require_staff_or_self,
)

# Check-in may start this long before the activity and check-out end this long after it.
ATTENDANCE_TOLERANCE = timedelta(hours=1)
# A check-in/out time may run this far ahead of the server clock (a phone a little fast),
# never more: attendance is recorded when it happens, not in advance.
CLOCK_SKEW = timedelta(minutes=5)


def _not_in_future(at: datetime, what: str) -> None:
    if at > timezone.now() + CLOCK_SKEW:
        shown = timezone.localtime(at).strftime("%Y-%m-%d %H:%M")
        raise ValidationError({"at": [f"{what}时间 {shown} 晚于当前时间，不能提前{what}。"]})


HOURS = Decimal("0.01")


def _inside(organization: Organization, node: Organization) -> bool:
    return (
        node.tree_id == organization.tree_id and organization.lft <= node.lft <= organization.rght
    )


@transaction.atomic
def activity_create(
    *,
    actor,
    code: str,
    title: str,
    organizer: Organization,
    starts_at: datetime,
    ends_at: datetime,
    place: str,
    capacity: int,
    team: Team | None = None,
    required_skills: Iterable[Skill] = (),
    description: str = "",
) -> Activity:
    activity = Activity(
        code=code,
        title=title,
        organizer=organizer,
        team=team,
        starts_at=starts_at,
        ends_at=ends_at,
        place=place,
        capacity=capacity,
        description=description,
    )
    check_links(actor=actor, instance=activity)  # organizer and team in reach (core.links)
    activity.full_clean()
    activity.save()
    activity.required_skills.set(list(required_skills))
    audit(actor=actor, action="activity.create", target=activity, organization=organizer)
    return activity


@transaction.atomic
def activity_update(
    *, actor, activity: Activity, required_skills: Iterable[Skill] | None = None, **data: Any
) -> Activity:
    """Edit an activity. Capacity may not drop below the confirmed sign-ups; when it grows,
    the waitlist moves up in sign-up order."""
    activity = lock(Activity, activity.pk, "organizer", "team")
    require_in_scope(actor, activity.organizer)
    if activity.status == ActivityStatus.CANCELLED:
        raise ValidationError("活动已取消，不能修改。")
    data.pop("status", None)
    stored = Activity.objects.get(pk=activity.pk)
    apply_changes(activity, data)
    check_links(actor=actor, instance=activity, stored=stored)
    confirmed = activity.sign_ups.filter(status=SignUpStatus.CONFIRMED).count()
    if activity.capacity is not None and activity.capacity < confirmed:
        raise ValidationError(
            {"capacity": [f"已有 {confirmed} 人报名成功，名额不能少于 {confirmed}。"]}
        )
    activity.full_clean()
    activity.save()
    if required_skills is not None:
        activity.required_skills.set(list(required_skills))
    audit(
        actor=actor,
        action="activity.update",
        target=activity,
        organization=activity.organizer,
        detail={"fields": sorted(data)},
    )
    _promote_waitlist(actor, activity, activity.capacity - confirmed)
    return activity


@transaction.atomic
def activity_cancel(*, actor, activity: Activity, reason: str) -> Activity:
    """Cancel an activity that has not ended; its sign-ups stay on record, no hours accrue."""
    activity = lock(Activity, activity.pk, "organizer")
    require_in_scope(actor, activity.organizer)
    if activity.status == ActivityStatus.CANCELLED:
        raise ValidationError("活动已经取消。")
    if activity.ends_at <= timezone.now():
        raise ValidationError("活动已经结束，不能取消。")
    if not reason.strip():
        raise ValidationError({"reason": ["请填写取消原因。"]})
    if activity.sign_ups.filter(checked_in_at__isnull=False).exists():
        raise ValidationError("已有志愿者签到，不能取消活动。")
    activity.status = ActivityStatus.CANCELLED
    activity.cancel_reason = reason.strip()[:200]
    activity.save(update_fields=["status", "cancel_reason", "updated_at"])
    audit(
        actor=actor,
        action="activity.cancel",
        target=activity,
        organization=activity.organizer,
        detail={"reason": activity.cancel_reason},
    )
    return activity


def _promote_waitlist(actor, activity: Activity, free: int) -> list[SignUp]:
    if free <= 0:
        return []
    promoted = list(
        activity.sign_ups.filter(status=SignUpStatus.WAITLISTED)
        .select_related("volunteer")
        .order_by("created_at", "id")[:free]
    )
    for sign_up in promoted:
        sign_up.status = SignUpStatus.CONFIRMED
        sign_up.save(update_fields=["status"])
        audit(
            actor=actor,
            action="signup.promote",
            target=sign_up,
            organization=activity.organizer,
            detail={"activity": activity.code, "volunteer": sign_up.volunteer.number},
        )
    return promoted


@transaction.atomic
def sign_up_create(*, actor, activity: Activity, volunteer: Volunteer) -> SignUp:
    """Sign a volunteer up (a cadre, or the volunteer on the portal): confirmed while there
    are places, waitlisted after that."""
    activity = lock(Activity, activity.pk, "organizer")
    volunteer = lock(Volunteer, volunteer.pk, "community")
    sign_up = SignUp(
        activity=activity,
        volunteer=volunteer,
        signed_up_by=actor if getattr(actor, "pk", None) else None,
    )
    if is_own_volunteer(actor, volunteer):
        derived(sign_up, "activity", "volunteer")  # the portal: themself, to a public activity
    elif getattr(actor, "is_staff", False):
        # A cadre: the activity and the volunteer in reach as declared (core.links); out of
        # reach answers like an unknown record.
        check_links(actor=actor, instance=sign_up)
    else:
        raise PermissionDenied("您不能为该志愿者报名。")
    if activity.status == ActivityStatus.CANCELLED:
        raise ValidationError("活动已取消，不能报名。")
    if activity.starts_at <= timezone.now():
        raise ValidationError("活动已经开始或结束，不能报名。")
    if not _inside(activity.organizer, volunteer.community):
        raise ValidationError(
            f"志愿者“{volunteer.name}”服务的{volunteer.community}不在主办方"
            f"“{activity.organizer}”的范围内。"
        )
    if volunteer.status != VolunteerStatus.REGISTERED:
        raise ValidationError(
            f"志愿者“{volunteer.name}”当前为“{volunteer.get_status_display()}”状态，不能报名。"
        )
    if SignUp.objects.filter(
        activity=activity, volunteer=volunteer, status__in=ACTIVE_SIGNUP_STATUSES
    ).exists():
        raise ValidationError(f"志愿者“{volunteer.name}”已报名该活动。")
    clash = (
        SignUp.objects.filter(
            volunteer=volunteer,
            status__in=ACTIVE_SIGNUP_STATUSES,
            activity__status=ActivityStatus.OPEN,
            activity__starts_at__lt=activity.ends_at,
            activity__ends_at__gt=activity.starts_at,
        )
        .select_related("activity")
        .first()
    )
    if clash is not None:
        other = clash.activity
        raise ValidationError(
            f"志愿者“{volunteer.name}”已报名同一时段的活动“{other.title}”"
            f"（{timezone.localtime(other.starts_at):%m-%d %H:%M}—"
            f"{timezone.localtime(other.ends_at):%H:%M}）。"
        )
    required = set(activity.required_skills.values_list("pk", flat=True))
    if required:
        missing = required - set(volunteer.skills.values_list("pk", flat=True))
        if missing:
            names = "、".join(Skill.objects.filter(pk__in=missing).values_list("name", flat=True))
            raise ValidationError(f"该活动需要以下技能：{names}。")
    confirmed = SignUp.objects.filter(activity=activity, status=SignUpStatus.CONFIRMED).count()
    status = SignUpStatus.CONFIRMED if confirmed < activity.capacity else SignUpStatus.WAITLISTED
    sign_up.status = status
    sign_up.full_clean(validate_constraints=False)
    sign_up.save()
    audit(
        actor=actor,
        action="signup.create",
        target=sign_up,
        organization=activity.organizer,
        detail={"activity": activity.code, "volunteer": volunteer.number, "status": status},
    )
    return sign_up


@transaction.atomic
def sign_up_cancel(*, actor, sign_up: SignUp, reason: str = "") -> SignUp:
    """Cancel a sign-up before the activity starts; a freed place goes to the waitlist."""
    activity = lock(Activity, sign_up.activity_id, "organizer")
    sign_up = lock(SignUp, sign_up.pk, "volunteer")
    require_staff_or_self(actor, activity.organizer, sign_up.volunteer, "您不能取消这条报名记录。")
    if sign_up.status == SignUpStatus.CANCELLED:
        raise ValidationError("该报名已经取消。")
    if sign_up.checked_in_at:
        raise ValidationError("已签到，不能取消报名。")
    if activity.status == ActivityStatus.OPEN and activity.starts_at <= timezone.now():
        raise ValidationError("活动已经开始，不能取消报名。")
    was_confirmed = sign_up.status == SignUpStatus.CONFIRMED
    sign_up.status = SignUpStatus.CANCELLED
    sign_up.cancelled_at = timezone.now()
    sign_up.cancel_reason = reason.strip()[:200]
    sign_up.save(update_fields=["status", "cancelled_at", "cancel_reason"])
    audit(
        actor=actor,
        action="signup.cancel",
        target=sign_up,
        organization=activity.organizer,
        detail={"activity": activity.code, "reason": sign_up.cancel_reason},
    )
    if was_confirmed and activity.status == ActivityStatus.OPEN:
        _promote_waitlist(actor, activity, 1)
    return sign_up


def _require_attendance_actor(actor, activity: Activity) -> None:
    """Check-in/out: a cadre in the organiser's scope, or the leader of the activity's team."""
    if getattr(actor, "is_staff", False) and in_scope(actor, activity.organizer):
        return
    if activity.team_id and is_team_leader(actor, activity.team):
        return
    raise PermissionDenied("只有主办方社区干部或承办服务队队长可以办理签到签退。")


def _attendance_sign_up(sign_up: SignUp) -> tuple[Activity, SignUp]:
    activity = lock(Activity, sign_up.activity_id, "organizer", "team__leader")
    sign_up = lock(SignUp, sign_up.pk, "volunteer")
    if activity.status == ActivityStatus.CANCELLED:
        raise ValidationError("活动已取消，不能签到签退。")
    if sign_up.status != SignUpStatus.CONFIRMED:
        raise ValidationError(f"报名状态为“{sign_up.get_status_display()}”，不能签到签退。")
    return activity, sign_up


@transaction.atomic
def sign_up_check_in(*, actor, sign_up: SignUp, at: datetime | None = None) -> SignUp:
    activity, sign_up = _attendance_sign_up(sign_up)
    _require_attendance_actor(actor, activity)
    at = at or timezone.now()
    if sign_up.checked_in_at:
        raise ValidationError("该志愿者已经签到。")
    _not_in_future(at, "签到")
    if not (activity.starts_at - ATTENDANCE_TOLERANCE <= at <= activity.ends_at):
        raise ValidationError("签到时间不在活动时段内（最早可提前 1 小时签到）。")
    sign_up.checked_in_at = at
    sign_up.save(update_fields=["checked_in_at"])
    audit(
        actor=actor,
        action="signup.check_in",
        target=sign_up,
        organization=activity.organizer,
        detail={"at": at.isoformat()},
    )
    return sign_up


@transaction.atomic
def sign_up_check_out(*, actor, sign_up: SignUp, at: datetime | None = None) -> HoursEntry:
    """Check out and credit the hours served inside the activity window to the ledger."""
    activity, sign_up = _attendance_sign_up(sign_up)
    _require_attendance_actor(actor, activity)
    at = at or timezone.now()
    if not sign_up.checked_in_at:
        raise ValidationError("尚未签到，不能签退。")
    if sign_up.checked_out_at:
        raise ValidationError("该志愿者已经签退。")
    _not_in_future(at, "签退")
    if at <= sign_up.checked_in_at:
        raise ValidationError("签退时间必须晚于签到时间。")
    if at > activity.ends_at + ATTENDANCE_TOLERANCE:
        raise ValidationError("签退时间超出活动时段（最晚在活动结束后 1 小时内签退）。")
    if at <= activity.starts_at:
        raise ValidationError("签退时间早于活动开始时间，没有可认定的服务时长。")
    start = max(sign_up.checked_in_at, activity.starts_at)
    end = min(at, activity.ends_at)
    seconds = max((end - start).total_seconds(), 0)
    hours = (Decimal(seconds) / Decimal(3600)).quantize(HOURS)
    if hours <= 0:
        raise ValidationError("签到至签退之间没有落在活动时段内的服务时长。")
    sign_up.checked_out_at = at
    sign_up.save(update_fields=["checked_out_at"])
    entry = HoursEntry(
        volunteer=sign_up.volunteer,
        hours=hours,
        source=HoursSource.ACTIVITY,
        served_on=timezone.localtime(activity.starts_at).date(),
        activity=activity,
        sign_up=sign_up,
        reason=f"{activity.title} 签到签退",
        created_by=actor if getattr(actor, "pk", None) else None,
    )
    derived(entry, "volunteer", "activity", "sign_up")  # the sign-up's own links
    entry.full_clean()
    entry.save()
    audit(
        actor=actor,
        action="signup.check_out",
        target=sign_up,
        organization=activity.organizer,
        detail={"at": at.isoformat(), "hours": str(hours)},
    )
    return entry
