"""Admin for committee seats, first secretaries / commissioners and sent-down cadres."""

from django.contrib import admin

from core.admin import FileImportExportMixin, ScopedAdminMixin, SensitiveAdminMixin
from organizations import selectors
from organizations.admin import figures as f
from organizations.admin.members import ServicesFormsetMixin, UnitChoicesMixin
from organizations.importers import (
    CommitteeSeatImporter,
    SentDownCadreImporter,
    StandingAppointmentImporter,
)
from organizations.models import CommitteeSeat, DutyShift, SentDownCadre, StandingAppointment


@admin.register(CommitteeSeat)
class CommitteeSeatAdmin(
    f.FiguresMixin,
    FileImportExportMixin,
    SensitiveAdminMixin,
    UnitChoicesMixin,
    ScopedAdminMixin,
    admin.ModelAdmin,
):
    importer_class = CommitteeSeatImporter
    list_display = [
        "person_name",
        "seat_type",
        "position",
        "committee",
        "unit",
        "masked_phone",
        "term_start",
        "term_end",
    ]
    list_filter = ["seat_type", "committee__kind"]
    search_fields = ["person_name", "code", "committee__name", "unit__name"]
    autocomplete_fields = ["committee", "member"]

    def get_queryset(self, request):
        return selectors.seats_visible_to(request.user)

    def figures(self, request):
        return f.three_thirds_figures(request.user)


@admin.register(StandingAppointment)
class StandingAppointmentAdmin(
    FileImportExportMixin, SensitiveAdminMixin, UnitChoicesMixin, ScopedAdminMixin, admin.ModelAdmin
):
    importer_class = StandingAppointmentImporter
    list_display = [
        "person_name",
        "kind",
        "community",
        "sending_unit",
        "masked_phone",
        "start_date",
        "end_date",
    ]
    list_filter = ["kind"]
    search_fields = ["person_name", "code", "community__name"]
    autocomplete_fields = ["community"]

    def get_queryset(self, request):
        return selectors.appointments_visible_to(request.user)


class DutyShiftInline(admin.TabularInline):
    model = DutyShift
    extra = 0
    verbose_name_plural = "值班表（每周工作日）"


@admin.register(SentDownCadre)
class SentDownCadreAdmin(
    f.FiguresMixin,
    FileImportExportMixin,
    SensitiveAdminMixin,
    UnitChoicesMixin,
    ServicesFormsetMixin,
    ScopedAdminMixin,
    admin.ModelAdmin,
):
    importer_class = SentDownCadreImporter
    list_display = [
        "person_name",
        "community",
        "unit",
        "masked_phone",
        "weekdays_label",
        "start_date",
        "end_date",
    ]
    search_fields = ["person_name", "code", "community__name"]
    autocomplete_fields = ["community", "member"]
    inlines = [DutyShiftInline]

    def get_queryset(self, request):
        return selectors.cadres_visible_to(request.user)

    def figures(self, request):
        return f.duty_gap_figures(request.user)
