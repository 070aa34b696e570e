"""Admin: thin — querysets from selectors, writes through services, workflow steps as actions."""

from __future__ import annotations

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html

from core.admin import FileImportExportMixin, ScopedAdminMixin
from governance.assessment import services
from governance.assessment.choices import AdmissionStatus, ListStatus, RunStatus, SetStatus
from governance.assessment.importers import (
    IndicatorImporter,
    ResultExporter,
    ScoreImporter,
    WorkItemImporter,
)
from governance.assessment.models import (
    AdmissionRequest,
    Assessment,
    Indicator,
    IndicatorSet,
    Result,
    RollupRun,
    SatisfactionTally,
    Score,
    WorkItem,
    WorkListVersion,
)
from governance.assessment.selectors import (
    admission_requests_visible_to,
    assessments_visible_to,
    indicator_sets_visible_to,
    indicators_visible_to,
    results_visible_to,
    runs_visible_to,
    scores_visible_to,
    tallies_visible_to,
    work_items_visible_to,
    work_lists_visible_to,
)


def _errors(exc: Exception) -> str:
    if isinstance(exc, ValidationError):
        return "；".join(exc.messages)
    return str(exc)


def _run_each(modeladmin, request, queryset, step, done: str) -> None:
    """Apply one service per selected row; each row succeeds or fails on its own."""
    ok = 0
    for obj in queryset:
        try:
            step(obj)
        except (ValidationError, PermissionDenied) as exc:
            modeladmin.message_user(request, f"“{obj}”：{_errors(exc)}", messages.ERROR)
        else:
            ok += 1
    if ok:
        modeladmin.message_user(request, f"{done} {ok} 条。", messages.SUCCESS)


# ---------------------------------------------------------------- work list


class WorkItemInline(admin.TabularInline):
    model = WorkItem
    extra = 0
    fields = ["seq", "code", "holder", "responsibility", "title", "legal_basis", "is_public"]

    def _editable(self, obj) -> bool:
        return obj is None or obj.status == ListStatus.DRAFT

    def has_add_permission(self, request, obj=None):
        return self._editable(obj) and super().has_add_permission(request, obj)

    def has_change_permission(self, request, obj=None):
        return self._editable(obj) and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return self._editable(obj) and super().has_delete_permission(request, obj)


@admin.register(WorkListVersion)
class WorkListVersionAdmin(ScopedAdminMixin, admin.ModelAdmin):
    list_display = [
        "title",
        "code",
        "street",
        "status",
        "item_count",
        "effective_on",
        "published_at",
    ]
    list_filter = ["status"]
    search_fields = ["title", "code"]
    readonly_fields = ["status", "published_at"]
    inlines = [WorkItemInline]
    actions = ["publish"]

    def get_queryset(self, request):
        return work_lists_visible_to(request.user)

    @admin.display(description="事项数", ordering="item_count")
    def item_count(self, obj):
        return obj.item_count

    def save_model(self, request, obj, form, change):
        if change:
            super().save_model(request, obj, form, change)
        else:
            saved = services.worklist_version_create(
                actor=request.user,
                street=obj.street,
                code=obj.code,
                title=obj.title,
                effective_on=obj.effective_on,
                note=obj.note,
            )
            obj.pk = saved.pk

    def save_formset(self, request, form, formset, change):
        for item in formset.save(commit=False):
            services.work_item_save(actor=request.user, item=item)
        for item in formset.deleted_objects:
            if item.version.status != ListStatus.DRAFT:
                raise PermissionDenied
            item.delete()

    @admin.action(description="发布所选清单（成为该街道现行清单）")
    def publish(self, request, queryset):
        _run_each(
            self,
            request,
            queryset,
            lambda v: services.worklist_publish(actor=request.user, version=v),
            "已发布",
        )


@admin.register(WorkItem)
class WorkItemAdmin(FileImportExportMixin, ScopedAdminMixin, admin.ModelAdmin):
    importer_class = WorkItemImporter
    list_display = ["seq", "title", "holder", "responsibility", "version", "is_public"]
    list_filter = ["holder", "responsibility", "is_public", "version__status"]
    search_fields = ["title", "code", "legal_basis"]

    def get_queryset(self, request):
        return work_items_visible_to(request.user)

    def save_model(self, request, obj, form, change):
        services.work_item_save(actor=request.user, item=obj)


# ---------------------------------------------------------------- admission


