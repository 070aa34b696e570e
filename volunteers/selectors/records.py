from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.db.models import (
    Count,
    DecimalField,
    IntegerField,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
)
from django.db.models.functions import Coalesce
from django.utils import timezone

from volunteers.choices import ActivityStatus, HoursSource, SignUpStatus, WishStatus
from volunteers.models import Activity, HoursEntry, SignUp, Skill, Team, Volunteer, Wish
from volunteers.stars import hours_to_next_star, star_level

HOURS_FIELD = DecimalField(max_digits=12, decimal_places=2)


def total_hours_subquery():
    """Sum of a volunteer's ledger, as a correlated subquery (no GROUP BY on the outer list)."""
    total = (
        HoursEntry.objects.filter(volunteer=OuterRef("pk"))
        .order_by()
        .values("volunteer")
        .annotate(total=Sum("hours"))
        .values("total")
    )
    return Coalesce(
        Subquery(total, output_field=HOURS_FIELD), Value(Decimal(0)), output_field=HOURS_FIELD
    )


def _count_subquery(queryset, field: str):
    counted = (
        queryset.filter(**{field: OuterRef("pk")})
        .order_by()
        .values(field)
        .annotate(n=Count("pk"))
        .values("n")
    )
    return Coalesce(Subquery(counted, output_field=IntegerField()), Value(0))


def skills_all() -> QuerySet[Skill]:
    return Skill.objects.all()


def volunteers_visible_to(user) -> QuerySet[Volunteer]:
    return (
        Volunteer.objects.visible_to(user)
        .select_related("community", "partner_unit")
        .prefetch_related("skills")
        .annotate(total_hours=total_hours_subquery())
    )


def volunteer_for_user(user) -> Volunteer | None:
    """Portal: the signed-in resident's own volunteer record, if any."""
    if not getattr(user, "is_authenticated", False):
        return None
    return (
        Volunteer.objects.filter(user=user)
        .select_related("community")
        .prefetch_related("skills")
        .annotate(total_hours=total_hours_subquery())
        .first()
    )


def teams_visible_to(user) -> QuerySet[Team]:
    return (
        Team.objects.visible_to(user)
        .select_related("community", "leader")
        .annotate(member_count=_count_subquery(Team.members.through.objects, "team"))
    )


def _with_counts(queryset: QuerySet[Activity]) -> QuerySet[Activity]:
    confirmed = SignUp.objects.filter(status=SignUpStatus.CONFIRMED)
    waitlisted = SignUp.objects.filter(status=SignUpStatus.WAITLISTED)
    return queryset.annotate(
        confirmed_count=_count_subquery(confirmed, "activity"),
        waitlisted_count=_count_subquery(waitlisted, "activity"),
    )


def activities_visible_to(user) -> QuerySet[Activity]:
    return _with_counts(
        Activity.objects.visible_to(user)
        .select_related("organizer", "team")
        .prefetch_related("required_skills")
    )


def open_activities(*, organization=None) -> QuerySet[Activity]:
    """Portal: activities still open for sign-up (optionally within one organisation's subtree)."""
    queryset = Activity.objects.filter(
        status=ActivityStatus.OPEN, starts_at__gt=timezone.now()
    ).select_related("organizer", "team")
    if organization is not None:
        queryset = queryset.filter(
            organizer__tree_id=organization.tree_id,
            organizer__lft__gte=organization.lft,
            organizer__lft__lte=organization.rght,
        )
    return _with_counts(queryset.prefetch_related("required_skills")).order_by("starts_at")


def sign_ups_visible_to(user) -> QuerySet[SignUp]:
    return SignUp.objects.visible_to(user).select_related(
        "activity", "activity__organizer", "volunteer", "volunteer__community"
    )


def activity_roster(activity: Activity) -> QuerySet[SignUp]:
    """Confirmed first, then the waitlist in the order it will be promoted."""
    return (
        activity.sign_ups.exclude(status=SignUpStatus.CANCELLED)
        .select_related("volunteer")
        .order_by("-status", "created_at", "id")
    )


def sign_ups_of_volunteer(volunteer: Volunteer) -> QuerySet[SignUp]:
    return volunteer.sign_ups.select_related("activity", "activity__organizer").order_by(
        "-activity__starts_at"
    )


