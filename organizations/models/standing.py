"""Committee seats (兼职委员, 三三制) and standing posts: first secretary, party-building
commissioner, sent-down cadres (下沉党员) with their weekday duty roster."""

from django.core.exceptions import ValidationError
from django.db import models
from mptt.models import TreeForeignKey

from core.links import LinkScope
from core.models import TimeStampedModel
from core.scope import ScopedQuerySet
from core.validators import validate_code, validate_phone
from organizations.choices import AppointmentKind, OrgKind, SeatType, Weekday
from organizations.models.codes import CODE_HELP, ReadableCode

COMMITTEE_KINDS = (OrgKind.COMMUNITY_COMMITTEE, OrgKind.STREET_COMMITTEE)


def term_errors(start, end, end_field: str = "term_end") -> dict[str, list[str]]:
    if start and end and end < start:
        return {end_field: [f"结束日期 {end:%Y-%m-%d} 早于开始日期 {start:%Y-%m-%d}。"]}
    return {}


class CommitteeSeat(ReadableCode, TimeStampedModel):
    """A part-time seat on a community 大党委 or the street 大工委."""

    code = models.CharField(
        "委员编号",
        max_length=64,
        unique=True,
        blank=True,
        default="",
        help_text=CODE_HELP,
        validators=[validate_code],
    )
    committee = TreeForeignKey(
        "organizations.Organization",
        verbose_name="所在党委",
        on_delete=models.PROTECT,
        related_name="seats",
    )
    person_name = models.CharField("姓名", max_length=50)
    member = models.ForeignKey(
        "organizations.Member",
        verbose_name="对应党员",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="seats",
    )
    seat_type = models.CharField("委员类别", max_length=20, choices=SeatType.choices)
    position = models.CharField("职务", max_length=50, default="兼职委员")
    unit = models.ForeignKey(
        "covenants.PartnerUnit",
        verbose_name="来自单位",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="committee_seats",
    )
    phone = models.CharField("联系电话", max_length=32, blank=True, validators=[validate_phone])
    term_start = models.DateField("任期开始")
    term_end = models.DateField("任期结束", null=True, blank=True)

    objects = ScopedQuerySet.as_manager()
    scope_path = "committee"
    link_scopes = {
        "committee": LinkScope.IN_SCOPE,
        "member": LinkScope.IN_SCOPE,
        "unit": LinkScope.IN_SCOPE_OR_ABOVE,
    }
    sensitive_fields = {"phone": "phone"}

    class Meta:
        verbose_name = "兼职委员"
        verbose_name_plural = "兼职委员（三三制）"
        ordering = ["committee__code", "seat_type", "person_name"]

    def __str__(self) -> str:
        return f"{self.person_name}（{self.get_seat_type_display()}）"

    def clean(self) -> None:
        errors = term_errors(self.term_start, self.term_end)
        if self.committee_id and self.committee.kind not in COMMITTEE_KINDS:
            errors["committee"] = ["兼职委员只能设在社区大党委或街道大工委。"]
        if self.seat_type == SeatType.UNIT_MEMBER and not self.unit_id:
            errors["unit"] = ["驻区单位委员须填写来自单位。"]
        if errors:
            raise ValidationError(errors)


