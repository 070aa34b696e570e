"""Admin base classes: the scope on every queryset and choice, writes through services,
and the file import (upload → preview → confirm) / export / template views.
"""

from __future__ import annotations

import hashlib
import uuid

from django.conf import settings
from django.contrib import admin, messages
from django.contrib.admin.utils import flatten_fieldsets
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone

from core.history_admin import HistoryDisplayMixin
from core.import_jobs import (
    drop_stale_staged_files,
    duration_text,
    find_staged,
    import_job_cancel,
    import_job_confirm,
    import_job_give_up_if_stale,
    import_job_latest,
    import_job_waiting,
    import_jobs_give_up_overdue,
    import_jobs_visible_to,
    importer_path,
    runs_on_worker,
    stage_file,
    staged_rows,
    staged_token,
)
from core.importing import CONTENT_TYPES
from core.links import check_links, linkable, service_fields
from core.models import ApiToken, AuditLog, ImportJob, SensitiveAccessLog, TaskOutbox
from core.scope import restrict
from core.sensitive import mask, masked_value, sensitive_fields, sensitive_reveal
from core.services import scoped_delete, scoped_save, scoped_set_status


class ScopedAdminMixin(HistoryDisplayMixin):
    """Every queryset and every foreign-key choice is limited to the user's scope."""

    def get_queryset(self, request):
        return restrict(super().get_queryset(request), request.user)

    def _get_obj_does_not_exist_redirect(self, request, opts, object_id):
        # Out of scope and nonexistent look the same: a plain 404, never a hint.
        raise Http404

    def _require_visible(self, request, object_id) -> None:
        from django.contrib.admin.utils import unquote

        try:
            visible = self.get_queryset(request).filter(pk=unquote(object_id)).exists()
        except (ValueError, ValidationError):
            visible = False
        if not visible:
            raise Http404

    # django-simple-history falls back to the stored history (and offers a revert) when the
    # object is missing from get_queryset: an out-of-scope object must be a 404 there too.
    def history_view(self, request, object_id, extra_context=None):
        self._require_visible(request, object_id)
        return super().history_view(request, object_id, extra_context)

    def history_form_view(self, request, object_id, version_id, extra_context=None):
        self._require_visible(request, object_id)
        return super().history_form_view(request, object_id, version_id, extra_context)

    def get_readonly_fields(self, request, obj=None):
        # A user who may view but not change gets every shown field read-only, as Django's own
        # change view does; simple-history's version page would otherwise look up form fields
        # the read-only form does not have. Fields a workflow service owns change through its
        # actions, never through the form.
        readonly = list(super().get_readonly_fields(request, obj))
        readonly += [n for n in service_fields(self.model) if n not in readonly]
        if (
            obj is None
            or getattr(request, "_all_fields_readonly", False)
            or self.has_change_permission(request, obj)
        ):
            return readonly
        request._all_fields_readonly = True  # get_fieldsets may ask for the read-only fields
        try:
            shown = flatten_fieldsets(self.get_fieldsets(request, obj))
        finally:
            request._all_fields_readonly = False
        return readonly + [name for name in shown if name not in readonly]

    def _restrict_related(self, db_field, request, kwargs):
        related = db_field.related_model
        declared = getattr(self.model, "link_scopes", None) or {}
        if db_field.name in declared:
            # The same choices the API and the services allow (core.links).
            allowed = linkable(request.user, self.model, db_field.name)
            queryset = kwargs.get("queryset")
            kwargs["queryset"] = (
                allowed if queryset is None else queryset.filter(pk__in=allowed.values("pk"))
            )
        elif hasattr(related, "scope_path"):
            queryset = kwargs.get("queryset")
            if queryset is None:
                queryset = related._default_manager.all()
            # A model may widen its own visibility (e.g. partner units shared with communities).
            if hasattr(queryset, "visible_to"):
                kwargs["queryset"] = queryset.visible_to(request.user)
            else:
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

    def save_formset(self, request, form, formset, change):
        """Inline rows go through ``scoped_save`` too (their links checked by ``core.links``),
        unless the admin saves them through its own service."""
        instances = formset.save(commit=False)
        for obj in formset.deleted_objects:
            obj.delete()
        for obj in instances:
            if hasattr(type(obj), "scope_path"):
                scoped_save(actor=request.user, instance=obj)
            else:
                if getattr(type(obj), "link_scopes", None) is not None:
                    check_links(actor=request.user, instance=obj)
                obj.save()
        formset.save_m2m()


