"""Admin for the liaison log, 三项清单, unit assessment and residents' covenants."""

from __future__ import annotations

from django import forms
from django.contrib import admin
from django.http import Http404, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone

from core.admin import FileImportExportMixin, StatusAdminMixin
from covenants.admin.base import CovenantsAdminMixin
from covenants.importers import (
    LiaisonLogImporter,
    NeedImporter,
    ProjectImporter,
    ResourceImporter,
    UnitAssessmentExporter,
)
from covenants.models import (
    Covenant,
    CovenantVersion,
    LiaisonLog,
    Need,
    Project,
    Resource,
    UnitAssessment,
)
from covenants.models.agreements import PARTY_A_KINDS
from covenants.models.covenant import covenant_meeting_bodies
from covenants.selectors import (
    assessments_visible_to,
    covenants_visible_to,
    liaison_logs_visible_to,
    matches_visible_to,
    needs_unmatched,
    needs_visible_to,
    resources_idle,
    resources_visible_to,
    units_related_to,
)
from covenants.services import (
    assessment_compute,
    covenant_adopt_version,
    covenant_create,
    covenant_update,
    liaison_log_record,
    liaison_log_update,
    need_create,
    need_update,
    project_match,
    project_match_update,
    resource_create,
    resource_update,
)
from governance.choices import MeetingStatus
from governance.models import Meeting
from organizations.models import Organization


def _changed(form) -> dict:
    return {n: form.cleaned_data[n] for n in form.changed_data if n in form.cleaned_data}


@admin.register(LiaisonLog)
class LiaisonLogAdmin(FileImportExportMixin, CovenantsAdminMixin, admin.ModelAdmin):
    importer_class = LiaisonLogImporter
    list_display = ["date", "unit", "organization", "mode", "liaison_name", "content"]
    list_filter = ["mode"]
    search_fields = ["unit__name", "content", "liaison_name"]
    date_hierarchy = "date"
    party_fields = ("organization",)

    def get_queryset(self, request):
        return liaison_logs_visible_to(request.user)

    def save_model(self, request, obj, form, change):
        if change:
            liaison_log_update(actor=request.user, log=obj, **_changed(form))
        else:
            saved = liaison_log_record(actor=request.user, **form.cleaned_data)
            obj.pk = saved.pk


class UnmatchedFilter(admin.SimpleListFilter):
    title = "对接情况"
    parameter_name = "unmatched"

    def lookups(self, request, model_admin):
        return [("1", "未对接的需求")]

    def queryset(self, request, queryset):
        if self.value() == "1":
            return queryset.filter(pk__in=needs_unmatched(request.user).values("pk"))
        return queryset


@admin.register(Need)
class NeedAdmin(StatusAdminMixin, FileImportExportMixin, CovenantsAdminMixin, admin.ModelAdmin):
    importer_class = NeedImporter
    list_display = ["code", "title", "organization", "category", "source", "status", "reported_on"]
    list_filter = [UnmatchedFilter, "status", "category", "source"]
    search_fields = ["code", "title"]

    def get_queryset(self, request):
        return needs_visible_to(request.user)

    def save_model(self, request, obj, form, change):
        if change:
            need_update(actor=request.user, need=obj, **_changed(form))
        else:
            saved = need_create(actor=request.user, **form.cleaned_data)
            obj.pk = saved.pk


class IdleFilter(admin.SimpleListFilter):
    title = "使用情况"
    parameter_name = "idle"

    def lookups(self, request, model_admin):
        return [("1", "闲置资源")]

    def queryset(self, request, queryset):
        if self.value() == "1":
            return queryset.filter(pk__in=resources_idle(request.user).values("pk"))
        return queryset


