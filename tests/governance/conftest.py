import datetime as dt

import pytest

from governance.services import meeting_hold, meeting_plan, member_add, series_create


@pytest.fixture
def series_a(users, tree):
    """A monthly 三方联动 series of community A with three members (two with accounts)."""
    users["cadre_a"].email = "cadre_a@example.org"
    users["cadre_a"].save()
    series = series_create(
        actor=users["street"],
        code="A-SF",
        name="园林社区三方联动会议",
        kind="tripartite",
        body=tree["community_a"],
        cadence="monthly",
        starts_on=dt.date(2024, 1, 1),
        convenor=users["cadre_a"],
    )
    member_add(
        actor=users["street"],
        series=series,
        kind="property_company",
        name="王物业",
        unit_name="园林物业公司",
        email="wang@example.org",
    )
    member_add(
        actor=users["street"],
        series=series,
        kind="owners_committee",
        name="李业委",
        unit_name="园林小区业委会",
        user=users["grid_a"],
    )
    member_add(
        actor=users["street"],
        series=series,
        kind="residents_rep",
        name="赵居民",
        unit_name="",
    )
    return series


@pytest.fixture
def co_series(users, tree):
    """A quarterly co-construction meeting of community B with a rotating chair of three units."""
    series = series_create(
        actor=users["street"],
        code="B-GJ",
        name="胜利社区共建联席会",
        kind="co_construction",
        body=tree["community_b"],
        cadence="quarterly",
        starts_on=dt.date(2024, 1, 1),
        rotating_chair=True,
        convenor=users["cadre_b"],
    )
    for order, (name, unit) in enumerate(
        [("甲", "市一中"), ("乙", "供电公司"), ("丙", "区医院")], start=1
    ):
        member_add(
            actor=users["street"],
            series=series,
            kind="unit_liaison",
            name=name,
            unit_name=unit,
            rotation_order=order,
        )
    series.refresh_from_db()
    return series


@pytest.fixture
def held_meeting(series_a, users):
    meeting = meeting_plan(
        actor=users["cadre_a"], series=series_a, planned_on=dt.date(2024, 3, 12), agenda=["议题一"]
    )
    return meeting_hold(actor=users["cadre_a"], meeting=meeting, held_on=dt.date(2024, 3, 12))


@pytest.fixture
def branch_a_user(users, tree):
    """A cadre of 园林社区一号院党支部 (branch A-01): the assignee side of tasks community A
    dispatches to its branch (the dispatching community's people are the assigner side)."""
    from core.roles import COMMUNITY_CADRE
    from tests.conftest import make_user

    return make_user("branch_a", role=COMMUNITY_CADRE, scope=[tree["branch_a"]])
