"""Volunteer calendar feeds (built by ``core.ics``): a community's activities and one
volunteer's sign-ups. UIDs ``activity-<code>@<host>`` in both feeds; a cancelled activity, or
a volunteer's cancelled sign-up, stays in the feed as ``STATUS:CANCELLED``."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from core import ics
from volunteers.choices import ActivityStatus, SignUpStatus

COMMUNITY = "activities"
VOLUNTEER = "sign-ups"
WINDOW_DAYS = 90  # feeds hold activities starting from this many days ago on


def since():
    return timezone.now() - timedelta(days=WINDOW_DAYS)


def _add(cal, activity, *, host, status, sequence, note=""):
    description = [f"主办：{activity.organizer.name}"]
    if activity.team_id:
        description.append(f"承办服务队：{activity.team.name}")
    if note:
        description.append(note)
    if activity.status == ActivityStatus.CANCELLED and activity.cancel_reason:
        description.append(f"取消原因：{activity.cancel_reason}")
    if activity.description:
        description.append(activity.description)
    ics.add_event(
        cal,
        uid=f"activity-{activity.code}@{host}",
        summary=activity.title,
        start=activity.starts_at,
        end=activity.ends_at,
        location=activity.place,
        description="\n".join(description),
        status=status,
        sequence_=sequence,
        last_modified=activity.updated_at,
    )


def community_calendar(community, activities, *, host: str):
    cal = ics.calendar(f"{community.name}志愿活动")
    for activity in activities:
        cancelled = activity.status == ActivityStatus.CANCELLED
        _add(
            cal,
            activity,
            host=host,
            status="CANCELLED" if cancelled else "CONFIRMED",
            sequence=ics.sequence(activity.updated_at),
        )
    return cal


def volunteer_calendar(volunteer, sign_ups, *, host: str):
    cal = ics.calendar(f"{volunteer.name}的志愿活动")
    for sign_up in sign_ups:
        activity = sign_up.activity
        if activity.status == ActivityStatus.CANCELLED or sign_up.status == SignUpStatus.CANCELLED:
            status = "CANCELLED"
        elif sign_up.status == SignUpStatus.WAITLISTED:
            status = "TENTATIVE"
        else:
            status = "CONFIRMED"
        _add(
            cal,
            activity,
            host=host,
            status=status,
            sequence=ics.sequence(activity.updated_at, sign_up.created_at, sign_up.cancelled_at),
            note=f"我的报名：{sign_up.get_status_display()}",
        )
    return cal


def community_for(user, code: str):
    """The community whose feed ``user`` may read: in the user's scope, or the community the
    user (a resident) volunteers for. ``None`` otherwise (answered like an unknown code)."""
    from core.scope import in_scope
    from organizations.models import Organization
    from volunteers.selectors import volunteer_for_user

    community = Organization.objects.filter(code=code).first()
    if community is None:
        return None
    if in_scope(user, community):
        return community
    own = volunteer_for_user(user)
    return community if own is not None and own.community_id == community.pk else None


def volunteer_for(user, number: str):
    """The volunteer whose sign-ups ``user`` may read: in scope, or the user's own record."""
    from volunteers.models import Volunteer

    visible = Volunteer.objects.visible_to(user).filter(number=number).first()
    if visible is not None:
        return visible
    return Volunteer.objects.filter(number=number, user_id=user.pk).first()


def volunteer_feed_path(volunteer) -> str:
    from django.urls import reverse

    return reverse("volunteer-calendar", kwargs={"number": volunteer.number})


def community_feed_path(community) -> str:
    from django.urls import reverse

    return reverse("volunteer-community-calendar", kwargs={"code": community.code})
