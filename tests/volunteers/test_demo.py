"""The demo data: every team type, activities past/future/cancelled, stars, wishes in every state."""

import io

import pytest
from django.core.management import call_command

from volunteers.choices import TeamKind, WishStatus
from volunteers.models import Activity, HoursEntry, Team, Volunteer, Wish
from volunteers.selectors import volunteer_hours_summary

pytestmark = pytest.mark.django_db


def test_seed_demo_covers_every_state_and_is_idempotent(settings, tmp_path):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    call_command("seed_demo", stdout=io.StringIO())
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
    call_command("seed_demo", stdout=io.StringIO())
    assert (Volunteer.objects.count(), HoursEntry.objects.count(), Wish.objects.count()) == counts
