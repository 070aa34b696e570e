"""Cases in the admin: the desk files a case on behalf of a resident (the add form), the list
shows overdue flags and the key figures, and each workflow step is its own small form."""

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.widgets import AutocompleteSelect
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import Http404, HttpResponseRedirect, JsonResponse
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe

from core.admin import FileImportExportMixin, ScopedAdminMixin, SensitiveAdminMixin
from core.media import thumbnail_url
from core.photos import PhotosField
from grids.choices import (
    DEPARTMENT_MAX_EXTENSION_DAYS,
    DEPARTMENT_MAX_EXTENSIONS,
    CaseAction,
    CaseStatus,
    DispatchKind,
    Triage,
)
from grids.importers import CaseImporter
from grids.models import Case, CaseEvent, CasePhoto, GridWorker
from grids.models.cases import desk_account_of
from grids.selectors import case_figures, case_possible_duplicates
from grids.services.cases import (
    TRANSITIONS,
    allowed_dispatch_kinds,
    case_accept,
    case_acknowledge,
    case_dispatch,
    case_evaluate,
    case_extend,
    case_file_at_desk,
    case_reopen,
    case_resolve,
    case_retriage,
    case_return,
    dispatch_target_model,
    dispatch_targets,
)


def _short_time(value) -> str:
    if value is None:
        return "-"
    local = timezone.localtime(value)
    return local.strftime("%m-%d %H:%M" if local.year == timezone.localdate().year else "%Y-%m-%d")


def _percent(share) -> str:
    return "-" if share is None else f"{share * 100:.1f}%"


def readable_figures(figures: dict) -> dict:
    """The case figures as people read them: shares in percent, satisfaction in points."""
    shares = ("share_in_grid", "share_in_community", "share_escalated", "on_time_rate")
    shown = {**figures, **{name: _percent(figures.get(name)) for name in shares}}
    avg = figures.get("avg_satisfaction")
    shown["avg_satisfaction"] = "-" if avg is None else f"{avg:.2f} 分"
    return shown


class CaseEventInline(admin.TabularInline):
    model = CaseEvent
    extra = 0
    fields = ["created_at", "action", "from_status", "to_status", "actor_name", "note"]
    readonly_fields = fields
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


class CasePhotoInline(admin.TabularInline):
    model = CasePhoto
    extra = 0
    fields = ["preview", "file", "uploaded_at"]
    readonly_fields = fields
    can_delete = False

    @admin.display(description="预览")
    def preview(self, obj):
        if not obj.file:
            return "-"
        return format_html(
            '<a href="{}"><img src="{}" alt="现场照片" style="max-height:120px"></a>',
            obj.file.url,
            thumbnail_url(obj.file),
        )

    def has_add_permission(self, request, obj=None):
        return False


TRIAGE_CHOICES = [("", "请选择大事、小事或私事"), *Triage.choices]


class AcceptForm(forms.Form):
    # no preselected answer: 三事分办 is a decision, the case stays 未分办 until it is made
    triage = forms.ChoiceField(label="三事分办", choices=TRIAGE_CHOICES)
    note = forms.CharField(label="说明", required=False, widget=forms.Textarea(attrs={"rows": 2}))


class RetriageForm(forms.Form):
    triage = forms.ChoiceField(label="改为", choices=TRIAGE_CHOICES)
    reason = forms.CharField(label="理由", widget=forms.Textarea(attrs={"rows": 2}))


TARGET_KINDS = (
    DispatchKind.GRID_WORKER,
    DispatchKind.COMMUNITY_BODY,
    DispatchKind.VOLUNTEER_TEAM,
    DispatchKind.DEPARTMENT,
    DispatchKind.MEMBER,
    DispatchKind.CADRE,
)
# what the autocomplete searches besides the code, per kind
TARGET_SEARCH = {
    DispatchKind.MEMBER: "member__name",
    DispatchKind.CADRE: "person_name",
}


class DispatchTargetWidget(AutocompleteSelect):
    """Django admin's autocomplete (select2, static files only: CSP stays strict) fed by the
    case's own target list (``dispatch_targets``: the link rule), not by a model admin."""

    def __init__(self, url: str, attrs=None):
        super().__init__(Case._meta.get_field("grid"), admin.site, attrs=attrs)
        self.url = url

    def get_url(self):
        return self.url