class StatusAdminMixin:
    """Admin actions "设为“…”" for a ``status`` without a richer workflow: the form keeps it
    read-only (a workflow field); each change goes through ``scoped_set_status`` (audited)."""

    def get_actions(self, request):
        actions = super().get_actions(request)
        if not self.has_change_permission(request):
            return actions
        for value, label in self.model._meta.get_field("status").choices:

            def set_status(modeladmin, request, queryset, _value=value, _label=label):
                changed = 0
                for obj in queryset:
                    try:
                        scoped_set_status(actor=request.user, instance=obj, status=_value)
                    except (ValidationError, PermissionDenied) as exc:
                        modeladmin.message_user(request, f"{obj}：{exc}", messages.ERROR)
                    else:
                        changed += 1
                modeladmin.message_user(request, f"已将 {changed} 条设为“{_label}”。")

            name = f"set_status_{value}"
            actions[name] = (set_status, name, f"设为“{label}”")
        return actions


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
            path(
                "import/jobs/<int:job_id>/",
                wrap(self.import_job_view),
                name=f"{prefix}_import_job",
            ),
            path(
                "import/jobs/<int:job_id>/cancel/",
                wrap(self.import_job_cancel_view),
                name=f"{prefix}_import_job_cancel",
            ),
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
        unmasked = params.pop("unmasked", [""])[-1] in {"1", "true"}
        purpose = params.pop("purpose", [""])[-1]
        request.GET = params
        changelist = self.get_changelist_instance(request)
        queryset = changelist.get_queryset(request)
        importer = self.importer_class(request.user)
        try:
            content = importer.export(queryset, fmt, unmasked=unmasked, purpose=purpose)
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
            return HttpResponseRedirect(
                reverse(
                    f"admin:{self.model._meta.app_label}_{self.model._meta.model_name}_changelist"
                )
            )
        return self._download(content, fmt, importer.sheet_name)

    def template_view(self, request):
        fmt = request.GET.get("format", "xlsx")
        importer = self.importer_class(request.user)
        return self._download(
            importer.template(fmt if fmt in CONTENT_TYPES else "xlsx"),
            fmt,
            f"{importer.sheet_name}导入模板",
        )

    def import_view(self, request):
        if not (self.has_add_permission(request) and self.has_change_permission(request)):
            raise PermissionDenied
        importer = self.importer_class(request.user)
        context = self._import_context(request, importer)
        if request.method == "POST" and request.POST.get("token"):
            return self._confirm_import(request, context)
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
                    drop_stale_staged_files()
                    token = uuid.uuid4().hex
                    stage_file(
                        user=request.user,
                        data=data,
                        filename=upload.name,
                        token=token,
                        rows=result.total,
                    )
                    context["token"] = token
                    context["filename"] = upload.name
                    context["digest"] = hashlib.sha256(data).hexdigest()
                    context["background"] = runs_on_worker(result.total)
        return TemplateResponse(request, "admin/core/import.html", context)

    def _import_context(self, request, importer) -> dict:
        meta = self.model._meta
        return {
            **self.admin_site.each_context(request),
            "opts": meta,
            "title": f"导入{meta.verbose_name}",
            "importer": importer,
            "import_url": reverse(f"admin:{meta.app_label}_{meta.model_name}_import"),
            "template_url": reverse(f"admin:{meta.app_label}_{meta.model_name}_import_template"),
            "changelist_url": reverse(f"admin:{meta.app_label}_{meta.model_name}_changelist"),
            "max_size_mb": settings.IMPORT_MAX_FILE_SIZE // (1024 * 1024),
        }

    def _job_url(self, job) -> str:
        meta = self.model._meta
        return reverse(f"admin:{meta.app_label}_{meta.model_name}_import_job", args=[job.pk])

    def _confirm_import(self, request, context):
        token = request.POST["token"]
        if not token.isalnum():
            raise PermissionDenied
        staged = find_staged(user=request.user, token=token)
        if staged is None:
            # Confirmed already (the file goes once imported): show that job, never a second one.
            previous = import_job_latest(
                user=request.user,
                importer=importer_path(self.importer_class),
                digest=request.POST.get("digest", ""),
            )
            if previous is not None:
                return HttpResponseRedirect(self._job_url(previous))
            context["form_error"] = "预览已过期，请重新上传文件。"
            return TemplateResponse(request, "admin/core/import.html", context)
        data = staged.read_bytes()
        if hashlib.sha256(data).hexdigest() != request.POST.get("digest"):
            raise PermissionDenied
        job, result = import_job_confirm(
            actor=request.user,
            importer_class=self.importer_class,
            data=data,
            filename=request.POST.get("filename", "") or staged.name,
            rows=staged_rows(staged),
            staged_name=staged.name,
        )
        if result is None:  # on a worker, or already under way, or failed: the job's page says
            return HttpResponseRedirect(self._job_url(job))
        if not result.committed:
            context["result"] = result
            return TemplateResponse(request, "admin/core/import.html", context)
        messages.success(request, f"导入完成：新增 {result.created} 条，更新 {result.updated} 条。")
        return HttpResponseRedirect(context["changelist_url"])

    def import_job_view(self, request, job_id):
        """A confirmed import's progress (the page reloads itself while it runs) and result."""
        job = import_jobs_visible_to(request.user).filter(pk=job_id).first()
        if job is None or job.importer != importer_path(self.importer_class):
            raise Http404
        job = import_job_give_up_if_stale(job)
        importer = self.importer_class(request.user)
        context = self._import_context(request, importer)
        token = staged_token(job)
        meta = self.model._meta
        context.update(
            title=f"导入{self.model._meta.verbose_name}：{job.get_status_display()}",
            job=job,
            waiting=import_job_waiting(job),
            cancel_url=reverse(
                f"admin:{meta.app_label}_{meta.model_name}_import_job_cancel", args=[job.pk]
            )
            if job.status == job.Status.QUEUED and job.user_id == request.user.pk
            else "",
            # Queued: every 5 s is plenty (it may wait for minutes); running: every 2 s.
            refresh_seconds=(5 if job.status == job.Status.QUEUED else 2) if job.active else None,
            # A failed job can be confirmed again while its staged file is still there.
            retry_token=token
            if job.status in (job.Status.FAILED, job.Status.CANCELLED)
            and job.user_id == request.user.pk
            and find_staged(user=request.user, token=token)
            else "",
        )
        return TemplateResponse(request, "admin/core/import_job.html", context)

    def import_job_cancel_view(self, request, job_id):
        """POST: the job's owner cancels it while it is still queued; back to its page."""
        if request.method != "POST":
            return HttpResponseRedirect(self._job_url_by_id(job_id))
        job = import_jobs_visible_to(request.user).filter(pk=job_id).first()
        if job is None or job.importer != importer_path(self.importer_class):
            raise Http404
        job = import_job_give_up_if_stale(job)
        if import_job_cancel(actor=request.user, job=job):
            messages.success(request, "已取消本次导入，未写入任何数据。")
        else:
            messages.warning(request, "该导入已开始或已结束，不能再取消。")
        return HttpResponseRedirect(self._job_url(job))

    def _job_url_by_id(self, job_id) -> str:
        meta = self.model._meta
        return reverse(f"admin:{meta.app_label}_{meta.model_name}_import_job", args=[job_id])


