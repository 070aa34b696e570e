from django.contrib import admin
from django.urls import reverse
from django.utils.html import format_html, format_html_join
from simple_history.admin import SimpleHistoryAdmin

from core.admin import FileImportExportMixin, ScopedAdminMixin, SensitiveAdminMixin
from core.sensitive import masked_value
from grids.importers import BuildingImporter, CompoundImporter, ResidentImporter
from grids.models import Building, Compound, Household, Resident
from grids.roster import RosterImporter
from grids.selectors import household_contacts, size_mismatch_households
from grids.services.grid import roster_delete, roster_save


class RosterAdminMixin:
    def save_model(self, request, obj, form, change):
        roster_save(actor=request.user, instance=obj)

    def delete_model(self, request, obj):
        roster_delete(actor=request.user, instance=obj)


@admin.register(Compound)
class CompoundAdmin(RosterAdminMixin, FileImportExportMixin, ScopedAdminMixin, admin.ModelAdmin):
    """小区 with the names residents use (aliases): the portal's place search reads them."""

    importer_class = CompoundImporter
    list_display = ["code", "name", "aliases", "community", "address"]
    list_filter = ["community"]
    search_fields = ["code", "name", "aliases", "address"]
    list_select_related = ["community"]


@admin.register(Building)
class BuildingAdmin(RosterAdminMixin, FileImportExportMixin, ScopedAdminMixin, admin.ModelAdmin):
    importer_class = BuildingImporter
    list_display = ["code", "name", "compound", "number", "units", "community", "grid", "floors"]
    list_filter = ["community"]
    search_fields = ["code", "name", "number", "compound__name", "compound__aliases", "address"]
    list_select_related = ["community", "grid", "compound"]
    autocomplete_fields = ["grid", "compound"]

    def get_queryset(self, request):
        # str(building) names its compound (autocomplete lists, household pages).
        return super().get_queryset(request).select_related("compound", "community", "grid")


class SizeCheckFilter(admin.SimpleListFilter):
    """户人数 against the residents registered in the household."""

    title = "户人数核对"
    parameter_name = "size_check"

    def lookups(self, request, model_admin):
        return [("off", "与登记居民人数不符")]

    def queryset(self, request, queryset):
        if self.value() == "off":
            return size_mismatch_households(queryset)
        return queryset


@admin.register(Household)
class HouseholdAdmin(RosterAdminMixin, FileImportExportMixin, ScopedAdminMixin, SimpleHistoryAdmin):
    """The household page also shows who looks after it: central household and grid workers."""

    importer_class = RosterImporter
    list_display = ["code", "door_number", "head_name", "building", "grid", "micro_grid", "size"]
    list_filter = ["grid__community", SizeCheckFilter]
    search_fields = ["code", "door_number", "head_name", "building__name"]
    list_select_related = ["building", "building__compound", "grid", "micro_grid"]
    autocomplete_fields = ["building", "grid", "micro_grid"]
    readonly_fields = ["contacts", "resident_table"]
    fieldsets = [
        (None, {"fields": ["code", "grid", "micro_grid", "building", "door_number"]}),
        ("户情况", {"fields": ["head_name", "size", "note"]}),
        ("联系服务", {"fields": ["contacts"]}),
        ("家庭成员", {"fields": ["resident_table"]}),
    ]

    def get_queryset(self, request):
        # str(household) names its building and compound (autocomplete lists).
        return (
            super().get_queryset(request).select_related("building__compound", "grid", "micro_grid")
        )

    @admin.display(description="党员中心户和网格员")
    def contacts(self, obj):
        if not obj.pk:
            return "-"
        found = household_contacts(obj)
        central = "、".join(str(o) for o in found["central_households"]) or "暂无"
        workers = format_html_join(
            "、",
            "{}（{}，{}）",
            (
                (w.name, w.get_role_display(), masked_value(w, "phone") or "无电话")
                for w in found["grid_workers"]
            ),
        )
        return format_html("党员中心户：{}<br>网格员：{}", central, workers or "暂无")

    @admin.display(description="居民")
    def resident_table(self, obj):
        if not obj.pk:
            return "-"
        rows = format_html_join(
            "",
            '<tr><td><a href="{}">{}</a></td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>',
            (
                (
                    reverse("admin:grids_resident_change", args=[r.pk]),
                    r.name,
                    r.get_relation_display(),
                    masked_value(r, "id_number"),
                    masked_value(r, "phone"),
                    "、".join(r.care_flags),
                )
                for r in obj.residents.all()
            ),
        )
        return format_html(
            "<table><tr><th>姓名</th><th>关系</th><th>身份证号</th><th>电话</th><th>关爱标记</th></tr>{}</table>",
            rows,
        )


@admin.register(Resident)
class ResidentAdmin(
    RosterAdminMixin,
    FileImportExportMixin,
    SensitiveAdminMixin,
    ScopedAdminMixin,
    SimpleHistoryAdmin,
):
    importer_class = ResidentImporter
    list_display = [
        "name",
        "household",
        "relation",
        "resident_type",
        "masked_id_number",
        "masked_phone",
        "gender",
        "birth_date",
    ]
    list_filter = [
        "resident_type",
        "elderly_alone",
        "empty_nest",
        "disabled",
        "low_income",
        "key_person",
        "left_behind_child",
    ]
    search_fields = ["name", "code", "household__code"]
    list_select_related = ["household", "household__building__compound"]
    autocomplete_fields = ["household"]
    readonly_fields = ["code", "gender", "birth_date"]
    fieldsets = [
        (None, {"fields": ["code", "household", "name", "relation", "resident_type"]}),
        ("身份与联系", {"fields": ["id_number", "gender", "birth_date", "phone"]}),
        (
            "重点关爱",
            {
                "fields": [
                    "elderly_alone",
                    "empty_nest",
                    "disabled",
                    "low_income",
                    "key_person",
                    "left_behind_child",
                    "note",
                ]
            },
        ),
    ]
