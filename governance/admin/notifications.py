from django.contrib import admin, messages

from core.admin import ScopedAdminMixin
from governance import selectors, services
from governance.choices import EmailStatus
from governance.models import EmailDelivery, Notification


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):
    """我的提醒：every user sees only their own notifications, unread first counted in the title."""

    list_display = ["title", "kind", "organization", "created_at", "is_read", "email_status"]
    list_filter = ["kind", ("read_at", admin.EmptyFieldListFilter), "email_status"]
    search_fields = ["title", "body"]
    actions = ["mark_read"]
    readonly_fields = [
        "title",
        "body",
        "kind",
        "window_days",
        "organization",
        "series",
        "meeting",
        "task",
        "period_start",
        "created_at",
        "read_at",
        "email",
        "email_status",
        "email_attempts",
        "email_last_error",
        "email_sent_at",
    ]
    fields = readonly_fields

    def get_queryset(self, request):
        return selectors.notifications_for(request.user)

    @admin.display(description="已读", boolean=True)
    def is_read(self, obj):
        return obj.read_at is not None

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_view_permission(self, request, obj=None):
        return request.user.is_active and request.user.is_staff

    def has_module_permission(self, request):
        return request.user.is_active and request.user.is_staff

    def changelist_view(self, request, extra_context=None):
        unread = Notification.objects.for_user(request.user).unread().count()
        extra_context = {**(extra_context or {}), "title": f"我的提醒（{unread} 条未读）"}
        return super().changelist_view(request, extra_context)

    def change_view(self, request, object_id, form_url="", extra_context=None):
        if object_id and object_id.isdigit():
            services.notification_mark_read(actor=request.user, ids=[int(object_id)])
        return super().change_view(request, object_id, form_url, extra_context)

    @admin.action(description="标记为已读")
    def mark_read(self, request, queryset):
        marked = services.notification_mark_read(
            actor=request.user, ids=list(queryset.values_list("pk", flat=True))
        )
        messages.success(request, f"已标记 {marked} 条为已读。")


@admin.register(EmailDelivery)
class EmailDeliveryAdmin(ScopedAdminMixin, admin.ModelAdmin):
    """邮件发送记录: every e-mail of the notifications in the user's scope, filterable by state;
    a failed one shows how often it was tried and the server's last answer. Read-only: the
    outbox (governance.reminders.emails_deliver) is what changes these rows."""

    list_display = [
        "title",
        "email",
        "email_status",
        "email_attempts",
        "email_last_error",
        "email_sent_at",
        "created_at",
    ]
    list_filter = ["email_status", "kind"]
    search_fields = ["email", "title"]
    list_select_related = ["organization"]
    readonly_fields = NotificationAdmin.readonly_fields
    fields = readonly_fields

    def get_queryset(self, request):
        return super().get_queryset(request).exclude(email_status=EmailStatus.NONE)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
