"""我要反映 (submit a case) and 查进度 (track it, then rate it once resolved)."""

from __future__ import annotations

from django import forms
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import redirect, render

from core.clientip import client_ip
from core.photos import PhotosField
from portal import pending_photos, reporting
from portal.accounts import profile_of
from portal.adapters import features
from portal.adapters import grids as grid_adapters
from portal.caching import CSRF_PLACEHOLDER, form_page
from portal.forms import HumanCheckMixin, MobileField, PortalForm
from portal.protection import TRACK_PER_IP, RateLimited, hit, visitor_key
from portal.views.places import PICKER_FIELDS, build_picker

SESSION_KEY = "portal_last_tracking_code"
NOT_FOUND = "没有查到。请核对查询码和手机号后四位是否填写正确。"


def _require_cases() -> None:
    if not features()["cases"]:
        raise Http404("暂未开通")


class ReportForm(HumanCheckMixin, PortalForm):
    spend_on_clean = False  # spent only when a new case is filed (duplicates are merged)

    category = forms.ChoiceField(label="问题类别")
    description = forms.CharField(
        label="问题描述",
        max_length=2000,
        widget=forms.Textarea,
        help_text="写清楚是什么问题、从什么时候开始。最多 2000 字。",
    )
    photos = PhotosField()
    # The place picker (portal/views/places.py, templates/portal/_place_picker.html):
    # compound and building found by name, then unit and door; or “其他地方” + 具体位置.
    place = forms.CharField(label="发生地点", max_length=80, required=False)
    place_q = forms.CharField(label="查找小区和楼栋", max_length=200, required=False)
    unit = forms.CharField(label="单元", max_length=4, required=False)
    door = forms.CharField(label="门牌号（可不填）", max_length=20, required=False)
    location = forms.CharField(
        label="具体位置", max_length=200, required=False, help_text="例如：3 单元门口、东侧车棚。"
    )
    name = forms.CharField(label="您的称呼", max_length=40, help_text="例如：王阿姨、李先生。")
    phone = MobileField(help_text="只用于社区回访和查询进度，不会公开。")

    picker_fields = PICKER_FIELDS

    def __init__(self, *args, community_code: str = "", **kwargs):
        super().__init__(*args, **kwargs)
        self.community_code = community_code
        self.place_building = None
        self.fields["category"].choices = [("", "请选择")] + grid_adapters.case_categories()
        self.fields["description"].widget.attrs["maxlength"] = 2000

    def clean_description(self):
        return reporting.clean_description(self.cleaned_data["description"])

    def clean_name(self):
        return reporting.clean_reporter_name(self.cleaned_data["name"])

    def clean_place(self):
        value = self.cleaned_data["place"].strip()
        if not value:
            if self.data.get("place_q", "").strip():
                raise ValidationError("请在查找结果里选一处地点，或选“其他地方”。")
            raise ValidationError("请先查找并选好小区和楼栋（例如写“园林 3栋”），或选“其他地方”。")
        place = reporting.resolve_place(value)
        self.place_building = reporting.building_of(value)
        return place

    def clean_door(self):
        return self.cleaned_data["door"].strip()

    def clean(self):
        cleaned = super().clean()
        if "place" not in cleaned:
            return cleaned
        location, errors = reporting.place_location(
            place=cleaned["place"],
            building=self.place_building,
            unit=cleaned.get("unit") or "",
            door=cleaned.get("door") or "",
            location=cleaned.get("location") or "",
        )
        for field, message in errors.items():
            self.add_error(field, message)
        cleaned["location"] = location
        return cleaned


def _searching(request) -> bool:
    """The picker's 查找 button (or Enter in its box) with something typed: a server-side
    search step that re-shows the form, not a submission."""
    return (
        request.method == "POST"
        and request.POST.get("place_action") == "search"
        and bool(request.POST.get("place_q", "").strip())
    )


def report(request):
    _require_cases()
    community_code = request.GET.get("community", "")[:64]
    initial = {}
    profile = profile_of(request.user)
    if profile is not None:
        initial = {"name": profile.name, "phone": profile.phone}
        community_code = community_code or profile.community.code
    for key in ("place", "place_q"):
        if request.GET.get(key):
            initial[key] = request.GET[key][:200]
    if _searching(request):
        # Everything typed comes back, with the places found; nothing is checked yet.
        kept = {k: v for k, v in request.POST.items() if k != "challenge_answer"}
        form = ReportForm(initial={**initial, **kept}, community_code=community_code)
        picker = build_picker(form, search=True)
        return render(request, "portal/report.html", {"form": form, "place_picker": picker})
    form = ReportForm(
        request.POST or None,
        request.FILES or None,
        initial=initial,
        community_code=community_code,
    )
    kept, expired = _kept_photos(request)
    if request.method == "POST" and form.is_valid() and not expired:
        try:
            if not form.cleaned_data["photos"] and kept:
                form.cleaned_data["photos"] = pending_photos.open_files(kept)
            code = reporting.submit(
                request,
                form.cleaned_data,
                place_key=form.data.get("place", ""),
                visitor=visitor_key(request),
                session_code=request.session.get(SESSION_KEY),
                before_filing=form.consume_challenge,
            )
        except pending_photos.Expired:
            expired = True
        except RateLimited as exc:
            form.add_error(None, str(exc))
        except ValidationError as exc:
            _add_service_errors(form, exc)
        else:
            if code is not None:
                pending_photos.discard(kept)
                request.session[SESSION_KEY] = code
                return redirect("portal:report_done")
    context = {"form": form, "place_picker": build_picker(form)}
    if request.method == "POST":
        context.update(_keep_photos_for_next_try(request, form, kept, expired))
    return render(request, "portal/report.html", context)


