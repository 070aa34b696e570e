"""Dashboard figures per community and for the street, with their query budget."""

from datetime import date, datetime, timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from tests.volunteers.factories import ActivityFactory, VolunteerFactory
from volunteers.choices import VolunteerStatus, WishStatus
from volunteers.models import Wish
from volunteers.selectors import volunteer_figures, volunteer_figures_by_community
from volunteers.services import hours_award

pytestmark = pytest.mark.django_db

TODAY = date(2026, 6, 30)


def _at(d: date, hour=9):
    return timezone.make_aware(datetime(d.year, d.month, d.day, hour))


@pytest.fixture
def data(users, tree):
    a, b = tree["community_a"], tree["community_b"]
    a1, a2 = VolunteerFactory(community=a), VolunteerFactory(community=a)
    VolunteerFactory(community=a, status=VolunteerStatus.APPLIED)
    b1 = VolunteerFactory(community=b)
    cadre_a, cadre_b = users["cadre_a"], users["cadre_b"]
    hours_award(
        actor=cadre_a, volunteer=a1, hours=4, served_on=TODAY - timedelta(days=10), reason="x"
    )
    hours_award(
        actor=cadre_a, volunteer=a1, hours=2, served_on=TODAY - timedelta(days=20), reason="x"
    )
    hours_award(actor=cadre_a, volunteer=a2, hours=3, served_on=date(2026, 1, 5), reason="x")
    hours_award(actor=cadre_a, volunteer=a2, hours=5, served_on=date(2025, 12, 20), reason="去年")
    hours_award(
        actor=cadre_b, volunteer=b1, hours=1.5, served_on=TODAY - timedelta(days=1), reason="x"
    )
    ActivityFactory(organizer=a, starts_at=_at(date(2026, 3, 1)), ends_at=_at(date(2026, 3, 1), 11))
    ActivityFactory(
        organizer=tree["branch_a"],
        starts_at=_at(date(2026, 4, 1)),
        ends_at=_at(date(2026, 4, 1), 11),
    )
    ActivityFactory(organizer=b, starts_at=_at(date(2026, 5, 1)), ends_at=_at(date(2026, 5, 1), 11))
    ActivityFactory(
        organizer=b,
        starts_at=_at(date(2026, 5, 2)),
        ends_at=_at(date(2026, 5, 2), 11),
        status="cancelled",
    )
    ActivityFactory(
        organizer=tree["street"], starts_at=_at(date(2026, 2, 1)), ends_at=_at(date(2026, 2, 1), 11)
    )
    for i, days in enumerate((2, 4)):
        Wish.objects.create(
            code=f"A-W{i}",
            title="心愿",
            community=a,
            beneficiary_name="某人",
            source="cadre",
            status=WishStatus.CONFIRMED,
            published_at=_at(date(2026, 6, 1)),
            fulfilled_at=_at(date(2026, 6, 1)) + timedelta(days=days),
        )
    Wish.objects.create(
        code="A-W9",
        title="未完成",
        community=a,
        beneficiary_name="某人",
        source="cadre",
        status="published",
    )
    return tree


def test_figures_per_community_and_total(users, data):
    result = volunteer_figures_by_community(users["street"], year=2026, today=TODAY)
    rows = {r["organization"]: r for r in result["communities"]}
    assert rows["A"]["registered_volunteers"] == 2
    assert rows["A"]["active_volunteers_90d"] == 1
    assert rows["A"]["hours_this_year"] == Decimal("9")
    assert rows["A"]["activities_held"] == 2  # its own and its compound branch's
    assert rows["A"]["wishes_fulfilled"] == 2
    assert rows["A"]["avg_days_to_fulfil"] == 3.0
    assert rows["B"]["activities_held"] == 1  # the cancelled one is not "held"
    assert rows["B"]["hours_this_year"] == Decimal("1.5")
    total = result["total"]
    assert total["registered_volunteers"] == 3
    assert total["active_volunteers_90d"] == 2
    assert total["activities_held"] == 4  # + the street's own activity
    assert total["hours_this_year"] == Decimal("10.5")


def test_node_figures_equal_the_street_total(users, data):
    street = volunteer_figures(data["street"], year=2026, today=TODAY)
    total = volunteer_figures_by_community(users["street"], year=2026, today=TODAY)["total"]
    for key in (
        "registered_volunteers",
        "active_volunteers_90d",
        "hours_this_year",
        "activities_held",
        "wishes_fulfilled",
    ):
        assert street[key] == total[key]
    community = volunteer_figures(data["community_a"], year=2026, today=TODAY)
    assert community["registered_volunteers"] == 2 and community["median_days_to_fulfil"] == 3.0


def test_a_cadre_sees_only_their_community(users, data):
    result = volunteer_figures_by_community(users["cadre_a"], year=2026, today=TODAY)
    assert [r["organization"] for r in result["communities"]] == ["A"]
    assert result["total"]["activities_held"] == 2


def test_query_budget_does_not_depend_on_the_number_of_communities(
    users, data, django_assert_num_queries
):
    users["street"].refresh_from_db()
    from core.scope import scope_ranges

    scope_ranges(users["street"])
    with django_assert_num_queries(7):
        volunteer_figures_by_community(users["street"], year=2026, today=TODAY)


def test_figures_api(api, users, data):
    response = api(users["cadre_b"]).get("/api/v1/volunteer-figures/?year=2026")
    assert response.status_code == 200
    assert [r["organization"] for r in response.json()["communities"]] == ["B"]
    assert api(users["cadre_b"]).get("/api/v1/volunteer-figures/?organization=A").status_code == 404