def _importer_admins(site) -> dict[str, admin.ModelAdmin]:
    """Importer path → the model admin that imports with it (its job pages live there)."""
    found: dict[str, admin.ModelAdmin] = {}
    for model_admin in site._registry.values():
        importer = getattr(model_admin, "importer_class", None)
        if isinstance(model_admin, FileImportExportMixin) and importer is not None:
            found.setdefault(importer_path(importer), model_admin)
    return found


@admin.register(ImportJob)
class ImportJobAdmin(admin.ModelAdmin):
    """Every confirmed import, read-only: each user sees their own; street admins
    (``core.view_importjob``) and superusers see all. Each row links to the job's progress or
    result page under the admin of the list it imported into. Jobs queued past their timeout
    (or running with a stopped heartbeat) are given up when the list is opened."""

    list_display = ["kind", "file_link", "status", "progress", "initiator", "time"]
    list_display_links = None
    list_filter = ["status"]
    list_select_related = ["user"]
    search_fields = ["filename"]
    date_hierarchy = None
    readonly_fields = [
        "kind",
        "file_link",
        "status",
        "progress",
        "user",
        "created_at",
        "started_at",
        "finished_at",
        "error",
    ]
    fields = readonly_fields

    def get_queryset(self, request):
        return import_jobs_visible_to(request.user).order_by("-created_at", "-id")

    # Any staff user opens the list (their own jobs); nobody adds, changes or deletes here.
    def has_module_permission(self, request):
        return request.user.is_active and request.user.is_staff

    def has_view_permission(self, request, obj=None):
        if not (request.user.is_active and request.user.is_staff):
            return False
        return obj is None or self.get_queryset(request).filter(pk=obj.pk).exists()

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def changelist_view(self, request, extra_context=None):
        import_jobs_give_up_overdue(self.get_queryset(request))
        return super().changelist_view(request, extra_context)

    def _importer_admin(self, job):
        if "_importer_admins" not in self.__dict__:
            self._importer_admins = _importer_admins(self.admin_site)
        return self._importer_admins.get(job.importer)

    @admin.display(description="导入类型", ordering="importer")
    def kind(self, job):
        model_admin = self._importer_admin(job)
        if model_admin is not None:
            return model_admin.model._meta.verbose_name
        return job.importer.rpartition(".")[2]

    @admin.display(description="文件", ordering="filename")
    def file_link(self, job):
        from django.utils.html import format_html

        model_admin = self._importer_admin(job)
        name = job.filename or job.digest[:12]
        if model_admin is None:
            return name
        return format_html('<a href="{}">{}</a>', model_admin._job_url(job), name)

    @admin.display(description="发起人", ordering="user__username")
    def initiator(self, job):
        return job.user

    @admin.display(description="时间", ordering="created_at")
    def time(self, job):
        from django.utils.formats import date_format

        return date_format(timezone.localtime(job.created_at), "Y-m-d H:i")

    @admin.display(description="进度")
    def progress(self, job):
        if job.status == ImportJob.Status.QUEUED:
            # No query per row: the reason (outbox or no worker) is on the job's own page.
            waited = (timezone.now() - job.created_at).total_seconds()
            return f"排队中，已等待{duration_text(waited)}"
        if job.status == ImportJob.Status.RUNNING:
            return f"{job.rows_done} / {job.rows_total} 行（{job.percent}%）"
        if job.status == ImportJob.Status.DONE:
            result = job.result or {}
            return (
                f"{result.get('total', job.rows_total)} 行：新增 {result.get('created', 0)}，"
                f"更新 {result.get('updated', 0)}，未变 {result.get('unchanged', 0)}"
            )
        return job.error


