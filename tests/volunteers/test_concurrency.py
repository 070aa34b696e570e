"""Real concurrent transactions on PostgreSQL: the activity row lock keeps capacity exact."""

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.core.exceptions import ValidationError
from django.db import connection, connections

from tests.volunteers.factories import ActivityFactory, TeamFactory, VolunteerFactory
from volunteers.choices import SignUpStatus
from volunteers.models import SignUp, Wish
from volunteers.services import sign_up_create, wish_claim

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="needs PostgreSQL: SQLite has no row locks and serialises all writers",
    ),
]

REQUESTS = 200
CAPACITY = 50
WORKERS = 24


def _run_concurrently(calls):
    barrier = threading.Barrier(min(WORKERS, len(calls)))
    outcomes = []

    def run(call):
        try:
            try:
                barrier.wait(timeout=30)
            except threading.BrokenBarrierError:
                pass
            return call()
        except Exception as exc:  # collected and asserted by the test
            return exc
        finally:
            connections.close_all()

    with ThreadPoolExecutor(max_workers=WORKERS) as pool:
        outcomes = list(pool.map(run, calls))
    return outcomes


def test_200_concurrent_sign_ups_never_overfill_capacity_50(users, tree):
    activity = ActivityFactory(organizer=tree["community_a"], capacity=CAPACITY)
    volunteers = [VolunteerFactory(community=tree["community_a"]) for _ in range(REQUESTS)]
    actor = users["cadre_a"]
    outcomes = _run_concurrently(
        [
            (lambda v=v: sign_up_create(actor=actor, activity=activity, volunteer=v))
            for v in volunteers
        ]
    )
    errors = [o for o in outcomes if isinstance(o, Exception)]
    assert errors == []
    assert SignUp.objects.filter(activity=activity, status=SignUpStatus.CONFIRMED).count() == 50
    assert SignUp.objects.filter(activity=activity, status=SignUpStatus.WAITLISTED).count() == 150
    # The first 50 by sign-up order are the confirmed ones: the waitlist is in order too.
    ordered = list(
        SignUp.objects.filter(activity=activity)
        .order_by("created_at", "id")
        .values_list("status", flat=True)
    )
    assert ordered == [SignUpStatus.CONFIRMED] * 50 + [SignUpStatus.WAITLISTED] * 150


def test_same_volunteer_signing_up_concurrently_gets_one_sign_up(users, tree):
    activity = ActivityFactory(organizer=tree["community_a"], capacity=5)
    volunteer = VolunteerFactory(community=tree["community_a"])
    actor = users["cadre_a"]
    outcomes = _run_concurrently(
        [lambda: sign_up_create(actor=actor, activity=activity, volunteer=volunteer)] * 10
    )
    assert sum(1 for o in outcomes if isinstance(o, SignUp)) == 1
    assert all(isinstance(o, (SignUp, ValidationError)) for o in outcomes)
    assert SignUp.objects.filter(volunteer=volunteer).count() == 1


def test_a_wish_claimed_concurrently_is_claimed_once(users, tree):
    from tests.volunteers.test_wishes import published_wish

    wish = published_wish(users, tree)
    teams = [TeamFactory(community=tree["community_a"]) for _ in range(10)]
    actor = users["cadre_a"]
    outcomes = _run_concurrently(
        [(lambda t=t: wish_claim(actor=actor, wish=wish, team=t)) for t in teams]
    )
    winners = [o for o in outcomes if isinstance(o, Wish)]
    assert len(winners) == 1
    assert all(isinstance(o, (Wish, ValidationError)) for o in outcomes)
    wish.refresh_from_db()
    assert wish.claimed_by_team == winners[0].claimed_by_team
