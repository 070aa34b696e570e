"""Admin for the six needles, financial disclosures and the 六有 checklist."""

from django.contrib import admin

from core.admin import FileImportExportMixin, ScopedAdminMixin, SensitiveAdminMixin
from organizations import selectors, services
from organizations.admin import figures as f
from organizations.importers import (
    BodyImporter,
    FinancialDisclosureImporter,
    SixHavesImporter,
)
from organizations.models import Body, FinancialDisclosure, SixHaves


@admin.register(Body)
class BodyAdmin(
    f.FiguresMixin, FileImportExportMixin, SensitiveAdminMixin, ScopedAdminMixin, admin.ModelAdmin
):
    importer_class = BodyImporter
    list_display = [
        "name",
        "kind",
        "community",
        "head_name",
        "masked_phone",
        "compound",
        "is_party_led",
        "red_property",
    ]
    list_filter = ["kind", "is_party_led"]
    search_fields = ["name", "code", "head_name", "community__name"]
    autocomplete_fields = ["community", "compound", "property_branch"]

    def get_queryset(self, request):
        return selectors.bodies_visible_to(request.user)

    def figures(self, request):
        return f.coverage_figures(request.user)

    @admin.display(description="红色物业", boolean=True)
    def red_property(self, obj):
        return obj.is_red_property if obj.kind == "property_company" else None


@admin.register(FinancialDisclosure)
class FinancialDisclosureAdmin(FileImportExportMixin, ScopedAdminMixin, admin.ModelAdmin):
    importer_class = FinancialDisclosureImporter
    list_display = [
        "title",
        "body",
        "period",
        "income",
        "expenditure",
        "dividend",
        "is_public",
        "published_on",
    ]
    list_filter = ["is_public"]
    search_fields = ["title", "code", "body__name"]
    autocomplete_fields = ["body"]
    actions = ["publish", "withdraw"]

    def get_queryset(self, request):
        return selectors.disclosures_visible_to(request.user)

    @admin.action(description="在居民门户公开")
    def publish(self, request, queryset):
        for disclosure in queryset:
            services.disclosure_publish(actor=request.user, disclosure=disclosure)
        self.message_user(request, f"已公开 {queryset.count()} 条。")

    @admin.action(description="撤回公开")
    def withdraw(self, request, queryset):
        for disclosure in queryset:
            services.disclosure_withdraw(actor=request.user, disclosure=disclosure)
        self.message_user(request, f"已撤回 {queryset.count()} 条。")


@admin.register(SixHaves)
class SixHavesAdmin(f.FiguresMixin, FileImportExportMixin, ScopedAdminMixin, admin.ModelAdmin):
    importer_class = SixHavesImporter
    list_display = [
        "branch",
        "has_approval",
        "has_members",
        "has_commissioner",
        "has_rules",
        "has_venue",
        "has_activities",
        "score_label",
        "checked_on",
    ]
    list_filter = [
        "has_approval",
        "has_members",
        "has_commissioner",
        "has_rules",
        "has_venue",
        "has_activities",
    ]
    search_fields = ["branch__name", "branch__code"]
    autocomplete_fields = ["branch"]

    def get_queryset(self, request):
        return selectors.six_haves_visible_to(request.user)

    def figures(self, request):
        return f.six_haves_figures(request.user)

    @admin.display(description="达标项")
    def score_label(self, obj):
        return f"{obj.score}/6"
