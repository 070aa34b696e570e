from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.http import Http404, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html
from simple_history.admin import SimpleHistoryAdmin

from core.admin import FileImportExportMixin
from covenants.admin.base import CovenantsAdminMixin
from covenants.choices import AgreementStatus
from covenants.importers import AgreementImporter
from covenants.models import Agreement, AgreementClause, AgreementTemplate, TemplateClause
from covenants.selectors import agreement_for_print, agreements_visible_to
from covenants.services import (
    agreement_delete,
    agreement_draft,
    agreement_sign,
    agreement_terminate,
    agreement_update,
    template_update,
)
from covenants.views import print_context
from organizations.choices import OrgKind


def _handled(formset) -> None:
    """The service saved the clauses; tell the admin's change message there is nothing else."""
    formset.new_objects, formset.changed_objects, formset.deleted_objects = [], [], []


def _clause_texts(formset) -> list[str]:
    rows = []
    for form in formset.forms:
        if not getattr(form, "cleaned_data", None) or form.cleaned_data.get("DELETE"):
            continue
        text = (form.cleaned_data.get("text") or "").strip()
        if text:
            rows.append((form.cleaned_data.get("number") or 999, text))
    return [text for _, text in sorted(rows, key=lambda r: r[0])]


class AgreementClauseInline(admin.TabularInline):
    model = AgreementClause
    extra = 0
    fields = ["number", "text"]
    verbose_name_plural = "协议条款（按序号排列；草稿阶段可修改）"

    def _editable(self, obj):
        return obj is not None and obj.status == AgreementStatus.DRAFT

    def has_add_permission(self, request, obj=None):
        return self._editable(obj) and super().has_add_permission(request, obj)

    def has_change_permission(self, request, obj=None):
        return self._editable(obj) and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return self._editable(obj) and super().has_delete_permission(request, obj)


class TerminateForm(forms.Form):
    reason = forms.CharField(label="终止原因", widget=forms.Textarea(attrs={"rows": 3}))
    terminated_on = forms.DateField(label="终止日期", initial=timezone.localdate)


