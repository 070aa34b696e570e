from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError

from core.admin import ScopedAdminMixin
from webhooks.choices import EventKind
from webhooks.models import Delivery, DeliveryAttempt, Endpoint
from webhooks.services import (
    AddressRefused,
    check_url,
    endpoint_rotate_secret,
    endpoint_save,
    redeliver,
)


class EndpointForm(forms.ModelForm):
    url = forms.URLField(
        label="推送地址",
        max_length=500,
        assume_scheme="https",
        help_text="仅限 http/https 公网地址。",
    )
    event_kinds = forms.MultipleChoiceField(
        label="订阅事件", choices=EventKind.choices, widget=forms.CheckboxSelectMultiple
    )
    secret = forms.CharField(
        label="签名密钥",
        required=False,
        widget=forms.PasswordInput(render_value=False),
        help_text="留空：新建时自动生成，修改时保持不变；填写新值即轮换密钥（旧密钥 24 小时内仍附带签名）。",
    )

    class Meta:
        model = Endpoint
        fields = ["code", "name", "url", "secret", "event_kinds", "organization", "active",
                  "include_personal_data"]  # fmt: skip

    def clean_url(self):
        url = self.cleaned_data.get("url") or ""
        try:
            check_url(url)
        except AddressRefused as exc:
            raise ValidationError(str(exc)) from exc
        return url

    def clean_secret(self):
        value = self.cleaned_data.get("secret") or ""
        if value and len(value) < 16:
            raise ValidationError("密钥至少 16 个字符。")
        return value


@admin.register(Endpoint)
class EndpointAdmin(ScopedAdminMixin, admin.ModelAdmin):
    form = EndpointForm
    list_display = ["code", "name", "url", "organization", "active", "consecutive_failures",
                    "disabled_at", "owner"]  # fmt: skip
    list_filter = ["active"]
    search_fields = ["code", "name", "url"]
    list_select_related = ["organization", "owner"]
    fields = ["code", "name", "url", "secret", "event_kinds", "organization", "active",
              "include_personal_data", "owner", "secret_rotated_at", "consecutive_failures",
              "disabled_at", "disabled_reason"]  # fmt: skip
    actions = ["rotate_secret"]

    def get_fields(self, request, obj=None):
        fields = list(super().get_fields(request, obj))
        if obj is not None and not self.has_change_permission(request, obj):
            fields.remove("secret")  # a read-only page must not show the secret
        return fields

    def save_model(self, request, obj, form, change):
        typed = form.cleaned_data.get("secret") or ""
        if change and not typed:
            obj.secret = ""  # keep the stored one (endpoint_save)
        endpoint_save(actor=request.user, endpoint=obj)
        if typed or not change:
            messages.info(request, f"签名密钥（请交给接收方妥善保存）：{obj.secret}")

    @admin.action(description="轮换签名密钥", permissions=["change"])
    def rotate_secret(self, request, queryset):
        for endpoint in queryset:
            endpoint = endpoint_rotate_secret(actor=request.user, endpoint=endpoint)
            self.message_user(request, f"{endpoint.code} 的新密钥：{endpoint.secret}")


class AttemptInline(admin.TabularInline):
    model = DeliveryAttempt
    fields = ["number", "at", "status_code", "duration_ms", "success", "error", "response_excerpt"]
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Delivery)
class DeliveryAdmin(ScopedAdminMixin, admin.ModelAdmin):
    list_display = ["kind", "endpoint", "status", "attempts", "last_status_code",
                    "last_duration_ms", "created_at", "delivered_at"]  # fmt: skip
    list_filter = ["status", "kind"]
    search_fields = ["event_id", "endpoint__code", "kind"]
    list_select_related = ["endpoint"]
    readonly_fields = ["endpoint", "event_id", "kind", "payload", "status", "attempts",
                       "next_attempt_at", "last_status_code", "last_duration_ms", "last_error",
                       "delivered_at", "created_at"]  # fmt: skip
    fields = readonly_fields
    inlines = [AttemptInline]
    actions = ["redeliver"]

    def has_add_permission(self, request):
        return False

    @admin.action(description="重新投递", permissions=["change"])
    def redeliver(self, request, queryset):
        count = redeliver(actor=request.user, deliveries=list(queryset))
        self.message_user(request, f"已重新排队 {count} 条推送。")
