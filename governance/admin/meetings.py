import calendar
from datetime import date, timedelta

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.template.response import TemplateResponse
from django.urls import path

from core.admin import FileImportExportMixin, ScopedAdminMixin
from core.services import scoped_save
from governance import selectors, services
from governance.cadence import shanghai_today
from governance.importers import MeetingImporter, MeetingSeriesImporter
from governance.models import (
    AgendaItem,
    Invitation,
    Meeting,
    MeetingAttachment,
    MeetingSeries,
    Resolution,
    SeriesMember,
)


def _report(request, exc: Exception) -> None:
    text = " ".join(exc.messages) if isinstance(exc, ValidationError) else str(exc)
    messages.error(request, text)


class SeriesMemberInline(admin.TabularInline):
    model = SeriesMember
    extra = 1
    fields = ["kind", "name", "unit_name", "user", "email", "rotation_order", "active"]
    autocomplete_fields = ["user"]


@admin.register(MeetingSeries)
class MeetingSeriesAdmin(FileImportExportMixin, ScopedAdminMixin, admin.ModelAdmin):
    importer_class = MeetingSeriesImporter
    list_display = [
        "name",
        "code",
        "kind",
        "body",
        "cadence",
        "due_within_days",
        "convenor",
        "current_chair",
        "member_count",
        "active",
    ]
    list_filter = ["kind", "cadence", "active", "rotating_chair"]
    search_fields = ["name", "code", "body__name"]
    autocomplete_fields = ["body", "convenor"]
    inlines = [SeriesMemberInline]
    fieldsets = [
        (None, {"fields": ["code", "name", "kind", "body", "convenor"]}),
        ("频次", {"fields": ["cadence", "due_within_days", "starts_on", "ends_on"]}),
        ("其他", {"fields": ["default_place", "rotating_chair", "current_chair", "active"]}),
    ]

    def get_queryset(self, request):
        return selectors.series_visible_to(request.user)

    @admin.display(description="成员数", ordering="member_count")
    def member_count(self, obj):
        return obj.member_count

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "current_chair":
            object_id = request.resolver_match.kwargs.get("object_id")
            kwargs["queryset"] = SeriesMember.objects.filter(series_id=object_id or 0)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def save_model(self, request, obj, form, change):
        data = {name: form.cleaned_data[name] for name in form.changed_data}
        if change:
            stored = MeetingSeries.objects.get(pk=obj.pk)
            services.series_update(actor=request.user, series=stored, **data)
        else:
            saved = services.series_create(
                actor=request.user, **{n: form.cleaned_data[n] for n in form.cleaned_data}
            )
            obj.pk = saved.pk

    def save_formset(self, request, form, formset, change):
        series = MeetingSeries.objects.get(pk=form.instance.pk)
        for obj in formset.deleted_objects:
            obj.delete()
        for inline_form in formset.forms:
            if not inline_form.has_changed() or inline_form in formset.deleted_forms:
                continue
            member = inline_form.instance
            if member.pk is None:
                data = {
                    f: inline_form.cleaned_data.get(f)
                    for f in SeriesMemberInline.fields
                    if f in inline_form.cleaned_data
                }
                services.member_add(actor=request.user, series=series, **data)
            else:
                scoped_save(actor=request.user, instance=member)


class AgendaItemInline(admin.TabularInline):
    model = AgendaItem
    extra = 1
    fields = ["position", "title", "presenter", "notes"]


class InvitationInline(admin.TabularInline):
    model = Invitation
    extra = 1
    fields = ["name", "unit_name", "attendance", "note"]
    verbose_name_plural = "邀请名单与出席情况（会议召开后登记出席）"


class AttachmentInline(admin.TabularInline):
    model = MeetingAttachment
    extra = 0
    fields = ["title", "file"]


