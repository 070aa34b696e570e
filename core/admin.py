"""Admin base classes: the scope on every queryset and choice, writes through services,
and the file import (upload → preview → confirm) / export / template views.
"""

from __future__ import annotations

import hashlib
import uuid
from pathlib import Path

from django.conf import settings
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse

from core.importing import CONTENT_TYPES
from core.models import AuditLog
from core.scope import restrict
from core.services import scoped_delete, scoped_save


class ScopedAdminMixin:
    """Every queryset and every foreign-key choice is limited to the user's scope."""

    def get_queryset(self, request):
        return restrict(super().get_queryset(request), request.user)

    def _get_obj_does_not_exist_redirect(self, request, opts, object_id):
        # Out of scope and nonexistent look the same: a plain 404, never a hint.
        raise Http404

    def _restrict_related(self, db_field, request, kwargs):
        related = db_field.related_model
        if hasattr(related, "scope_path"):
            queryset = kwargs.get("queryset") or related._default_manager.all()
            kwargs["queryset"] = restrict(queryset, request.user)
        return kwargs

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        kwargs = self._restrict_related(db_field, request, kwargs)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        kwargs = self._restrict_related(db_field, request, kwargs)
        return super().formfield_for_manytomany(db_field, request, **kwargs)

    # Writes re-check the scope inside a transaction (services).
    def save_model(self, request, obj, form, change):
        scoped_save(actor=request.user, instance=obj)

    def delete_model(self, request, obj):
        scoped_delete(actor=request.user, instance=obj)


class FileImportExportMixin:
    """Adds 导入 / 导出 / 下载模板 to a changelist, using the model's importer."""

    importer_class = None
    change_list_template = "admin/core/change_list_io.html"
    io_base_template = "admin/change_list.html"

    def get_urls(self):
        meta = self.model._meta
        prefix = f"{meta.app_label}_{meta.model_name}"
        wrap = self.admin_site.admin_view
        return [
            path("import/", wrap(self.import_view), name=f"{prefix}_import"),
            path("export/", wrap(self.export_view), name=f"{prefix}_export"),
            path("import-template/", wrap(self.template_view), name=f"{prefix}_import_template"),
            *super().get_urls(),
        ]

    def changelist_view(self, request, extra_context=None):
        meta = self.model._meta
        extra_context = extra_context or {}
        extra_context["io_urls"] = {
            "import": f"admin:{meta.app_label}_{meta.model_name}_import",
            "export": f"admin:{meta.app_label}_{meta.model_name}_export",
            "template": f"admin:{meta.app_label}_{meta.model_name}_import_template",
        }
        extra_context["io_base_template"] = self.io_base_template
        extra_context["can_import"] = self.has_add_permission(
            request
        ) and self.has_change_permission(request)
        return super().changelist_view(request, extra_context)

    def _download(self, content: bytes, fmt: str, name: str) -> HttpResponse:
        from urllib.parse import quote

        response = HttpResponse(content, content_type=CONTENT_TYPES[fmt])
        response["Content-Disposition"] = f"attachment; filename*=UTF-8''{quote(name)}.{fmt}"
        return response

    def export_view(self, request):
        if not self.has_view_permission(request):
            raise PermissionDenied
        fmt = request.GET.get("format", "xlsx")
        if fmt not in CONTENT_TYPES:
            fmt = "xlsx"
        # The changelist's own filters and search, on the scoped queryset.
        params = request.GET.copy()
        params.pop("format", None)
        request.GET = params
        changelist = self.get_changelist_instance(request)
        queryset = changelist.get_queryset(request)
        importer = self.importer_class(request.user)
        return self._download(importer.export(queryset, fmt), fmt, importer.sheet_name)

    def template_view(self, request):
        fmt = request.GET.get("format", "xlsx")
        importer = self.importer_class(request.user)
        return self._download(
            importer.template(fmt if fmt in CONTENT_TYPES else "xlsx"),
            fmt,
            f"{importer.sheet_name}导入模板",
        )

    def _staging_dir(self) -> Path:
        directory = Path(settings.MEDIA_ROOT) / "import-staging"
        directory.mkdir(parents=True, exist_ok=True)
        return directory

    def import_view(self, request):
        if not (self.has_add_permission(request) and self.has_change_permission(request)):
            raise PermissionDenied
        meta = self.model._meta
        importer = self.importer_class(request.user)
        context = {
            **self.admin_site.each_context(request),
            "opts": meta,
            "title": f"导入{meta.verbose_name}",
            "importer": importer,
            "template_url": reverse(f"admin:{meta.app_label}_{meta.model_name}_import_template"),
            "changelist_url": reverse(f"admin:{meta.app_label}_{meta.model_name}_changelist"),
            "max_size_mb": settings.IMPORT_MAX_FILE_SIZE // (1024 * 1024),
        }
        if request.method == "POST" and request.POST.get("token"):
            return self._confirm_import(request, importer, context)
        if request.method == "POST":
            upload = request.FILES.get("file")
            if upload is None:
                context["form_error"] = "请选择要导入的文件。"
            elif upload.size > settings.IMPORT_MAX_FILE_SIZE:
                context["form_error"] = f"文件超过 {context['max_size_mb']} MB 上限。"
            else:
                data = upload.read()
                result = importer.run(data, upload.name, dry_run=True)
                context["result"] = result
                if result.ok:
                    token = uuid.uuid4().hex
                    suffix = Path(upload.name).suffix.lower()[:8]
                    staged = self._staging_dir() / f"{request.user.pk}-{token}{suffix}"
                    staged.write_bytes(data)
                    context["token"] = token
                    context["filename"] = upload.name
                    context["digest"] = hashlib.sha256(data).hexdigest()
        return TemplateResponse(request, "admin/core/import.html", context)

    def _confirm_import(self, request, importer, context):
        token = request.POST["token"]
        if not token.isalnum():
            raise PermissionDenied
        matches = list(self._staging_dir().glob(f"{request.user.pk}-{token}*"))
        if not matches:
            context["form_error"] = "预览已过期，请重新上传文件。"
            return TemplateResponse(request, "admin/core/import.html", context)
        staged = matches[0]
        data = staged.read_bytes()
        if hashlib.sha256(data).hexdigest() != request.POST.get("digest"):
            raise PermissionDenied
        result = importer.run(data, request.POST.get("filename", staged.name), dry_run=False)
        if not result.committed:
            context["result"] = result
            return TemplateResponse(request, "admin/core/import.html", context)
        staged.unlink(missing_ok=True)
        messages.success(request, f"导入完成：新增 {result.created} 条，更新 {result.updated} 条。")
        return HttpResponseRedirect(context["changelist_url"])


@admin.register(AuditLog)
class AuditLogAdmin(ScopedAdminMixin, admin.ModelAdmin):
    list_display = ["created_at", "actor", "action", "target_type", "target_repr", "organization"]
    list_filter = ["action", "target_type"]
    search_fields = ["target_repr", "actor__username", "action"]
    list_select_related = ["actor", "organization"]
    date_hierarchy = "created_at"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