@admin.register(AuditLog)
class AuditLogAdmin(ScopedAdminMixin, admin.ModelAdmin):
    list_display = [
        "created_at",
        "actor",
        "action",
        "target_type",
        "target_repr",
        "organization",
        "ip_address",
    ]
    list_filter = ["action", "target_type"]
    search_fields = ["target_repr", "actor__username", "action", "ip_address"]
    list_select_related = ["actor", "organization"]
    date_hierarchy = "created_at"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class SensitiveAdminMixin:
    """Masked ID numbers and phones in admin lists, forms, read-only views and change history;
    a logged reveal page per record.

    List columns: use ``masked_<field>`` (generated for each of the model's sensitive fields).
    Forms show the masked value (also when re-displayed after an error); leaving it unchanged
    keeps the stored value. With SimpleHistoryAdmin, history pages are scoped like the
    changelist and show masked values.
    """

    def get_urls(self):
        meta = self.model._meta
        return [
            path(
                "<path:object_id>/reveal/",
                self.admin_site.admin_view(self.reveal_view),
                name=f"{meta.app_label}_{meta.model_name}_reveal",
            ),
            *super().get_urls(),
        ]

    def __getattr__(self, name):
        if name.startswith("masked_"):
            field_name = name[len("masked_") :]
            if field_name in sensitive_fields(self.model):

                def column(obj, _field=field_name):
                    return masked_value(obj, _field)

                column.short_description = self.model._meta.get_field(field_name).verbose_name
                return column
        raise AttributeError(name)

    def _masked_names(self, names):
        fields = sensitive_fields(self.model)
        return [f"masked_{n}" if isinstance(n, str) and n in fields else n for n in names]

    def get_fieldsets(self, request, obj=None):
        fieldsets = super().get_fieldsets(request, obj)
        if obj is None or self.has_change_permission(request, obj):
            return fieldsets
        # Read-only change pages would print the stored value: show the masked column instead.
        return [
            (name, {**options, "fields": self._masked_names(options.get("fields", ()))})
            for name, options in fieldsets
        ]

    def get_readonly_fields(self, request, obj=None):
        return self._masked_names(super().get_readonly_fields(request, obj))

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change=change, **kwargs)
        fields = sensitive_fields(self.model)

        class MaskedForm(form):
            def __init__(self, *args, **kw):
                super().__init__(*args, **kw)
                if not self.instance.pk:
                    return
                for name in fields:
                    field = self.fields.get(name)
                    if field is None:
                        continue
                    masked = masked_value(self.instance, name)
                    stored = getattr(self.instance, name) or ""
                    self.initial[name] = masked
                    field.help_text = "已脱敏显示；不修改则保留原值，如需更正请直接输入完整新值。"
                    original_clean = field.clean

                    # The masked text stays in the submitted data (so a re-displayed form
                    # never shows the full value); only the cleaned value is the stored one.
                    def clean(value, _clean=original_clean, _masked=masked, _stored=stored):
                        return _stored if value == _masked else _clean(value)

                    field.clean = clean

        return MaskedForm

    # ---- change history (SimpleHistoryAdmin; its scope check is in ScopedAdminMixin)
    def get_historical_record_context_helper(self, request, historical_record):
        helper = super().get_historical_record_context_helper(request, historical_record)
        fields = sensitive_fields(self.model)
        original = helper.context_for_delta_changes

        def context_for_delta_changes(delta):
            rows = original(delta)
            for change, row in zip(delta.changes, rows, strict=True):
                if change.field in fields:
                    row["old"] = mask(fields[change.field], change.old)
                    row["new"] = mask(fields[change.field], change.new)
            return rows

        helper.context_for_delta_changes = context_for_delta_changes
        return helper

    def reveal_view(self, request, object_id):
        obj = self.get_object(request, object_id)
        if obj is None or not self.has_view_permission(request, obj):
            raise Http404
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": "查看完整个人信息",
            "object": obj,
            "fields": [
                (self.model._meta.get_field(n).verbose_name, masked_value(obj, n))
                for n in sensitive_fields(obj)
            ],
        }
        if request.method == "POST":
            try:
                values = sensitive_reveal(
                    actor=request.user, instance=obj, purpose=request.POST.get("purpose", "")
                )
            except ValidationError as exc:
                context["error"] = " ".join(exc.messages)
            except PermissionDenied as exc:
                context["error"] = str(exc)
            else:
                context["revealed"] = [
                    (self.model._meta.get_field(n).verbose_name, v) for n, v in values.items()
                ]
        return TemplateResponse(request, "admin/core/reveal.html", context)