class DispatchForm(forms.Form):
    kind = forms.ChoiceField(label="派单对象类型", choices=DispatchKind.choices)
    # one field per kind, each chosen by name (输入编码或名称搜索); the step view scopes them
    grid_worker = forms.ModelChoiceField(
        label="网格员", queryset=GridWorker.objects.none(), required=False
    )
    community_body = forms.ModelChoiceField(
        label="社区组织", queryset=GridWorker.objects.none(), required=False
    )
    volunteer_team = forms.ModelChoiceField(
        label="志愿服务队", queryset=GridWorker.objects.none(), required=False
    )
    department = forms.ModelChoiceField(
        label="承办部门（吹哨报到）", queryset=GridWorker.objects.none(), required=False
    )
    member = forms.ModelChoiceField(
        label="双报到党员（社区吹哨）", queryset=GridWorker.objects.none(), required=False
    )
    cadre = forms.ModelChoiceField(
        label="下沉干部（社区吹哨）", queryset=GridWorker.objects.none(), required=False
    )
    note = forms.CharField(label="说明", required=False, widget=forms.Textarea(attrs={"rows": 2}))

    def clean(self):
        data = super().clean()
        kind = data.get("kind")
        if kind in TARGET_KINDS and kind in self.fields and not data.get(kind):
            self.add_error(kind, f"请输入名称或编码，选择一个{self.fields[kind].label}。")
        return data

    def scope_targets(self, user, case: Case) -> None:
        """Limit each target field to what ``user`` may dispatch this case to, with an
        autocomplete on the case's target list; kinds the triage does not allow are left out."""
        allowed = allowed_dispatch_kinds(case.triage)
        for kind in TARGET_KINDS:
            model = dispatch_target_model(kind)
            if kind not in allowed or model is None:
                del self.fields[kind]
                continue
            field = self.fields[kind]
            field.widget = DispatchTargetWidget(
                reverse("admin:grids_case_dispatch_targets", args=[case.pk, kind])
            )
            field.queryset = dispatch_targets(user, case, kind)  # also sets the widget's choices
            field.help_text = "输入编码或名称搜索"


class NoteForm(forms.Form):
    note = forms.CharField(label="说明", required=False, widget=forms.Textarea(attrs={"rows": 2}))


class ResolveForm(forms.Form):
    resolution = forms.CharField(label="办理结果", widget=forms.Textarea(attrs={"rows": 3}))
    hours = forms.DecimalField(
        label="服务时长（小时）",
        required=False,
        max_digits=4,
        decimal_places=1,
        help_text="派给双报到党员或下沉干部的诉求：计入报到活动记录。",
    )

    def __init__(self, *args, case=None, **kwargs):
        super().__init__(*args, **kwargs)
        if case is not None and case.dispatch_kind not in (DispatchKind.MEMBER, DispatchKind.CADRE):
            del self.fields["hours"]


class ExtendForm(forms.Form):
    days = forms.IntegerField(
        label="延期天数", min_value=1, max_value=DEPARTMENT_MAX_EXTENSION_DAYS
    )
    reason = forms.CharField(label="延期理由", widget=forms.Textarea(attrs={"rows": 2}))


class ReturnForm(forms.Form):
    reason = forms.CharField(label="退回理由", widget=forms.Textarea(attrs={"rows": 2}))


class EvaluateForm(forms.Form):
    satisfaction = forms.TypedChoiceField(
        label="满意度", coerce=int, choices=[(i, f"{i} 分") for i in range(5, 0, -1)]
    )
    comment = forms.CharField(
        label="评价意见", required=False, widget=forms.Textarea(attrs={"rows": 2})
    )


class ReopenForm(forms.Form):
    reason = forms.CharField(label="仍未解决的情况", widget=forms.Textarea(attrs={"rows": 3}))


ACTION_FORMS = {
    CaseAction.ACCEPT: AcceptForm,
    CaseAction.DISPATCH: DispatchForm,
    CaseAction.ACKNOWLEDGE: NoteForm,
    CaseAction.RESOLVE: ResolveForm,
    CaseAction.EVALUATE: EvaluateForm,
    CaseAction.REOPEN: ReopenForm,
    CaseAction.RETRIAGE: RetriageForm,
    CaseAction.EXTEND: ExtendForm,
    CaseAction.RETURN: ReturnForm,
}
# steps only the handler itself takes (the department, member or cadre's own account)
HANDLER_STEPS = (CaseAction.ACKNOWLEDGE, CaseAction.EXTEND, CaseAction.RETURN)


