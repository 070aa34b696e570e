"""Admin for members and 双报到: scoped, masked, saved through the services."""

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from simple_history.admin import SimpleHistoryAdmin

from core.admin import (
    FileImportExportMixin,
    ScopedAdminMixin,
    SensitiveAdminMixin,
    StatusAdminMixin,
)
from organizations import selectors, services
from organizations.admin import figures as f
from organizations.importers import (
    AppraisalImporter,
    MemberActivityImporter,
    MemberImporter,
    PostClaimImporter,
    PostImporter,
    RegistrationImporter,
)
from organizations.models import (
    Appraisal,
    CommunityRegistration,
    Member,
    MemberActivity,
    Post,
    PostClaim,
)


class UnitChoicesMixin:
    """Partner units may be picked when registered in the user's scope or above it."""

    unit_fields: tuple[str, ...] = ("work_unit", "unit", "sending_unit")

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name in self.unit_fields:
            q = selectors.linkable_units_q(request.user)
            queryset = db_field.related_model._default_manager.all()
            kwargs["queryset"] = queryset if q is None else queryset.filter(q)
            return db_field.formfield(**kwargs)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


@admin.register(Member)
class MemberAdmin(
    StatusAdminMixin,
    f.FiguresMixin,
    FileImportExportMixin,
    SensitiveAdminMixin,
    UnitChoicesMixin,
    ScopedAdminMixin,
    SimpleHistoryAdmin,
):
    importer_class = MemberImporter
    list_display = [
        "name",
        "code",
        "gender",
        "masked_id_number",
        "masked_phone",
        "category",
        "status",
        "branch",
        "work_unit",
        "join_date",
    ]
    list_filter = ["category", "status", "gender"]
    search_fields = ["name", "code", "branch__name", "branch__code"]
    list_select_related = ["branch", "work_unit"]
    autocomplete_fields = ["branch"]
    list_per_page = 50
    fieldsets = [
        (None, {"fields": ["code", "name", "gender", "birth_date", "id_number", "phone"]}),
        ("组织关系", {"fields": ["category", "status", "branch", "join_date", "work_unit"]}),
        ("其他", {"fields": ["address"]}),
    ]
    history_list_display = ["category", "branch"]

    def get_queryset(self, request):
        return selectors.members_visible_to(request.user)

    def figures(self, request):
        return f.member_count_figures(request.user)

    def save_model(self, request, obj, form, change):
        services.member_save(actor=request.user, member=obj)

    def delete_model(self, request, obj):
        services.member_delete(actor=request.user, member=obj)


class PostClaimInline(admin.TabularInline):
    model = PostClaim
    fields = ["post", "claimed_on"]
    extra = 0
    autocomplete_fields = ["post"]


class MemberActivityInline(admin.TabularInline):
    model = MemberActivity
    fields = ["date", "hours", "content", "post", "confirmed_by"]
    extra = 0
    autocomplete_fields = ["post"]


class ServicesFormsetMixin:
    """Inline rows are saved and deleted through the services too."""

    def save_formset(self, request, form, formset, change):
        instances = formset.save(commit=False)
        for obj in formset.deleted_objects:
            self.delete_inline(request, obj)
        for obj in instances:
            self.save_inline(request, obj)
        formset.save_m2m()

    def save_inline(self, request, obj):
        from core.services import scoped_save

        scoped_save(actor=request.user, instance=obj)

    def delete_inline(self, request, obj):
        from core.services import scoped_delete

        scoped_delete(actor=request.user, instance=obj)