@admin.register(Resource)
class ResourceAdmin(FileImportExportMixin, CovenantsAdminMixin, admin.ModelAdmin):
    importer_class = ResourceImporter
    list_display = ["code", "title", "unit", "organization", "kind", "capacity", "available"]
    list_filter = [IdleFilter, "kind", "available"]
    search_fields = ["code", "title", "unit__name"]
    party_fields = ("organization",)

    def get_queryset(self, request):
        return resources_visible_to(request.user)

    def save_model(self, request, obj, form, change):
        if change:
            resource_update(actor=request.user, resource=obj, **_changed(form))
        else:
            saved = resource_create(actor=request.user, **form.cleaned_data)
            obj.pk = saved.pk


@admin.register(Project)
class ProjectAdmin(StatusAdminMixin, FileImportExportMixin, CovenantsAdminMixin, admin.ModelAdmin):
    importer_class = ProjectImporter
    list_display = ["code", "title", "need", "resource", "organization", "status"]
    list_filter = ["status"]
    search_fields = ["code", "title", "need__title", "resource__title"]

    def get_queryset(self, request):
        return matches_visible_to(request.user)

    def save_model(self, request, obj, form, change):
        if change:
            project_match_update(actor=request.user, project=obj, **_changed(form))
        else:
            saved = project_match(actor=request.user, **form.cleaned_data)
            obj.pk = saved.pk


class ComputeForm(forms.Form):
    organization = forms.ModelChoiceField(
        label="评定社区/街道", queryset=Organization.objects.none()
    )
    year = forms.IntegerField(label="年度", min_value=2000, max_value=2100)

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["organization"].queryset = Organization.objects.visible_to(user).filter(
            kind__in=PARTY_A_KINDS
        )
        self.fields["year"].initial = timezone.localdate().year - 1


@admin.register(UnitAssessment)
class UnitAssessmentAdmin(FileImportExportMixin, CovenantsAdminMixin, admin.ModelAdmin):
    importer_class = UnitAssessmentExporter
    list_display = [
        "year",
        "unit",
        "organization",
        "activity_count",
        "handout_count",
        "contact_months",
        "meetings_attended",
        "score",
        "grade",
    ]
    list_filter = ["year", "grade"]
    search_fields = ["unit__name", "unit__code"]
    readonly_fields = [
        "unit",
        "organization",
        "year",
        "activity_count",
        "handout_count",
        "contact_months",
        "score",
        "grade",
        "assessed_by",
    ]
    fields = [*readonly_fields, "meetings_held", "meetings_attended", "comment"]
    change_list_template = "covenants/admin/assessment_change_list.html"

    def get_queryset(self, request):
        return assessments_visible_to(request.user)

    def has_add_permission(self, request):
        return False

    def save_model(self, request, obj, form, change):
        # Meeting figures or the comment changed: grade again from the data.
        assessment_compute(
            actor=request.user,
            unit=obj.unit,
            organization=obj.organization,
            year=obj.year,
            meetings_held=form.cleaned_data.get("meetings_held"),
            meetings_attended=form.cleaned_data.get("meetings_attended"),
            comment=form.cleaned_data.get("comment", ""),
        )

    def get_urls(self):
        return [
            path(
                "compute/",
                self.admin_site.admin_view(self.compute_view),
                name="covenants_unitassessment_compute",
            ),
            *super().get_urls(),
        ]

    def compute_view(self, request):
        if not self.has_view_permission(request) or not self.has_change_permission(request):
            raise Http404
        form = ComputeForm(request.POST or None, user=request.user)
        if request.method == "POST" and form.is_valid():
            organization, year = form.cleaned_data["organization"], form.cleaned_data["year"]
            done = 0
            for unit in units_related_to(request.user, organization):
                if self.run_service(
                    request,
                    assessment_compute,
                    unit=unit,
                    organization=organization,
                    year=year,
                ):
                    done += 1
            self.message_user(request, f"已评定 {done} 个单位 {year} 年度考核。")
            return HttpResponseRedirect(reverse("admin:covenants_unitassessment_changelist"))
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": "按年度评定共建单位",
            "form": form,
        }
        return TemplateResponse(request, "covenants/admin/compute.html", context)