def case_steps(user, case: Case) -> list[tuple[str, str]]:
    """The steps ``user`` may take on ``case`` now: a department's account acknowledges,
    extends, returns and resolves its whistled case; a member's or cadre's account resolves
    (报告完成); staff take the desk's steps (a whistled case's handler steps are the
    department's, not theirs)."""
    account = desk_account_of(user)
    handler = account is not None and (
        (case.department_id and account.department_id == case.department_id)
        or (case.registration_id and account.registration_id == case.registration_id)
        or (case.cadre_id and account.cadre_id == case.cadre_id)
    )
    steps = []
    for action, (allowed, _) in TRANSITIONS.items():
        if action not in ACTION_FORMS or case.status not in allowed:
            continue
        if action == CaseAction.ACKNOWLEDGE and case.acknowledged_at:
            continue
        if action == CaseAction.EXTEND and case.extension_count >= DEPARTMENT_MAX_EXTENSIONS:
            continue
        department_case = case.dispatch_kind == DispatchKind.DEPARTMENT
        if handler:
            ok = action == CaseAction.RESOLVE or (department_case and action in HANDLER_STEPS)
        elif account is not None:
            ok = False
        elif action in HANDLER_STEPS:
            ok = False
        elif action == CaseAction.RESOLVE:
            ok = not department_case
        else:
            ok = True
        if ok:
            steps.append((action, CaseAction(action).label))
    return steps


def _run_action(action: str, user, case: Case, data: dict) -> Case:
    if action == CaseAction.ACCEPT:
        return case_accept(actor=user, case=case, triage=data["triage"], note=data["note"])
    if action == CaseAction.RETRIAGE:
        return case_retriage(actor=user, case=case, triage=data["triage"], reason=data["reason"])
    if action == CaseAction.DISPATCH:
        kind = data["kind"]
        target = data.get(kind) if kind in TARGET_KINDS else None
        return case_dispatch(
            actor=user, case=case, kind=kind, target=target, note=data.get("note", "")
        )
    if action == CaseAction.ACKNOWLEDGE:
        return case_acknowledge(actor=user, case=case, note=data["note"])
    if action == CaseAction.EXTEND:
        return case_extend(actor=user, case=case, days=data["days"], reason=data["reason"])
    if action == CaseAction.RETURN:
        return case_return(actor=user, case=case, reason=data["reason"])
    if action == CaseAction.RESOLVE:
        return case_resolve(
            actor=user, case=case, resolution=data["resolution"], hours=data.get("hours")
        )
    if action == CaseAction.EVALUATE:
        return case_evaluate(
            actor=user, case=case, satisfaction=data["satisfaction"], comment=data["comment"]
        )
    return case_reopen(actor=user, case=case, reason=data["reason"])


def whistle_state(case: Case, now=None) -> str:
    """吹哨报到 in words for the list: where the department stands, 超期 and 已上报街道."""
    if case.dispatch_kind != DispatchKind.DEPARTMENT:
        return "-"
    now = now or timezone.now()
    name = case.department.name if case.department_id else case.target_label
    if case.is_ack_overdue(now):
        state = "报到超期"
    elif case.is_department_overdue(now):
        state = "办结超期"
    elif case.status == CaseStatus.DISPATCHED:
        state = "已报到" if case.acknowledged_at else "待报到"
    else:
        state = case.get_status_display()
    if case.ack_escalated_at or case.due_escalated_at:
        state += "·已上报街道"
    return f"{name} {state}"


class WhistleFilter(admin.SimpleListFilter):
    title = "吹哨报到"
    parameter_name = "whistle"

    def lookups(self, request, model_admin):
        return [
            ("waiting", "待部门报到"),
            ("ack_overdue", "报到超期"),
            ("overdue", "部门办结超期"),
            ("escalated", "已上报街道"),
        ]

    def queryset(self, request, queryset):
        from grids.selectors import cases_overdue_for_acknowledgement, cases_overdue_for_department

        value = self.value()
        if value == "waiting":
            return queryset.filter(
                dispatch_kind=DispatchKind.DEPARTMENT,
                status=CaseStatus.DISPATCHED,
                acknowledged_at__isnull=True,
            )
        if value == "ack_overdue":
            return cases_overdue_for_acknowledgement(queryset)
        if value == "overdue":
            return cases_overdue_for_department(queryset)
        if value == "escalated":
            return queryset.filter(
                Q(ack_escalated_at__isnull=False) | Q(due_escalated_at__isnull=False)
            )
        return queryset


class CaseAddForm(forms.ModelForm):
    photos = PhotosField(label="现场照片（可不传）")

    class Meta:
        model = Case
        fields = [
            "category",
            "description",
            "reporter_name",
            "reporter_phone",
            "community",
            "grid",
            "building",
            "household",
            "location",
        ]