@admin.register(CommunityRegistration)
class CommunityRegistrationAdmin(
    f.FiguresMixin, FileImportExportMixin, ServicesFormsetMixin, ScopedAdminMixin, admin.ModelAdmin
):
    importer_class = RegistrationImporter
    list_display = ["member", "community", "branch", "registered_on", "code"]
    list_filter = ["registered_on"]
    search_fields = ["member__name", "member__code", "code", "community__name"]
    list_select_related = ["member", "community", "branch"]
    autocomplete_fields = ["member", "community", "branch"]
    date_hierarchy = "registered_on"
    inlines = [PostClaimInline, MemberActivityInline]

    def get_queryset(self, request):
        return selectors.registrations_visible_to(request.user)

    def figures(self, request):
        return f.registration_figures(request.user)

    def save_model(self, request, obj, form, change):
        services.registration_save(actor=request.user, registration=obj)

    def save_inline(self, request, obj):
        if isinstance(obj, PostClaim) and obj._state.adding:
            services.post_claim(
                actor=request.user,
                registration=obj.registration,
                post=obj.post,
                claimed_on=obj.claimed_on,
            )
        elif isinstance(obj, PostClaim):
            services.post_claim_update(actor=request.user, claim=obj)
        else:
            super().save_inline(request, obj)


@admin.register(Post)
class PostAdmin(FileImportExportMixin, ScopedAdminMixin, admin.ModelAdmin):
    importer_class = PostImporter
    list_display = ["name", "kind", "community", "capacity", "claims_taken", "is_active", "code"]
    list_filter = ["kind", "is_active"]
    search_fields = ["name", "code", "community__name"]
    autocomplete_fields = ["community"]

    def get_queryset(self, request):
        return selectors.posts_visible_to(request.user)

    @admin.display(description="已认领", ordering="claim_count")
    def claims_taken(self, obj):
        return obj.claim_count


@admin.register(PostClaim)
class PostClaimAdmin(FileImportExportMixin, ScopedAdminMixin, admin.ModelAdmin):
    importer_class = PostClaimImporter
    list_display = ["registration", "post", "claimed_on", "code"]
    list_filter = ["post__kind", "claimed_on"]
    search_fields = ["registration__member__name", "post__name", "code"]
    autocomplete_fields = ["registration", "post"]

    def get_queryset(self, request):
        return selectors.claims_visible_to(request.user)

    def save_model(self, request, obj, form, change):
        if change:
            services.post_claim_update(actor=request.user, claim=obj)
        else:
            services.post_claim(
                actor=request.user,
                registration=obj.registration,
                post=obj.post,
                claimed_on=obj.claimed_on,
            )

    def delete_model(self, request, obj):
        services.post_claim_withdraw(actor=request.user, claim=obj)


@admin.register(MemberActivity)
class MemberActivityAdmin(FileImportExportMixin, ScopedAdminMixin, admin.ModelAdmin):
    importer_class = MemberActivityImporter
    list_display = ["date", "registration", "hours", "content", "post", "confirmed_by"]
    list_filter = ["date"]
    search_fields = ["registration__member__name", "content", "code"]
    autocomplete_fields = ["registration", "post"]
    date_hierarchy = "date"

    def get_queryset(self, request):
        return selectors.activities_visible_to(request.user)


@admin.register(Appraisal)
class AppraisalAdmin(FileImportExportMixin, ScopedAdminMixin, admin.ModelAdmin):
    importer_class = AppraisalImporter
    list_display = [
        "member",
        "year",
        "feedback_community",
        "feedback_grade",
        "feedback_hours",
        "grade",
        "award_eligible",
    ]
    list_filter = ["year", "grade", "feedback_grade", "award_eligible"]
    search_fields = ["member__name", "member__code", "code"]
    autocomplete_fields = ["member", "feedback_community"]
    readonly_fields = ["award_eligible", "feedback_hours"]
    actions = ["conclude_from_feedback"]

    def get_queryset(self, request):
        return selectors.appraisals_visible_to(request.user)

    def save_model(self, request, obj, form, change):
        services.appraisal_save(actor=request.user, appraisal=obj)

    @admin.action(description="按社区反馈等次确定民主评议结果")
    def conclude_from_feedback(self, request, queryset):
        done = 0
        for appraisal in queryset.filter(grade=""):
            try:
                services.appraisal_conclude(actor=request.user, appraisal=appraisal)
            except (ValidationError, PermissionDenied) as exc:
                self.message_user(request, f"{appraisal}：{exc}", messages.WARNING)
            else:
                done += 1
        self.message_user(request, f"已确定 {done} 条民主评议结果。")
