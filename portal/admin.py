from django.contrib import admin

from core.admin import ScopedAdminMixin, SensitiveAdminMixin
from portal.models import ResidentProfile, ServiceCentre, ServiceItem


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


@admin.register(ResidentProfile)
class ResidentProfileAdmin(SensitiveAdminMixin, ScopedAdminMixin, admin.ModelAdmin):
    """Residents' portal accounts: cadres see who registered in their community (phone masked);
    accounts are created by residents themselves, never here."""

    list_display = ["name", "masked_phone", "community", "phone_verified_at", "created_at"]
    search_fields = ["name", "community__name"]
    list_select_related = ["community"]
    fields = ["name", "phone", "community", "phone_verified_at"]
    readonly_fields = ["phone_verified_at"]

    def has_add_permission(self, request):
        return False
