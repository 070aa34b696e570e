import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from core.models import AuditLog
from covenants.models import PartnerUnit, UnitPartnership
from covenants.selectors import units_visible_to
from covenants.services import unit_add_partner, unit_create, unit_update
from tests.covenants.factories import credit_code

pytestmark = pytest.mark.django_db


def test_unit_create_validates_credit_code_checksum(tree, users):
    good = credit_code(7)
    bad = good[:-1] + ("0" if good[-1] != "0" else "1")
    with pytest.raises(ValidationError) as exc:
        unit_create(
            actor=users["street"],
            code="U1",
            name="铁东供热公司",
            kind="state_enterprise",
            organization=tree["street"],
            credit_code=bad,
        )
    assert "校验位" in str(exc.value.message_dict["credit_code"])
    assert PartnerUnit.objects.count() == 0
    unit = unit_create(
        actor=users["street"],
        code="U1",
        name="铁东供热公司",
        kind="state_enterprise",
        organization=tree["street"],
        credit_code=good.lower(),
        partners=[tree["community_a"]],
    )
    assert unit.credit_code == good
    assert list(unit.partners.all()) == [tree["community_a"]]
    assert AuditLog.objects.filter(action="unit.create", target_id=str(unit.pk)).count() == 1


def test_unit_create_outside_scope_refused(tree, users):
    with pytest.raises(ValidationError, match="对象不存在"):
        unit_create(
            actor=users["cadre_a"],
            code="U1",
            name="x",
            kind="school",
            organization=tree["community_b"],
        )
    with pytest.raises(ValidationError, match="对象不存在"):
        unit_create(
            actor=users["cadre_a"],
            code="U1",
            name="x",
            kind="school",
            organization=tree["community_a"],
            partners=[tree["community_b"]],
        )
    assert PartnerUnit.objects.count() == 0


def test_unit_liaison_phone_validated(tree, users):
    with pytest.raises(ValidationError) as exc:
        unit_create(
            actor=users["street"],
            code="U1",
            name="x",
            kind="school",
            organization=tree["street"],
            liaison_phone="12345",
        )
    assert "liaison_phone" in exc.value.message_dict


def test_visibility_registering_node_and_partners(units, users):
    """A sees its own unit and the street unit it co-builds with; never B's own unit."""
    assert set(units_visible_to(users["cadre_a"]).values_list("code", flat=True)) == {"UA", "US"}
    assert set(units_visible_to(users["cadre_b"]).values_list("code", flat=True)) == {"UB", "US"}
    assert set(units_visible_to(users["street"]).values_list("code", flat=True)) == {
        "UA",
        "UB",
        "US",
    }
    # No duplicate rows for a unit with two partners in the same scope.
    assert units_visible_to(users["street"]).count() == 3


def test_partner_may_read_but_not_change_a_unit_registered_above(units, users):
    shared = units["shared"]
    with pytest.raises(PermissionDenied):
        unit_update(actor=users["cadre_a"], unit=shared, name="改名")
    shared.refresh_from_db()
    assert shared.name == "供电公司"
    unit_update(actor=users["street"], unit=shared, name="国网供电公司")
    shared.refresh_from_db()
    assert shared.name == "国网供电公司"


def test_add_partner_checks_kind_and_scope(tree, units, users):
    with pytest.raises(ValidationError):
        unit_add_partner(actor=users["street"], unit=units["a"], organization=tree["branch_a"])
    with pytest.raises(ValidationError, match="对象不存在"):  # out of reach: like unknown
        unit_add_partner(actor=users["cadre_a"], unit=units["a"], organization=tree["community_b"])
    unit_add_partner(actor=users["street"], unit=units["a"], organization=tree["community_b"])
    assert UnitPartnership.objects.filter(
        unit=units["a"], organization=tree["community_b"]
    ).exists()
    assert set(units_visible_to(users["cadre_b"]).values_list("code", flat=True)) == {
        "UA",
        "UB",
        "US",
    }


def test_partners_listed_only_within_scope(units, users):
    [shared_a] = [u for u in units_visible_to(users["cadre_a"]) if u.code == "US"]
    assert [p.code for p in shared_a.partners.all()] == ["A"]
    [shared_s] = [u for u in units_visible_to(users["street"]) if u.code == "US"]
    assert [p.code for p in shared_s.partners.all()] == ["A", "B"]
