from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse

from core.admin import ScopedAdminMixin
from governance import selectors, services
from governance.choices import EvaluationSide
from governance.models import Evaluation, Task, TaskProgress
from governance.references import ASSIGNEE_MODELS, TYPE_NAMES, available, resolve_visible


class ProgressInline(admin.TabularInline):
    model = TaskProgress
    extra = 0
    fields = ["created_at", "author", "note"]
    readonly_fields = fields
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


class EvaluationInline(admin.TabularInline):
    model = Evaluation
    extra = 0
    fields = ["side", "rating", "comment", "author", "created_at"]
    readonly_fields = fields
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


class StepForm(forms.Form):
    STEPS = [
        ("accept", "接单"),
        ("reject", "退回"),
        ("progress", "填写进展"),
        ("complete", "办结"),
        ("evaluate", "评价"),
    ]
    step = forms.ChoiceField(label="操作", choices=STEPS)
    text = forms.CharField(label="理由 / 进展 / 评语", required=False, widget=forms.Textarea)
    side = forms.ChoiceField(label="评价方", choices=EvaluationSide.choices, required=False)
    rating = forms.IntegerField(label="评分（1–5）", min_value=1, max_value=5, required=False)
    hours = forms.CharField(
        label="服务时长（小时）",
        required=False,
        help_text="派给双报到党员或下沉干部的派单办结时填写（0.5–24），计入报到活动记录。",
    )


class DispatchForm(forms.Form):
    title = forms.CharField(label="事项", max_length=200)
    description = forms.CharField(label="要求", required=False, widget=forms.Textarea)
    assignee_type = forms.ChoiceField(label="承办方类型")
    assignee_code = forms.CharField(label="承办方编码（个人填账号）")
    deadline = forms.DateField(label="办结期限", widget=forms.DateInput(attrs={"type": "date"}))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["assignee_type"].choices = [
            (TYPE_NAMES[label], model._meta.verbose_name)
            for label, model in available(ASSIGNEE_MODELS).items()
        ]


@admin.register(Task)
class TaskAdmin(ScopedAdminMixin, admin.ModelAdmin):
    list_display = [
        "title",
        "code",
        "organization",
        "assignee_label",
        "deadline",
        "status",
        "source_label",
        "assigned_by",
    ]
    list_filter = ["status"]
    search_fields = ["title", "code", "assignee_label"]
    date_hierarchy = "deadline"
    inlines = [ProgressInline, EvaluationInline]
    readonly_fields = [
        "code",
        "title",
        "description",
        "organization",
        "assigned_by",
        "source_label",
        "assignee_label",
        "assignee_organization",
        "deadline",
        "status",
        "reject_reason",
        "accepted_at",
        "done_at",
        "evaluated_at",
    ]
    fields = readonly_fields
    change_form_template = "admin/governance/task/change_form.html"

    def get_queryset(self, request):
        return selectors.tasks_visible_to(request.user)

    def has_add_permission(self, request):
        return False

    def get_urls(self):
        return [
            path(
                "<path:object_id>/step/",
                self.admin_site.admin_view(self.step_view),
                name="governance_task_step",
            ),
            path(
                "dispatch/<str:resolution_code>/",
                self.admin_site.admin_view(self.dispatch_view),
                name="governance_task_dispatch",
            ),
            *super().get_urls(),
        ]

    def change_view(self, request, object_id, form_url="", extra_context=None):
        extra_context = {**(extra_context or {}), "step_form": StepForm()}
        return super().change_view(request, object_id, form_url, extra_context)

    def step_view(self, request, object_id):
        """One workflow step from the task page (POST), through the service."""
        task = self.get_object(request, object_id)
        if task is None or request.method != "POST":
            raise PermissionDenied
        if not self.has_view_permission(request, task) or not request.user.has_perm(
            "governance.change_task"
        ):
            raise PermissionDenied
        form = StepForm(request.POST)
        back = HttpResponseRedirect(reverse("admin:governance_task_change", args=[task.pk]))
        if not form.is_valid():
            messages.error(request, "提交的内容有误。")
            return back
        data = form.cleaned_data
        step, text = data["step"], data["text"] or ""
        try:
            if step == "accept":
                services.task_accept(actor=request.user, task=task)
            elif step == "reject":
                services.task_reject(actor=request.user, task=task, reason=text)
            elif step == "progress":
                services.task_progress(actor=request.user, task=task, note=text)
            elif step == "complete":
                services.task_complete(
                    actor=request.user, task=task, note=text, hours=data["hours"] or None
                )
            else:
                services.task_evaluate(
                    actor=request.user,
                    task=task,
                    side=data["side"],
                    rating=data["rating"] or 0,
                    comment=text,
                )
        except (ValidationError, PermissionDenied) as exc:
            messages.error(
                request, " ".join(exc.messages) if isinstance(exc, ValidationError) else str(exc)
            )
        else:
            messages.success(request, "已保存。")
        return back

    def dispatch_view(self, request, resolution_code):
        resolution = (
            selectors.resolutions_visible_to(request.user).filter(code=resolution_code).first()
        )
        if resolution is None or not request.user.has_perm("governance.add_task"):
            raise PermissionDenied
        form = DispatchForm(request.POST or None, initial={"title": resolution.title})
        if request.method == "POST" and form.is_valid():
            data = form.cleaned_data
            try:
                assignee = resolve_visible(
                    request.user, data["assignee_type"], data["assignee_code"], ASSIGNEE_MODELS
                )
                task = services.task_dispatch(
                    actor=request.user,
                    source=resolution,
                    assignee=assignee,
                    title=data["title"],
                    description=data["description"],
                    deadline=data["deadline"],
                )
            except (ValidationError, PermissionDenied) as exc:
                form.add_error(
                    None,
                    " ".join(exc.messages) if isinstance(exc, ValidationError) else str(exc),
                )
            else:
                messages.success(request, f"已派单 {task.code}。")
                return HttpResponseRedirect(reverse("admin:governance_task_change", args=[task.pk]))
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": f"决议派单：{resolution.title}",
            "form": form,
            "resolution": resolution,
        }
        return TemplateResponse(request, "admin/governance/task/dispatch.html", context)
