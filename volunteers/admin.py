"""Admin: scoped querysets and choices, masked personal data, writes through services, a
printable hours certificate per volunteer, workflow steps as admin actions."""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html
from simple_history.admin import SimpleHistoryAdmin

from core.admin import FileImportExportMixin, ScopedAdminMixin, SensitiveAdminMixin
from core.scope import restrict
from volunteers import selectors, services
from volunteers.choices import Availability
from volunteers.importers import (
    ActivityImporter,
    HoursEntryExporter,
    SignUpExporter,
    SkillImporter,
    TeamImporter,
    VolunteerImporter,
    WishExporter,
)
from volunteers.models import Activity, HoursEntry, SignUp, Skill, Team, Volunteer, Wish
from volunteers.selectors.records import total_hours_subquery
from volunteers.stars import star_label, star_level


def _run(request, label: str, step, items) -> None:
    """Run one service per selected row; report successes and each refusal by name."""
    done, failed = 0, []
    for item in items:
        try:
            step(item)
            done += 1
        except (ValidationError, PermissionDenied) as exc:
            text = " ".join(exc.messages) if isinstance(exc, ValidationError) else str(exc)
            failed.append(f"{item}：{text}")
    if done:
        messages.success(request, f"{label}：成功 {done} 条。")
    for message in failed:
        messages.error(request, f"{label}未完成 — {message}")


def _changed(form) -> dict:
    return {
        name: form.cleaned_data[name] for name in form.changed_data if name in form.cleaned_data
    }


@admin.register(Skill)
class SkillAdmin(FileImportExportMixin, admin.ModelAdmin):
    importer_class = SkillImporter
    list_display = ["code", "name"]
    search_fields = ["code", "name"]


class VolunteerAdminForm(forms.ModelForm):
    availability = forms.MultipleChoiceField(
        label="可服务时间",
        choices=Availability.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    class Meta:
        model = Volunteer
        fields = [
            "number",
            "name",
            "gender",
            "id_number",
            "phone",
            "community",
            "person_kind",
            "partner_unit",
            "status",
            "registered_on",
            "skills",
            "availability",
            "note",
            "resident",
            "member",
        ]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if "number" in self.fields:  # absent on a read-only change page
            self.fields["number"].required = False
            self.fields["number"].help_text = "留空则自动生成"


@admin.register(Volunteer)
class VolunteerAdmin(
    FileImportExportMixin, SensitiveAdminMixin, ScopedAdminMixin, SimpleHistoryAdmin
):
    form = VolunteerAdminForm
    importer_class = VolunteerImporter
    list_display = [
        "number",
        "name",
        "masked_phone",
        "masked_id_number",
        "community",
        "status",
        "hours",
        "stars",
        "certificate_link",
    ]
    list_filter = [
        "status",
        "person_kind",
        ("community", admin.RelatedOnlyFieldListFilter),
        "skills",
    ]
    search_fields = ["number", "name"]
    list_select_related = ["community"]
    autocomplete_fields = ["community", "partner_unit"]
    filter_horizontal = ["skills"]
    list_per_page = 50
    actions = ["approve"]
    fieldsets = [
        (None, {"fields": ["number", "name", "gender", "id_number", "phone"]}),
        (
            "服务",
            {"fields": ["community", "person_kind", "partner_unit", "status", "registered_on"]},
        ),
        ("技能与时间", {"fields": ["skills", "availability", "note"]}),
        ("关联档案", {"fields": ["resident", "member"]}),
    ]
    raw_id_fields = ["resident", "member"]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(total_hours=total_hours_subquery())

    @admin.display(description="累计时长", ordering="total_hours")
    def hours(self, obj):
        return obj.total_hours

    @admin.display(description="星级")
    def stars(self, obj):
        return star_label(star_level(obj.total_hours))

    @admin.display(description="证明")
    def certificate_link(self, obj):
        url = reverse("admin:volunteers_volunteer_certificate", args=[obj.pk])
        return format_html('<a href="{}" target="_blank">时长证明</a>', url)

    def get_urls(self):
        return [
            path(
                "<path:object_id>/certificate/",
                self.admin_site.admin_view(self.certificate_view),
                name="volunteers_volunteer_certificate",
            ),
            *super().get_urls(),
        ]

    def certificate_view(self, request, object_id):
        volunteer = self.get_object(request, object_id)
        if volunteer is None:
            from django.http import Http404

            raise Http404
        year = request.GET.get("year")
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": "志愿服务时长证明",
            "volunteer": volunteer,
            "summary": selectors.volunteer_hours_summary(
                volunteer, year=int(year) if year and year.isdigit() else None
            ),
            "entries": selectors.volunteer_ledger(volunteer),
            "issued_on": timezone.localdate(),
        }
        return TemplateResponse(request, "admin/volunteers/certificate.html", context)

    def save_model(self, request, obj, form, change):
        data = _changed(form)
        skills = data.pop("skills", None)
        new_status = data.pop("status", None)
        if change:
            stored = Volunteer.objects.get(pk=obj.pk)
            services.volunteer_update(actor=request.user, volunteer=stored, skills=skills, **data)
            if new_status:
                services.volunteer_set_status(
                    actor=request.user, volunteer=stored, status=new_status, reason="后台修改"
                )
        else:
            cleaned = dict(form.cleaned_data)
            cleaned.pop("user", None)
            saved = services.volunteer_create(actor=request.user, **cleaned)
            obj.pk, obj.number = saved.pk, saved.number

    def save_related(self, request, form, formsets, change):
        # Skills were saved by the service together with the volunteer.
        for formset in formsets:
            self.save_formset(request, form, formset, change=change)

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.action(description="审核通过（已注册）")
    def approve(self, request, queryset):
        _run(
            request,
            "审核通过",
            lambda v: services.volunteer_set_status(
                actor=request.user, volunteer=v, status="registered"
            ),
            queryset,
        )