class ResolutionInline(admin.TabularInline):
    model = Resolution
    extra = 1
    fields = ["kind", "title", "content", "public"]
    verbose_name_plural = "决议（会议召开后才能形成）"

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(Meeting)
class MeetingAdmin(FileImportExportMixin, ScopedAdminMixin, admin.ModelAdmin):
    importer_class = MeetingImporter
    list_display = [
        "title",
        "code",
        "series",
        "body",
        "period_label",
        "planned_on",
        "status",
        "held_on",
        "chair",
    ]
    list_filter = ["status", "series__kind", "series__cadence"]
    search_fields = ["title", "code", "series__name"]
    date_hierarchy = "planned_on"
    autocomplete_fields = ["series"]
    inlines = [AgendaItemInline, InvitationInline, ResolutionInline, AttachmentInline]
    actions = ["hold_on_planned_day"]
    change_list_template = "admin/governance/meeting/change_list.html"
    fieldsets = [
        (None, {"fields": ["series", "title", "period_start", "planned_on", "starts_at", "place"]}),
        ("召开情况", {"fields": ["status", "held_on", "chair", "minutes"]}),
    ]
    readonly_fields = ["status", "held_on", "chair"]

    def get_queryset(self, request):
        return selectors.meetings_visible_to(request.user)

    @admin.display(description="召集组织")
    def body(self, obj):
        return obj.series.body

    @admin.display(description="所属周期")
    def period_label(self, obj):
        return obj.period.label

    def get_urls(self):
        return [
            path(
                "calendar/",
                self.admin_site.admin_view(self.calendar_view),
                name="governance_meeting_calendar",
            ),
            *super().get_urls(),
        ]

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change=change, **kwargs)
        if "period_start" in form.base_fields:
            form.base_fields["period_start"].required = False
            form.base_fields["period_start"].help_text = "留空则取计划日期所在的周期。"
        return form

    def save_model(self, request, obj, form, change):
        data = {n: form.cleaned_data[n] for n in form.changed_data if n in form.cleaned_data}
        if change:
            services.meeting_update(
                actor=request.user, meeting=Meeting.objects.get(pk=obj.pk), **data
            )
        else:
            saved = services.meeting_plan(
                actor=request.user,
                series=form.cleaned_data["series"],
                planned_on=form.cleaned_data["planned_on"],
                period_start=form.cleaned_data.get("period_start"),
                title=form.cleaned_data.get("title") or "",
                place=form.cleaned_data.get("place") or "",
                starts_at=form.cleaned_data.get("starts_at"),
            )
            obj.pk = saved.pk
            obj.minutes = form.cleaned_data.get("minutes", "")
            if obj.minutes:
                services.meeting_update(actor=request.user, meeting=saved, minutes=obj.minutes)

    def save_formset(self, request, form, formset, change):
        meeting = Meeting.objects.select_related("series__body").get(pk=form.instance.pk)
        model = formset.model
        for obj in formset.deleted_objects:
            if model is Resolution:
                raise PermissionDenied("决议不能删除。")
            obj.delete()
        changed = [f for f in formset.forms if f.has_changed() and f not in formset.deleted_forms]
        if model is Invitation:
            entries = {}
            for f in changed:
                inv = f.instance
                if inv.pk is None:
                    services.meeting_invite(
                        actor=request.user, meeting=meeting, name=inv.name, unit_name=inv.unit_name
                    )
                if "attendance" in f.changed_data and inv.attendance != "unknown":
                    entries[inv.name] = inv.attendance
            if entries:
                services.attendance_record(actor=request.user, meeting=meeting, entries=entries)
        elif model is Resolution:
            for f in changed:
                r = f.instance
                passed = services.resolution_pass(
                    actor=request.user,
                    meeting=meeting,
                    kind=r.kind,
                    title=r.title,
                    content=r.content,
                )
                if r.public:
                    services.resolution_set_public(
                        actor=request.user, resolution=passed, public=True
                    )
        elif model is MeetingAttachment:
            for f in changed:
                if f.instance.pk is None:
                    services.attachment_add(
                        actor=request.user,
                        meeting=meeting,
                        title=f.instance.title,
                        file=f.instance.file,
                    )
                else:
                    scoped_save(actor=request.user, instance=f.instance)
        else:
            for f in changed:
                f.instance.meeting = meeting
                scoped_save(actor=request.user, instance=f.instance)

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        try:
            return super().changeform_view(request, object_id, form_url, extra_context)
        except ValidationError as exc:
            # A workflow rule refused an inline (attendance, resolution): say so, keep the page.
            _report(request, exc)
            from django.http import HttpResponseRedirect

            return HttpResponseRedirect(request.path)

    @admin.action(description="登记为已召开（按计划日期）")
    def hold_on_planned_day(self, request, queryset):
        done = 0
        for meeting in queryset.filter(status="planned"):
            try:
                services.meeting_hold(
                    actor=request.user, meeting=meeting, held_on=meeting.planned_on
                )
                done += 1
            except (ValidationError, PermissionDenied) as exc:
                _report(request, exc)
        if done:
            messages.success(request, f"已登记 {done} 次会议召开。")

    def calendar_view(self, request):
        """Month view of planned and held meetings across the user's scope."""
        today = shanghai_today()
        try:
            year, month = (int(x) for x in request.GET.get("month", f"{today:%Y-%m}").split("-"))
            first = date(year, month, 1)
        except ValueError:
            first = today.replace(day=1)
        last = first.replace(day=calendar.monthrange(first.year, first.month)[1])
        by_day: dict[date, list] = {}
        for meeting in selectors.calendar_meetings(request.user, first, last):
            day = meeting.held_on if meeting.status == "held" else meeting.planned_on
            by_day.setdefault(day, []).append(meeting)
        weeks = [
            [(d, by_day.get(d, [])) for d in week]
            for week in calendar.Calendar(firstweekday=0).monthdatescalendar(
                first.year, first.month
            )
        ]
        previous = (first.replace(day=1) - timedelta(days=1)).replace(day=1)
        following = last + timedelta(days=1)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": f"会议日历 {first.year}年{first.month}月",
            "weeks": weeks,
            "month": first,
            "previous": f"{previous:%Y-%m}",
            "following": f"{following:%Y-%m}",
            "weekdays": ["一", "二", "三", "四", "五", "六", "日"],
            "count": sum(len(v) for v in by_day.values()),
        }
        return TemplateResponse(request, "admin/governance/meeting/calendar.html", context)


@admin.register(Resolution)
class ResolutionAdmin(ScopedAdminMixin, admin.ModelAdmin):
    list_display = ["title", "code", "kind", "meeting", "public", "task_count", "tasks_done"]
    list_filter = ["kind", "public"]
    search_fields = ["title", "code", "meeting__title"]
    fields = ["code", "meeting", "kind", "title", "content", "public"]
    readonly_fields = ["code", "meeting", "kind", "title", "content"]

    def save_model(self, request, obj, form, change):
        # Only 向居民公开 is editable here; the rest is fixed when the meeting passes it.
        services.resolution_set_public(actor=request.user, resolution=obj, public=obj.public)

    def get_queryset(self, request):
        return selectors.resolutions_visible_to(request.user)

    @admin.display(description="派单数")
    def task_count(self, obj):
        return obj.task_count

    @admin.display(description="已办结")
    def tasks_done(self, obj):
        return obj.tasks_done

    def has_add_permission(self, request):
        return False