@admin.register(AdmissionRequest)
class AdmissionRequestAdmin(ScopedAdminMixin, admin.ModelAdmin):
    list_display = [
        "code",
        "department",
        "title",
        "community",
        "staff_count",
        "funds",
        "refusable_flag",
        "status",
        "decided_at",
    ]
    list_filter = ["status", "refusable", "department"]
    search_fields = ["code", "title", "department"]
    readonly_fields = [
        "refusable",
        "status",
        "filed_by",
        "decided_by",
        "decided_at",
        "decision_reason",
    ]
    actions = ["approve", "refuse", "community_refuse"]
    fieldsets = [
        (None, {"fields": ["code", "community", "department", "title", "description"]}),
        (
            "权随责走、人随事走、费随事转",
            {"fields": ["legal_authority", "staff_count", "funds", "starts_on", "ends_on"]},
        ),
        (
            "办理情况",
            {
                "fields": [
                    "refusable",
                    "status",
                    "filed_by",
                    "decided_by",
                    "decided_at",
                    "decision_reason",
                ]
            },
        ),
    ]

    def get_queryset(self, request):
        return admission_requests_visible_to(request.user)

    @admin.display(description="社区可拒绝", boolean=True, ordering="refusable")
    def refusable_flag(self, obj):
        return obj.refusable

    def has_change_permission(self, request, obj=None):
        if obj is not None and obj.status != AdmissionStatus.PENDING:
            return False
        return super().has_change_permission(request, obj)

    def save_model(self, request, obj, form, change):
        if change:
            obj.refusable = bool(obj.missing_resources)
            super().save_model(request, obj, form, change)
            return
        data = {f: form.cleaned_data[f] for f in form.cleaned_data}
        obj.pk = services.admission_file(actor=request.user, **data).pk

    def _decision(self, request, queryset, *, title, step, reason_required):
        if "apply" in request.POST:
            reason = request.POST.get("reason", "").strip()
            if reason_required and not reason:
                self.message_user(request, "请填写理由。", messages.ERROR)
            else:
                _run_each(self, request, queryset, lambda r: step(r, reason), "已处理")
                return None
        return TemplateResponse(
            request,
            "admin/assessment/decision.html",
            {
                **self.admin_site.each_context(request),
                "opts": self.model._meta,
                "title": title,
                "queryset": queryset,
                "action": request.POST.get("action"),
                "reason_required": reason_required,
                "action_checkbox_name": admin.helpers.ACTION_CHECKBOX_NAME,
            },
        )

    @admin.action(description="街道审批：准予准入")
    def approve(self, request, queryset):
        return self._decision(
            request,
            queryset,
            title="准予准入",
            reason_required=False,
            step=lambda r, reason: services.admission_approve(
                actor=request.user, request=r, reason=reason
            ),
        )

    @admin.action(description="街道审批：不予准入（须填写理由）")
    def refuse(self, request, queryset):
        return self._decision(
            request,
            queryset,
            title="不予准入",
            reason_required=True,
            step=lambda r, reason: services.admission_refuse(
                actor=request.user, request=r, reason=reason
            ),
        )

    @admin.action(description="社区拒绝承接（未经准入审批的工作，一键登记）")
    def community_refuse(self, request, queryset):
        _run_each(
            self,
            request,
            queryset,
            lambda r: services.admission_community_refuse(actor=request.user, request=r),
            "已登记社区拒绝",
        )


# ---------------------------------------------------------------- indicators


class IndicatorManagerMixin:
    """Only street/district users (and superusers) change indicator sets."""

    def has_add_permission(self, request, *args):
        return services.can_manage_indicator_sets(request.user) and super().has_add_permission(
            request, *args
        )

    def has_change_permission(self, request, obj=None):
        return services.can_manage_indicator_sets(request.user) and super().has_change_permission(
            request, obj
        )

    def has_delete_permission(self, request, obj=None):
        return services.can_manage_indicator_sets(request.user) and super().has_delete_permission(
            request, obj
        )


class IndicatorInline(admin.TabularInline):
    model = Indicator
    fk_name = "indicator_set"
    extra = 0
    fields = ["seq", "code", "name", "parent", "weight", "max_score", "source", "figure"]

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("parent")

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "parent":
            set_id = request.resolver_match.kwargs.get("object_id")
            kwargs["queryset"] = Indicator.objects.filter(
                indicator_set_id=set_id, parent__isnull=True
            )
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def has_change_permission(self, request, obj=None):
        return (obj is None or obj.status == SetStatus.DRAFT) and super().has_change_permission(
            request, obj
        )

    has_add_permission = has_change_permission
    has_delete_permission = has_change_permission


