"""诉求通知 in the admin: what residents, grid workers and communities were told about cases,
with the SMS delivery log (state, tries, the gateway's last answer). Read-only: the case
services write these rows and ``grids.send_case_sms`` changes their SMS state."""

from django.contrib import admin

from core.admin import ScopedAdminMixin
from grids.models import CaseNotice


@admin.register(CaseNotice)
class CaseNoticeAdmin(ScopedAdminMixin, admin.ModelAdmin):
    list_display = [
        "text",
        "audience",
        "case",
        "created_at",
        "read_at",
        "sms_status",
        "sms_attempts",
        "sms_error",
        "sms_sent_at",
    ]
    list_filter = ["audience", "sms_status", ("read_at", admin.EmptyFieldListFilter)]
    search_fields = ["text", "case__tracking_code"]
    list_select_related = ["case"]
    readonly_fields = [
        "case",
        "event",
        "audience",
        "recipient",
        "organization",
        "text",
        "created_at",
        "read_at",
        "sms_status",
        "sms_attempts",
        "sms_next_at",
        "sms_sent_at",
        "sms_reference",
        "sms_error",
    ]
    fields = readonly_fields

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