def _kept_photos(request, prefix: str = "") -> tuple[list[str], bool]:
    """The photos kept from an earlier try of this form (unless the resident dropped them),
    and whether their token had expired. ``prefix`` is the form's field prefix ("reopen-")."""
    if request.method != "POST":
        return [], False
    try:
        kept = pending_photos.names_of(request.POST.get(f"{prefix}photos_token", ""))
    except pending_photos.Expired:
        return [], True
    if request.POST.get(f"{prefix}photos_drop") == "1":
        pending_photos.discard(kept)
        return [], False
    return kept, False


def _keep_photos_for_next_try(
    request, form, kept: list[str], expired: bool, prefix: str = ""
) -> dict:
    """After an error: keep the photos just chosen (or those kept before) under a new token,
    shown as thumbnails with “重新选择”."""
    if expired:
        form.add_error("photos", pending_photos.EXPIRED)
    chosen = (getattr(form, "cleaned_data", None) or {}).get("photos") or []
    chosen = [f for f in chosen if hasattr(f, "content_type")]  # uploads, not kept files
    if chosen:
        pending_photos.discard(kept)
        token = pending_photos.keep(chosen)
        kept = pending_photos.names_of(token)
    elif kept:
        token = request.POST.get(f"{prefix}photos_token", "")
    else:
        return {}
    form.fields["photos"].label = form["photos"].label = "重新选择照片（不选就用上面这些）"
    return {"photos_token": token, "kept_photos": pending_photos.thumbnails(kept)}


def _add_service_errors(form, exc: ValidationError) -> None:
    if hasattr(exc, "error_dict"):
        for field, errors in exc.message_dict.items():
            target = field if field in form.fields else None
            for message in errors:
                form.add_error(target, message)
    else:
        for message in exc.messages:
            form.add_error(None, message)


def report_done(request):
    _require_cases()
    code = request.session.get(SESSION_KEY)
    if not code:
        return redirect("portal:report")
    return render(request, "portal/report_done.html", {"code": code})


class TrackForm(PortalForm):
    tracking_code = forms.CharField(
        label="查询码", max_length=20, help_text="提交时页面上显示的 10 位码，不分大小写。"
    )
    phone_last4 = forms.CharField(
        label="手机号后四位",
        max_length=4,
        min_length=4,
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"}),
    )

    def clean_phone_last4(self):
        value = self.cleaned_data["phone_last4"].strip()
        if not value.isdigit():
            raise ValidationError("请填写 4 位数字。")
        return value


class RateForm(forms.Form):
    satisfaction = forms.TypedChoiceField(
        label="满意程度",
        coerce=int,
        choices=[(5, "非常满意"), (4, "满意"), (3, "一般"), (2, "不满意"), (1, "非常不满意")],
        widget=forms.RadioSelect,
    )
    comment = forms.CharField(
        label="想说的话（可不填）",
        max_length=500,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class ReopenForm(PortalForm):
    reason = forms.CharField(
        label="哪里还没解决",
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 3, "maxlength": 500}),
        help_text="请写明现在的情况，最多 500 字。",
    )
    photos = PhotosField(label="现场照片（可不传）")

    def clean_reason(self):
        value = self.cleaned_data["reason"].strip()
        if len(value) < 2:
            raise ValidationError("请写明仍未解决的情况。")
        return value


LOW_SCORE = 2  # a rating at or below this asks whether to reopen


@form_page
def track(request):
    _require_cases()
    form = TrackForm(request.POST or None)
    case = None
    if request.method == "POST" and form.is_valid():
        try:
            hit(TRACK_PER_IP, client_ip(request))
        except RateLimited as exc:
            form.add_error(None, str(exc))
        else:
            case = grid_adapters.case_lookup(**form.cleaned_data)
            if case is None:
                form.add_error(None, NOT_FOUND)
    context = {
        "form": form,
        "case": case,
        "rate_form": RateForm() if case else None,
        "reopen_form": ReopenForm(prefix="reopen") if case else None,
    }
    if getattr(request, "portal_csrf_placeholder", False):
        context["csrf_token"] = CSRF_PLACEHOLDER
    return render(request, "portal/track.html", context)