@admin.register(Agreement)
class AgreementAdmin(FileImportExportMixin, CovenantsAdminMixin, SimpleHistoryAdmin):
    importer_class = AgreementImporter
    list_display = ["code", "unit", "party_a", "starts_on", "ends_on", "status", "signed_on"]
    list_filter = ["status"]
    search_fields = ["code", "title", "unit__name", "party_a__name"]
    date_hierarchy = "ends_on"
    inlines = [AgreementClauseInline]
    party_fields = ("party_a",)
    actions = ["sign_selected"]
    fieldsets = [
        (None, {"fields": ["code", "title", "party_a", "unit", "starts_on", "ends_on"]}),
        ("协议正文", {"fields": ["preamble"]}),
        (
            "签字盖章",
            {
                "fields": [
                    "party_a_signatory",
                    "party_b_signatory",
                    "party_a_seal_label",
                    "party_b_seal_label",
                ]
            },
        ),
        (
            "状态",
            {
                "fields": [
                    "status",
                    "signed_on",
                    "terminated_on",
                    "termination_reason",
                    "workflow_links",
                ]
            },
        ),
    ]
    autocomplete_fields = []

    def get_queryset(self, request):
        return agreements_visible_to(request.user)

    def get_readonly_fields(self, request, obj=None):
        workflow = ["status", "signed_on", "terminated_on", "termination_reason", "workflow_links"]
        if obj is not None and obj.status != AgreementStatus.DRAFT:
            return [f.name for f in Agreement._meta.fields if f.name != "id"] + ["workflow_links"]
        return workflow

    @admin.display(description="操作")
    def workflow_links(self, obj):
        if obj is None or obj.pk is None:
            return "保存草稿后可打印、签订"
        links = [
            format_html(
                '<a href="{}" target="_blank">打印协议书</a>',
                reverse("admin:covenants_agreement_print", args=[obj.pk]),
            )
        ]
        if obj.status == AgreementStatus.SIGNED:
            links.append(
                format_html(
                    '<a href="{}">终止协议</a>',
                    reverse("admin:covenants_agreement_terminate", args=[obj.pk]),
                )
            )
        return format_html(" | ".join(["{}"] * len(links)), *links)

    def save_model(self, request, obj, form, change):
        data = dict(form.cleaned_data)
        if change:
            stored = Agreement.objects.get(pk=obj.pk)
            fields = {n: data[n] for n in form.changed_data if n in data}
            agreement_update(actor=request.user, agreement=stored, **fields)
        else:
            saved = agreement_draft(actor=request.user, **data)
            obj.pk = saved.pk
            obj.refresh_from_db()

    def save_formset(self, request, form, formset, change):
        if formset.model is AgreementClause:
            if formset.has_changed():
                agreement_update(
                    actor=request.user, agreement=form.instance, clauses=_clause_texts(formset)
                )
            _handled(formset)
            return
        super().save_formset(request, form, formset, change)

    def delete_model(self, request, obj):
        agreement_delete(actor=request.user, agreement=obj)

    @admin.action(description="签订所选协议（签订日期为今天，须已填写双方负责人）")
    def sign_selected(self, request, queryset):
        done = 0
        for agreement in queryset:
            if self.run_service(request, agreement_sign, agreement=agreement) is not None:
                done += 1
        if done:
            self.message_user(request, f"已签订 {done} 份协议。", messages.SUCCESS)

    def get_urls(self):
        wrap = self.admin_site.admin_view
        return [
            path(
                "<path:object_id>/print/", wrap(self.print_view), name="covenants_agreement_print"
            ),
            path(
                "<path:object_id>/terminate/",
                wrap(self.terminate_view),
                name="covenants_agreement_terminate",
            ),
            *super().get_urls(),
        ]

    def print_view(self, request, object_id):
        obj = self.get_object(request, object_id)
        if obj is None:
            raise Http404
        agreement = agreement_for_print(request.user, obj.code)
        return TemplateResponse(request, "covenants/agreement_print.html", print_context(agreement))

    def terminate_view(self, request, object_id):
        obj = self.get_object(request, object_id)
        if obj is None or not self.has_change_permission(request):
            raise Http404
        form = TerminateForm(request.POST or None)
        error = ""
        if request.method == "POST" and form.is_valid():
            done = self.run_service(
                request,
                agreement_terminate,
                agreement=obj,
                reason=form.cleaned_data["reason"],
                terminated_on=form.cleaned_data["terminated_on"],
                success=f"协议“{obj.code}”已终止。",
            )
            if done is not None:
                return HttpResponseRedirect(
                    reverse("admin:covenants_agreement_change", args=[obj.pk])
                )
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": f"终止协议 {obj.code}",
            "object": obj,
            "form": form,
            "error": error,
        }
        return TemplateResponse(request, "covenants/admin/terminate.html", context)


class TemplateClauseInline(admin.TabularInline):
    model = TemplateClause
    extra = 1
    fields = ["number", "text"]


@admin.register(AgreementTemplate)
class AgreementTemplateAdmin(CovenantsAdminMixin, admin.ModelAdmin):
    list_display = ["organization", "title", "updated_at"]
    list_select_related = ["organization"]
    inlines = [TemplateClauseInline]

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        field = super().formfield_for_foreignkey(db_field, request, **kwargs)
        if db_field.name == "organization":
            field.queryset = field.queryset.filter(kind=OrgKind.STREET_COMMITTEE)
        return field

    def save_model(self, request, obj, form, change):
        if change:
            stored = AgreementTemplate.objects.get(pk=obj.pk)
            fields = {n: form.cleaned_data[n] for n in form.changed_data}
            template_update(actor=request.user, template=stored, **fields)
        else:
            super().save_model(request, obj, form, change)

    def save_formset(self, request, form, formset, change):
        if formset.has_changed() or not change:
            texts = _clause_texts(formset)
            if texts:
                template_update(actor=request.user, template=form.instance, clauses=texts)
        _handled(formset)


__all__ = ["AgreementAdmin", "AgreementTemplateAdmin"]
