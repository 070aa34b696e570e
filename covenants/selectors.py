"""Every non-trivial read of the covenants app, already scoped and select_related.

Dashboard entry points: ``agreements_expiring`` (signed, ending within 30 days),
``unit_activity_table`` (per-street activity table), ``inactive_units``,
``street_activity_summary`` (hand-out share per street), ``needs_unmatched``, ``resources_idle``.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass, field
from datetime import date, timedelta

from django.db.models import Count, Exists, Max, OuterRef, Prefetch, Q, QuerySet
from django.db.models.functions import TruncMonth
from django.utils import timezone

from covenants.choices import (
    ActivityKind,
    AgreementStatus,
    MatchStatus,
    NeedStatus,
    ProjectStatus,
)
from covenants.models import (
    ActivityAttachment,
    ActivityRecord,
    Agreement,
    Covenant,
    CovenantVersion,
    LiaisonLog,
    Need,
    PartnerUnit,
    Project,
    Resource,
    ServiceProject,
    UnitAssessment,
    UnitPartnership,
)
from organizations.choices import OrgKind
from organizations.models import Organization

# ---------------------------------------------------------------- lists


def units_visible_to(user) -> QuerySet[PartnerUnit]:
    return (
        PartnerUnit.objects.visible_to(user)
        .select_related("organization")
        .prefetch_related(
            # Only the partners the viewer may see: A does not learn which other communities
            # a shared unit works with.
            Prefetch("partners", queryset=Organization.objects.visible_to(user).order_by("code"))
        )
    )


def agreements_visible_to(user) -> QuerySet[Agreement]:
    return Agreement.objects.visible_to(user).select_related("party_a", "unit")


def agreement_for_print(user, code: str) -> Agreement:
    return (
        Agreement.objects.visible_to(user)
        .select_related("party_a", "unit", "unit__organization")
        .prefetch_related("clauses", "projects")
        .get(code=code)
    )


def agreements_expiring(user, *, today: date | None = None, within_days: int = 30):
    """Signed agreements whose term ends within ``within_days`` days (dashboard reminder)."""
    today = today or timezone.localdate()
    return (
        agreements_visible_to(user)
        .filter(
            status=AgreementStatus.SIGNED,
            ends_on__gte=today,
            ends_on__lte=today + timedelta(days=within_days),
        )
        .order_by("ends_on", "code")
    )


def service_projects_visible_to(user) -> QuerySet[ServiceProject]:
    return ServiceProject.objects.visible_to(user).select_related(
        "agreement", "agreement__party_a", "agreement__unit"
    )


def activities_visible_to(user) -> QuerySet[ActivityRecord]:
    return (
        ActivityRecord.objects.visible_to(user)
        .select_related(
            "project",
            "project__agreement",
            "project__agreement__party_a",
            "project__agreement__unit",
            "confirmed_by",
        )
        .prefetch_related(
            Prefetch("attachments", queryset=ActivityAttachment.objects.order_by("kind", "id"))
        )
    )


def liaison_logs_visible_to(user) -> QuerySet[LiaisonLog]:
    return LiaisonLog.objects.visible_to(user).select_related("unit", "organization")


def needs_visible_to(user) -> QuerySet[Need]:
    return Need.objects.visible_to(user).select_related("organization")


_LIVE_MATCH = [MatchStatus.PLANNED, MatchStatus.ONGOING, MatchStatus.DONE]


def needs_unmatched(user) -> QuerySet[Need]:
    """Open needs no live project answers."""
    live = Project.objects.filter(need=OuterRef("pk"), status__in=_LIVE_MATCH)
    return needs_visible_to(user).filter(status=NeedStatus.OPEN).filter(~Exists(live))


def resources_visible_to(user) -> QuerySet[Resource]:
    return Resource.objects.visible_to(user).select_related("unit", "organization")


def resources_idle(user) -> QuerySet[Resource]:
    """Available resources no planned or ongoing project uses."""
    busy = Project.objects.filter(
        resource=OuterRef("pk"), status__in=[MatchStatus.PLANNED, MatchStatus.ONGOING]
    )
    return resources_visible_to(user).filter(available=True).filter(~Exists(busy))


def matches_visible_to(user) -> QuerySet[Project]:
    return Project.objects.visible_to(user).select_related(
        "organization", "need", "resource", "resource__unit", "service_project"
    )


def assessments_visible_to(user) -> QuerySet[UnitAssessment]:
    return UnitAssessment.objects.visible_to(user).select_related(
        "unit", "organization", "assessed_by"
    )


def covenants_visible_to(user) -> QuerySet[Covenant]:
    return (
        Covenant.objects.visible_to(user)
        .select_related("organization")
        .prefetch_related(
            Prefetch("versions", queryset=CovenantVersion.objects.order_by("-number"))
        )
    )


def covenant_versions_visible_to(user) -> QuerySet[CovenantVersion]:
    return CovenantVersion.objects.visible_to(user).select_related(
        "covenant", "covenant__organization"
    )


def public_covenant_versions(organization: Organization | None = None):
    """The current version of each covenant, for the public portal (no personal data)."""
    qs = CovenantVersion.objects.filter(is_current=True).select_related(
        "covenant", "covenant__organization"
    )
    if organization is not None:
        qs = qs.filter(
            covenant__organization__tree_id=organization.tree_id,
            covenant__organization__lft__gte=organization.lft,
            covenant__organization__lft__lte=organization.rght,
        )
    return qs.order_by("covenant__code")


PUBLIC_PROJECT_STATUSES = (ProjectStatus.CLAIMED, ProjectStatus.ACTIVE)


def public_partner_units(community: Organization) -> list[PartnerUnit]:
    """For the resident portal: the units co-building with ``community`` (registered there, a
    partner of it, or with a signed agreement whose 甲方 it is), by name, each with
    ``public_projects`` — the claimed/active service projects of its signed agreements with this
    community. Only public-safe columns are loaded (unit code, name, type; project title,
    category, venue): no liaison, phone, secretary or credit code. Three queries whatever the
    number of units (units, agreements, projects)."""
    signed_here = Agreement.objects.filter(party_a=community, status=AgreementStatus.SIGNED)
    projects = (
        ServiceProject.objects.filter(status__in=PUBLIC_PROJECT_STATUSES)
        .only("id", "agreement_id", "title", "category", "venue")
        .order_by("code")
    )
    units = (
        PartnerUnit.objects.filter(
            Q(organization=community)
            | Exists(UnitPartnership.objects.filter(unit=OuterRef("pk"), organization=community))
            | Exists(signed_here.filter(unit=OuterRef("pk")))
        )
        .only("id", "code", "name", "kind")
        .prefetch_related(
            Prefetch(
                "agreements",
                queryset=signed_here.only("id", "unit_id")
                .order_by("starts_on", "code")
                .prefetch_related(Prefetch("projects", queryset=projects, to_attr="listed")),
                to_attr="public_agreements",
            )
        )
        .order_by("name", "code")
    )
    result = list(units)
    for unit in result:
        unit.public_projects = [p for a in unit.public_agreements for p in a.listed]
    return result


# ---------------------------------------------------------------- activity table / inactive


def months_before(day: date, months: int) -> date:
    """The same day ``months`` calendar months earlier (clamped to the month's last day)."""
    index = day.year * 12 + day.month - 1 - months
    year, month = divmod(index, 12)
    month += 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def contact_window_start(on: date) -> date:
    """A unit must have had a contact on or after this day (one month back) to count as active."""
    return months_before(on, 1)


def activity_window_start(on: date) -> date:
    """… and an activity on or after this day (one quarter back)."""
    return months_before(on, 3)


@dataclass
class UnitActivityRow:
    unit: PartnerUnit
    activities: int = 0
    handouts: int = 0
    contacts: int = 0
    contact_months: int = 0
    last_contact: date | None = None
    last_activity: date | None = None
    no_contact: bool = True
    no_activity: bool = True

    @property
    def handout_share(self) -> float | None:
        return self.handouts / self.activities if self.activities else None

    @property
    def inactive(self) -> bool:
        return self.no_contact or self.no_activity

    @property
    def reasons(self) -> list[str]:
        reasons = []
        if self.no_contact:
            reasons.append("近一个月无联系")
        if self.no_activity:
            reasons.append("近一个季度无活动")
        return reasons


@dataclass
class UnitActivityTable:
    organization: Organization | None
    start: date
    end: date
    on: date
    rows: list[UnitActivityRow] = field(default_factory=list)

    @property
    def activities(self) -> int:
        return sum(r.activities for r in self.rows)

    @property
    def handouts(self) -> int:
        return sum(r.handouts for r in self.rows)

    @property
    def handout_share(self) -> float | None:
        return self.handouts / self.activities if self.activities else None

    @property
    def inactive_count(self) -> int:
        return sum(1 for r in self.rows if r.inactive)


def _within(organization: Organization, path: str) -> Q:
    prefix = f"{path}__" if path else ""
    return Q(
        **{
            f"{prefix}tree_id": organization.tree_id,
            f"{prefix}lft__gte": organization.lft,
            f"{prefix}lft__lte": organization.rght,
        }
    )


def units_related_to(user, organization: Organization | None) -> QuerySet[PartnerUnit]:
    """Visible units registered in, or co-building with, ``organization``'s subtree."""
    qs = PartnerUnit.objects.visible_to(user).select_related("organization")
    if organization is None:
        return qs
    partner = UnitPartnership.objects.filter(
        _within(organization, "organization"), unit=OuterRef("pk")
    )
    return qs.filter(_within(organization, "organization") | Exists(partner))


def unit_activity_table(
    user,
    *,
    organization: Organization | None = None,
    year: int | None = None,
    on: date | None = None,
) -> UnitActivityTable:
    """Per unit: activities and hand-out visits in the year, contacts, last contact and activity,
    and the inactive flags as of ``on``. Three queries whatever the number of units or years:
    the units, activities grouped by unit, liaison logs grouped by unit."""
    today = timezone.localdate()
    on = on or (today if year in (None, today.year) else date(year, 12, 31))
    year = year or on.year
    start, end = date(year, 1, 1), date(year, 12, 31)
    table = UnitActivityTable(organization=organization, start=start, end=end, on=on)
    units = list(units_related_to(user, organization).order_by("code"))

    in_year = Q(date__gte=start, date__lte=end)
    activities = ActivityRecord.objects.visible_to(user)
    logs = LiaisonLog.objects.visible_to(user)
    if organization is not None:
        activities = activities.filter(_within(organization, "project__agreement__party_a"))
        logs = logs.filter(_within(organization, "organization"))
    act_by_unit = {
        row["project__agreement__unit"]: row
        for row in activities.values("project__agreement__unit")
        .annotate(
            total=Count("id", filter=in_year),
            handouts=Count("id", filter=in_year & Q(kind=ActivityKind.HANDOUT_VISIT)),
            last=Max("date", filter=Q(date__lte=on)),
        )
        .order_by()
    }
    log_by_unit = {
        row["unit"]: row
        for row in logs.values("unit")
        .annotate(
            total=Count("id", filter=in_year),
            months=Count(TruncMonth("date"), distinct=True, filter=in_year),
            last=Max("date", filter=Q(date__lte=on)),
        )
        .order_by()
    }
    contact_from, activity_from = contact_window_start(on), activity_window_start(on)
    for unit in units:
        act = act_by_unit.get(unit.pk, {})
        log = log_by_unit.get(unit.pk, {})
        row = UnitActivityRow(
            unit=unit,
            activities=act.get("total", 0),
            handouts=act.get("handouts", 0),
            contacts=log.get("total", 0),
            contact_months=log.get("months", 0),
            last_contact=log.get("last"),
            last_activity=act.get("last"),
        )
        row.no_contact = row.last_contact is None or row.last_contact < contact_from
        row.no_activity = row.last_activity is None or row.last_activity < activity_from
        table.rows.append(row)
    return table


def inactive_units(
    user, *, organization: Organization | None = None, on: date | None = None
) -> list[UnitActivityRow]:
    """Units with no contact in the last month or no activity in the last quarter (as of ``on``)."""
    table = unit_activity_table(user, organization=organization, on=on)
    return [row for row in table.rows if row.inactive]


@dataclass
class StreetActivityRow:
    street: Organization
    activities: int = 0
    handouts: int = 0
    contacts: int = 0

    @property
    def handout_share(self) -> float | None:
        return self.handouts / self.activities if self.activities else None


def street_activity_summary(user, *, year: int) -> list[StreetActivityRow]:
    """Activities, hand-out visits (and their share) and contacts per street in ``year``: three
    queries — the streets, activities grouped by 甲方, logs grouped by community."""
    streets = list(
        Organization.objects.visible_to(user)
        .filter(kind=OrgKind.STREET_COMMITTEE)
        .order_by("tree_id", "lft")
    )
    rows = {s.pk: StreetActivityRow(street=s) for s in streets}

    def street_for(tree_id: int, lft: int) -> StreetActivityRow | None:
        for s in streets:
            if s.tree_id == tree_id and s.lft <= lft <= s.rght:
                return rows[s.pk]
        return None

    start, end = date(year, 1, 1), date(year, 12, 31)
    for item in (
        ActivityRecord.objects.visible_to(user)
        .filter(date__gte=start, date__lte=end)
        .values("project__agreement__party_a__tree_id", "project__agreement__party_a__lft")
        .annotate(
            total=Count("id"), handouts=Count("id", filter=Q(kind=ActivityKind.HANDOUT_VISIT))
        )
        .order_by()
    ):
        row = street_for(
            item["project__agreement__party_a__tree_id"], item["project__agreement__party_a__lft"]
        )
        if row is not None:
            row.activities += item["total"]
            row.handouts += item["handouts"]
    for item in (
        LiaisonLog.objects.visible_to(user)
        .filter(date__gte=start, date__lte=end)
        .values("organization__tree_id", "organization__lft")
        .annotate(total=Count("id"))
        .order_by()
    ):
        row = street_for(item["organization__tree_id"], item["organization__lft"])
        if row is not None:
            row.contacts += item["total"]
    return list(rows.values())


# ---------------------------------------------------------------- unit page


def unit_agreements(user, unit: PartnerUnit) -> QuerySet[Agreement]:
    """The unit's agreements the user may see (another community's stay hidden)."""
    return agreements_visible_to(user).filter(unit=unit).order_by("-starts_on")


@dataclass
class UnitMemberRow:
    """An in-service member of the unit registered in a community (双报到) and the latest
    feedback grade that community sent back to the unit (民主评议反馈)."""

    code: str
    name: str
    community: str
    community_code: str
    registered_on: date
    feedback_year: int | None
    feedback_grade: str
    feedback_grade_display: str


def unit_members(user, unit: PartnerUnit) -> list[UnitMemberRow]:
    """Registrations the user may see (by the registering community) of the unit's members;
    two queries whatever the number of members."""
    from organizations.models import Appraisal, CommunityRegistration

    registrations = (
        CommunityRegistration.objects.visible_to(user)
        .filter(member__work_unit=unit)
        .select_related("member", "community")
        .prefetch_related(
            Prefetch(
                "member__appraisals",
                queryset=Appraisal.objects.exclude(feedback_grade="").order_by("-year"),
                to_attr="feedbacks",
            )
        )
        .order_by("community__code", "member__name")
    )
    rows = []
    for reg in registrations:
        feedback = next(
            (
                a
                for a in reg.member.feedbacks
                if a.feedback_community_id in (None, reg.community_id)
            ),
            None,
        )
        rows.append(
            UnitMemberRow(
                code=reg.member.code,
                name=reg.member.name,
                community=reg.community.name,
                community_code=reg.community.code,
                registered_on=reg.registered_on,
                feedback_year=feedback.year if feedback else None,
                feedback_grade=feedback.feedback_grade if feedback else "",
                feedback_grade_display=feedback.get_feedback_grade_display() if feedback else "",
            )
        )
    return rows
