"""Writes for members, 双报到, seats, standing posts, the six needles and 六有.

Every write is keyword-only with an ``actor``, runs in a transaction, passes ``full_clean``
and re-checks the scope; workflow steps (registration, claim, feedback, appraisal, publishing
a disclosure) also write an audit row. Member writes carry the actor into the change history.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Sum

from core.events import emit
from core.links import derived
from core.scope import require_in_scope, scope_anchor
from core.services import apply_changes, audit, scoped_delete, scoped_save
from organizations.choices import Grade
from organizations.models import (
    Appraisal,
    CommunityRegistration,
    DutyShift,
    FinancialDisclosure,
    Member,
    MemberActivity,
    Post,
    PostClaim,
    SentDownCadre,
)

# ---------------------------------------------------------------- members


def _save_member(*, actor, member: Member) -> Member:
    member._history_user = actor if getattr(actor, "pk", None) else None
    kind = "member.create" if member._state.adding else "member.update"
    scoped_save(actor=actor, instance=member)
    emit(kind, instance=member)
    return member


@transaction.atomic
def member_save(*, actor, member: Member) -> Member:
    """Save a member as edited (admin form); the change history records the actor."""
    return _save_member(actor=actor, member=member)


@transaction.atomic
def member_create(*, actor, **data: Any) -> Member:
    return _save_member(actor=actor, member=Member(**data))


@transaction.atomic
def member_update(*, actor, member: Member, **data: Any) -> Member:
    apply_changes(member, data)
    return _save_member(actor=actor, member=member)


@transaction.atomic
def member_delete(*, actor, member: Member) -> None:
    member._history_user = actor
    audit(actor=actor, action="member.delete", target=member, organization=member.branch)
    emit("member.delete", instance=member)
    scoped_delete(actor=actor, instance=member)


# ---------------------------------------------------------------- 双报到


@transaction.atomic
def registration_create(*, actor, **data: Any) -> CommunityRegistration:
    registration = CommunityRegistration(**data)
    scoped_save(actor=actor, instance=registration)
    audit(
        actor=actor,
        action="registration.create",
        target=registration,
        organization=registration.community,
        detail={"member": registration.member.code},
    )
    return registration


@transaction.atomic
def registration_save(*, actor, registration: CommunityRegistration) -> CommunityRegistration:
    """Save a registration as edited (admin form), audited like create/update."""
    adding = registration._state.adding
    scoped_save(actor=actor, instance=registration)
    audit(
        actor=actor,
        action="registration.create" if adding else "registration.update",
        target=registration,
        organization=registration.community,
        detail={"member": registration.member.code},
    )
    return registration


@transaction.atomic
def registration_update(
    *, actor, registration: CommunityRegistration, **data: Any
) -> CommunityRegistration:
    apply_changes(registration, data)
    scoped_save(actor=actor, instance=registration)
    audit(
        actor=actor,
        action="registration.update",
        target=registration,
        organization=registration.community,
        detail={"fields": sorted(data)},
    )
    return registration


@transaction.atomic
def post_claim(
    *, actor, registration: CommunityRegistration, post: Post, claimed_on: date | None = None
) -> PostClaim:
    """A registered member claims a post. The post row is locked so that two claims racing for
    its last place cannot both pass the capacity check."""
    Post.objects.select_for_update().filter(pk=post.pk).first()
    claim = PostClaim(registration=registration, post=post, claimed_on=claimed_on or date.today())
    scoped_save(actor=actor, instance=claim)
    audit(
        actor=actor,
        action="post.claim",
        target=claim,
        organization=registration.community,
        detail={"post": post.code, "registration": registration.code},
    )
    return claim


@transaction.atomic
def post_claim_update(*, actor, claim: PostClaim, **data: Any) -> PostClaim:
    apply_changes(claim, data)
    Post.objects.select_for_update().filter(pk=claim.post_id).first()
    return scoped_save(actor=actor, instance=claim)


@transaction.atomic
def post_claim_withdraw(*, actor, claim: PostClaim) -> None:
    audit(
        actor=actor,
        action="post.withdraw",
        target=claim,
        organization=claim.registration.community,
    )
    scoped_delete(actor=actor, instance=claim)


def _year_hours(registration: CommunityRegistration, year: int) -> Decimal:
    total = MemberActivity.objects.filter(registration=registration, date__year=year).aggregate(
        total=Sum("hours")
    )["total"]
    return total or Decimal("0")


@transaction.atomic
def feedback_submit(
    *,
    actor,
    registration: CommunityRegistration,
    year: int,
    grade: str,
    comment: str = "",
    sent_on: date | None = None,
) -> Appraisal:
    """The community's yearly feedback form to the member's work unit; it opens (or feeds)
    the member's democratic appraisal for that year."""
    require_in_scope(actor, registration.community)
    if grade not in Grade.values:
        raise ValidationError({"grade": ["反馈等次无效。"]})
    appraisal = (
        Appraisal.objects.select_for_update()
        .filter(member_id=registration.member_id, year=year)
        .first()
    ) or Appraisal(member=registration.member, year=year)
    derived(appraisal, "member")  # the registration's own member (the registration is in scope)
    appraisal.feedback_community = registration.community
    appraisal.feedback_grade = grade
    appraisal.feedback_comment = comment
    appraisal.feedback_hours = _year_hours(registration, year)
    appraisal.feedback_sent_on = sent_on or date.today()
    appraisal.full_clean()
    appraisal.save()
    audit(
        actor=actor,
        action="appraisal.feedback",
        target=appraisal,
        organization=registration.community,
        detail={"year": year, "grade": grade, "hours": str(appraisal.feedback_hours)},
    )
    return appraisal