def rate(request):
    _require_cases()
    if request.method != "POST":
        return redirect("portal:track")
    form = TrackForm(request.POST)
    rate_form = RateForm(request.POST)
    case = None
    if form.is_valid():
        try:
            hit(TRACK_PER_IP, client_ip(request))
        except RateLimited as exc:
            form.add_error(None, str(exc))
            return render(request, "portal/track.html", {"form": form})
        case = grid_adapters.case_lookup(**form.cleaned_data)
    if case is None:
        form = TrackForm(request.POST)
        form.is_valid()
        form.add_error(None, NOT_FOUND)
        return render(request, "portal/track.html", {"form": form})
    rated = False
    if rate_form.is_valid():
        try:
            case = grid_adapters.case_rate(
                **form.cleaned_data,
                satisfaction=rate_form.cleaned_data["satisfaction"],
                comment=rate_form.cleaned_data["comment"],
            )
            rated = True
        except (ValidationError, PermissionDenied) as exc:
            rate_form.add_error(
                None,
                "这件反映已经评价过了，每件只能评价一次。"
                if isinstance(exc, ValidationError)
                else NOT_FOUND,
            )
    low = rated and case["satisfaction"] is not None and case["satisfaction"] <= LOW_SCORE
    return render(
        request,
        "portal/track.html",
        {
            "form": form,
            "case": case,
            "rate_form": rate_form,
            "rated": rated,
            "low_score": low,
            "reopen_form": ReopenForm(prefix="reopen"),
        },
    )


REOPEN_CLOSED = (
    "这件反映现在不能退回重办：只有办结后 15 天内可以说“问题没解决”。如果问题还在，请重新反映。"
)


def reopen(request):
    """问题没解决: the reporter (code + last four digits; a signed-in resident's own case
    carries their own digits) sends a resolved case back, within 15 days of the resolution."""
    _require_cases()
    if request.method != "POST":
        return redirect("portal:track")
    form = TrackForm(request.POST)
    reopen_form = ReopenForm(request.POST, request.FILES, prefix="reopen")
    case = None
    if form.is_valid():
        try:
            hit(TRACK_PER_IP, client_ip(request))
        except RateLimited as exc:
            form.add_error(None, str(exc))
            return render(request, "portal/track.html", {"form": form})
        case = grid_adapters.case_lookup(**form.cleaned_data)
    if case is None:
        form = TrackForm(request.POST)
        form.is_valid()
        form.add_error(None, NOT_FOUND)
        return render(request, "portal/track.html", {"form": form})
    reopened = False
    kept, expired = _kept_photos(request, prefix="reopen-")
    if not case["can_reopen"]:
        reopen_form.is_valid()
        reopen_form.add_error(None, REOPEN_CLOSED)
    elif reopen_form.is_valid() and not expired:
        try:
            photos = reopen_form.cleaned_data["photos"]
            if not photos and kept:
                photos = pending_photos.open_files(kept)
            case = grid_adapters.case_reopen(
                **form.cleaned_data, reason=reopen_form.cleaned_data["reason"], photos=photos
            )
            reopened = True
            pending_photos.discard(kept)
        except pending_photos.Expired:
            expired = True
        except PermissionDenied:
            reopen_form.add_error(None, NOT_FOUND)
        except ValidationError as exc:
            if "status" in getattr(exc, "message_dict", {}):
                reopen_form.add_error(None, REOPEN_CLOSED)
            else:
                _add_service_errors(reopen_form, exc)
    context = {
        "form": form,
        "case": case,
        "rate_form": RateForm(),
        "reopen_form": None if reopened else reopen_form,
        "reopened": reopened,
    }
    if not reopened and case["can_reopen"]:
        # The photo survives an error here too (the report form's mechanism).
        keep = _keep_photos_for_next_try(request, reopen_form, kept, expired, prefix="reopen-")
        if keep:
            context["reopen_kept"] = {"photos": keep["kept_photos"], "token": keep["photos_token"]}
    return render(request, "portal/track.html", context, status=200)


# -- 我的反映: a signed-in resident's own requests ---------------------------------------------


def _resident_or_login(request):
    profile = profile_of(request.user)
    if profile is None:
        return None, redirect(f"/account/login/?next={request.path}")
    return profile, None


def my_requests(request):
    """Every request filed with the resident's phone (and for them at the desk)."""
    _require_cases()
    profile, response = _resident_or_login(request)
    if response is not None:
        return response
    # Only a phone the resident proved to be theirs (an SMS code) lists requests by phone.
    cases = grid_adapters.my_cases(profile.phone) if profile.phone_verified_at else []
    return render(request, "portal/my_requests.html", {"profile": profile, "cases": cases})


def my_request(request, code: str):
    """One of them: the tracking page's view, without typing code and digits."""
    _require_cases()
    profile, response = _resident_or_login(request)
    if response is not None:
        return response
    case = grid_adapters.my_case(profile.phone, code[:20]) if profile.phone_verified_at else None
    if case is None:
        raise Http404("没有查到")
    return render(
        request,
        "portal/my_request.html",
        {
            "case": case,
            "code": case["tracking_code"],
            "digits": profile.phone[-4:],
            "rate_form": RateForm(),
            "reopen_form": ReopenForm(prefix="reopen"),
        },
    )
