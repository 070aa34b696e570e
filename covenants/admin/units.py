from __future__ import annotations

from datetime import date

from django import forms
from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.template.response import TemplateResponse
from django.urls import path
from django.utils import timezone
from simple_history.admin import SimpleHistoryAdmin

from core.admin import FileImportExportMixin, SensitiveAdminMixin
from core.scope import in_scope
from covenants.admin.base import CovenantsAdminMixin
from covenants.importers import PartnerUnitImporter
from covenants.models import Agreement, PartnerUnit
from covenants.models.agreements import PARTY_A_KINDS
from covenants.selectors import (
    inactive_units,
    street_activity_summary,
    unit_activity_table,
    unit_members,
    units_visible_to,
)
from covenants.services import unit_create, unit_delete, unit_update
from organizations.models import Organization
from organizations.selectors import scope_roots


class PartnerUnitForm(forms.ModelForm):
    partner_organizations = forms.ModelMultipleChoiceField(
        label="共建社区/街道",
        queryset=Organization.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="本单位与哪些街道、社区共驻共建（签订协议时自动加入）。",
    )

    class Meta:
        model = PartnerUnit
        fields = [
            "code",
            "name",
            "credit_code",
            "kind",
            "organization",
            "address",
            "party_org_name",
            "party_secretary",
            "liaison_name",
            "liaison_title",
            "liaison_phone",
            "note",
        ]


class AgreementInline(admin.TabularInline):
    """The unit's agreements this user may see (another community's stay hidden)."""

    model = Agreement
    fk_name = "unit"
    extra = 0
    can_delete = False
    show_change_link = True
    fields = ["code", "party_a", "starts_on", "ends_on", "status"]
    readonly_fields = fields
    verbose_name_plural = "共建协议（您管辖范围内的）"

    def get_queryset(self, request):
        return Agreement.objects.visible_to(request.user).select_related("party_a")

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(PartnerUnit)
class PartnerUnitAdmin(
    FileImportExportMixin, SensitiveAdminMixin, CovenantsAdminMixin, SimpleHistoryAdmin
):
    form = PartnerUnitForm
    change_list_template = "covenants/admin/unit_change_list.html"
    importer_class = PartnerUnitImporter
    list_display = [
        "name",
        "code",
        "kind",
        "credit_code",
        "organization",
        "partner_list",
        "liaison_name",
        "masked_liaison_phone",
    ]
    list_filter = ["kind"]
    search_fields = ["name", "code", "credit_code", "liaison_name"]
    list_per_page = 50
    inlines = [AgreementInline]
    change_form_template = "covenants/admin/unit_change_form.html"
    fieldsets = [
        (None, {"fields": ["code", "name", "credit_code", "kind", "organization", "address"]}),
        ("单位党组织", {"fields": ["party_org_name", "party_secretary"]}),
        ("联络员", {"fields": ["liaison_name", "liaison_title", "liaison_phone"]}),
        ("共建关系", {"fields": ["partner_organizations", "note"]}),
    ]
    party_fields = ("organization",)

    def get_queryset(self, request):
        return units_visible_to(request.user)

    @admin.display(description="共建社区/街道")
    def partner_list(self, obj):
        return "、".join(p.name for p in obj.partners.all())

    def get_fieldsets(self, request, obj=None):
        fieldsets = super().get_fieldsets(request, obj)
        if obj is None or self.has_change_permission(request, obj):
            return fieldsets
        # Read-only: the partner checkboxes are a form field; show the list of names instead.
        return [
            (
                name,
                {
                    **options,
                    "fields": [
                        "partner_list" if f == "partner_organizations" else f
                        for f in options["fields"]
                    ],
                },
            )
            for name, options in fieldsets
        ]

    def change_view(self, request, object_id, form_url="", extra_context=None):
        extra_context = extra_context or {}
        unit = self.get_object(request, object_id)
        if unit is not None:
            extra_context["unit_members"] = unit_members(request.user, unit)
        return super().change_view(request, object_id, form_url, extra_context)

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change=change, **kwargs)
        field = form.base_fields.get("partner_organizations")
        if field is not None:
            field.queryset = (
                Organization.objects.visible_to(request.user)
                .filter(kind__in=PARTY_A_KINDS)
                .order_by("tree_id", "lft")
            )
            if obj is not None:
                field.initial = [p.pk for p in obj.partners.all()]
        return form

    def has_change_permission(self, request, obj=None):
        # Partners read a unit; only the registering node's scope changes it.
        if obj is not None and not in_scope(request.user, obj.organization):
            return False
        return super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        if obj is not None and not in_scope(request.user, obj.organization):
            return False
        return super().has_delete_permission(request, obj)

    def save_model(self, request, obj, form, change):
        data = dict(form.cleaned_data)
        partners = list(data.pop("partner_organizations", []) or [])
        if change:
            stored = PartnerUnit.objects.get(pk=obj.pk)
            fields = {n: data[n] for n in form.changed_data if n in data}
            unit_update(actor=request.user, unit=stored, partners=partners, **fields)
        else:
            saved = unit_create(actor=request.user, partners=partners, **data)
            obj.pk = saved.pk

    def save_related(self, request, form, formsets, change):
        # Partnerships were saved by the service; the agreement inline is read-only.
        pass

    def delete_model(self, request, obj):
        unit_delete(actor=request.user, unit=obj)

    # ---- reports: per-street activity table and inactive units
    def get_urls(self):
        wrap = self.admin_site.admin_view
        return [
            path(
                "activity-table/", wrap(self.activity_table_view), name="covenants_activity_table"
            ),
            path("inactive/", wrap(self.inactive_view), name="covenants_inactive_units"),
            *super().get_urls(),
        ]

    def _report_params(self, request):
        if not self.has_view_permission(request):
            raise PermissionDenied
        roots = list(scope_roots(request.user))
        code = request.GET.get("organization")
        if code:
            organization = Organization.objects.visible_to(request.user).filter(code=code).first()
            if organization is None:
                raise Http404
        else:
            organization = roots[0] if len(roots) == 1 else None
        today = timezone.localdate()
        try:
            year = int(request.GET.get("year") or today.year)
            on = date.fromisoformat(request.GET["on"]) if request.GET.get("on") else None
        except ValueError:
            year, on = today.year, None
        choices = (
            Organization.objects.visible_to(request.user)
            .filter(kind__in=PARTY_A_KINDS)
            .order_by("tree_id", "lft")
        )
        return organization, year, on, choices

    def activity_table_view(self, request):
        organization, year, on, choices = self._report_params(request)
        table = unit_activity_table(request.user, organization=organization, year=year, on=on)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": f"共建单位活动情况表（{year} 年）",
            "table": table,
            "streets": street_activity_summary(request.user, year=year),
            "organization": organization,
            "choices": choices,
            "year": year,
        }
        return TemplateResponse(request, "covenants/admin/activity_table.html", context)

    def inactive_view(self, request):
        organization, _, on, choices = self._report_params(request)
        rows = inactive_units(request.user, organization=organization, on=on)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": "不活跃共建单位",
            "rows": rows,
            "organization": organization,
            "choices": choices,
            "on": on or timezone.localdate(),
        }
        return TemplateResponse(request, "covenants/admin/inactive_units.html", context)
