"""Automatic indicators from the other apps: volunteer hours, active partner units and meetings
held on time (expected values computed by hand in each test's docstring)."""

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from governance.assessment.figures import FIGURES
from tests.covenants.factories import (
    ActivityFactory,
    AgreementFactory,
    LiaisonLogFactory,
    PartnerUnitFactory,
    ServiceProjectFactory,
)
from tests.governance.factories import MeetingSeriesFactory
from tests.volunteers.factories import VolunteerFactory

pytestmark = pytest.mark.django_db


def nodes(*orgs):
    return [dict(id=o.id, tree_id=o.tree_id, lft=o.lft, rght=o.rght, kind=o.kind) for o in orgs]


def test_figures_are_registered_and_offered():
    from governance.assessment.figures import figure_choices

    keys = {key for key, _ in figure_choices()}
    assert {"volunteer_hours", "active_units_rate", "meetings_on_time_rate"} <= keys


# ------------------------------------------------------------------------------ volunteer hours


def hours(volunteer, value, served_on, **kw):
    from volunteers.models import HoursEntry

    return HoursEntry.objects.create(
        volunteer=volunteer,
        hours=Decimal(value),
        served_on=served_on,
        source=kw.pop("source", "manual"),
        **kw,
    )


def test_volunteer_hours_sum_in_period_relative_to_best_of_same_kind(tree, assessment):
    """Q1 2026. A: 3 + 2 − 1 (correction of the 3 h entry, same service day) + 4 (a volunteer of
    branch A) = 8; the 10 h on 1 April are outside. B: 2. Communities: A 8/8 = 1, B 2/8 = 0.25;
    branch A alone of its kind with hours → 1; street 10/10 → 1; branch B has no volunteer →
    no score."""
    va = VolunteerFactory(community=tree["community_a"])
    vba = VolunteerFactory(community=tree["branch_a"])
    vb = VolunteerFactory(community=tree["community_b"])
    first = hours(va, "3", date(2026, 1, 10))
    hours(va, "2", date(2026, 2, 1))
    hours(va, "-1", date(2026, 1, 10), source="correction", corrects=first, reason="签退时间有误")
    hours(vba, "4", date(2026, 3, 31))
    hours(va, "10", date(2026, 4, 1))  # outside Q1
    hours(vb, "2", date(2026, 1, 5))
    ratios = FIGURES["volunteer_hours"].func(
        nodes(
            tree["street"],
            tree["community_a"],
            tree["community_b"],
            tree["branch_a"],
            tree["branch_b"],
        ),
        assessment,
    )
    assert ratios == {
        tree["street"].id: Decimal("1"),
        tree["community_a"].id: Decimal("1"),
        tree["community_b"].id: Decimal("0.25"),
        tree["branch_a"].id: Decimal("1"),
    }


def test_volunteer_hours_no_entries_in_period_no_score(tree, assessment):
    hours(VolunteerFactory(community=tree["community_a"]), "5", date(2025, 12, 31))
    assert FIGURES["volunteer_hours"].func(nodes(tree["community_a"]), assessment) == {}


# ------------------------------------------------------------------------------- active units


def agreement(unit, party_a, **kw):
    return AgreementFactory(unit=unit, party_a=party_a, **kw)


def activity(agr, day, *, confirmed=True):
    project = ServiceProjectFactory(agreement=agr)
    return ActivityFactory(
        project=project,
        date=day,
        confirmed_at=datetime(2026, 4, 1, tzinfo=UTC) if confirmed else None,
    )


def test_active_units_rate(tree, assessment):
    """Q1 2026. Community A has signed agreements with U1, U2, U3 (U4's is a draft, U5's ended
    in 2025: neither counts). U1 has a confirmed activity in March, U2 a liaison log in
    February; U3 only an unconfirmed activity and a log on 2 April → inactive. A: 2/3.
    Community B: U1 (active only with A → inactive for B) and U6 (log in January) → 1/2.
    Street: U1, U2, U3, U6 (U1 once) with U1, U2, U6 active → 3/4. Branch A: no agreement →
    no score."""
    a, b = tree["community_a"], tree["community_b"]
    u1, u2, u3, u4, u5, u6 = (PartnerUnitFactory(organization=tree["street"]) for _ in range(6))
    activity(agreement(u1, a), date(2026, 3, 15))
    agreement(u1, b)
    agreement(u2, a)
    LiaisonLogFactory(unit=u2, organization=a, date=date(2026, 2, 10))
    activity(agreement(u3, a), date(2026, 3, 1), confirmed=False)
    LiaisonLogFactory(unit=u3, organization=a, date=date(2026, 4, 2))  # outside Q1
    agreement(u4, a, status="draft", signed_on=None)
    LiaisonLogFactory(unit=u4, organization=a, date=date(2026, 2, 1))
    agreement(u5, a, status="expired", starts_on=date(2025, 1, 1), ends_on=date(2025, 12, 31))
    LiaisonLogFactory(unit=u5, organization=a, date=date(2026, 2, 1))
    agreement(u6, b)
    LiaisonLogFactory(unit=u6, organization=b, date=date(2026, 1, 20))
    ratios = FIGURES["active_units_rate"].func(
        nodes(tree["street"], a, b, tree["branch_a"]), assessment
    )
    assert ratios == {
        tree["street"].id: Decimal("0.75"),
        a.id: Decimal("0.666667"),
        b.id: Decimal("0.5"),
    }


