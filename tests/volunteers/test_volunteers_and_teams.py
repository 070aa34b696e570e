"""Volunteer registration (cadre and portal), status, history; teams and their rules."""

from datetime import date

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from core.models import AuditLog
from tests.volunteers.factories import SkillFactory, VolunteerFactory, make_id_number
from volunteers.choices import TeamKind, VolunteerStatus
from volunteers.models import Team, Volunteer
from volunteers.selectors import volunteer_for_user
from volunteers.services import (
    team_add_member,
    team_create,
    team_remove_member,
    volunteer_apply,
    volunteer_create,
    volunteer_set_status,
    volunteer_update,
)

pytestmark = pytest.mark.django_db


def test_cadre_registers_with_generated_number_skills_and_audit(users, tree):
    skill = SkillFactory(code="repair", name="水电维修")
    volunteer = volunteer_create(
        actor=users["cadre_a"],
        community=tree["community_a"],
        name="邓师傅",
        phone="13512345678",
        id_number=make_id_number(5).lower(),
        skills=[skill],
        availability=["weekend", "emergency"],
    )
    assert volunteer.number == "A-V000001"
    assert volunteer.id_number == make_id_number(5).upper()
    assert volunteer.status == VolunteerStatus.REGISTERED and volunteer.registered_on
    assert list(volunteer.skills.all()) == [skill]
    second = volunteer_create(
        actor=users["cadre_a"], community=tree["community_a"], name="二号", phone="13512345679"
    )
    assert second.number == "A-V000002"
    assert AuditLog.objects.filter(action="volunteer.create").count() == 2


def test_registration_validates_and_loses_nothing(users, tree):
    with pytest.raises(ValidationError) as info:
        volunteer_create(
            actor=users["cadre_a"],
            community=tree["community_a"],
            name="错",
            phone="123",
            id_number="110105199001011234",
            availability=["midnight"],
        )
    assert {"phone", "id_number", "availability"} <= set(info.value.message_dict)
    with pytest.raises(ValidationError, match="不是社区党组织"):
        volunteer_create(
            actor=users["cadre_a"], community=tree["branch_a"], name="错", phone="13500000000"
        )
    with pytest.raises(ValidationError, match="对象不存在"):  # out of reach: like unknown
        volunteer_create(
            actor=users["cadre_a"], community=tree["community_b"], name="越权", phone="13500000000"
        )
    assert Volunteer.objects.count() == 0


def test_unit_staff_need_their_unit(users, tree):
    with pytest.raises(ValidationError, match="所在单位"):
        volunteer_create(
            actor=users["cadre_a"],
            community=tree["community_a"],
            name="职工",
            phone="13500000000",
            person_kind="unit_staff",
        )


def test_resident_applies_on_the_portal_then_is_approved(users, tree, resident_user):
    volunteer = volunteer_apply(
        actor=resident_user, community=tree["community_a"], name="小林", phone="13600000000"
    )
    assert volunteer.status == VolunteerStatus.APPLIED and volunteer.user == resident_user
    assert volunteer_for_user(resident_user).pk == volunteer.pk
    with pytest.raises(ValidationError, match="已经提交过"):
        volunteer_apply(
            actor=resident_user, community=tree["community_a"], name="小林", phone="13600000000"
        )
    with pytest.raises(PermissionDenied):
        volunteer_set_status(actor=users["cadre_b"], volunteer=volunteer, status="registered")
    volunteer = volunteer_set_status(
        actor=users["cadre_a"], volunteer=volunteer, status="registered"
    )
    assert volunteer.status == VolunteerStatus.REGISTERED and volunteer.registered_on
    with pytest.raises(ValidationError, match="原因"):
        volunteer_set_status(actor=users["cadre_a"], volunteer=volunteer, status="suspended")
    assert list(AuditLog.objects.values_list("action", flat=True).order_by("id")) == [
        "volunteer.apply",
        "volunteer.status",
    ]