@admin.register(Team)
class TeamAdmin(FileImportExportMixin, ScopedAdminMixin, admin.ModelAdmin):
    importer_class = TeamImporter
    list_display = [
        "code",
        "name",
        "kind",
        "community",
        "leader",
        "member_count",
        "is_temporary",
        "ends_on",
    ]
    list_filter = ["kind", "is_temporary", ("community", admin.RelatedOnlyFieldListFilter)]
    search_fields = ["code", "name"]
    autocomplete_fields = ["community", "leader", "members"]

    def get_queryset(self, request):
        return selectors.teams_visible_to(request.user)

    @admin.display(description="队员数")
    def member_count(self, obj):
        return obj.member_count

    def save_model(self, request, obj, form, change):
        data = _changed(form)
        if change:
            services.team_update(actor=request.user, team=Team.objects.get(pk=obj.pk), **data)
        else:
            saved = services.team_create(actor=request.user, **form.cleaned_data)
            obj.pk = saved.pk

    def save_related(self, request, form, formsets, change):
        for formset in formsets:
            self.save_formset(request, form, formset, change=change)


class SignUpInline(admin.TabularInline):
    model = SignUp
    extra = 0
    can_delete = False
    fields = ["volunteer", "status", "created_at", "checked_in_at", "checked_out_at"]
    readonly_fields = fields
    ordering = ["-status", "created_at", "id"]

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("volunteer")

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Activity)
class ActivityAdmin(FileImportExportMixin, ScopedAdminMixin, admin.ModelAdmin):
    importer_class = ActivityImporter
    list_display = [
        "code",
        "title",
        "organizer",
        "team",
        "starts_at",
        "ends_at",
        "capacity",
        "confirmed",
        "waitlisted",
        "status",
    ]
    list_filter = ["status", ("organizer", admin.RelatedOnlyFieldListFilter)]
    search_fields = ["code", "title", "place"]
    autocomplete_fields = ["organizer", "team"]
    filter_horizontal = ["required_skills"]
    date_hierarchy = "starts_at"
    inlines = [SignUpInline]
    readonly_fields = ["status", "cancel_reason"]

    def get_queryset(self, request):
        return selectors.activities_visible_to(request.user)

    @admin.display(description="已报名")
    def confirmed(self, obj):
        return obj.confirmed_count

    @admin.display(description="候补")
    def waitlisted(self, obj):
        return obj.waitlisted_count

    def save_model(self, request, obj, form, change):
        data = _changed(form)
        if change:
            services.activity_update(
                actor=request.user, activity=Activity.objects.get(pk=obj.pk), **data
            )
        else:
            saved = services.activity_create(actor=request.user, **form.cleaned_data)
            obj.pk = saved.pk

    def save_related(self, request, form, formsets, change):
        pass  # required skills were saved by the service; sign-ups are read-only here

    def has_delete_permission(self, request, obj=None):
        return False


