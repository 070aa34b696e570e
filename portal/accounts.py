"""Resident accounts: registration and phone + password login with a lock-out."""

from __future__ import annotations

from django.contrib.auth import authenticate, get_user_model
from django.contrib.auth.models import Group
from django.core.exceptions import ValidationError
from django.db import transaction

from core.links import derived
from core.lockout import lockout_message
from core.services import audit
from portal.models import ResidentProfile
from portal.roles import RESIDENT

LOGIN_FAILED = "手机号或密码不对，请再试一次。"


@transaction.atomic
def resident_register(*, name: str, phone: str, password: str, community) -> ResidentProfile:
    """Create the user (username = phone) and profile; the password is already validated."""
    User = get_user_model()
    if (
        User.objects.filter(username=phone).exists()
        or ResidentProfile.objects.filter(phone=phone).exists()
    ):
        raise ValidationError({"phone": "这个手机号已经注册过了，请直接登录。"})
    user = User(username=phone, first_name=name[:150], is_staff=False, is_superuser=False)
    user.set_password(password)
    user.full_clean(exclude=["password"])
    user.save()
    group, _ = Group.objects.get_or_create(name=RESIDENT)
    user.groups.add(group)
    profile = ResidentProfile(user=user, name=name, phone=phone, community=community)
    # Any community the portal lists publicly: a new resident has no scope to check against.
    derived(profile, "community")
    profile.full_clean()
    profile.save()
    audit(actor=user, action="portal.resident_register", target=profile, organization=community)
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