@admin.register(IndicatorSet)
class IndicatorSetAdmin(IndicatorManagerMixin, admin.ModelAdmin):
    list_display = ["name", "code", "weight_total", "kinds", "aspect_count", "item_count", "status"]
    list_filter = ["status"]
    search_fields = ["name", "code"]
    readonly_fields = ["status", "weight_check"]
    inlines = [IndicatorInline]
    actions = ["activate"]

    def get_queryset(self, request):
        return indicator_sets_visible_to(request.user)

    def save_model(self, request, obj, form, change):
        services.scoring.indicator_set_save(actor=request.user, indicator_set=obj)

    def delete_model(self, request, obj):
        services.scoring.indicator_set_delete(actor=request.user, indicator_set=obj)

    @admin.display(description="被考核组织类型")
    def kinds(self, obj):
        return obj.assessed_kind_labels

    @admin.display(description="方面数")
    def aspect_count(self, obj):
        return obj.aspect_count

    @admin.display(description="条目数")
    def item_count(self, obj):
        return obj.item_count

    @admin.display(description="权重校验")
    def weight_check(self, obj):
        if obj.pk is None:
            return "-"
        errors = services.weight_errors(obj, list(obj.indicators.select_related("parent")))
        return "；".join(errors) if errors else "各方面、条目权重合计正确。"

    @admin.action(description="校验权重并启用")
    def activate(self, request, queryset):
        _run_each(
            self,
            request,
            queryset,
            lambda s: services.indicator_set_activate(actor=request.user, indicator_set=s),
            "已启用",
        )


@admin.register(Indicator)
class IndicatorAdmin(FileImportExportMixin, IndicatorManagerMixin, admin.ModelAdmin):
    importer_class = IndicatorImporter
    list_display = ["code", "name", "indicator_set", "parent", "weight", "max_score", "source"]
    list_filter = ["indicator_set", "source"]
    search_fields = ["code", "name"]

    def get_queryset(self, request):
        return indicators_visible_to(request.user)

    def has_change_permission(self, request, obj=None):
        if obj is not None and obj.indicator_set.status != SetStatus.DRAFT:
            return False
        return super().has_change_permission(request, obj)


# ---------------------------------------------------------------- assessments


@admin.register(Assessment)
class AssessmentAdmin(ScopedAdminMixin, admin.ModelAdmin):
    list_display = [
        "name",
        "code",
        "organizer",
        "indicator_set",
        "period_kind",
        "starts_on",
        "ends_on",
        "last_rolled_up_at",
        "links",
    ]
    list_filter = ["period_kind"]
    search_fields = ["name", "code"]
    readonly_fields = ["last_rolled_up_at"]
    actions = ["rollup"]

    def get_queryset(self, request):
        return assessments_visible_to(request.user)

    def save_model(self, request, obj, form, change):
        if change:
            super().save_model(request, obj, form, change)
            return
        obj.pk = services.assessment_create(actor=request.user, **form.cleaned_data).pk

    @admin.display(description="查看")
    def links(self, obj):
        results = reverse("admin:assessment_result_changelist") + f"?assessment__id__exact={obj.pk}"
        scores = reverse("admin:assessment_score_changelist") + f"?assessment__id__exact={obj.pk}"
        return format_html('<a href="{}">排名</a> · <a href="{}">评分</a>', results, scores)

    @admin.action(description="运行汇总排名（后台计算）")
    def rollup(self, request, queryset):
        runs = []
        for assessment in queryset:
            try:
                runs.append(services.rollup_request(actor=request.user, assessment=assessment))
            except PermissionDenied as exc:
                self.message_user(request, _errors(exc), messages.ERROR)
        if len(runs) == 1:
            return HttpResponseRedirect(
                reverse("admin:assessment_rolluprun_change", args=[runs[0].pk])
            )
        if runs:
            self.message_user(request, f"已提交 {len(runs)} 个汇总计算。", messages.SUCCESS)
            return HttpResponseRedirect(reverse("admin:assessment_rolluprun_changelist"))
        return None


