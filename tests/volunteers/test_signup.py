"""Sign-up rules: capacity, waitlist and promotion, cancellation, overlaps, skills, scope."""

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from core.models import AuditLog
from tests.volunteers.factories import ActivityFactory, SkillFactory, VolunteerFactory
from volunteers.choices import SignUpStatus, VolunteerStatus
from volunteers.models import SignUp
from volunteers.services import (
    activity_cancel,
    activity_update,
    sign_up_cancel,
    sign_up_create,
)

pytestmark = pytest.mark.django_db


def _volunteers(tree, n, key="community_a"):
    return [VolunteerFactory(community=tree[key]) for _ in range(n)]


def test_confirmed_until_full_then_waitlisted(users, tree, activity_a):
    v1, v2, v3 = _volunteers(tree, 3)
    statuses = [
        sign_up_create(actor=users["cadre_a"], activity=activity_a, volunteer=v).status
        for v in (v1, v2, v3)
    ]
    assert statuses == [SignUpStatus.CONFIRMED, SignUpStatus.CONFIRMED, SignUpStatus.WAITLISTED]
    assert AuditLog.objects.filter(action="signup.create").count() == 3


def test_cancel_promotes_first_waitlisted(users, tree, activity_a):
    v1, v2, v3, v4 = _volunteers(tree, 4)
    s1 = sign_up_create(actor=users["cadre_a"], activity=activity_a, volunteer=v1)
    sign_up_create(actor=users["cadre_a"], activity=activity_a, volunteer=v2)
    s3 = sign_up_create(actor=users["cadre_a"], activity=activity_a, volunteer=v3)
    s4 = sign_up_create(actor=users["cadre_a"], activity=activity_a, volunteer=v4)
    sign_up_cancel(actor=users["cadre_a"], sign_up=s1, reason="临时有事")
    s3.refresh_from_db()
    s4.refresh_from_db()
    assert s3.status == SignUpStatus.CONFIRMED
    assert s4.status == SignUpStatus.WAITLISTED
    assert SignUp.objects.filter(activity=activity_a, status="confirmed").count() == 2
    assert AuditLog.objects.filter(action="signup.cancel").count() == 1
    assert AuditLog.objects.filter(action="signup.promote", target_id=str(s3.pk)).exists()


def test_cancelling_a_waitlisted_sign_up_promotes_nobody(users, tree, activity_a):
    v1, v2, v3, v4 = _volunteers(tree, 4)
    for v in (v1, v2, v3):
        sign_up_create(actor=users["cadre_a"], activity=activity_a, volunteer=v)
    s4 = sign_up_create(actor=users["cadre_a"], activity=activity_a, volunteer=v4)
    s3 = SignUp.objects.get(volunteer=v3)
    sign_up_cancel(actor=users["cadre_a"], sign_up=s3)
    s4.refresh_from_db()
    assert s4.status == SignUpStatus.WAITLISTED


def test_capacity_increase_promotes_and_decrease_below_confirmed_is_refused(
    users, tree, activity_a
):
    vols = _volunteers(tree, 3)
    for v in vols:
        sign_up_create(actor=users["cadre_a"], activity=activity_a, volunteer=v)
    with pytest.raises(ValidationError, match="名额不能少于 2"):
        activity_update(actor=users["cadre_a"], activity=activity_a, capacity=1)
    activity_update(actor=users["cadre_a"], activity=activity_a, capacity=3)
    assert SignUp.objects.filter(activity=activity_a, status="confirmed").count() == 3


def test_signing_up_twice_is_refused(users, vol_a, activity_a):
    sign_up_create(actor=users["cadre_a"], activity=activity_a, volunteer=vol_a)
    with pytest.raises(ValidationError, match="已报名该活动"):
        sign_up_create(actor=users["cadre_a"], activity=activity_a, volunteer=vol_a)
    assert SignUp.objects.count() == 1


def test_can_sign_up_again_after_cancelling(users, vol_a, activity_a):
    first = sign_up_create(actor=users["cadre_a"], activity=activity_a, volunteer=vol_a)
    sign_up_cancel(actor=users["cadre_a"], sign_up=first)
    again = sign_up_create(actor=users["cadre_a"], activity=activity_a, volunteer=vol_a)
    assert again.status == SignUpStatus.CONFIRMED
    assert SignUp.objects.filter(volunteer=vol_a).count() == 2


def test_overlapping_sign_up_is_refused(users, tree, vol_a, activity_a):
    other = ActivityFactory(
        organizer=tree["community_a"],
        title="重叠的活动",
        starts_at=activity_a.starts_at + timedelta(hours=1),
        ends_at=activity_a.ends_at + timedelta(hours=1),
    )
    sign_up_create(actor=users["cadre_a"], activity=activity_a, volunteer=vol_a)
    with pytest.raises(ValidationError, match="同一时段"):
        sign_up_create(actor=users["cadre_a"], activity=other, volunteer=vol_a)
    assert SignUp.objects.filter(volunteer=vol_a).count() == 1


