from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse

from core.admin import FileImportExportMixin, ScopedAdminMixin
from grids.choices import CENTRAL_HOUSEHOLD_USUAL, CaseCategory
from grids.importers import CentralHouseholdLinkImporter, VisitLogImporter
from grids.models import CentralHouseholdLink, VisitLog
from grids.services.visits import (
    central_link_create,
    central_link_delete,
    central_link_update,
    visit_log_create,
    visit_log_update,
    visit_to_case,
)
from organizations.admin.figures import FiguresMixin


def central_household_figures(user):
    """The 1–5 households rule (seed 002): every 党员中心户 / 先锋岗 outside it, by name."""
    from grids.selectors import central_households_visible_to
    from organizations.admin.figures import Figures

    low, high = CENTRAL_HOUSEHOLD_USUAL
    rows = [
        [
            o.name,
            o.get_kind_display(),
            o.link_count,
            "未联系住户" if o.link_count < low else "超过5户",
        ]
        for o in central_households_visible_to(user).filter(outside_usual=True)
    ]
    return Figures(
        f"联系户数不在 {low}–{high} 户的党员中心户",
        ["党员中心户", "类型", "联系户数", "问题"],
        rows,
        note=f"每个党员中心户、先锋岗常规联系 {low}–{high} 户（种子文件 002）。",
        empty=f"全部党员中心户都联系 {low}–{high} 户。",
    )


@admin.register(CentralHouseholdLink)
class CentralHouseholdLinkAdmin(
    FiguresMixin, FileImportExportMixin, ScopedAdminMixin, admin.ModelAdmin
):
    importer_class = CentralHouseholdLinkImporter

    def figures(self, request):
        return central_household_figures(request.user)

    list_display = ["organization", "household", "since", "note"]
    search_fields = ["organization__name", "organization__code", "household__code"]
    list_select_related = ["organization", "household", "household__building__compound"]
    autocomplete_fields = ["organization", "household"]

    def save_model(self, request, obj, form, change):
        if change:
            central_link_update(actor=request.user, link=obj, since=obj.since, note=obj.note)
        else:
            obj.pk = central_link_create(
                actor=request.user,
                organization=obj.organization,
                household=obj.household,
                since=obj.since,
                note=obj.note,
            ).pk

    def delete_model(self, request, obj):
        central_link_delete(actor=request.user, link=obj)


class ToCaseForm(forms.Form):
    category = forms.ChoiceField(label="诉求类别", choices=CaseCategory.choices)
    description = forms.CharField(
        label="诉求内容",
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="留空则使用走访记录中的群众诉求。",
    )


@admin.register(VisitLog)
class VisitLogAdmin(FileImportExportMixin, ScopedAdminMixin, admin.ModelAdmin):
    importer_class = VisitLogImporter
    change_form_template = "admin/grids/visitlog/change_form.html"
    list_display = ["visited_on", "visitor_name", "visitor_kind", "household", "case"]
    list_filter = ["visitor_kind", "visited_on"]
    search_fields = ["code", "visitor_name", "household__code", "content"]
    list_select_related = ["household", "household__building__compound", "case"]
    autocomplete_fields = ["household", "central_household", "member"]
    fields = [
        "code",
        "household",
        "visitor_kind",
        "member",
        "visitor_name",
        "central_household",
        "visited_on",
        "content",
        "needs",
        "case",
    ]
    readonly_fields = ["case"]

    def get_readonly_fields(self, request, obj=None):
        return ["code", "household", "central_household", "case"] if obj else ["code", "case"]

    def get_form(self, request, obj=None, **kwargs):
        form = super().get_form(request, obj, **kwargs)
        if obj is None and "visitor_name" in form.base_fields:
            # visit_log_create fills it: the member's name, else the acting user's.
            form.base_fields["visitor_name"].required = False
            form.base_fields["visitor_name"].help_text = "留空则为所选党员或当前用户的姓名。"
        return form

    def save_model(self, request, obj, form, change):
        if change:
            visit_log_update(
                actor=request.user,
                visit=obj,
                **{k: form.cleaned_data[k] for k in form.changed_data if k in form.cleaned_data},
            )
        else:
            obj.pk = visit_log_create(
                actor=request.user,
                household=obj.household,
                content=obj.content,
                visitor_kind=obj.visitor_kind,
                visitor_name=obj.visitor_name,
                visited_on=obj.visited_on,
                needs=obj.needs,
                central_household=obj.central_household,
                member=obj.member,
            ).pk

    def get_urls(self):
        return [
            path(
                "<path:object_id>/to-case/",
                self.admin_site.admin_view(self.to_case_view),
                name="grids_visitlog_to_case",
            ),
            *super().get_urls(),
        ]

    def to_case_view(self, request, object_id):
        visit = self.get_object(request, object_id)
        if visit is None:
            raise Http404
        form = ToCaseForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            try:
                case = visit_to_case(actor=request.user, visit=visit, **form.cleaned_data)
            except ValidationError as exc:
                for message in exc.messages:
                    form.add_error(None, message)
            else:
                messages.success(request, f"已转为诉求，查询码 {case.tracking_code}。")
                return HttpResponseRedirect(reverse("admin:grids_case_change", args=[case.pk]))
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": f"走访记录转为诉求：{visit}",
            "form": form,
            "visit": visit,
        }
        return TemplateResponse(request, "admin/grids/visitlog/to_case.html", context)
