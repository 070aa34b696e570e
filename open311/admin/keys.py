"""Open311 接入密钥 in the admin: a street administrator issues a key for a subtree (the key is
shown once, on the page that follows the save, never stored or sent in a cookie), renames it,
and revokes it (action 吊销). Keys are never deleted: their use counts stay as the log."""

from __future__ import annotations

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.template.response import TemplateResponse

from core.admin import ScopedAdminMixin
from open311.models import ApiKey
from open311.services import api_key_issue, api_key_revoke


@admin.register(ApiKey)
class ApiKeyAdmin(ScopedAdminMixin, admin.ModelAdmin):
    list_display = [
        "name",
        "organization",
        "key_prefix",
        "active",
        "created_at",
        "last_used_at",
        "use_count",
        "revoked_at",
    ]
    list_filter = ["active"]
    search_fields = ["name", "key_prefix", "organization__name", "organization__code"]
    list_select_related = ["organization"]
    actions = ["revoke"]
    readonly_fields = [
        "key_prefix",
        "active",
        "created_at",
        "last_used_at",
        "use_count",
        "revoked_at",
    ]

    def get_fields(self, request, obj=None):
        if obj is None:
            return ["name", "organization"]
        return ["name", "organization", *self.readonly_fields]

    def get_readonly_fields(self, request, obj=None):
        readonly = list(super().get_readonly_fields(request, obj))
        if obj is not None and "organization" not in readonly:
            readonly.append("organization")  # a key's reach never changes: issue a new one
        return readonly

    def has_delete_permission(self, request, obj=None):
        return False

    def save_model(self, request, obj, form, change):
        if change:
            return super().save_model(request, obj, form, change)
        key, raw = api_key_issue(actor=request.user, name=obj.name, organization=obj.organization)
        obj.pk = key.pk
        obj.__dict__.update({k: v for k, v in key.__dict__.items() if k != "_state"})
        obj._state = key._state
        request._open311_raw_key = raw

    def response_add(self, request, obj, post_url_continue=None):
        raw = getattr(request, "_open311_raw_key", None)
        if raw is None:
            return super().response_add(request, obj, post_url_continue)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": "密钥已签发",
            "key": obj,
            "raw_key": raw,
        }
        response = TemplateResponse(request, "admin/open311/apikey/issued.html", context)
        response["Cache-Control"] = "no-store"
        return response

    @admin.action(description="吊销所选密钥", permissions=["change"])
    def revoke(self, request, queryset):
        done = 0
        for key in queryset.filter(active=True):
            try:
                api_key_revoke(actor=request.user, key=key)
            except (PermissionDenied, ValidationError) as exc:
                self.message_user(request, f"{key}：{exc}", messages.ERROR)
            else:
                done += 1
        self.message_user(request, f"已吊销 {done} 把密钥。", messages.SUCCESS)
