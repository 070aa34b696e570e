"""Committee seats (三三制), first secretaries / commissioners, sent-down cadres' duty gaps."""

import csv
import io
from datetime import date

import pytest
from django.core.exceptions import ValidationError

from organizations.importers import CommitteeSeatImporter, SentDownCadreImporter
from organizations.models import CommitteeSeat, SentDownCadre, StandingAppointment
from organizations.models.standing import DutyShift
from organizations.selectors import members as selectors
from organizations.services import members as services

pytestmark = pytest.mark.django_db
TODAY = date(2025, 9, 1)


def csv_file(rows):
    buffer = io.StringIO()
    csv.writer(buffer).writerows(rows)
    return buffer.getvalue().encode("utf-8")


def seat(committee, seat_type, n, unit=None, **kw):
    for i in range(n):
        CommitteeSeat.objects.create(
            committee=committee,
            person_name=f"{seat_type}{i}",
            seat_type=seat_type,
            unit=unit,
            term_start=kw.get("term_start", date(2024, 1, 1)),
            term_end=kw.get("term_end"),
        )


def test_three_thirds_balanced_within_one_seat(tree, users, unit):
    seat(tree["community_a"], "community_cadre", 3)
    seat(tree["community_a"], "resident_member", 3)
    seat(tree["community_a"], "unit_member", 2, unit=unit)
    seat(tree["community_b"], "community_cadre", 5)
    seat(tree["community_b"], "resident_member", 1)
    seat(tree["community_b"], "unit_member", 1, unit=unit)
    # An expired seat does not count.
    seat(tree["community_b"], "unit_member", 3, unit=unit, term_end=date(2024, 12, 31))
    rows = {r.committee.code: r for r in selectors.three_thirds(users["street"], today=TODAY)}
    assert (rows["A"].total, rows["A"].balanced) == (8, True)
    assert (rows["B"].cadres, rows["B"].units, rows["B"].balanced) == (5, 1, False)
    assert rows["S"].total == 0 and rows["S"].balanced is False


def test_seat_term_ending_before_start_rejected(tree, users):
    bad = CommitteeSeat(
        committee=tree["community_a"],
        person_name="错",
        seat_type="resident_member",
        term_start=date(2025, 1, 1),
        term_end=date(2024, 12, 31),
    )
    with pytest.raises(ValidationError) as exc:
        services.scoped_save(actor=users["cadre_a"], instance=bad)
    assert "term_end" in exc.value.message_dict


def test_unit_member_needs_unit_and_committee_kind(tree, users):
    bad = CommitteeSeat(
        committee=tree["branch_a"],
        person_name="错",
        seat_type="unit_member",
        term_start=date(2025, 1, 1),
    )
    with pytest.raises(ValidationError) as exc:
        bad.full_clean()
    assert {"unit", "committee"} <= set(exc.value.message_dict)


def test_import_seat_term_before_start_rejected_nothing_written(tree, users, unit):
    data = csv_file(
        [
            ["所在党委编码", "姓名", "委员类别", "来自单位", "任期开始", "任期结束"],
            ["A", "甲", "驻区单位党员", "U-CITY", "2024-01-01", "2026-12-31"],
            ["A", "乙", "居民党员", "", "2025-01-01", "2024-06-30"],
        ]
    )
    result = CommitteeSeatImporter(users["cadre_a"]).run(data, "s.csv", dry_run=False)
    assert [(e.row, e.column) for e in result.errors] == [(3, "任期结束")]
    assert "早于" in result.errors[0].message
    assert not CommitteeSeat.objects.exists()


def test_import_seat_outside_scope_rejected(tree, users):
    data = csv_file(
        [
            ["所在党委编码", "姓名", "委员类别", "任期开始"],
            ["B", "甲", "居民党员", "2024-01-01"],
        ]
    )
    result = CommitteeSeatImporter(users["cadre_a"]).run(data, "s.csv", dry_run=False)
    assert [(e.row, e.column) for e in result.errors] == [(2, "所在党委编码")]