class SignUpAddForm(forms.ModelForm):
    class Meta:
        model = SignUp
        fields = ["activity", "volunteer"]


@admin.register(SignUp)
class SignUpAdmin(FileImportExportMixin, ScopedAdminMixin, admin.ModelAdmin):
    importer_class = SignUpExporter
    list_display = [
        "activity",
        "volunteer",
        "status",
        "created_at",
        "checked_in_at",
        "checked_out_at",
    ]
    list_filter = ["status"]
    search_fields = ["activity__code", "activity__title", "volunteer__number", "volunteer__name"]
    autocomplete_fields = ["activity", "volunteer"]
    actions = ["check_in_now", "check_out_now", "cancel"]

    def get_queryset(self, request):
        return selectors.sign_ups_visible_to(request.user)

    def get_form(self, request, obj=None, **kwargs):
        if obj is None:
            kwargs["form"] = SignUpAddForm
        return super().get_form(request, obj, **kwargs)

    def get_readonly_fields(self, request, obj=None):
        if obj is None:
            return []
        return [f.name for f in SignUp._meta.fields]

    def get_fields(self, request, obj=None):
        return ["activity", "volunteer"] if obj is None else super().get_fields(request, obj)

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "volunteer":
            kwargs["queryset"] = restrict(Volunteer.objects.all(), request.user)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def save_model(self, request, obj, form, change):
        if change:
            raise PermissionDenied("报名记录请通过签到、签退、取消操作办理。")
        saved = services.sign_up_create(
            actor=request.user,
            activity=form.cleaned_data["activity"],
            volunteer=form.cleaned_data["volunteer"],
        )
        obj.pk = saved.pk

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.action(description="签到（当前时间）")
    def check_in_now(self, request, queryset):
        _run(
            request,
            "签到",
            lambda s: services.sign_up_check_in(actor=request.user, sign_up=s),
            queryset,
        )

    @admin.action(description="签退（当前时间，记入服务时长）")
    def check_out_now(self, request, queryset):
        _run(
            request,
            "签退",
            lambda s: services.sign_up_check_out(actor=request.user, sign_up=s),
            queryset,
        )

    @admin.action(description="取消报名（候补依次递补）")
    def cancel(self, request, queryset):
        _run(
            request,
            "取消报名",
            lambda s: services.sign_up_cancel(actor=request.user, sign_up=s, reason="后台取消"),
            queryset,
        )


