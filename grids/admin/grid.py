from django.contrib import admin
from django.utils.html import format_html
from mptt.admin import MPTTModelAdmin

from core.admin import FileImportExportMixin, ScopedAdminMixin, SensitiveAdminMixin
from grids.importers import GridImporter, GridWorkerImporter
from grids.models import Grid, GridWorker
from grids.selectors import is_oversized, with_counts
from grids.services.grid import grid_create, grid_delete, grid_update, roster_delete, roster_save


class GridWorkerInline(admin.TabularInline):
    model = GridWorker
    extra = 0
    fields = ["code", "role", "name", "work_phone", "user", "active"]
    readonly_fields = fields
    can_delete = False
    show_change_link = True

    def has_add_permission(self, request, obj=None):
        return False


class CoveredFilter(admin.SimpleListFilter):
    """支部建在网格上: grids and micro-grids with or without a covering party branch."""

    title = "覆盖党组织"
    parameter_name = "covered"

    def lookups(self, request, model_admin):
        return [("no", "网格、微网格未覆盖"), ("yes", "已覆盖")]

    def queryset(self, request, queryset):
        if self.value() == "no":
            return queryset.filter(level__in=["grid", "micro_grid"], covering_branch__isnull=True)
        if self.value() == "yes":
            return queryset.filter(covering_branch__isnull=False)
        return queryset


@admin.register(Grid)
class GridAdmin(FileImportExportMixin, ScopedAdminMixin, MPTTModelAdmin):
    importer_class = GridImporter
    io_base_template = "admin/mptt_change_list.html"
    list_display = [
        "name",
        "code",
        "level",
        "community",
        "covering_branch",
        "household_count",
        "resident_count",
        "oversized",
    ]
    list_filter = ["level", CoveredFilter, "community"]
    search_fields = ["name", "code"]
    list_select_related = ["community", "parent", "covering_branch"]
    autocomplete_fields = ["parent", "covering_branch"]
    list_per_page = 100
    inlines = [GridWorkerInline]
    fields = ["code", "name", "level", "parent", "community", "covering_branch", "boundary", "note"]

    def get_queryset(self, request):
        return with_counts(super().get_queryset(request))

    @admin.display(description="户数", ordering="household_count")
    def household_count(self, obj):
        return obj.household_count

    @admin.display(description="人数", ordering="resident_count")
    def resident_count(self, obj):
        return obj.resident_count

    @admin.display(description="超规模")
    def oversized(self, obj):
        if is_oversized(obj.level, obj.household_count):
            return format_html('<strong class="inactive">{}</strong>', "超规模")
        return ""

    def save_model(self, request, obj, form, change):
        data = {name: form.cleaned_data[name] for name in form.cleaned_data}
        if change:
            grid_update(actor=request.user, grid=Grid.objects.get(pk=obj.pk), **data)
        else:
            obj.pk = grid_create(actor=request.user, **data).pk

    def delete_model(self, request, obj):
        grid_delete(actor=request.user, grid=obj)


@admin.register(GridWorker)
class GridWorkerAdmin(
    FileImportExportMixin, SensitiveAdminMixin, ScopedAdminMixin, admin.ModelAdmin
):
    importer_class = GridWorkerImporter
    list_display = ["code", "name", "role", "grid", "masked_phone", "work_phone", "user", "active"]
    list_filter = ["role", "active"]
    search_fields = ["code", "name", "grid__name", "grid__code"]
    list_select_related = ["grid", "user"]
    autocomplete_fields = ["grid", "user"]

    def save_model(self, request, obj, form, change):
        roster_save(actor=request.user, instance=obj)

    def delete_model(self, request, obj):
        roster_delete(actor=request.user, instance=obj)