@admin.register(SensitiveAccessLog)
class SensitiveAccessLogAdmin(ScopedAdminMixin, admin.ModelAdmin):
    """Who saw whose full ID number or phone, when and why (PIPL): read-only, scoped."""

    list_display = ["created_at", "actor", "kind", "target_repr", "fields", "row_count", "purpose"]
    list_filter = ["kind", "target_type"]
    search_fields = ["target_repr", "actor__username", "purpose"]
    list_select_related = ["actor", "organization"]
    date_hierarchy = "created_at"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(TaskOutbox)
class TaskOutboxAdmin(admin.ModelAdmin):
    """Tasks kept while the broker was down (read-only; the sweep queues and removes them).
    System-wide, not scoped: superusers only."""

    list_display = ("task_name", "args", "created", "attempts", "last_error")
    list_filter = ("task_name",)
    date_hierarchy = "created"

    def has_module_permission(self, request):
        return request.user.is_active and request.user.is_superuser

    def has_view_permission(self, request, obj=None):
        return request.user.is_active and request.user.is_superuser

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return request.user.is_active and request.user.is_superuser


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    """Every user's API tokens, for superusers only (tokens are not bound to the organisation
    tree, so a scoped role must not see other scopes' tokens); delete = revoke."""

    list_display = ["prefix", "user", "name", "created_at", "last_used_at", "expires_at"]
    list_select_related = ["user"]
    search_fields = ["prefix", "name"]
    readonly_fields = ["user", "name", "prefix", "created_at", "last_used_at", "expires_at"]
    exclude = ["key_hash", "password_stamp"]
    actions = ["revoke"]

    def has_module_permission(self, request):
        return request.user.is_superuser

    def has_view_permission(self, request, obj=None):
        return request.user.is_superuser

    def has_delete_permission(self, request, obj=None):
        return request.user.is_superuser

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def get_actions(self, request):
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)
        return actions

    @admin.action(description="吊销所选令牌", permissions=["delete"])
    def revoke(self, request, queryset):
        from core.tokens import token_revoke

        count = 0
        for token in queryset.select_related("user"):
            token_revoke(actor=request.user, token=token)
            count += 1
        messages.success(request, f"已吊销 {count} 个令牌。")

    def delete_model(self, request, obj):
        from core.tokens import token_revoke

        token_revoke(actor=request.user, token=obj)