@transaction.atomic
def appraisal_conclude(*, actor, appraisal: Appraisal, grade: str = "") -> Appraisal:
    """Record the democratic appraisal result; without a grade the community's feedback grade
    is taken. 不合格 makes the member ineligible for that year's awards."""
    appraisal = Appraisal.objects.select_for_update().get(pk=appraisal.pk)
    require_in_scope(actor, scope_anchor(appraisal))
    grade = grade or appraisal.feedback_grade
    if not grade:
        raise ValidationError({"grade": ["请填写评议结果（该党员尚无社区反馈等次）。"]})
    appraisal.grade = grade
    appraisal.award_eligible = grade != Grade.UNQUALIFIED
    appraisal.full_clean()
    appraisal.save()
    audit(
        actor=actor,
        action="appraisal.conclude",
        target=appraisal,
        organization=appraisal.member.branch,
        detail={"year": appraisal.year, "grade": grade},
    )
    return appraisal


@transaction.atomic
def appraisal_save(*, actor, appraisal: Appraisal) -> Appraisal:
    """Plain edits (admin, API, files): the eligibility always follows the grade."""
    if appraisal.grade:
        appraisal.award_eligible = appraisal.grade != Grade.UNQUALIFIED
    return scoped_save(actor=actor, instance=appraisal)


# ---------------------------------------------------------------- standing posts


@transaction.atomic
def sent_down_cadre_save(
    *, actor, cadre: SentDownCadre, weekdays: list[int] | None = None
) -> SentDownCadre:
    """Save a sent-down cadre and, when given, replace their weekday duty roster."""
    scoped_save(actor=actor, instance=cadre)
    if weekdays is not None:
        wanted = sorted(set(weekdays))
        if any(day not in range(5) for day in wanted):
            raise ValidationError({"duty_weekdays": ["值班日只能是星期一至星期五（0–4）。"]})
        cadre.duty_shifts.exclude(weekday__in=wanted).delete()
        have = set(cadre.duty_shifts.values_list("weekday", flat=True))
        DutyShift.objects.bulk_create(
            [DutyShift(cadre=cadre, weekday=day) for day in wanted if day not in have]
        )
    return cadre


# ---------------------------------------------------------------- disclosures


@transaction.atomic
def disclosure_publish(
    *, actor, disclosure: FinancialDisclosure, published_on: date | None = None
) -> FinancialDisclosure:
    disclosure.is_public = True
    disclosure.published_on = published_on or disclosure.published_on or date.today()
    scoped_save(actor=actor, instance=disclosure)
    audit(
        actor=actor,
        action="disclosure.publish",
        target=disclosure,
        organization=disclosure.body.community,
    )
    return disclosure


@transaction.atomic
def disclosure_withdraw(*, actor, disclosure: FinancialDisclosure) -> FinancialDisclosure:
    disclosure.is_public = False
    scoped_save(actor=actor, instance=disclosure)
    audit(
        actor=actor,
        action="disclosure.withdraw",
        target=disclosure,
        organization=disclosure.body.community,
    )
    return disclosure