@admin.register(Case)
class CaseAdmin(FileImportExportMixin, SensitiveAdminMixin, ScopedAdminMixin, admin.ModelAdmin):
    importer_class = CaseImporter
    add_form = CaseAddForm
    change_form_template = "admin/grids/case/change_form.html"
    change_list_template = "admin/grids/case/change_list.html"
    list_display = [
        "tracking_code",
        "category",
        "short_description",
        "status",
        "triage_state",
        "grid",
        "reporter_name",
        "masked_reporter_phone",
        "reported",
        "deadline",
        "overdue",
        "whistle_state",
        "satisfaction_score",
    ]
    list_filter = [
        "status",
        WhistleFilter,
        "triage",
        "category",
        "source",
        "resolution_level",
        "community",
    ]
    search_fields = ["tracking_code", "description", "reporter_name"]
    list_select_related = ["community", "grid", "building__compound", "household", "department"]
    autocomplete_fields = ["grid", "building", "household"]
    date_hierarchy = "reported_at"
    inlines = [CaseEventInline, CasePhotoInline]

    @admin.display(description="诉求内容")
    def short_description(self, obj):
        return obj.description[:30]

    @admin.display(description="三事分办", ordering="triage")
    def triage_state(self, obj):
        return obj.get_triage_display() if obj.triage else "未分办"

    # Compact columns so the list fits 1366 px: local times without the year, plain words.
    @admin.display(description="上报时间", ordering="reported_at")
    def reported(self, obj):
        return _short_time(obj.reported_at)

    @admin.display(description="办结时限", ordering="due_at")
    def deadline(self, obj):
        return _short_time(obj.due_at)

    @admin.display(description="超期")
    def overdue(self, obj):
        return "已超期" if obj.is_overdue() else "否"

    @admin.display(description="吹哨报到")
    def whistle_state(self, obj):
        return whistle_state(obj)

    @admin.display(description="满意度", ordering="satisfaction")
    def satisfaction_score(self, obj):
        return f"{obj.satisfaction} 分" if obj.satisfaction is not None else "-"

    def lookup_allowed(self, lookup, value, request=None):
        # The 接诉即办 report drills down to one department's cases (governance.hotline).
        if lookup == "department__id__exact":
            return True
        return super().lookup_allowed(lookup, value, request)

    def get_queryset(self, request):
        # Case.objects.visible_to: staff by scope, a department or member account by what was
        # dispatched to it (its queue) — not the plain scope restriction of the mixin.
        return super(ScopedAdminMixin, self).get_queryset(request).visible_to(request.user)

    def get_form(self, request, obj=None, change=False, **kwargs):
        if obj is None:
            kwargs["form"] = self.add_form
        return super().get_form(request, obj, change=change, **kwargs)

    def get_fields(self, request, obj=None):
        if obj is None:
            return [*CaseAddForm.Meta.fields, "photos"]
        fields = [
            "tracking_code",
            "status",
            "source",
            "category",
            "triage_state",
            "description",
            "reporter_name",
            "masked_reporter_phone",
            "community",
            "grid",
            "building",
            "household",
            "location",
            "reported_at",
            "due_at",
            "dispatch_kind",
            "target_label",
            "department",
            "department_name",
            "ack_due_at",
            "acknowledged_at",
            "department_due_at",
            "extension_count",
            "ack_escalated_at",
            "due_escalated_at",
            "resolution",
            "resolution_level",
            "resolved_at",
            "satisfaction",
            "evaluation_comment",
            "reopen_count",
            "duplicates",
            "same_problem_as",
            "same_problem_reports",
        ]
        return self.get_fields_for_account(request, fields)

    def get_fields_for_account(self, request, fields):
        """A department's or member's account sees the case itself, not the community's other
        cases (possible duplicates, same-problem reports)."""
        if desk_account_of(request.user) is None:
            return fields
        hidden = {"duplicates", "same_problem_as", "same_problem_reports"}
        return [f for f in fields if f not in hidden]

    def get_readonly_fields(self, request, obj=None):
        if obj is None:
            return []
        # Everything changes through the workflow steps; the phone stays masked.
        return self.get_fields(request, obj)

    def get_inlines(self, request, obj):
        return self.inlines if obj is not None else []

    @admin.display(description="同一问题的其他反映")
    def same_problem_reports(self, obj):
        found = list(obj.same_problem_reports.order_by("reported_at"))
        if not found:
            return "无"
        return format_html_join(
            mark_safe("<br>"),
            '<a href="{}">{}</a> {}',
            (
                (reverse("admin:grids_case_change", args=[c.pk]), c.tracking_code, c.reported_at)
                for c in found
            ),
        )

    @admin.display(description="疑似重复")
    def duplicates(self, obj):
        found = list(case_possible_duplicates(obj))
        if not found:
            return "无"
        return format_html_join(
            mark_safe("<br>"),
            '<a href="{}">{}</a> {} {}',
            (
                (
                    reverse("admin:grids_case_change", args=[c.pk]),
                    c.tracking_code,
                    c.get_status_display(),
                    c.description[:30],
                )
                for c in found
            ),
        )

    def has_delete_permission(self, request, obj=None):
        return False

    def save_model(self, request, obj, form, change):
        if change:
            raise PermissionDenied("诉求只能通过办理流程变更。")
        data = {k: form.cleaned_data.get(k) for k in CaseAddForm.Meta.fields}
        photos = form.cleaned_data.get("photos") or []
        created = case_file_at_desk(actor=request.user, photos=photos, **data)
        obj.pk = created.pk

    def save_related(self, request, form, formsets, change):
        # Nothing editable besides the case itself (history rows come from services).
        return None

    def response_add(self, request, obj, post_url_continue=None):
        case = Case.objects.get(pk=obj.pk)
        messages.success(request, f"已登记，查询码：{case.tracking_code}（请告知反映人）。")
        return HttpResponseRedirect(reverse("admin:grids_case_change", args=[case.pk]))

    def changelist_view(self, request, extra_context=None):
        extra_context = extra_context or {}
        extra_context["figures"] = readable_figures(case_figures(self.get_queryset(request)))
        return super().changelist_view(request, extra_context)

    def get_urls(self):
        return [
            path(
                "<path:object_id>/dispatch-targets/<str:kind>/",
                self.admin_site.admin_view(self.dispatch_targets_view),
                name="grids_case_dispatch_targets",
            ),
            path(
                "<path:object_id>/step/<str:action>/",
                self.admin_site.admin_view(self.step_view),
                name="grids_case_step",
            ),
            *super().get_urls(),
        ]

    def change_view(self, request, object_id, form_url="", extra_context=None):
        extra_context = extra_context or {}
        case = self.get_object(request, object_id)
        if case is not None:
            extra_context["steps"] = case_steps(request.user, case)
        return super().change_view(request, object_id, form_url, extra_context)

    def dispatch_targets_view(self, request, object_id, kind):
        """The autocomplete's answers (select2's JSON): targets of ``kind`` this user may
        dispatch the case to, searched by code or name, 20 a page."""
        case = self.get_object(request, object_id)
        if case is None or kind not in TARGET_KINDS:
            raise Http404
        if not self.has_change_permission(request, case):
            raise PermissionDenied
        queryset = dispatch_targets(request.user, case, kind)
        term = request.GET.get("term", "").strip()
        if term:
            name = TARGET_SEARCH.get(kind, "name")
            queryset = queryset.filter(Q(code__icontains=term) | Q(**{f"{name}__icontains": term}))
        page = Paginator(queryset.order_by("code"), 20).get_page(request.GET.get("page"))
        return JsonResponse(
            {
                "results": [{"id": str(obj.pk), "text": f"{obj.code} {obj}"} for obj in page],
                "pagination": {"more": page.has_next()},
            }
        )

    def step_view(self, request, object_id, action):
        if action not in ACTION_FORMS:
            raise Http404
        case = self.get_object(request, object_id)
        if case is None:
            raise Http404
        if not self.has_change_permission(request, case):
            raise PermissionDenied
        form_class = ACTION_FORMS[action]
        if form_class is ResolveForm:
            form = form_class(request.POST or None, case=case)
        else:
            form = form_class(request.POST or None)
        if "kind" in form.fields:
            allowed = allowed_dispatch_kinds(case.triage)
            form.fields["kind"].choices = [c for c in DispatchKind.choices if c[0] in allowed] or [
                ("", "请先三事分办")
            ]
        if isinstance(form, DispatchForm):
            form.scope_targets(request.user, case)
        if request.method == "POST" and form.is_valid():
            try:
                _run_action(action, request.user, case, form.cleaned_data)
            except ValidationError as exc:
                for message in exc.messages:
                    form.add_error(None, message)
            else:
                messages.success(request, f"已{CaseAction(action).label}。")
                return HttpResponseRedirect(reverse("admin:grids_case_change", args=[case.pk]))
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": f"{CaseAction(action).label}：{case.tracking_code}",
            "case": case,
            "form": form,
            "status": CaseStatus(case.status).label,
        }
        return TemplateResponse(request, "admin/grids/case/step.html", context)