def test_changes_are_kept_in_history_with_who(users, vol_a):
    volunteer_update(actor=users["cadre_a"], volunteer=vol_a, phone="13700000000")
    volunteer_set_status(
        actor=users["cadre_a"], volunteer=vol_a, status="suspended", reason="外出务工"
    )
    history = list(vol_a.history.order_by("history_id"))
    assert [h.phone for h in history] == ["13812345678", "13700000000", "13700000000"]
    assert history[-1].status == "suspended"


def test_moving_a_volunteer_out_of_scope_is_refused(users, tree, vol_a):
    with pytest.raises(ValidationError, match="对象不存在"):  # out of reach: like unknown
        volunteer_update(actor=users["cadre_a"], volunteer=vol_a, community=tree["community_b"])
    vol_a.refresh_from_db()
    assert vol_a.community == tree["community_a"]


def test_team_rules(users, tree, vol_a, vol_b):
    team = team_create(
        actor=users["cadre_a"],
        code="A-T1",
        name="巡防队",
        kind=TeamKind.PATROL,
        community=tree["community_a"],
        leader=vol_a,
    )
    assert list(team.members.all()) == [vol_a]  # the leader is a member
    with pytest.raises(ValidationError, match="临时队伍必须填写结束日期"):
        team_create(
            actor=users["cadre_a"],
            code="A-T2",
            name="突击队",
            kind=TeamKind.EMERGENCY,
            community=tree["community_a"],
            is_temporary=True,
        )
    temp = team_create(
        actor=users["cadre_a"],
        code="A-T2",
        name="防汛应急突击队",
        kind=TeamKind.EMERGENCY,
        community=tree["community_a"],
        is_temporary=True,
        established_on=date(2026, 7, 1),
        ends_on=date(2026, 9, 30),
    )
    assert temp.ends_on == date(2026, 9, 30)
    # Another community's volunteers are out of reach: answered like unknown ones (core.links).
    with pytest.raises(ValidationError, match="对象不存在"):
        team_add_member(actor=users["cadre_a"], team=team, volunteer=vol_b)
    with pytest.raises(ValidationError, match="对象不存在"):
        team_create(
            actor=users["cadre_a"],
            code="A-T3",
            name="x",
            kind="other",
            community=tree["community_a"],
            leader=vol_b,
        )
    with pytest.raises(ValidationError, match="不能移除队长"):
        team_remove_member(actor=users["cadre_a"], team=team, volunteer=vol_a)
    other = VolunteerFactory(community=tree["community_a"])
    team_add_member(actor=users["cadre_a"], team=team, volunteer=other)
    team_remove_member(actor=users["cadre_a"], team=team, volunteer=other)
    assert list(team.members.all()) == [vol_a]
    with pytest.raises(PermissionDenied):
        team_add_member(actor=users["cadre_b"], team=team, volunteer=vol_a)
    assert Team.objects.count() == 2


def test_link_to_a_party_member_must_be_in_scope(users, tree):
    from organizations.models import Member

    def member(code, branch, n):
        return Member.objects.create(
            code=code,
            name="党员",
            gender="male",
            birth_date=date(1980, 1, 1),
            id_number=make_id_number(n),
            category="in_service",
            branch=branch,
        )

    own, foreign = member("M-A", tree["branch_a"], 801), member("M-B", tree["branch_b"], 802)
    volunteer = volunteer_create(
        actor=users["cadre_a"],
        community=tree["community_a"],
        name="党员志愿者",
        phone="13500000001",
        person_kind="party_member",
        member=own,
    )
    assert own.volunteer_profile == volunteer
    # Refused like an unknown record (core.links), without naming B's member.
    with pytest.raises(ValidationError) as exc:
        volunteer_update(actor=users["cadre_a"], volunteer=volunteer, member=foreign)
    assert exc.value.message_dict == {"member": ["对象不存在。"]}
    volunteer.refresh_from_db()
    assert volunteer.member == own
