from django.contrib import admin
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from mptt.admin import MPTTModelAdmin
from simple_history.admin import SimpleHistoryAdmin

from core.admin import FileImportExportMixin, MaskedUsernameAdminMixin, ScopedAdminMixin
from organizations.admin.officers import (
    current_officers_detail,
    current_officers_prefetch,
    officers_column,
)
from organizations.importers import OrganizationImporter
from organizations.models import Organization, ScopeAssignment
from organizations.services import organization_create, organization_delete, organization_update


@admin.register(Organization)
class OrganizationAdmin(
    FileImportExportMixin, ScopedAdminMixin, MPTTModelAdmin, SimpleHistoryAdmin
):
    importer_class = OrganizationImporter
    io_base_template = "admin/mptt_change_list.html"
    list_display = [
        "name",
        "code",
        "kind",
        "current_officers_column",
        "established_on",
        "ended_on",
        "phone",
    ]
    list_filter = ["kind"]
    search_fields = ["name", "code", "address"]
    list_select_related = ["parent"]
    autocomplete_fields = ["parent"]
    list_per_page = 100
    mptt_level_indent = 20
    fieldsets = [
        (None, {"fields": ["code", "name", "kind", "parent"]}),
        ("基本情况", {"fields": ["established_on", "ended_on", "address", "phone"]}),
        ("现任骨干（在“骨干任职”中维护）", {"fields": ["current_officers_list"]}),
    ]
    readonly_fields = ["current_officers_list"]

    @admin.display(description="现任骨干")
    def current_officers_list(self, obj):
        return current_officers_detail(obj)

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related(current_officers_prefetch())

    @admin.display(description="现任骨干")
    def current_officers_column(self, obj):
        return officers_column(obj)

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change=change, **kwargs)
        parent = form.base_fields.get("parent")
        if parent is not None:
            # MPTT's form drops the node's own subtree from the choices, the scope drops the
            # rest: say so instead of Django's generic "not one of the available choices".
            parent.error_messages["invalid_choice"] = (
                "上级组织不可选：不能是本组织或其下级组织，也不能超出您的管辖范围。"
            )
        return form

    def save_model(self, request, obj, form, change):
        data = {
            name: form.cleaned_data[name] for name in form.changed_data if name in form.cleaned_data
        }
        if change:
            stored = Organization.objects.get(pk=obj.pk)
            organization_update(actor=request.user, organization=stored, **data)
        else:
            saved = organization_create(
                actor=request.user, **{name: form.cleaned_data[name] for name in form.cleaned_data}
            )
            obj.pk = saved.pk

    def delete_model(self, request, obj):
        organization_delete(actor=request.user, organization=obj)


class ScopeAssignmentInline(admin.TabularInline):
    model = ScopeAssignment
    extra = 1
    autocomplete_fields = ["organization"]
    verbose_name = "管辖范围"
    verbose_name_plural = "管辖范围（可见并可管理这些组织及其全部下级）"


User = get_user_model()
admin.site.unregister(User)


@admin.register(User)
class UserAdmin(MaskedUsernameAdminMixin, BaseUserAdmin):
    inlines = [ScopeAssignmentInline]
    list_display = ["masked_username", "first_name", "email", "is_staff", "is_active"]
