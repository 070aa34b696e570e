"""Volunteers: registration (apply), activities of my community, sign-up/cancel, hours and
stars, and wishes (post → reviewed → published → claimed). Writes go through the volunteers
app's services; public reads through its public selectors."""

from __future__ import annotations

from django.db.models import Q

from portal.adapters import features


def volunteer_of(user):
    if not features()["volunteers"] or not getattr(user, "is_authenticated", False):
        return None
    from volunteers.selectors import volunteer_for_user

    return volunteer_for_user(user)


def volunteer_summary(user) -> dict | None:
    """我的志愿服务: status, total hours, star level and my sign-ups."""
    volunteer = volunteer_of(user)
    if volunteer is None:
        return None
    from volunteers.selectors import sign_ups_of_volunteer, volunteer_hours_summary
    from volunteers.stars import star_label

    hours = volunteer_hours_summary(volunteer)
    return {
        "volunteer": volunteer,
        "status": volunteer.status,
        "status_label": volunteer.get_status_display(),
        "registered": volunteer.status == "registered",
        "total_hours": hours["total_hours"],
        "star_level": hours["star_level"],
        "stars": star_label(hours["star_level"]),
        "hours_to_next_star": hours["hours_to_next_star"],
        "sign_ups": list(sign_ups_of_volunteer(volunteer)[:20]),
    }


def calendar_feed_url(request, volunteer) -> str:
    """The signed iCalendar subscription URL of my sign-ups (``volunteers/ics.py``)."""
    from core.ics import feed_url
    from volunteers import ics

    path = ics.volunteer_feed_path(volunteer)
    return feed_url(request, path, request.user, ics.VOLUNTEER, volunteer.number)


def volunteer_register(*, user, community, name: str, phone: str, availability: list[str]):
    from volunteers.services.volunteers import volunteer_apply

    return volunteer_apply(
        actor=user, community=community, name=name, phone=phone, availability=availability
    )


def availability_choices() -> list[tuple[str, str]]:
    from volunteers.choices import Availability

    return list(Availability.choices)


def upcoming_activities(community):
    """Open activities of my community and of its street, soonest first."""
    from volunteers.selectors import open_activities

    inside = Q(
        organizer__tree_id=community.tree_id,
        organizer__lft__gte=community.lft,
        organizer__lft__lte=community.rght,
    )
    return open_activities().filter(inside | Q(organizer_id=community.parent_id))


def activity_by_code(code: str):
    from volunteers.selectors import open_activities

    return open_activities().filter(code=code).first()


def my_active_sign_up(volunteer, activity):
    from volunteers.choices import ACTIVE_SIGNUP_STATUSES

    return activity.sign_ups.filter(volunteer=volunteer, status__in=ACTIVE_SIGNUP_STATUSES).first()


def sign_up(*, user, activity, volunteer):
    from volunteers.services.activities import sign_up_create

    return sign_up_create(actor=user, activity=activity, volunteer=volunteer)


def waitlist_position(sign_up) -> int:
    """1 for the first on the activity's waiting list, and so on."""
    from django.db.models import Q

    from volunteers.choices import SignUpStatus

    before = Q(created_at__lt=sign_up.created_at) | Q(
        created_at=sign_up.created_at, pk__lt=sign_up.pk
    )
    waiting = sign_up.activity.sign_ups.filter(status=SignUpStatus.WAITLISTED)
    return waiting.filter(before).count() + 1


def cancel(*, user, sign_up):
    from volunteers.services.activities import sign_up_cancel

    return sign_up_cancel(actor=user, sign_up=sign_up, reason="居民在服务平台取消")


# -- wishes -------------------------------------------------------------------------------------


def public_wishes(community=None):
    from volunteers.selectors import wishes_public

    return wishes_public(community=community)


def public_wish(code: str):
    return public_wishes().filter(code=code).first()


def wish_post(*, user, community, title: str, description: str, name: str, phone: str):
    from volunteers.choices import WishSource
    from volunteers.services.wishes import wish_post as post

    return post(
        actor=user,
        community=community,
        title=title,
        description=description,
        beneficiary_name=name,
        beneficiary_phone=phone,
        source=WishSource.RESIDENT,
    )


def wish_claim(*, user, code: str):
    """Claim a published wish for the signed-in resident's own volunteer record."""
    from volunteers.models import Wish
    from volunteers.services.wishes import wish_claim as claim

    volunteer = volunteer_of(user)
    wish = Wish.objects.filter(code=code).first()
    if wish is None or volunteer is None:
        return None
    return claim(actor=user, wish=wish, volunteer=volunteer)