def test_active_units_terminated_agreement_counts_up_to_termination(tree, assessment):
    """Terminated on 31 Dec 2025 (term to end 2026): out of Q1 → no score; terminated on
    15 Jan 2026 → counted, and without activity or contact inactive → 0."""
    a = tree["community_a"]
    agreement(
        PartnerUnitFactory(organization=a),
        a,
        status="terminated",
        starts_on=date(2025, 1, 1),
        terminated_on=date(2025, 12, 31),
    )
    assert FIGURES["active_units_rate"].func(nodes(a), assessment) == {}
    agreement(
        PartnerUnitFactory(organization=a),
        a,
        status="terminated",
        terminated_on=date(2026, 1, 15),
    )
    assert FIGURES["active_units_rate"].func(nodes(a), assessment) == {a.id: Decimal("0")}


# ---------------------------------------------------------------------------------- meetings


def meeting(series, start, end, held_on=None, *, status="held"):
    from governance.models import Meeting

    return Meeting.objects.create(
        code=f"{series.code}-{start:%Y%m%d}",
        series=series,
        period_start=start,
        period_end=end,
        title="联席会议",
        planned_on=start,
        status=status if held_on else "planned",
        held_on=held_on,
    )


def test_meetings_on_time_rate(tree, assessment):
    """Q1 2026. Community A's monthly series owes January, February, March (due on the last
    day): January held on 20 Jan (on time), February held on 2 March (late), March not held;
    December 2025 and April 2026 are held on time but outside → not counted. Branch A's
    quarterly series due in the first 7 days: held on 5 Jan → on time. A: (1 + 0 + 0 + 1) / 4 =
    0.5; branch A: 1; street 0.5; B's series starts in April → nothing due → no score."""
    monthly = MeetingSeriesFactory(body=tree["community_a"], starts_on=date(2025, 1, 1))
    meeting(monthly, date(2025, 12, 1), date(2025, 12, 31), date(2025, 12, 20))
    meeting(monthly, date(2026, 1, 1), date(2026, 1, 31), date(2026, 1, 20))
    meeting(monthly, date(2026, 2, 1), date(2026, 2, 28), date(2026, 3, 2))
    meeting(monthly, date(2026, 4, 1), date(2026, 4, 30), date(2026, 4, 10))
    quarterly = MeetingSeriesFactory(
        body=tree["branch_a"], cadence="quarterly", due_within_days=7, starts_on=date(2025, 6, 1)
    )
    meeting(quarterly, date(2026, 1, 1), date(2026, 3, 31), date(2026, 1, 5))
    MeetingSeriesFactory(body=tree["community_b"], starts_on=date(2026, 4, 1))
    ratios = FIGURES["meetings_on_time_rate"].func(
        nodes(tree["street"], tree["community_a"], tree["community_b"], tree["branch_a"]),
        assessment,
    )
    assert ratios == {
        tree["street"].id: Decimal("0.5"),
        tree["community_a"].id: Decimal("0.5"),
        tree["branch_a"].id: Decimal("1.0"),
    }


def test_meetings_no_series_no_score(tree, assessment):
    assert FIGURES["meetings_on_time_rate"].func(nodes(tree["community_a"]), assessment) == {}


@pytest.mark.parametrize(
    "key, queries",
    [("volunteer_hours", 1), ("active_units_rate", 3), ("meetings_on_time_rate", 2)],
)
def test_figures_cost_fixed_queries(tree, assessment, django_assert_num_queries, key, queries):
    """Set-based: the same number of queries whatever the number of organisations."""
    MeetingSeriesFactory(body=tree["community_a"], starts_on=date(2025, 1, 1))
    targets = nodes(*tree.values())
    with django_assert_num_queries(queries):
        FIGURES[key].func(targets, assessment)
