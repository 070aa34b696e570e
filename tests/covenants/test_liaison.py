from datetime import date

import pytest
from django.core.exceptions import ValidationError

from covenants.selectors import (
    activity_window_start,
    contact_window_start,
    inactive_units,
    months_before,
    unit_activity_table,
)
from covenants.services import liaison_log_record
from tests.covenants.factories import ActivityFactory, LiaisonLogFactory

pytestmark = pytest.mark.django_db
ON = date(2026, 5, 20)


def test_windows():
    assert contact_window_start(ON) == date(2026, 4, 20)
    assert activity_window_start(ON) == date(2026, 2, 20)
    assert months_before(date(2026, 3, 31), 1) == date(2026, 2, 28)
    assert months_before(date(2026, 1, 15), 3) == date(2025, 10, 15)


def _flags(user, unit_code, on=ON):
    rows = {r.unit.code: r for r in unit_activity_table(user, on=on).rows}
    return rows[unit_code].no_contact, rows[unit_code].no_activity


@pytest.mark.parametrize(
    "contact_day,no_contact",
    [(date(2026, 4, 20), False), (date(2026, 4, 19), True), (ON, False)],
)
def test_no_contact_in_a_month_edges(signed, users, tree, units, contact_day, no_contact):
    LiaisonLogFactory(unit=units["a"], organization=tree["community_a"], date=contact_day)
    assert _flags(users["cadre_a"], "UA")[0] is no_contact


@pytest.mark.parametrize(
    "activity_day,no_activity",
    [(date(2026, 2, 20), False), (date(2026, 2, 19), True)],
)
def test_no_activity_in_a_quarter_edges(signed, users, units, activity_day, no_activity):
    project = signed["a"]["project"]
    project.activities.all().delete()
    ActivityFactory(project=project, date=activity_day)
    assert _flags(users["cadre_a"], "UA")[1] is no_activity


def test_future_records_do_not_make_a_unit_active(signed, users, tree, units):
    signed["a"]["project"].activities.all().delete()
    LiaisonLogFactory(unit=units["a"], organization=tree["community_a"], date=date(2026, 5, 21))
    ActivityFactory(project=signed["a"]["project"], date=date(2026, 5, 21))
    assert _flags(users["cadre_a"], "UA") == (True, True)


def test_inactive_list_and_scope(signed, users, tree, units):
    # UA: contact and activity recent → active; US contacts only B → inactive for A.
    LiaisonLogFactory(unit=units["a"], organization=tree["community_a"], date=date(2026, 5, 1))
    ActivityFactory(project=signed["a"]["project"], date=date(2026, 5, 1))
    LiaisonLogFactory(unit=units["shared"], organization=tree["community_b"], date=date(2026, 5, 1))
    ActivityFactory(project=signed["shared_b"]["project"], date=date(2026, 5, 1))
    assert [r.unit.code for r in inactive_units(users["cadre_a"], on=ON)] == ["US"]
    assert [r.unit.code for r in inactive_units(users["cadre_b"], on=ON)] == ["UB"]
    street = inactive_units(users["street"], on=ON)
    assert [r.unit.code for r in street] == ["UB"]
    assert street[0].reasons == ["近一个月无联系"]  # its March activity is within the quarter
    later = inactive_units(users["street"], on=date(2026, 8, 1))
    assert {r.unit.code: r.reasons for r in later}["UB"] == ["近一个月无联系", "近一个季度无活动"]


def test_activity_table_constant_queries(signed, users, tree, units, django_assert_num_queries):
    from tests.covenants.factories import (
        AgreementFactory,
        PartnershipFactory,
        PartnerUnitFactory,
        ServiceProjectFactory,
    )

    def grow(n):
        for _ in range(n):
            unit = PartnerUnitFactory(organization=tree["community_a"])
            PartnershipFactory(unit=unit, organization=tree["community_b"])
            project = ServiceProjectFactory(
                agreement=AgreementFactory(party_a=tree["community_a"], unit=unit)
            )
            for month in (1, 2, 3):
                ActivityFactory(project=project, date=date(2026, month, 5))
                LiaisonLogFactory(
                    unit=unit, organization=tree["community_a"], date=date(2026, month, 5)
                )

    user = users["street"]
    for n in (2, 10):
        grow(n)
        user.__dict__.pop("_scope_ranges_cache", None)
        with django_assert_num_queries(4):  # scope, units, activities by unit, logs by unit
            table = unit_activity_table(user, organization=tree["street"], year=2026, on=ON)
            assert all(r.contact_months in (0, 3) for r in table.rows)
        with django_assert_num_queries(3):  # scope cached: streets, activities, logs
            from covenants.selectors import street_activity_summary

            street_activity_summary(user, year=2026)


def test_liaison_log_rules(units, users, tree):
    log = liaison_log_record(
        actor=users["cadre_a"],
        unit=units["shared"],
        organization=tree["community_a"],
        date=date(2026, 3, 3),
        mode="visit",
        content="商议六一活动",
    )
    assert log.liaison_name == "王联络"
    with pytest.raises(ValidationError, match="对象不存在"):
        liaison_log_record(
            actor=users["cadre_a"],
            unit=units["shared"],
            organization=tree["community_b"],
            date=date(2026, 3, 3),
            mode="visit",
            content="越权",
        )
    with pytest.raises(ValidationError):  # no co-building between UA and the street node
        liaison_log_record(
            actor=users["street"],
            unit=units["a"],
            organization=tree["community_b"],
            date=date(2026, 3, 3),
            mode="phone",
            content="无共建关系",
        )
    with pytest.raises(ValidationError):
        liaison_log_record(
            actor=users["cadre_a"],
            unit=units["a"],
            organization=tree["community_a"],
            date=date(2999, 1, 1),
            mode="phone",
            content="未来",
        )
