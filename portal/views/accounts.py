"""Resident login (phone + password, with lock-out), registration, logout and 我的."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth import login, logout, password_validation
from django.contrib.auth.hashers import make_password
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from core.clientip import client_ip
from organizations.choices import OrgKind
from organizations.models import Organization
from portal import phone_codes
from portal.accounts import (
    PHONE_TAKEN,
    profile_of,
    resident_authenticate,
    resident_phone_taken,
    resident_register,
    resident_verify_phone,
)
from portal.adapters import features
from portal.adapters import grids as grid_adapters
from portal.adapters import volunteers as volunteer_adapters
from portal.forms import HumanCheckMixin, MobileField, PortalForm
from portal.naming import public_name
from portal.protection import LOGIN_PER_IP, REGISTER_PER_IP, RateLimited, hit
from portal.views.pages import _safe_next


class LoginForm(PortalForm):
    phone = MobileField()
    password = forms.CharField(
        label="密码", widget=forms.PasswordInput(attrs={"autocomplete": "current-password"})
    )


class CommunityChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj) -> str:
        return public_name(obj)  # “园林社区”, not “园林社区大党委”


class RegisterForm(HumanCheckMixin, PortalForm):
    name = forms.CharField(
        label="姓名", max_length=40, widget=forms.TextInput(attrs={"autocomplete": "name"})
    )
    phone = MobileField(help_text="以后用这个手机号登录。")
    community = CommunityChoiceField(
        label="所在社区",
        queryset=Organization.objects.filter(kind=OrgKind.COMMUNITY_COMMITTEE).order_by("code"),
        empty_label="请选择",
    )
    password1 = forms.CharField(
        label="设置密码",
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text="至少 8 位，不能全是数字。",
    )
    password2 = forms.CharField(
        label="再输一次密码", widget=forms.PasswordInput(attrs={"autocomplete": "new-password"})
    )

    def clean(self):
        cleaned = super().clean()
        p1, p2 = cleaned.get("password1"), cleaned.get("password2")
        if p1 and p2 and p1 != p2:
            self.add_error("password2", "两次输入的密码不一样。")
        elif p1:
            try:
                password_validation.validate_password(p1)
            except ValidationError as exc:
                self.add_error("password1", exc)
        return cleaned


def login_view(request):
    form = LoginForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            hit(LOGIN_PER_IP, client_ip(request))
            user = resident_authenticate(
                request, phone=form.cleaned_data["phone"], password=form.cleaned_data["password"]
            )
        except RateLimited as exc:
            form.add_error(None, str(exc))
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            login(request, user)
            return redirect(_safe_next(request, "/me/"))
    return render(request, "portal/login.html", {"form": form, "next": request.GET.get("next", "")})


PENDING_KEY = "portal:pending-registration"


def register_view(request):
    """Step 1: the form. With an SMS gateway the account is created only after the code sent
    to the phone comes back (step 2, ``register_verify``); the password waits in the session
    hashed. Without a gateway the account is created at once, its phone unverified."""
    form = RegisterForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            hit(REGISTER_PER_IP, client_ip(request))
            if phone_codes.available():
                if resident_phone_taken(data["phone"]):
                    raise ValidationError({"phone": PHONE_TAKEN})
                phone_codes.send_code(data["phone"], client_ip(request))
                request.session[PENDING_KEY] = {
                    "name": data["name"],
                    "phone": data["phone"],
                    "community": data["community"].pk,
                    "password": make_password(data["password1"]),
                }
                return redirect("portal:register_verify")
            profile = resident_register(
                name=data["name"],
                phone=data["phone"],
                password=data["password1"],
                community=data["community"],
            )
        except (RateLimited, phone_codes.CodeError) as exc:
            form.add_error(None, str(exc))
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            login(request, profile.user, backend="django.contrib.auth.backends.ModelBackend")
            messages.success(request, "注册成功，已为您登录。")
            return redirect("portal:me")
    return render(request, "portal/register.html", {"form": form})


class CodeForm(PortalForm):
    code = forms.CharField(
        label="短信验证码",
        max_length=6,
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "one-time-code"}),
        help_text="6 位数字，10 分钟内有效。",
        required=False,
    )


def _masked(phone: str) -> str:
    return f"{phone[:3]}****{phone[-4:]}"


def _verify_step(request, phone: str, on_verified):
    """The code page shared by registration and 我的: type the code, or send a new one."""
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            if request.POST.get("action") == "resend":
                phone_codes.send_code(phone, client_ip(request))
                messages.info(request, f"新的验证码已发送到 {_masked(phone)}。")
                return redirect(request.path)
            if not form.cleaned_data["code"]:
                raise phone_codes.CodeError("请填写短信里的 6 位验证码。")
            phone_codes.check_code(phone, form.cleaned_data["code"])
            return on_verified()
        except (RateLimited, phone_codes.CodeError) as exc:
            form.add_error("code" if request.POST.get("action") != "resend" else None, str(exc))
        except ValidationError as exc:
            form.add_error(None, exc)
    return render(
        request,
        "portal/verify_phone.html",
        {"form": form, "masked_phone": _masked(phone), "sent": phone_codes.pending(phone)},
    )


def register_verify(request):
    """Step 2 of registration: the code sent to the phone; then the account exists."""
    pending = request.session.get(PENDING_KEY)
    if not pending:
        return redirect("portal:register")

    def create():
        community = Organization.objects.get(pk=pending["community"])
        profile = resident_register(
            name=pending["name"],
            phone=pending["phone"],
            password_hash=pending["password"],
            community=community,
            phone_verified=True,
        )
        request.session.pop(PENDING_KEY, None)
        login(request, profile.user, backend="django.contrib.auth.backends.ModelBackend")
        messages.success(request, "注册成功，手机号已验证，已为您登录。")
        return redirect("portal:me")

    return _verify_step(request, pending["phone"], create)


def verify_phone(request):
    """我的 → 验证手机号, for an account made without a code (no gateway at the time)."""
    profile = profile_of(request.user)
    if profile is None:
        return redirect(f"/account/login/?next={request.path}")
    if profile.phone_verified_at:
        return redirect("portal:me")
    if not phone_codes.available():
        messages.info(request, phone_codes.UNAVAILABLE)
        return redirect("portal:me")

    def done():
        resident_verify_phone(profile)
        messages.success(request, "手机号已验证。")
        return redirect("portal:my_requests")

    return _verify_step(request, profile.phone, done)


@require_POST
def logout_view(request):
    logout(request)
    messages.info(request, "您已退出登录。")
    return redirect("portal:home")


def me_view(request):
    profile = profile_of(request.user)
    if profile is None:
        return redirect(f"/account/login/?next={request.path}")
    cases_on = features()["cases"]
    return render(
        request,
        "portal/me.html",
        {
            "profile": profile,
            "volunteer": volunteer_adapters.volunteer_summary(request.user),
            "cases_on": cases_on,
            "notices": grid_adapters.my_notices(profile.phone)
            if cases_on and profile.phone_verified_at
            else None,
        },
    )


@require_POST
def sms_preference(request):
    """Turn SMS notices about the resident's requests off or on (我的)."""
    profile = profile_of(request.user)
    if profile is None:
        return redirect("/account/login/?next=/me/")
    profile.sms_opt_out = request.POST.get("sms") == "off"
    profile.save(update_fields=["sms_opt_out", "updated_at"])
    messages.info(
        request,
        "已关闭短信通知，进展只在“我的”里提示。"
        if profile.sms_opt_out
        else "已开启短信通知，反映的问题有进展会发短信告诉您。",
    )
    return redirect("portal:me")
