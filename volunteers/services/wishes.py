"""Wishes (微心愿 / 心愿敲门): post → review → publish → claim (once) → fulfil → confirm.

Personal data of the resident stays on the wish and is never part of what is published
(see ``selectors.wishes_public``). Hours are credited on confirmation when a volunteer
fulfilled the wish.
"""

from __future__ import annotations

from decimal import Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import timezone

from core.links import check_links, check_target, derived
from core.scope import in_scope, require_in_scope
from core.services import audit
from covenants.models import PartnerUnit
from organizations.models import Organization
from volunteers.choices import HoursSource, VolunteerStatus, WishSource, WishStatus
from volunteers.models import HoursEntry, Team, Volunteer, Wish
from volunteers.services._common import is_own_volunteer, is_team_leader, lock, next_code
from volunteers.services.hours import MAX_MANUAL_HOURS


def _is_cadre(actor, organization) -> bool:
    return bool(getattr(actor, "is_staff", False) and in_scope(actor, organization))


def _step(actor, wish: Wish, action: str, **detail) -> None:
    audit(actor=actor, action=action, target=wish, organization=wish.community, detail=detail)


@transaction.atomic
def wish_post(
    *,
    actor,
    community: Organization,
    title: str,
    beneficiary_name: str,
    description: str = "",
    beneficiary_phone: str = "",
    beneficiary_address: str = "",
    source: str = WishSource.CADRE,
) -> Wish:
    """A cadre or grid worker records a wish for a resident, or a signed-in resident posts
    their own on the portal (``source="resident"``)."""
    resident = source == WishSource.RESIDENT and not getattr(actor, "is_staff", False)
    if resident and not getattr(actor, "is_authenticated", False):
        raise PermissionDenied("请先登录再提交心愿。")
    wish = Wish(
        community=community,
        title=title.strip(),
        description=description.strip(),
        beneficiary_name=beneficiary_name.strip(),
        beneficiary_phone=beneficiary_phone.strip(),
        beneficiary_address=beneficiary_address.strip(),
        source=source,
        posted_by=actor if getattr(actor, "pk", None) else None,
        status=WishStatus.SUBMITTED,
    )
    if resident:  # the portal posts to the resident's own community (their profile)
        derived(wish, "community")
    else:
        # Staff record wishes only for communities in their reach, whatever the source says
        # (core.links: out of reach answers like an unknown community).
        check_links(actor=actor, instance=wish)
    lock(Organization, community.pk)
    wish.code = next_code(Wish, "code", f"{community.code}-W", width=5)
    wish.full_clean()
    wish.save()
    _step(actor, wish, "wish.post", source=source)
    return wish


def _locked_wish(wish: Wish) -> Wish:
    return lock(Wish, wish.pk, "community")


def _require_status(wish: Wish, *allowed: str, message: str) -> None:
    if wish.status not in allowed:
        raise ValidationError(f"{message}（当前状态：{wish.get_status_display()}）。")


@transaction.atomic
def wish_review(*, actor, wish: Wish, approve: bool, note: str = "") -> Wish:
    """The community checks the wish is genuine and carries no personal data in its public text."""
    wish = _locked_wish(wish)
    require_in_scope(actor, wish.community)
    _require_status(wish, WishStatus.SUBMITTED, message="只有待审核的心愿可以审核")
    if not approve and not note.strip():
        raise ValidationError({"note": ["不通过时请填写审核意见。"]})
    wish.status = WishStatus.APPROVED if approve else WishStatus.REJECTED
    wish.review_note = note.strip()[:200]
    wish.reviewed_at = timezone.now()
    wish.save(update_fields=["status", "review_note", "reviewed_at", "updated_at"])
    _step(actor, wish, "wish.review", approve=approve, note=wish.review_note)
    return wish


@transaction.atomic
def wish_publish(*, actor, wish: Wish) -> Wish:
    wish = _locked_wish(wish)
    require_in_scope(actor, wish.community)
    _require_status(wish, WishStatus.APPROVED, message="只有审核通过的心愿可以发布")
    for name in (wish.beneficiary_name, wish.beneficiary_phone):
        if name and (name in wish.title or name in wish.description):
            raise ValidationError("心愿的公开内容中含有心愿人的姓名或电话，请修改后再发布。")
    wish.status = WishStatus.PUBLISHED
    wish.published_at = timezone.now()
    wish.save(update_fields=["status", "published_at", "updated_at"])
    _step(actor, wish, "wish.publish")
    return wish