class HoursEntryAddForm(forms.ModelForm):
    """Add = a manual award, or — with “更正的记录” chosen — a correction to that entry's new
    total (the original stays)."""

    class Meta:
        model = HoursEntry
        fields = ["volunteer", "corrects", "hours", "served_on", "activity", "reason"]
        help_texts = {
            "corrects": "选择则为更正：“时长”填写该记录更正后的时长，原记录保留。",
            "hours": "人工认定：本次时长；更正：更正后的时长。",
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if "served_on" in self.fields:  # absent on the read-only view of a stored entry
            self.fields["served_on"].required = False

    def clean(self):
        data = super().clean()
        if not data.get("corrects") and not data.get("served_on"):
            self.add_error("served_on", "人工认定须填写服务日期。")
        entry = data.get("corrects")
        if entry is not None and data.get("hours") is not None:
            if entry.source == "correction":
                self.add_error("corrects", "请更正原始记录，而不是更正记录本身。")
            elif data["hours"] < 0:
                self.add_error("hours", "时长不能为负数。")
            elif data["hours"] == services.effective_hours(entry):
                self.add_error("hours", "更正后的时长与现有时长相同。")
        if entry is None:
            # the service's own rules, shown on the fields instead of failing on save
            problems = services.award_problems(
                hours=data.get("hours"),
                served_on=data.get("served_on"),
                activity=data.get("activity"),
            )
            for name, texts in problems.items():
                for text in texts:
                    self.add_error(name if name in self.fields else None, text)
        return data


@admin.register(HoursEntry)
class HoursEntryAdmin(FileImportExportMixin, ScopedAdminMixin, admin.ModelAdmin):
    importer_class = HoursEntryExporter
    form = HoursEntryAddForm
    list_display = [
        "volunteer",
        "served_on",
        "hours",
        "source",
        "activity",
        "corrects",
        "reason",
        "created_at",
    ]
    list_filter = ["source"]
    search_fields = ["volunteer__number", "volunteer__name", "activity__code"]
    autocomplete_fields = ["volunteer", "activity", "corrects"]
    date_hierarchy = "served_on"

    def get_queryset(self, request):
        return selectors.hours_entries_visible_to(request.user)

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "corrects":
            kwargs["queryset"] = restrict(HoursEntry.objects.all(), request.user).exclude(
                source="correction"
            )
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def save_model(self, request, obj, form, change):
        data = form.cleaned_data
        if data.get("corrects"):
            saved = services.hours_correct(
                actor=request.user,
                entry=data["corrects"],
                new_hours=data["hours"],
                reason=data["reason"],
            )
        else:
            saved = services.hours_award(
                actor=request.user,
                volunteer=data["volunteer"],
                hours=data["hours"],
                served_on=data["served_on"],
                reason=data["reason"],
                activity=data.get("activity"),
            )
        obj.pk = saved.pk

    def has_change_permission(self, request, obj=None):
        return obj is None and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return False


class WishAddForm(forms.ModelForm):
    class Meta:
        model = Wish
        fields = [
            "community",
            "title",
            "description",
            "beneficiary_name",
            "beneficiary_phone",
            "beneficiary_address",
            "source",
        ]


@admin.register(Wish)
class WishAdmin(FileImportExportMixin, SensitiveAdminMixin, ScopedAdminMixin, admin.ModelAdmin):
    importer_class = WishExporter
    list_display = [
        "code",
        "title",
        "community",
        "beneficiary_name",
        "masked_beneficiary_phone",
        "status",
        "claimant_display",
        "published_at",
        "fulfilled_at",
    ]
    list_filter = ["status", "source", ("community", admin.RelatedOnlyFieldListFilter)]
    search_fields = ["code", "title"]
    autocomplete_fields = ["community"]
    actions = ["approve", "publish", "confirm"]
    readonly_fields = [
        "code",
        "status",
        "review_note",
        "reviewed_at",
        "published_at",
        "claimed_by_volunteer",
        "claimed_by_team",
        "claimed_by_unit",
        "claimed_at",
        "fulfilled_at",
        "fulfilment_note",
        "fulfilment_photo",
        "service_hours",
        "confirmed_at",
        "posted_by",
    ]

    def get_queryset(self, request):
        return selectors.wishes_visible_to(request.user)

    def get_form(self, request, obj=None, **kwargs):
        if obj is None:
            kwargs["form"] = WishAddForm
        return super().get_form(request, obj, **kwargs)

    def get_fields(self, request, obj=None):
        if obj is None:
            return WishAddForm._meta.fields
        return super().get_fields(request, obj)

    def get_readonly_fields(self, request, obj=None):
        if obj is None:
            return []
        if obj.status in ("submitted", "approved"):
            return self.readonly_fields
        return [f.name for f in Wish._meta.fields if f.name != "id"]

    @admin.display(description="认领方")
    def claimant_display(self, obj):
        return obj.claimant or "—"

    def save_model(self, request, obj, form, change):
        if change:
            super().save_model(request, obj, form, change)
        else:
            saved = services.wish_post(actor=request.user, **form.cleaned_data)
            obj.pk = saved.pk

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.action(description="审核通过")
    def approve(self, request, queryset):
        _run(
            request,
            "审核通过",
            lambda w: services.wish_review(actor=request.user, wish=w, approve=True),
            queryset,
        )

    @admin.action(description="发布（不含心愿人个人信息）")
    def publish(self, request, queryset):
        _run(request, "发布", lambda w: services.wish_publish(actor=request.user, wish=w), queryset)

    @admin.action(description="确认完成（志愿者认领的记入服务时长）")
    def confirm(self, request, queryset):
        _run(request, "确认", lambda w: services.wish_confirm(actor=request.user, wish=w), queryset)