def test_three_thirds_api(api, users, tree):
    seat(tree["community_a"], "community_cadre", 1)
    body = api(users["cadre_a"]).get("/api/v1/committee-seats/three-thirds/").json()
    assert body == [
        {
            "committee": "A",
            "committee_name": tree["community_a"].name,
            "cadres": 1,
            "residents": 0,
            "units": 0,
            "total": 1,
            "balanced": False,
        }
    ]


def test_appointment_dates_in_order(tree, users):
    bad = StandingAppointment(
        community=tree["community_a"],
        kind="first_secretary",
        person_name="钱书记",
        start_date=date(2025, 3, 1),
        end_date=date(2025, 2, 1),
    )
    with pytest.raises(ValidationError):
        services.scoped_save(actor=users["cadre_a"], instance=bad)


def cadre(community, days, start=date(2025, 1, 1), end=None, user=None):
    obj = SentDownCadre(community=community, person_name="下沉干部", start_date=start, end_date=end)
    return services.sent_down_cadre_save(actor=user, cadre=obj, weekdays=days)


def test_duty_gaps_list_every_community_workday_without_duty(tree, users):
    root = users["root"]
    cadre(tree["community_a"], [0, 1, 2], user=root)
    cadre(tree["community_a"], [3], user=root)
    cadre(tree["community_a"], [4], end=date(2025, 9, 2), user=root)  # leaves on Tuesday
    cadre(tree["community_b"], [0, 1, 2, 3, 4], start=date(2025, 9, 3), user=root)
    # Monday 1 Sep – Sunday 7 Sep 2025.
    gaps = selectors.duty_gaps(users["street"], start=date(2025, 9, 1), end=date(2025, 9, 7))
    assert [(g.community.code, g.day.isoformat()) for g in gaps] == [
        ("A", "2025-09-05"),
        ("B", "2025-09-01"),
        ("B", "2025-09-02"),
    ]
    only_a = selectors.duty_gaps(users["cadre_a"], start=date(2025, 9, 1), end=date(2025, 9, 7))
    assert [g.community.code for g in only_a] == ["A"]


def test_weekdays_replaced_and_validated(tree, users):
    obj = cadre(tree["community_a"], [0, 2], user=users["cadre_a"])
    services.sent_down_cadre_save(actor=users["cadre_a"], cadre=obj, weekdays=[2, 4])
    assert list(obj.duty_shifts.values_list("weekday", flat=True)) == [2, 4]
    with pytest.raises(ValidationError):
        services.sent_down_cadre_save(actor=users["cadre_a"], cadre=obj, weekdays=[5])


def test_gaps_api_and_cadre_api(api, users, tree):
    client = api(users["cadre_a"])
    response = client.post(
        "/api/v1/sent-down-cadres/",
        {
            "community": "A",
            "person_name": "孙干部",
            "phone": "13912340000",
            "start_date": "2025-01-01",
            "duty_weekdays": [0, 1, 2, 3, 4],
        },
        format="json",
    )
    assert response.status_code == 201, response.json()
    assert response.json()["duty_weekdays"] == [0, 1, 2, 3, 4]
    assert response.json()["phone"] == "139****0000"
    body = client.get(
        "/api/v1/sent-down-cadres/gaps/", {"start": "2025-09-01", "end": "2025-09-07"}
    ).json()
    assert body == []
    assert (
        client.get(
            "/api/v1/sent-down-cadres/gaps/", {"start": "2025-09-07", "end": "2025-09-01"}
        ).status_code
        == 400
    )


def test_import_cadres_with_weekdays(tree, users):
    data = csv_file(
        [
            ["下沉社区编码", "姓名", "下沉开始", "值班日"],
            ["A", "甲", "2025-01-01", "一、三、五"],
            ["A", "乙", "2025-01-01", "周六"],
        ]
    )
    result = SentDownCadreImporter(users["cadre_a"]).run(data, "c.csv", dry_run=False)
    assert [(e.row, e.column) for e in result.errors] == [(3, "值班日")]
    assert not SentDownCadre.objects.exists()
    result = SentDownCadreImporter(users["cadre_a"]).run(
        data.replace("周六".encode(), "二".encode()), "c.csv", dry_run=False
    )
    assert result.committed, [str(e) for e in result.errors]
    assert sorted(DutyShift.objects.values_list("weekday", flat=True)) == [0, 1, 2, 4]
