"""Member rules: ID checksum and birth date, history with who and when, counts up the tree."""

from datetime import date

import pytest
from django.core.exceptions import ValidationError

from organizations.models import Member
from organizations.selectors import members as selectors
from organizations.services import members as services
from tests.organizations.factories import make_id_number

pytestmark = pytest.mark.django_db


def member_data(tree, **overrides):
    data = dict(
        name="孙八",
        gender="female",
        id_number=make_id_number(date(1990, 2, 3), 12, male=False),
        phone="13912345678",
        category="in_service",
        branch=tree["branch_a"],
        join_date=date(2015, 7, 1),
    )
    data.update(overrides)
    return data


def test_create_fills_birth_date_from_id_and_records_history(tree, users):
    member = services.member_create(actor=users["cadre_a"], **member_data(tree))
    assert member.birth_date == date(1990, 2, 3)
    record = member.history.get()
    assert record.history_type == "+"
    assert record.history_user == users["cadre_a"]


def test_update_history_says_who_and_what(tree, users):
    member = services.member_create(actor=users["cadre_a"], **member_data(tree))
    services.member_update(actor=users["street"], member=member, category="retired")
    latest, previous = member.history.all()[:2]
    assert latest.history_user == users["street"]
    assert [c.field for c in latest.diff_against(previous).changes] == ["category"]


def test_bad_checksum_rejected(tree, users):
    good = make_id_number(date(1990, 2, 3), 12, male=False)
    bad = good[:17] + ("0" if good[17] != "0" else "1")
    with pytest.raises(ValidationError) as exc:
        services.member_create(actor=users["cadre_a"], **member_data(tree, id_number=bad))
    assert "校验位" in str(exc.value)
    assert not Member.objects.exists()


def test_birth_date_inconsistent_with_id_rejected(tree, users):
    with pytest.raises(ValidationError) as exc:
        services.member_create(
            actor=users["cadre_a"], **member_data(tree, birth_date=date(1990, 2, 4))
        )
    assert "birth_date" in exc.value.message_dict
    assert not Member.objects.exists()


def test_gender_inconsistent_with_id_rejected(tree, users):
    with pytest.raises(ValidationError) as exc:
        services.member_create(actor=users["cadre_a"], **member_data(tree, gender="male"))
    assert "gender" in exc.value.message_dict


def test_phone_must_be_mobile_or_landline(tree, users):
    with pytest.raises(ValidationError) as exc:
        services.member_create(actor=users["cadre_a"], **member_data(tree, phone="12345"))
    assert "phone" in exc.value.message_dict
    member = services.member_create(
        actor=users["cadre_a"], **member_data(tree, phone="0412-2221234")
    )
    assert member.phone == "0412-2221234"


def test_duplicate_id_number_rejected(tree, users, members):
    with pytest.raises(ValidationError) as exc:
        services.member_create(
            actor=users["cadre_a"],
            **member_data(tree, id_number=members["a1"].id_number, gender="male"),
        )
    assert "id_number" in exc.value.message_dict


def test_cadre_cannot_create_member_in_other_community(tree, users):
    from django.core.exceptions import ValidationError

    # Refused like an unknown branch (core.links): nothing about B shows.
    with pytest.raises(ValidationError) as exc:
        services.member_create(actor=users["cadre_a"], **member_data(tree, branch=tree["branch_b"]))
    assert exc.value.message_dict == {"branch": ["对象不存在。"]}
    assert not Member.objects.exists()


def test_counts_roll_up_the_tree_in_one_query(tree, users, members, django_assert_num_queries):
    users["street"].refresh_from_db()
    with django_assert_num_queries(2):  # the user's scope, then the counts
        rows = {o.code: o for o in selectors.member_counts(users["street"])}
    assert rows["S"].member_total == 5
    assert rows["A"].member_total == 3
    assert rows["A"].member_direct == 0
    assert rows["A-01"].member_total == 3
    assert rows["A-01"].member_direct == 2
    assert rows["A-01-B1"].member_total == 1
    assert rows["B"].member_total == 2
    assert "D" not in rows  # above the street admin's scope


def test_counts_for_a_cadre_stay_in_their_community(tree, users, members):
    rows = {o.code: o.member_total for o in selectors.member_counts(users["cadre_a"])}
    assert rows == {"A": 3, "A-01": 3, "A-01-B1": 1}