@transaction.atomic
def wish_claim(
    *,
    actor,
    wish: Wish,
    volunteer: Volunteer | None = None,
    team: Team | None = None,
    unit: PartnerUnit | None = None,
) -> Wish:
    """Claim a published wish for exactly one of a volunteer, a team or a partner unit.

    The wish row is locked, so of two simultaneous claims exactly one wins. A volunteer may
    claim for themself on the portal; a team leader for their team; a cadre for any claimant
    in their scope."""
    claimants = [c for c in (volunteer, team, unit) if c is not None]
    if len(claimants) != 1:
        raise ValidationError("请指定唯一的认领方：志愿者、服务队或驻区单位之一。")
    wish = _locked_wish(wish)
    if wish.status in (WishStatus.CLAIMED, WishStatus.FULFILLED, WishStatus.CONFIRMED):
        raise ValidationError(f"该心愿已被“{wish.claimant}”认领。")
    _require_status(wish, WishStatus.PUBLISHED, message="该心愿尚未发布，不能认领")
    if volunteer is not None:
        volunteer = Volunteer.objects.select_related("community").get(pk=volunteer.pk)
        if not is_own_volunteer(actor, volunteer):  # a cadre: a volunteer in reach
            check_target(actor=actor, obj=volunteer, field="volunteer")
        if volunteer.status != VolunteerStatus.REGISTERED:
            raise ValidationError(f"志愿者“{volunteer.name}”不是已注册状态，不能认领。")
    if team is not None:
        team = Team.objects.select_related("community", "leader").get(pk=team.pk)
        if not is_team_leader(actor, team):  # a cadre: a team in reach
            check_target(actor=actor, obj=team, field="team")
    if unit is not None:
        unit = PartnerUnit.objects.select_related("organization").get(pk=unit.pk)
        check_target(actor=actor, obj=unit, field="unit")
    wish.claimed_by_volunteer, wish.claimed_by_team, wish.claimed_by_unit = volunteer, team, unit
    wish.status = WishStatus.CLAIMED
    wish.claimed_at = timezone.now()
    wish.full_clean()
    wish.save()
    _step(actor, wish, "wish.claim", claimant=str(claimants[0]))
    return wish


def _may_act_for_claimant(actor, wish: Wish) -> bool:
    return (
        _is_cadre(actor, wish.community)
        or is_own_volunteer(actor, wish.claimed_by_volunteer)
        or is_team_leader(actor, wish.claimed_by_team)
    )


@transaction.atomic
def wish_fulfil(
    *,
    actor,
    wish: Wish,
    note: str,
    photo: UploadedFile | None = None,
    hours: Decimal | None = None,
) -> Wish:
    """The claimant reports the wish fulfilled with a note, a photo and, for a volunteer, the
    hours spent (credited on confirmation)."""
    wish = lock(Wish, wish.pk, "community", "claimed_by_volunteer", "claimed_by_team__leader")
    _require_status(wish, WishStatus.CLAIMED, message="只有已认领的心愿可以登记完成")
    if not _may_act_for_claimant(actor, wish):
        raise PermissionDenied("只有认领方或社区干部可以登记完成。")
    if not note.strip():
        raise ValidationError({"note": ["请填写完成情况。"]})
    if hours is not None:
        hours = Decimal(str(hours))
        if not wish.claimed_by_volunteer_id:
            raise ValidationError({"hours": ["只有志愿者个人认领的心愿才记录服务时长。"]})
        if hours <= 0 or hours > MAX_MANUAL_HOURS:
            raise ValidationError({"hours": ["服务时长应大于 0 且不超过 24 小时。"]})
    wish.fulfilment_note = note.strip()
    if photo is not None:
        wish.fulfilment_photo = photo
    wish.service_hours = hours
    wish.status = WishStatus.FULFILLED
    wish.fulfilled_at = timezone.now()
    wish.full_clean()
    wish.save()
    _step(actor, wish, "wish.fulfil", hours=str(hours) if hours is not None else None)
    return wish


@transaction.atomic
def wish_confirm(*, actor, wish: Wish) -> Wish:
    """The community (or the resident who posted the wish) confirms it was fulfilled."""
    wish = lock(Wish, wish.pk, "community", "claimed_by_volunteer")
    _require_status(wish, WishStatus.FULFILLED, message="只有已完成的心愿可以确认")
    own = wish.source == WishSource.RESIDENT and wish.posted_by_id == getattr(actor, "pk", None)
    if not (own or _is_cadre(actor, wish.community)):
        raise PermissionDenied("只有社区干部或心愿提交人可以确认。")
    wish.status = WishStatus.CONFIRMED
    wish.confirmed_at = timezone.now()
    wish.save(update_fields=["status", "confirmed_at", "updated_at"])
    entry = None
    if wish.claimed_by_volunteer_id and wish.service_hours:
        entry = HoursEntry(
            volunteer=wish.claimed_by_volunteer,
            hours=wish.service_hours,
            source=HoursSource.WISH,
            served_on=timezone.localtime(wish.fulfilled_at).date(),
            wish=wish,
            reason=f"微心愿：{wish.title}",
            created_by=actor if getattr(actor, "pk", None) else None,
        )
        derived(entry, "volunteer", "wish")  # the wish's own claimant, checked at the claim
        entry.full_clean()
        entry.save()
    _step(actor, wish, "wish.confirm", hours_entry=entry.pk if entry else None)
    return wish