class CovenantVersionInline(admin.TabularInline):
    model = CovenantVersion
    extra = 0
    can_delete = False
    fields = [
        "number",
        "adopted_on",
        "adopted_by",
        "meeting",
        "meeting_reference",
        "is_current",
        "text",
    ]
    readonly_fields = fields
    verbose_name_plural = "历次版本（新版本请点“通过新版本”）"

    def has_add_permission(self, request, obj=None):
        return False


class AdoptForm(forms.Form):
    text = forms.CharField(label="正文", widget=forms.Textarea(attrs={"rows": 16, "cols": 80}))
    adopted_on = forms.DateField(label="通过日期")
    adopted_by = forms.CharField(label="通过会议", initial="居民议事会", max_length=120)
    meeting = forms.ModelChoiceField(
        label="通过会议（共治会议记录）",
        queryset=Meeting.objects.none(),
        required=False,
        help_text="本社区（小区所属社区）已召开的会议；召开日期不得晚于通过日期。",
    )
    meeting_reference = forms.CharField(label="会议记录编号", required=False, max_length=64)

    def __init__(self, *args, covenant=None, **kwargs):
        super().__init__(*args, **kwargs)
        if covenant is not None:
            self.fields["meeting"].queryset = (
                Meeting.objects.filter(
                    series__body_id__in=covenant_meeting_bodies(covenant.organization),
                    status=MeetingStatus.HELD,
                )
                .select_related("series")
                .order_by("-held_on", "code")
            )
            self.fields["meeting"].label_from_instance = lambda m: (
                f"{m.code} {m.title}（{m.held_on}）"
            )


@admin.register(Covenant)
class CovenantAdmin(CovenantsAdminMixin, admin.ModelAdmin):
    list_display = ["code", "title", "organization", "kind", "current_version"]
    list_filter = ["kind"]
    search_fields = ["code", "title"]
    inlines = [CovenantVersionInline]
    readonly_fields = ["adopt_link"]

    def get_queryset(self, request):
        return covenants_visible_to(request.user)

    @admin.display(description="现行版本")
    def current_version(self, obj):
        current = next((v for v in obj.versions.all() if v.is_current), None)
        return f"第{current.number}版（{current.adopted_on}）" if current else "—"

    @admin.display(description="新版本")
    def adopt_link(self, obj):
        from django.utils.html import format_html

        if obj is None or obj.pk is None:
            return "保存后可登记通过的版本"
        url = reverse("admin:covenants_covenant_adopt", args=[obj.pk])
        return format_html('<a href="{}">通过新版本</a>', url)

    def save_model(self, request, obj, form, change):
        if change:
            covenant_update(actor=request.user, covenant=obj, **_changed(form))
        else:
            saved = covenant_create(actor=request.user, **form.cleaned_data)
            obj.pk = saved.pk

    def get_urls(self):
        return [
            path(
                "<path:object_id>/adopt/",
                self.admin_site.admin_view(self.adopt_view),
                name="covenants_covenant_adopt",
            ),
            *super().get_urls(),
        ]

    def adopt_view(self, request, object_id):
        obj = self.get_object(request, object_id)
        if obj is None or not self.has_change_permission(request, obj):
            raise Http404
        form = AdoptForm(request.POST or None, covenant=obj)
        if request.method == "POST" and form.is_valid():
            version = self.run_service(
                request, covenant_adopt_version, covenant=obj, **form.cleaned_data
            )
            if version is not None:
                self.message_user(request, f"已登记第{version.number}版，并设为现行公开版本。")
                return HttpResponseRedirect(
                    reverse("admin:covenants_covenant_change", args=[obj.pk])
                )
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": f"{obj}：通过新版本",
            "form": form,
        }
        return TemplateResponse(request, "covenants/admin/compute.html", context)