def community_activities(community, since) -> QuerySet[Activity]:
    """Calendar feed: activities of a community's subtree and of its street (cancelled ones
    too), starting from ``since`` on."""
    inside = Q(
        organizer__tree_id=community.tree_id,
        organizer__lft__gte=community.lft,
        organizer__lft__lte=community.rght,
    )
    above = Q(organizer_id=community.parent_id) if community.parent_id else Q(pk__in=[])
    return (
        Activity.objects.filter(inside | above, starts_at__gte=since)
        .select_related("organizer", "team")
        .order_by("starts_at", "code")
    )


def volunteer_calendar_sign_ups(volunteer: Volunteer, since) -> list[SignUp]:
    """Calendar feed: one sign-up per activity (the latest: a cancelled one stays when it was
    not followed by a new sign-up), activities starting from ``since`` on."""
    rows = (
        volunteer.sign_ups.filter(activity__starts_at__gte=since)
        .select_related("activity", "activity__organizer")
        .order_by("activity__starts_at", "activity__code", "created_at", "id")
    )
    latest: dict[int, SignUp] = {}
    for row in rows:
        latest[row.activity_id] = row
    return list(latest.values())


def hours_entries_visible_to(user) -> QuerySet[HoursEntry]:
    # corrects__volunteer: a correction row shows the entry it corrects, whose __str__ names
    # the volunteer (one query per correction on the admin changelist otherwise).
    return HoursEntry.objects.visible_to(user).select_related(
        "volunteer",
        "volunteer__community",
        "activity",
        "wish",
        "corrects",
        "corrects__volunteer",
        "created_by",
    )


def volunteer_ledger(volunteer: Volunteer) -> QuerySet[HoursEntry]:
    return (
        HoursEntry.objects.filter(volunteer=volunteer)
        # volunteer: the serializer writes each entry's volunteer number (one query per
        # entry otherwise).
        .select_related("volunteer", "activity", "wish", "corrects", "created_by")
        .prefetch_related(Prefetch("corrections", queryset=HoursEntry.objects.order_by("id")))
        .order_by("served_on", "id")
    )


def _hours(value) -> Decimal:
    return Decimal(str(value or 0)).quantize(Decimal("0.01"))


def volunteer_hours_summary(volunteer: Volunteer, *, year: int | None = None) -> dict[str, Any]:
    """Total (sum of all ledger entries), star level, hours to the next star, per source and
    (optionally) in one year — what the certificate and the portal's "my hours" show."""
    entries = HoursEntry.objects.filter(volunteer=volunteer)
    total = _hours(entries.aggregate(total=Sum("hours"))["total"])
    by_source = {
        row["source"]: _hours(row["total"])
        for row in entries.order_by().values("source").annotate(total=Sum("hours"))
    }
    summary = {
        "total_hours": total,
        "star_level": star_level(total),
        "hours_to_next_star": hours_to_next_star(total),
        "by_source": {
            label: by_source.get(value, _hours(0)) for value, label in HoursSource.choices
        },
        "entry_count": entries.count(),
    }
    if year is not None:
        summary["year_hours"] = _hours(
            entries.filter(served_on__year=year).aggregate(t=Sum("hours"))["t"]
        )
    return summary


def wishes_visible_to(user) -> QuerySet[Wish]:
    return Wish.objects.visible_to(user).select_related(
        "community", "claimed_by_volunteer", "claimed_by_team", "claimed_by_unit"
    )


PUBLIC_WISH_STATUSES = (
    WishStatus.PUBLISHED,
    WishStatus.CLAIMED,
    WishStatus.FULFILLED,
    WishStatus.CONFIRMED,
)
PUBLIC_WISH_FIELDS = (
    "code",
    "title",
    "description",
    "status",
    "published_at",
    "claimed_at",
    "fulfilled_at",
    "community__name",
    "community__code",
)


def wishes_public(*, community=None) -> QuerySet[Wish]:
    """Portal: published wishes, loading only public columns (never the resident's data)."""
    queryset = Wish.objects.filter(status__in=PUBLIC_WISH_STATUSES)
    if community is not None:
        queryset = queryset.filter(community=community)
    return (
        queryset.select_related("community")
        .only(*PUBLIC_WISH_FIELDS)
        .order_by("-published_at", "code")
    )
