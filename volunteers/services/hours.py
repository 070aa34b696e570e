"""The service-hours ledger: append-only. Awards and corrections are new entries; nothing is
ever edited or deleted, so a volunteer's total is always the plain sum of their entries."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Sum
from django.utils import timezone

from core.links import check_links, derived
from core.scope import require_in_scope
from core.services import audit
from volunteers.choices import HoursSource
from volunteers.models import Activity, HoursEntry, Volunteer
from volunteers.services._common import lock

MAX_MANUAL_HOURS = Decimal("24")


def effective_hours(entry: HoursEntry) -> Decimal:
    """An entry's hours after all the corrections that point at it."""
    corrected = entry.corrections.aggregate(total=Sum("hours"))["total"] or Decimal(0)
    return entry.hours + corrected


def award_problems(
    *, hours, served_on: date | None, activity: Activity | None = None
) -> dict[str, list[str]]:
    """What makes a manual award impossible: a service date in the future, outside the
    activity's dates or before the activity began, or more hours than the activity window or
    the 24-hour cap. The admin form shows these on its fields; ``hours_award`` refuses them."""
    errors: dict[str, list[str]] = {}
    today = timezone.localdate()
    if served_on is not None and served_on > today:
        errors["served_on"] = [f"服务日期 {served_on} 晚于今天，不能认定尚未发生的服务。"]
    if activity is not None:
        first = timezone.localtime(activity.starts_at).date()
        last = timezone.localtime(activity.ends_at).date()
        if activity.starts_at > timezone.now():
            errors.setdefault("activity", []).append(
                f"活动“{activity.title}”尚未开始，不能认定服务时长。"
            )
        elif served_on is not None and not first <= served_on <= last:
            span = f"{first}" if first == last else f"{first} 至 {last}"
            errors.setdefault("served_on", []).append(
                f"服务日期 {served_on} 不在活动“{activity.title}”的日期（{span}）内。"
            )
    if hours is not None:
        hours = Decimal(str(hours))
        limit = activity.window_hours if activity is not None else MAX_MANUAL_HOURS
        if hours > limit:
            where = f"活动时段 {activity.window_hours} 小时" if activity else "单条上限 24 小时"
            errors["hours"] = [f"时长 {hours} 小时超过{where}。"]
        elif hours <= 0:
            errors["hours"] = ["时长必须大于 0。"]
    return errors


@transaction.atomic
def hours_award(
    *,
    actor,
    volunteer: Volunteer,
    hours: Decimal,
    served_on: date,
    reason: str,
    activity: Activity | None = None,
) -> HoursEntry:
    """A manual award (人工认定), e.g. service recorded on paper; never more than 24 h per entry
    and never more than the activity window when tied to an activity."""
    volunteer = lock(Volunteer, volunteer.pk, "community")
    hours = Decimal(str(hours))
    entry = HoursEntry(
        volunteer=volunteer,
        hours=hours,
        source=HoursSource.MANUAL,
        served_on=served_on,
        activity=activity,
        reason=reason.strip(),
        created_by=actor,
    )
    # The volunteer and the activity in the actor's reach (core.links), before anything
    # about them is looked at.
    check_links(actor=actor, instance=entry)
    errors = award_problems(hours=hours, served_on=served_on, activity=activity)
    if errors:
        raise ValidationError(errors)
    limit = activity.window_hours if activity is not None else MAX_MANUAL_HOURS
    if hours > limit:
        where = f"活动时段 {activity.window_hours} 小时" if activity else "单条上限 24 小时"
        raise ValidationError({"hours": [f"时长 {hours} 小时超过{where}。"]})
    entry.full_clean()
    entry.save()
    audit(
        actor=actor,
        action="hours.award",
        target=entry,
        organization=volunteer.community,
        detail={"hours": str(hours), "volunteer": volunteer.number},
    )
    return entry


@transaction.atomic
def hours_correct(*, actor, entry: HoursEntry, new_hours: Decimal, reason: str) -> HoursEntry:
    """Correct an entry to ``new_hours``: a new ledger line holds the difference and points at
    the original, which stays untouched."""
    volunteer = lock(Volunteer, entry.volunteer_id, "community")
    require_in_scope(actor, volunteer.community)
    entry = HoursEntry.objects.select_related("activity").get(pk=entry.pk)
    if entry.source == HoursSource.CORRECTION:
        raise ValidationError("请更正原始记录，而不是更正记录本身。")
    new_hours = Decimal(str(new_hours))
    if new_hours < 0:
        raise ValidationError({"new_hours": ["时长不能为负数。"]})
    limit = entry.activity.window_hours if entry.activity_id else MAX_MANUAL_HOURS
    if new_hours > limit:
        where = f"活动时段 {limit} 小时" if entry.activity_id else "单条上限 24 小时"
        raise ValidationError({"new_hours": [f"时长 {new_hours} 小时超过{where}。"]})
    current = effective_hours(entry)
    delta = new_hours - current
    if delta == 0:
        raise ValidationError({"new_hours": [f"更正后的时长与现有时长（{current} 小时）相同。"]})
    correction = HoursEntry(
        volunteer=volunteer,
        hours=delta,
        source=HoursSource.CORRECTION,
        served_on=entry.served_on,
        activity=entry.activity,
        corrects=entry,
        reason=reason.strip(),
        created_by=actor,
    )
    derived(correction, "volunteer", "activity", "corrects")  # the entry's own, in scope above
    correction.full_clean()
    correction.save()
    audit(
        actor=actor,
        action="hours.correct",
        target=correction,
        organization=volunteer.community,
        detail={"corrects": entry.pk, "from": str(current), "to": str(new_hours)},
    )
    return correction