@admin.register(Score)
class ScoreAdmin(FileImportExportMixin, ScopedAdminMixin, admin.ModelAdmin):
    importer_class = ScoreImporter
    list_display = [
        "organization",
        "indicator",
        "value",
        "source",
        "assessment",
        "scored_by",
        "scored_at",
    ]
    list_filter = ["assessment", "source", "organization__kind"]
    search_fields = ["organization__name", "organization__code", "indicator__code"]
    readonly_fields = ["source", "scored_by", "scored_at"]
    autocomplete_fields = ["organization"]

    def get_queryset(self, request):
        return scores_visible_to(request.user)

    def save_model(self, request, obj, form, change):
        saved = services.score_enter(
            actor=request.user,
            assessment=obj.assessment,
            organization=obj.organization,
            indicator=obj.indicator,
            value=obj.value,
            evidence=obj.evidence,
            evidence_file=form.cleaned_data.get("evidence_file") or None,
        )
        obj.pk = saved.pk


@admin.register(SatisfactionTally)
class SatisfactionTallyAdmin(ScopedAdminMixin, admin.ModelAdmin):
    list_display = [
        "organization",
        "voter_kind",
        "satisfied",
        "basically_satisfied",
        "dissatisfied",
        "assessment",
        "held_on",
    ]
    list_filter = ["assessment", "voter_kind"]
    autocomplete_fields = ["organization"]

    def get_queryset(self, request):
        return tallies_visible_to(request.user)

    def save_model(self, request, obj, form, change):
        obj.pk = services.tally_record(
            actor=request.user,
            assessment=obj.assessment,
            organization=obj.organization,
            voter_kind=obj.voter_kind,
            satisfied=obj.satisfied,
            basically_satisfied=obj.basically_satisfied,
            dissatisfied=obj.dissatisfied,
            held_on=obj.held_on,
            note=obj.note,
        ).pk


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Result)
class ResultAdmin(FileImportExportMixin, ScopedAdminMixin, ReadOnlyAdmin):
    importer_class = ResultExporter
    list_display = [
        "organization",
        "kind_label",
        "rank",
        "rank_of",
        "rank_score",
        "top_down",
        "bottom_up",
        "own_score",
        "subtree_count",
        "subtree_average",
        "assessment",
    ]
    list_filter = ["assessment", "kind"]
    search_fields = ["organization__name", "organization__code"]
    ordering = ["assessment", "kind", "rank", "organization__code"]

    def get_queryset(self, request):
        return results_visible_to(request.user)

    @admin.display(description="组织类型", ordering="kind")
    def kind_label(self, obj):
        from governance.assessment.importers import _kind_label

        return _kind_label(obj.kind)


@admin.register(RollupRun)
class RollupRunAdmin(ScopedAdminMixin, ReadOnlyAdmin):
    list_display = [
        "assessment",
        "trigger",
        "status",
        "progress_bar",
        "result_count",
        "requested_by",
        "created_at",
        "finished_at",
    ]
    list_filter = ["status", "trigger"]
    readonly_fields = [
        "assessment",
        "trigger",
        "status",
        "progress_bar",
        "message",
        "result_count",
        "requested_by",
        "created_at",
        "started_at",
        "finished_at",
    ]
    fields = readonly_fields
    change_form_template = "admin/assessment/rolluprun/change_form.html"

    def get_queryset(self, request):
        return runs_visible_to(request.user)

    def has_view_permission(self, request, obj=None):
        return super().has_view_permission(request, obj)

    @admin.display(description="进度")
    def progress_bar(self, obj):
        return format_html(
            '<progress class="wide" max="100" value="{}"></progress> {}%',
            obj.progress,
            obj.progress,
        )

    def change_view(self, request, object_id, form_url="", extra_context=None):
        obj = self.get_object(request, object_id)
        extra_context = extra_context or {}
        extra_context["auto_refresh"] = obj is not None and obj.status in (
            RunStatus.QUEUED,
            RunStatus.RUNNING,
        )
        if obj is not None and obj.status == RunStatus.DONE:
            extra_context["results_url"] = (
                reverse("admin:assessment_result_changelist")
                + f"?assessment__id__exact={obj.assessment_id}"
            )
        return super().change_view(request, object_id, form_url, extra_context)


# ---------------------------------------------------------------- dashboard and reports


def _extend_site_urls(site) -> None:
    """Add /admin/dashboard/ and the report pages to the admin site (chained, so other apps
    may extend it the same way)."""
    from governance.assessment import views

    previous = site.get_urls

    def get_urls():
        wrap = site.admin_view
        return [
            path("dashboard/", wrap(views.dashboard), name="dashboard"),
            path("dashboard/export/", wrap(views.dashboard_export), name="dashboard_export"),
            path("reports/appraisal/", wrap(views.appraisal_report), name="report_appraisal"),
            path("reports/units/", wrap(views.unit_report), name="report_units"),
            *previous(),
        ]

    site.get_urls = get_urls


_extend_site_urls(admin.site)
