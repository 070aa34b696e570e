"""Wishes: post → review → publish (no personal data) → claim once → fulfil → confirm (+hours)."""

from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile

from core.models import AuditLog
from tests.volunteers.factories import TeamFactory
from volunteers.choices import HoursSource, WishSource, WishStatus
from volunteers.models import HoursEntry, Wish
from volunteers.selectors import wishes_public
from volunteers.services import (
    wish_claim,
    wish_confirm,
    wish_fulfil,
    wish_post,
    wish_publish,
    wish_review,
)

pytestmark = pytest.mark.django_db


def posted_wish(users, tree, **kw):
    data = dict(
        actor=users["grid_a"],
        community=tree["community_a"],
        title="想要一台助听器",
        description="老人听力下降，希望有人帮忙选购并调试",
        beneficiary_name="王秀英",
        beneficiary_phone="13900001111",
        beneficiary_address="园林小区 3 号楼 2 单元 501",
        source=WishSource.GRID_WORKER,
    )
    data.update(kw)
    return wish_post(**data)


def published_wish(users, tree, **kw):
    wish = posted_wish(users, tree, **kw)
    wish_review(actor=users["cadre_a"], wish=wish, approve=True)
    return wish_publish(actor=users["cadre_a"], wish=wish)


def test_full_workflow_with_audit_rows_and_hours(users, tree, vol_a, resident_user):
    vol_a.user = resident_user
    vol_a.save()
    wish = published_wish(users, tree)
    assert wish.status == WishStatus.PUBLISHED and wish.code == "A-W00001"
    wish = wish_claim(actor=resident_user, wish=wish, volunteer=vol_a)
    photo = SimpleUploadedFile("done.jpg", b"\xff\xd8\xff\xe0jpeg", content_type="image/jpeg")
    wish = wish_fulfil(
        actor=resident_user, wish=wish, note="已送达并调试好", photo=photo, hours=Decimal("2")
    )
    assert wish.fulfilment_photo.name.startswith("wishes/")
    assert HoursEntry.objects.count() == 0  # credited on confirmation only
    wish = wish_confirm(actor=users["cadre_a"], wish=wish)
    assert wish.status == WishStatus.CONFIRMED
    entry = HoursEntry.objects.get()
    assert (entry.volunteer, entry.hours, entry.source, entry.wish) == (
        vol_a,
        Decimal("2.00"),
        HoursSource.WISH,
        wish,
    )
    actions = list(
        AuditLog.objects.filter(target_type="volunteers.wish")
        .order_by("id")
        .values_list("action", flat=True)
    )
    assert actions == [
        "wish.post",
        "wish.review",
        "wish.publish",
        "wish.claim",
        "wish.fulfil",
        "wish.confirm",
    ]


def test_a_wish_claimed_twice_is_refused(users, tree, vol_a):
    wish = published_wish(users, tree)
    team = TeamFactory(community=tree["community_a"])
    wish_claim(actor=users["cadre_a"], wish=wish, team=team)
    with pytest.raises(ValidationError, match="已被“.*”认领"):
        wish_claim(actor=users["cadre_a"], wish=wish, volunteer=vol_a)
    wish.refresh_from_db()
    assert wish.claimed_by_team == team and wish.claimed_by_volunteer is None
    assert AuditLog.objects.filter(action="wish.claim").count() == 1


def test_claim_needs_exactly_one_claimant(users, tree, vol_a):
    wish = published_wish(users, tree)
    team = TeamFactory(community=tree["community_a"])
    with pytest.raises(ValidationError, match="唯一的认领方"):
        wish_claim(actor=users["cadre_a"], wish=wish, volunteer=vol_a, team=team)
    with pytest.raises(ValidationError, match="唯一的认领方"):
        wish_claim(actor=users["cadre_a"], wish=wish)


def test_unpublished_wish_cannot_be_claimed(users, tree, vol_a):
    wish = posted_wish(users, tree)
    with pytest.raises(ValidationError, match="尚未发布"):
        wish_claim(actor=users["cadre_a"], wish=wish, volunteer=vol_a)