class StandingAppointment(ReadableCode, TimeStampedModel):
    """第一书记 / 党建专员 appointed to a community, with dates and the sending unit."""

    code = models.CharField(
        "任职编号",
        max_length=64,
        unique=True,
        blank=True,
        default="",
        help_text=CODE_HELP,
        validators=[validate_code],
    )
    community = TreeForeignKey(
        "organizations.Organization",
        verbose_name="社区",
        on_delete=models.PROTECT,
        related_name="standing_appointments",
    )
    kind = models.CharField("职务", max_length=20, choices=AppointmentKind.choices)
    person_name = models.CharField("姓名", max_length=50)
    phone = models.CharField("联系电话", max_length=32, blank=True, validators=[validate_phone])
    sending_unit = models.ForeignKey(
        "covenants.PartnerUnit",
        verbose_name="派出单位",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="standing_appointments",
    )
    start_date = models.DateField("任职开始")
    end_date = models.DateField("任职结束", null=True, blank=True)

    objects = ScopedQuerySet.as_manager()
    scope_path = "community"
    link_scopes = {
        "community": LinkScope.IN_SCOPE,
        "sending_unit": LinkScope.IN_SCOPE_OR_ABOVE,
    }
    sensitive_fields = {"phone": "phone"}

    class Meta:
        verbose_name = "第一书记与党建专员"
        verbose_name_plural = "第一书记与党建专员"
        ordering = ["community__code", "kind", "-start_date"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.person_name}"

    def clean(self) -> None:
        errors = term_errors(self.start_date, self.end_date, "end_date")
        if self.community_id and self.community.kind != OrgKind.COMMUNITY_COMMITTEE:
            errors["community"] = ["只能派驻到社区党组织。"]
        if errors:
            raise ValidationError(errors)


class SentDownCadre(ReadableCode, TimeStampedModel):
    """A cadre sent down to a community (下沉党员) and the weekdays they are on duty."""

    code = models.CharField(
        "下沉编号",
        max_length=64,
        unique=True,
        blank=True,
        default="",
        help_text=CODE_HELP,
        validators=[validate_code],
    )
    community = TreeForeignKey(
        "organizations.Organization",
        verbose_name="下沉社区",
        on_delete=models.PROTECT,
        related_name="sent_down_cadres",
    )
    person_name = models.CharField("姓名", max_length=50)
    member = models.ForeignKey(
        "organizations.Member",
        verbose_name="对应党员",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="sent_down_postings",
    )
    unit = models.ForeignKey(
        "covenants.PartnerUnit",
        verbose_name="派出单位",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="sent_down_cadres",
    )
    phone = models.CharField("联系电话", max_length=32, blank=True, validators=[validate_phone])
    start_date = models.DateField("下沉开始")
    end_date = models.DateField("下沉结束", null=True, blank=True)

    objects = ScopedQuerySet.as_manager()
    scope_path = "community"
    link_scopes = {
        "community": LinkScope.IN_SCOPE,
        "member": LinkScope.IN_SCOPE_OR_ABOVE,
        "unit": LinkScope.IN_SCOPE_OR_ABOVE,
    }
    sensitive_fields = {"phone": "phone"}

    class Meta:
        verbose_name = "下沉党员"
        verbose_name_plural = "下沉党员"
        ordering = ["community__code", "person_name"]

    def __str__(self) -> str:
        return self.person_name

    def clean(self) -> None:
        errors = term_errors(self.start_date, self.end_date, "end_date")
        if self.community_id and self.community.kind != OrgKind.COMMUNITY_COMMITTEE:
            errors["community"] = ["只能下沉到社区党组织。"]
        if errors:
            raise ValidationError(errors)

    def weekdays_label(self) -> str:
        return "、".join(Weekday(s.weekday).label for s in self.duty_shifts.all())

    weekdays_label.short_description = "值班日"


class DutyShift(models.Model):
    """A sent-down cadre is on duty at the community on this weekday (值班表)."""

    cadre = models.ForeignKey(
        SentDownCadre,
        verbose_name="下沉党员",
        on_delete=models.CASCADE,
        related_name="duty_shifts",
    )
    weekday = models.PositiveSmallIntegerField("值班日", choices=Weekday.choices)

    objects = ScopedQuerySet.as_manager()
    scope_path = "cadre__community"
    link_scopes = {
        "cadre": LinkScope.IN_SCOPE,
    }

    class Meta:
        verbose_name = "值班安排"
        verbose_name_plural = "值班安排"
        ordering = ["weekday"]
        constraints = [
            models.UniqueConstraint(fields=["cadre", "weekday"], name="uniq_duty_cadre_weekday")
        ]

    def __str__(self) -> str:
        return self.get_weekday_display()
