from __future__ import annotations

from django import forms
from django.contrib import admin, messages

from core.admin import FileImportExportMixin, StatusAdminMixin
from covenants.admin.base import CovenantsAdminMixin
from covenants.importers import ActivityRecordImporter
from covenants.models import ActivityAttachment, ActivityRecord, ServiceProject
from covenants.selectors import activities_visible_to, service_projects_visible_to
from covenants.services import (
    activity_confirm,
    activity_delete,
    activity_record,
    activity_update,
    attachment_add,
    attachment_error,
    project_claim,
    project_update,
)


@admin.register(ServiceProject)
class ServiceProjectAdmin(StatusAdminMixin, CovenantsAdminMixin, admin.ModelAdmin):
    list_display = ["code", "title", "category", "agreement", "frequency", "status"]
    list_filter = ["category", "status"]
    search_fields = ["code", "title", "agreement__unit__name"]

    def get_queryset(self, request):
        return service_projects_visible_to(request.user)

    def save_model(self, request, obj, form, change):
        data = dict(form.cleaned_data)
        if change:
            stored = ServiceProject.objects.get(pk=obj.pk)
            project_update(
                actor=request.user,
                project=stored,
                **{n: data[n] for n in form.changed_data if n in data},
            )
        else:
            saved = project_claim(actor=request.user, **data)
            obj.pk = saved.pk


class AttachmentForm(forms.ModelForm):
    class Meta:
        model = ActivityAttachment
        fields = ["kind", "file"]

    def clean(self):
        data = super().clean()
        upload = data.get("file")
        if upload is not None and hasattr(upload, "size") and not self.instance.pk:
            head = upload.read(16)
            upload.seek(0)
            message = attachment_error(data.get("kind", ""), upload.name, upload.size, head)
            if message:
                raise forms.ValidationError({"file": message})
        return data


class AttachmentInline(admin.TabularInline):
    model = ActivityAttachment
    form = AttachmentForm
    extra = 1
    fields = ["kind", "file", "original_name", "size", "uploaded_at"]
    readonly_fields = ["original_name", "size", "uploaded_at"]
    verbose_name_plural = "活动资料（方案、记录、影像；交甲方保存）"

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(ActivityRecord)
class ActivityRecordAdmin(FileImportExportMixin, CovenantsAdminMixin, admin.ModelAdmin):
    importer_class = ActivityRecordImporter
    list_display = [
        "date",
        "title",
        "kind",
        "unit_name",
        "project",
        "residents_served",
        "attachment_count",
        "confirmed_at",
    ]
    list_filter = ["kind", "project__category", ("confirmed_at", admin.EmptyFieldListFilter)]
    search_fields = ["code", "title", "project__agreement__unit__name"]
    date_hierarchy = "date"
    inlines = [AttachmentInline]
    readonly_fields = ["confirmed_at", "confirmed_by"]
    actions = ["confirm_selected"]
    fields = [
        "code",
        "project",
        "date",
        "kind",
        "title",
        "place",
        "staff_count",
        "member_count",
        "residents_served",
        "participants_note",
        "description",
        "confirmed_at",
        "confirmed_by",
    ]

    def get_queryset(self, request):
        return activities_visible_to(request.user)

    @admin.display(description="单位")
    def unit_name(self, obj):
        return obj.project.agreement.unit.name

    @admin.display(description="资料数")
    def attachment_count(self, obj):
        return len(obj.attachments.all())

    def get_readonly_fields(self, request, obj=None):
        if obj is not None and obj.confirmed_at:
            return self.fields
        return self.readonly_fields

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change=change, **kwargs)
        if "code" in form.base_fields:
            form.base_fields["code"].required = False
            form.base_fields["code"].help_text = "留空自动生成（项目编码-A序号）"
        return form

    def save_model(self, request, obj, form, change):
        data = dict(form.cleaned_data)
        if change:
            stored = ActivityRecord.objects.get(pk=obj.pk)
            activity_update(
                actor=request.user,
                activity=stored,
                **{n: data[n] for n in form.changed_data if n in data},
            )
        else:
            saved = activity_record(actor=request.user, **data)
            obj.pk = saved.pk
            obj.code = saved.code

    def save_formset(self, request, form, formset, change):
        if formset.model is not ActivityAttachment:
            return super().save_formset(request, form, formset, change)
        for inline_form in formset.forms:
            data = getattr(inline_form, "cleaned_data", None) or {}
            if inline_form.instance.pk or not data.get("file"):
                continue
            attachment_add(
                actor=request.user, activity=form.instance, kind=data["kind"], upload=data["file"]
            )
        formset.new_objects, formset.changed_objects, formset.deleted_objects = [], [], []

    def delete_model(self, request, obj):
        activity_delete(actor=request.user, activity=obj)

    @admin.action(description="社区确认所选活动（须已移交活动记录或影像资料）")
    def confirm_selected(self, request, queryset):
        done = 0
        for activity in queryset:
            if self.run_service(request, activity_confirm, activity=activity) is not None:
                done += 1
        if done:
            self.message_user(request, f"已确认 {done} 项活动。", messages.SUCCESS)