class MaskedUsernameAdminMixin:
    """For the auth user admin: a resident's phone-number username is masked in the list
    (``masked_username`` column), on the change page (the field shows the masked value;
    leaving it unchanged keeps the stored one) and in titles (``str(user)``); a holder of
    ``core.view_sensitive`` reveals it on ``<id>/reveal/`` with a purpose, logged."""

    def get_urls(self):
        meta = self.model._meta
        return [
            path(
                "<path:object_id>/reveal/",
                self.admin_site.admin_view(self.reveal_view),
                name=f"{meta.app_label}_{meta.model_name}_reveal",
            ),
            *super().get_urls(),
        ]

    @admin.display(description="用户名", ordering="username")
    def masked_username(self, obj):
        from core.users import mask_username

        return mask_username(obj.get_username())

    def get_form(self, request, obj=None, change=False, **kwargs):
        from core.users import is_phone_like, mask_username

        form = super().get_form(request, obj, change=change, **kwargs)

        class MaskedUsernameForm(form):
            def __init__(self, *args, **kw):
                super().__init__(*args, **kw)
                field = self.fields.get("username")
                stored = self.instance.get_username() if self.instance.pk else ""
                if field is None or not is_phone_like(stored):
                    return
                masked = mask_username(stored)
                self.initial["username"] = masked
                field.help_text = "手机号已脱敏显示；不修改则保留原值。"
                original_clean = field.clean

                def clean(value, _clean=original_clean):
                    return stored if value == masked else _clean(value)

                field.clean = clean

        return MaskedUsernameForm

    def reveal_view(self, request, object_id):
        from core.users import user_display, user_reveal

        obj = self.get_object(request, object_id)
        if obj is None or not self.has_view_permission(request, obj):
            raise Http404
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": "查看完整个人信息",
            "object": obj,
            "fields": [("用户名", user_display(obj))],
        }
        if request.method == "POST":
            try:
                values = user_reveal(
                    actor=request.user, user=obj, purpose=request.POST.get("purpose", "")
                )
            except ValidationError as exc:
                context["error"] = " ".join(exc.messages)
            except PermissionDenied as exc:
                context["error"] = str(exc)
            else:
                context["revealed"] = [("用户名", values["username"])]
        return TemplateResponse(request, "admin/core/reveal.html", context)