def test_back_to_back_activities_do_not_overlap(users, tree, vol_a, activity_a):
    after = ActivityFactory(
        organizer=tree["community_a"],
        starts_at=activity_a.ends_at,
        ends_at=activity_a.ends_at + timedelta(hours=2),
    )
    sign_up_create(actor=users["cadre_a"], activity=activity_a, volunteer=vol_a)
    assert sign_up_create(actor=users["cadre_a"], activity=after, volunteer=vol_a)


def test_sign_up_for_a_past_activity_is_refused(users, tree, vol_a):
    past = ActivityFactory(
        organizer=tree["community_a"],
        starts_at=timezone.now() - timedelta(days=1),
        ends_at=timezone.now() - timedelta(days=1) + timedelta(hours=2),
    )
    with pytest.raises(ValidationError, match="已经开始或结束"):
        sign_up_create(actor=users["cadre_a"], activity=past, volunteer=vol_a)
    assert SignUp.objects.count() == 0


def test_sign_up_for_a_cancelled_activity_is_refused(users, vol_a, activity_a):
    activity_cancel(actor=users["cadre_a"], activity=activity_a, reason="天气原因")
    with pytest.raises(ValidationError, match="活动已取消"):
        sign_up_create(actor=users["cadre_a"], activity=activity_a, volunteer=vol_a)
    assert SignUp.objects.count() == 0
    assert AuditLog.objects.filter(action="activity.cancel").count() == 1


def test_volunteer_outside_the_organisers_scope_is_refused(users, street_actor, vol_b, activity_a):
    # The street can act on community A's activity, but B's volunteer is outside organiser A.
    with pytest.raises(ValidationError, match="不在主办方"):
        sign_up_create(actor=street_actor, activity=activity_a, volunteer=vol_b)
    assert SignUp.objects.count() == 0


def test_cadre_of_another_community_cannot_sign_up(users, vol_a, activity_a):
    with pytest.raises(ValidationError, match="对象不存在"):  # out of reach: like unknown
        sign_up_create(actor=users["cadre_b"], activity=activity_a, volunteer=vol_a)
    assert SignUp.objects.count() == 0


def test_street_activity_takes_volunteers_of_all_its_communities(users, tree, vol_a, vol_b):
    activity = ActivityFactory(organizer=tree["street"])
    for v in (vol_a, vol_b):
        sign_up_create(actor=users["street"], activity=activity, volunteer=v)
    assert activity.sign_ups.count() == 2


def test_only_registered_volunteers_can_sign_up(users, tree, activity_a):
    applicant = VolunteerFactory(community=tree["community_a"], status=VolunteerStatus.APPLIED)
    with pytest.raises(ValidationError, match="申请"):
        sign_up_create(actor=users["cadre_a"], activity=activity_a, volunteer=applicant)


def test_required_skills_are_checked(users, vol_a, activity_a):
    medical = SkillFactory(code="medical", name="医疗护理")
    activity_a.required_skills.add(medical)
    with pytest.raises(ValidationError, match="医疗护理"):
        sign_up_create(actor=users["cadre_a"], activity=activity_a, volunteer=vol_a)
    vol_a.skills.add(medical)
    assert sign_up_create(actor=users["cadre_a"], activity=activity_a, volunteer=vol_a)


def test_volunteer_signs_up_and_cancels_themself(users, vol_a, activity_a, resident_user):
    vol_a.user = resident_user
    vol_a.save()
    sign_up = sign_up_create(actor=resident_user, activity=activity_a, volunteer=vol_a)
    sign_up_cancel(actor=resident_user, sign_up=sign_up)
    sign_up.refresh_from_db()
    assert sign_up.status == SignUpStatus.CANCELLED


def test_resident_cannot_sign_up_someone_else(users, vol_a, activity_a, resident_user):
    with pytest.raises(PermissionDenied):
        sign_up_create(actor=resident_user, activity=activity_a, volunteer=vol_a)


def test_cannot_cancel_after_the_activity_started(users, vol_a, activity_a):
    sign_up = sign_up_create(actor=users["cadre_a"], activity=activity_a, volunteer=vol_a)
    type(activity_a).objects.filter(pk=activity_a.pk).update(
        starts_at=timezone.now() - timedelta(minutes=5)
    )
    with pytest.raises(ValidationError, match="已经开始"):
        sign_up_cancel(actor=users["cadre_a"], sign_up=sign_up)
    sign_up.refresh_from_db()
    assert sign_up.status == SignUpStatus.CONFIRMED
