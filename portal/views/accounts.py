"""Resident login (phone + password, with lock-out), registration, logout and 我的."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth import login, logout, password_validation
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from core.clientip import client_ip
from organizations.choices import OrgKind
from organizations.models import Organization
from portal.accounts import profile_of, resident_authenticate, resident_register
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


def register_view(request):
    form = RegisterForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            hit(REGISTER_PER_IP, client_ip(request))
            profile = resident_register(
                name=form.cleaned_data["name"],
                phone=form.cleaned_data["phone"],
                password=form.cleaned_data["password1"],
                community=form.cleaned_data["community"],
            )
        except RateLimited as exc:
            form.add_error(None, str(exc))
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            login(request, profile.user, backend="django.contrib.auth.backends.ModelBackend")
            messages.success(request, "注册成功，已为您登录。")
            return redirect("portal:me")
    return render(request, "portal/register.html", {"form": form})


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
            "notices": grid_adapters.my_notices(profile.phone) if cases_on else None,
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
