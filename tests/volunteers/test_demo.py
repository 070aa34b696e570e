"""The demo data: every team type, activities past/future/cancelled, stars, wishes in every state."""

import io

import pytest

from volunteers.choices import TeamKind, WishStatus
from volunteers.models import Activity, HoursEntry, Team, Volunteer, Wish
from volunteers.selectors import volunteer_hours_summary

pytestmark = pytest.mark.django_db


def seed() -> None:
    """The demo tree and admin (what seed_demo runs before us), then the volunteers seed."""
    from core.demo import DEMO_ADMIN, ensure_user
    from core.roles import setup_roles
    from organizations import demo as organizations_demo
    from volunteers import demo

    setup_roles()
    ensure_user(DEMO_ADMIN[0], superuser=True)
    organizations_demo.seed(io.StringIO())
    demo.seed(io.StringIO())


def test_seed_covers_every_state_and_is_idempotent():
    seed()
    assert set(Team.objects.values_list("kind", flat=True)) == set(TeamKind.values)
    assert Team.objects.filter(is_temporary=True, ends_on__isnull=False).exists()
    assert Activity.objects.filter(status="cancelled").exists()
    assert Activity.objects.filter(sign_ups__status="waitlisted").exists()
    assert HoursEntry.objects.filter(source="correction").exists()
    stars = {volunteer_hours_summary(v)["star_level"] for v in Volunteer.objects.all()}
    assert stars >= {0, 1, 2, 3, 4, 5}
    states = set(Wish.objects.values_list("status", flat=True))
    assert states == set(WishStatus.values)
    counts = (Volunteer.objects.count(), HoursEntry.objects.count(), Wish.objects.count())
    seed()
    assert (Volunteer.objects.count(), HoursEntry.objects.count(), Wish.objects.count()) == counts
