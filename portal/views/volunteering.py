"""志愿服务 (register, activities, sign up / cancel, my hours) and 微心愿 (post, browse, claim)."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from portal import selectors
from portal.accounts import profile_of
from portal.adapters import features
from portal.adapters import volunteers as vol
from portal.forms import HumanCheckMixin, MobileField, PortalForm
from portal.protection import (
    RateLimited,
    check_submission_limits,
    fingerprint,
    recent_duplicate,
    remember_submission,
)


def _require(feature: str) -> None:
    if not features()[feature]:
        raise Http404("暂未开通")


def _login_redirect(request):
    return redirect(f"/account/login/?next={request.path}")


def _messages_of(exc: Exception) -> str:
    if isinstance(exc, ValidationError):
        return " ".join(exc.messages)
    return str(exc) or "没有权限进行这个操作。"


class VolunteerForm(PortalForm):
    name = forms.CharField(label="姓名", max_length=40)
    phone = MobileField(help_text="社区联系您参加活动时使用，不会公开。")
    availability = forms.MultipleChoiceField(
        label="方便的时间（可多选）", required=False, widget=forms.CheckboxSelectMultiple
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["availability"].choices = vol.availability_choices()


def volunteer_home(request):
    _require("volunteers")
    profile = profile_of(request.user)
    if profile is None:
        return render(request, "portal/volunteer_intro.html", {})
    summary = vol.volunteer_summary(request.user)
    form = None
    if summary is None:
        form = VolunteerForm(
            request.POST or None, initial={"name": profile.name, "phone": profile.phone}
        )
        if request.method == "POST" and form.is_valid():
            try:
                vol.volunteer_register(
                    user=request.user,
                    community=profile.community,
                    name=form.cleaned_data["name"],
                    phone=form.cleaned_data["phone"],
                    availability=form.cleaned_data["availability"],
                )
            except (ValidationError, PermissionDenied) as exc:
                form.add_error(None, _messages_of(exc))
            else:
                messages.success(request, "志愿者申请已提交，社区审核通过后就可以报名活动了。")
                return redirect("portal:volunteer")
    community = summary["volunteer"].community if summary else profile.community
    activities = list(vol.upcoming_activities(community)[:30])
    mine = {}
    if summary:
        for s in summary["sign_ups"]:
            if s.status in ("confirmed", "waitlisted"):
                mine[s.activity_id] = s
    rows = [{"activity": a, "mine": mine.get(a.pk)} for a in activities]
    return render(
        request,
        "portal/volunteer.html",
        {
            "profile": profile,
            "summary": summary,
            "form": form,
            "rows": rows,
            "community": community,
            "calendar_url": vol.calendar_feed_url(request, summary["volunteer"])
            if summary
            else None,
        },
    )


@require_POST
def activity_sign_up(request, code: str):
    _require("volunteers")
    if profile_of(request.user) is None:
        return _login_redirect(request)
    volunteer = vol.volunteer_of(request.user)
    activity = vol.activity_by_code(code)
    if activity is None:
        raise Http404("活动不存在或已结束")
    if volunteer is None:
        messages.error(request, "请先登记成为志愿者。")
        return redirect("portal:volunteer")
    try:
        sign_up = vol.sign_up(user=request.user, activity=activity, volunteer=volunteer)
    except (ValidationError, PermissionDenied) as exc:
        messages.error(request, _messages_of(exc))
    else:
        if sign_up.status == "confirmed":
            messages.success(request, f"“{activity.title}”报名成功。")
        else:  # neutral: a place is not yet promised
            position = vol.waitlist_position(sign_up)
            messages.info(
                request,
                f"“{activity.title}”名额已满，您已排在候补第 {position} 位。"
                "有人取消时按顺序递补，递补后这里会显示“已报名”。",
            )
    return redirect("portal:volunteer")


@require_POST
def activity_cancel(request, code: str):
    _require("volunteers")
    if profile_of(request.user) is None:
        return _login_redirect(request)
    volunteer = vol.volunteer_of(request.user)
    activity = vol.activity_by_code(code)
    sign_up = vol.my_active_sign_up(volunteer, activity) if volunteer and activity else None
    if sign_up is None:
        messages.error(request, "没有找到您的这条报名。")
        return redirect("portal:volunteer")
    try:
        vol.cancel(user=request.user, sign_up=sign_up)
    except (ValidationError, PermissionDenied) as exc:
        messages.error(request, _messages_of(exc))
    else:
        messages.success(request, f"已取消“{activity.title}”的报名。")
    return redirect("portal:volunteer")


# -- wishes -------------------------------------------------------------------------------------


class WishForm(HumanCheckMixin, PortalForm):
    title = forms.CharField(
        label="我的心愿",
        max_length=80,
        help_text="一句话说明，例如：想要一台收音机。会公开显示，请不要写姓名、电话、门牌。",
    )
    description = forms.CharField(
        label="补充说明（可不填）",
        max_length=1000,
        required=False,
        widget=forms.Textarea,
        help_text="会公开显示，请不要写个人信息。",
    )
    name = forms.CharField(
        label="心愿人称呼", max_length=40, help_text="只给社区审核用，不会公开。"
    )
    phone = MobileField(label="联系电话", help_text="只给社区联系用，不会公开。")


def wishes(request):
    _require("wishes")
    code = request.GET.get("community", "")
    community = selectors.community_by_code(code) if code else None
    return render(
        request,
        "portal/wishes.html",
        {
            "wishes": vol.public_wishes(community)[:50],
            "community": community,
            "communities": selectors.community_list(),
        },
    )


def wish_new(request):
    _require("wishes")
    profile = profile_of(request.user)
    if profile is None:
        return _login_redirect(request)
    form = WishForm(request.POST or None, initial={"name": profile.name, "phone": profile.phone})
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        fp = fingerprint("wish", data["phone"], data["title"], data["description"])
        if recent_duplicate(fp):
            messages.success(request, "这个心愿刚才已经提交过了，社区审核后会公开。")
            return redirect("portal:wishes")
        try:
            check_submission_limits(request, data["phone"])
            vol.wish_post(
                user=request.user,
                community=profile.community,
                title=data["title"],
                description=data["description"],
                name=data["name"],
                phone=data["phone"],
            )
        except RateLimited as exc:
            form.add_error(None, str(exc))
        except (ValidationError, PermissionDenied) as exc:
            form.add_error(None, _messages_of(exc))
        else:
            remember_submission(fp, "posted")
            messages.success(request, "心愿已提交，社区审核通过后会公开，请耐心等待。")
            return redirect("portal:wishes")
    return render(request, "portal/wish_new.html", {"form": form})


def wish_detail(request, code: str):
    _require("wishes")
    wish = vol.public_wish(code)
    if wish is None:
        raise Http404("没有这个心愿")
    summary = vol.volunteer_summary(request.user) if profile_of(request.user) else None
    if request.method == "POST":
        if profile_of(request.user) is None:
            return _login_redirect(request)
        try:
            claimed = vol.wish_claim(user=request.user, code=code)
        except (ValidationError, PermissionDenied) as exc:
            messages.error(request, _messages_of(exc))
        else:
            if claimed is None:
                messages.error(request, "只有社区审核通过的志愿者才能认领心愿。")
            else:
                messages.success(request, "认领成功！社区会联系您帮忙实现这个心愿。")
        return redirect("portal:wish_detail", code=code)
    return render(request, "portal/wish_detail.html", {"wish": wish, "summary": summary})
