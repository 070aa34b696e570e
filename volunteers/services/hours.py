"""The service-hours ledger: append-only. Awards and corrections are new entries; nothing is
ever edited or deleted, so a volunteer's total is always the plain sum of their entries."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Sum

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