def test_review_rejection_needs_a_note_and_order_is_enforced(users, tree):
    wish = posted_wish(users, tree)
    with pytest.raises(ValidationError, match="只有审核通过"):
        wish_publish(actor=users["cadre_a"], wish=wish)
    with pytest.raises(ValidationError, match="审核意见"):
        wish_review(actor=users["cadre_a"], wish=wish, approve=False)
    wish = wish_review(actor=users["cadre_a"], wish=wish, approve=False, note="已由民政救助")
    assert wish.status == WishStatus.REJECTED


def test_publishing_refuses_personal_data_in_public_text(users, tree):
    wish = posted_wish(users, tree, description="王秀英老人想要一台助听器")
    wish_review(actor=users["cadre_a"], wish=wish, approve=True)
    with pytest.raises(ValidationError, match="姓名或电话"):
        wish_publish(actor=users["cadre_a"], wish=wish)
    wish.refresh_from_db()
    assert wish.status == WishStatus.APPROVED


def test_public_selector_never_loads_personal_data(users, tree, django_assert_num_queries):
    published_wish(users, tree)
    posted_wish(users, tree, title="未审核的心愿")
    with django_assert_num_queries(1):
        rows = list(wishes_public(community=tree["community_a"]))
    assert [w.title for w in rows] == ["想要一台助听器"]
    deferred = rows[0].get_deferred_fields()
    assert {"beneficiary_name", "beneficiary_phone", "beneficiary_address"} <= deferred


def test_scope_on_posting_and_reviewing(users, tree):
    with pytest.raises(ValidationError, match="对象不存在"):  # out of reach: like unknown
        posted_wish(users, tree, actor=users["cadre_b"])
    wish = posted_wish(users, tree)
    with pytest.raises(PermissionDenied):
        wish_review(actor=users["cadre_b"], wish=wish, approve=True)
    assert Wish.objects.count() == 1


def test_resident_posts_on_the_portal_and_confirms(users, tree, resident_user):
    wish = posted_wish(users, tree, actor=resident_user, source=WishSource.RESIDENT)
    assert wish.posted_by == resident_user
    wish_review(actor=users["cadre_a"], wish=wish, approve=True)
    wish_publish(actor=users["cadre_a"], wish=wish)
    team = TeamFactory(community=tree["community_a"])
    wish_claim(actor=users["cadre_a"], wish=wish, team=team)
    wish_fulfil(actor=users["cadre_a"], wish=wish, note="服务队上门安装")
    wish = wish_confirm(actor=resident_user, wish=wish)
    assert wish.status == WishStatus.CONFIRMED
    assert HoursEntry.objects.count() == 0  # a team claimed it: no personal hours


def test_fulfil_rules(users, tree, vol_a, resident_user):
    wish = published_wish(users, tree)
    team = TeamFactory(community=tree["community_a"])
    wish_claim(actor=users["cadre_a"], wish=wish, team=team)
    with pytest.raises(ValidationError, match="完成情况"):
        wish_fulfil(actor=users["cadre_a"], wish=wish, note=" ")
    with pytest.raises(ValidationError, match="志愿者个人认领"):
        wish_fulfil(actor=users["cadre_a"], wish=wish, note="完成", hours=2)
    with pytest.raises(PermissionDenied):
        wish_fulfil(actor=resident_user, wish=wish, note="完成")
    with pytest.raises(ValidationError, match="只有已完成"):
        wish_confirm(actor=users["cadre_a"], wish=wish)
    wish.refresh_from_db()
    assert wish.status == WishStatus.CLAIMED


def test_staff_cannot_post_into_another_community_by_claiming_resident_source(users, tree):
    with pytest.raises(ValidationError, match="对象不存在"):
        posted_wish(users, tree, actor=users["cadre_b"], source=WishSource.RESIDENT)
    assert Wish.objects.count() == 0
