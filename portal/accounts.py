"""Resident accounts: registration and phone + password login with a lock-out."""

from __future__ import annotations

from django.contrib.auth import authenticate, get_user_model
from django.contrib.auth.models import Group
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from core.links import derived
from core.lockout import lockout_message
from core.services import audit
from portal.models import ResidentProfile
from portal.roles import RESIDENT

LOGIN_FAILED = "手机号或密码不对，请再试一次。"


PHONE_TAKEN = "这个手机号已经注册过了，请直接登录。"


def resident_phone_taken(phone: str) -> bool:
    User = get_user_model()
    return (
        User.objects.filter(username=phone).exists()
        or ResidentProfile.objects.filter(phone=phone).exists()
    )


@transaction.atomic
def resident_register(
    *,
    name: str,
    phone: str,
    community,
    password: str | None = None,
    password_hash: str | None = None,
    phone_verified: bool = False,
) -> ResidentProfile:
    """Create the user (username = phone) and profile; the password is already validated
    (or comes hashed, kept in the session while the phone is verified). ``phone_verified``:
    the resident just answered an SMS code sent to ``phone`` (``portal.phone_codes``)."""
    User = get_user_model()
    if resident_phone_taken(phone):
        raise ValidationError({"phone": PHONE_TAKEN})
    user = User(username=phone, first_name=name[:150], is_staff=False, is_superuser=False)
    if password_hash:
        user.password = password_hash
    else:
        user.set_password(password)
    user.full_clean(exclude=["password"])
    user.save()
    group, _ = Group.objects.get_or_create(name=RESIDENT)
    user.groups.add(group)
    profile = ResidentProfile(
        user=user,
        name=name,
        phone=phone,
        community=community,
        phone_verified_at=timezone.now() if phone_verified else None,
    )
    # Any community the portal lists publicly: a new resident has no scope to check against.
    derived(profile, "community")
    profile.full_clean()
    profile.save()
    audit(actor=user, action="portal.resident_register", target=profile, organization=community)
    return profile


def resident_verify_phone(profile: ResidentProfile) -> ResidentProfile:
    """The resident answered the SMS code sent to their phone: from now on 我的反映 lists the
    requests filed with it."""
    profile.phone_verified_at = timezone.now()
    profile.save(update_fields=["phone_verified_at", "updated_at"])
    audit(
        actor=profile.user,
        action="portal.resident_verify_phone",
        target=profile,
        organization=profile.community,
    )
    return profile


def resident_authenticate(request, *, phone: str, password: str):
    """The resident's user, or ValidationError. Staff accounts cannot log in here. Failures
    count towards the site-wide lock-out (django-axes, per phone and per IP)."""
    user = authenticate(request, username=phone, password=password)
    if getattr(request, "axes_locked_out", False):
        raise ValidationError(lockout_message(request), code="locked")
    if (
        user is None
        or user.is_staff
        or user.is_superuser
        or not ResidentProfile.objects.filter(user=user).exists()
    ):
        raise ValidationError(LOGIN_FAILED, code="invalid")
    return user


def profile_of(user) -> ResidentProfile | None:
    if not user.is_authenticated or user.is_staff:
        return None
    return ResidentProfile.objects.filter(user=user).select_related("community").first()


def home_code(request) -> str:
    """The signed-in resident's community code ("" for anyone else): 公开信息 and 办事指南
    open on it unless a community was chosen (an empty choice means all)."""
    if not request.user.is_authenticated or request.user.is_staff:
        return ""
    code = (
        ResidentProfile.objects.filter(user=request.user)
        .values_list("community__code", flat=True)
        .first()
    )
    return code or ""
