"""职能部门 and 派单账号 in the admin: the street keeps its departments (and the 驻区单位 taking
part); a department's or member's login is tied to it by a desk account."""

from django.contrib import admin
from django.db.models import Count, Q

from core.admin import ScopedAdminMixin
from grids.choices import CaseStatus
from grids.models import Department, DeskAccount
from grids.services.departments import desk_account_save


@admin.register(Department)
class DepartmentAdmin(ScopedAdminMixin, admin.ModelAdmin):
    list_display = ["code", "name", "kind", "street", "contact", "active", "open_cases"]
    list_filter = ["kind", "active", "street"]
    search_fields = ["code", "name"]
    list_select_related = ["street"]
    fields = ["code", "name", "kind", "street", "contact", "phone", "active"]

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .annotate(open_count=Count("cases", filter=Q(cases__status=CaseStatus.DISPATCHED)))
        )

    @admin.display(description="在办诉求", ordering="open_count")
    def open_cases(self, obj):
        return obj.open_count


@admin.register(DeskAccount)
class DeskAccountAdmin(ScopedAdminMixin, admin.ModelAdmin):
    list_display = ["user", "department", "registration", "cadre", "organization"]
    list_select_related = ["user", "department", "registration__member", "cadre", "organization"]
    search_fields = ["user__username", "department__name", "registration__member__name"]
    fields = ["user", "department", "registration", "cadre"]
    autocomplete_fields = ["department"]

    def save_model(self, request, obj, form, change):
        desk_account_save(actor=request.user, account=obj)
