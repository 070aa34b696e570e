from django.contrib import admin

from core.admin import ScopedAdminMixin
from portal.models import ServiceCentre, ServiceItem


@admin.register(ServiceCentre)
class ServiceCentreAdmin(ScopedAdminMixin, admin.ModelAdmin):
    list_display = ["name", "community", "address", "open_hours", "phone"]
    search_fields = ["name", "address", "community__name"]
    list_select_related = ["community"]
    fieldsets = [
        (None, {"fields": ["community", "name", "address", "open_hours", "phone", "services"]}),
        (
            "居民委员会",
            {
                "fields": [
                    "committee_name",
                    "committee_address",
                    "committee_phone",
                    "committee_hours",
                ]
            },
        ),
    ]


@admin.register(ServiceItem)
class ServiceItemAdmin(ScopedAdminMixin, admin.ModelAdmin):
    list_display = ["title", "category", "organization", "one_visit", "is_published", "sort_order"]
    list_filter = ["one_visit", "is_published", "category"]
    list_editable = ["sort_order"]
    search_fields = ["title", "category", "materials", "place"]
    list_select_related = ["organization"]
    fields = [
        "organization",
        "category",
        "title",
        "materials",
        "place",
        "hours",
        "phone",
        "one_visit",
        "notes",
        "is_published",
        "sort_order",
    ]
