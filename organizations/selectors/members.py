"""Reads for members, 双报到, seats, standing posts, the six needles and 六有.

Every list is scoped (``visible_to``) and already carries its joins, so lists cost a fixed
number of queries; every figure is computed set-based in the database.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta

from django.db.models import Count, IntegerField, OuterRef, Prefetch, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce

from core.scope import in_scope, scope_q
from organizations.choices import SIX_HAVES, BodyKind, OrgKind, SeatType
from organizations.models import (
    Appraisal,
    Body,
    CommitteeSeat,
    CommunityRegistration,
    DutyShift,
    FinancialDisclosure,
    Member,
    MemberActivity,
    Organization,
    Post,
    PostClaim,
    SentDownCadre,
    SixHaves,
    StandingAppointment,
)
from organizations.models.standing import COMMITTEE_KINDS

# ---------------------------------------------------------------- lists


def members_visible_to(user) -> QuerySet[Member]:
    return Member.objects.visible_to(user).select_related("branch", "work_unit")


def posts_visible_to(user) -> QuerySet[Post]:
    return (
        Post.objects.visible_to(user)
        .select_related("community")
        .annotate(claim_count=Count("claims"))
    )


def registrations_visible_to(user) -> QuerySet[CommunityRegistration]:
    return CommunityRegistration.objects.visible_to(user).select_related(
        "member", "member__work_unit", "community", "branch"
    )


def claims_visible_to(user) -> QuerySet[PostClaim]:
    return PostClaim.objects.visible_to(user).select_related(
        "registration", "registration__member", "registration__community", "post"
    )


def activities_visible_to(user) -> QuerySet[MemberActivity]:
    return MemberActivity.objects.visible_to(user).select_related(
        "registration", "registration__member", "registration__community", "post"
    )


def appraisals_visible_to(user) -> QuerySet[Appraisal]:
    return Appraisal.objects.visible_to(user).select_related(
        "member", "member__branch", "member__work_unit", "feedback_community"
    )


def seats_visible_to(user) -> QuerySet[CommitteeSeat]:
    return CommitteeSeat.objects.visible_to(user).select_related("committee", "member", "unit")


def appointments_visible_to(user) -> QuerySet[StandingAppointment]:
    return StandingAppointment.objects.visible_to(user).select_related("community", "sending_unit")


def cadres_visible_to(user) -> QuerySet[SentDownCadre]:
    return (
        SentDownCadre.objects.visible_to(user)
        .select_related("community", "unit", "member")
        .prefetch_related(Prefetch("duty_shifts", queryset=DutyShift.objects.order_by("weekday")))
    )


def bodies_visible_to(user) -> QuerySet[Body]:
    return Body.objects.visible_to(user).select_related("community", "compound", "property_branch")


def disclosures_visible_to(user) -> QuerySet[FinancialDisclosure]:
    return FinancialDisclosure.objects.visible_to(user).select_related("body", "body__community")


def public_disclosures(community: Organization | None = None) -> QuerySet[FinancialDisclosure]:
    """What the residents' portal may show: published disclosures only."""
    queryset = FinancialDisclosure.objects.filter(is_public=True).select_related(
        "body", "body__community"
    )
    if community is not None:
        queryset = queryset.filter(body__community=community)
    return queryset.order_by("-published_on", "-id")


def six_haves_visible_to(user) -> QuerySet[SixHaves]:
    return SixHaves.objects.visible_to(user).select_related("branch", "branch__parent")


def linkable_units_q(user, path: str = "") -> Q | None:
    """Partner units a user may link to: registered in their scope or at a node above it
    (a community cadre may pick a unit registered with the street). ``None``: no limit."""
    inside = scope_q(user, f"{path}organization" if path else "organization")
    if inside is None:
        return None
    from core.scope import scope_ranges

    prefix = f"{path}organization__"
    above = Q(pk__in=[])
    for tree_id, lft, rght in scope_ranges(user):
        above |= Q(
            **{f"{prefix}tree_id": tree_id, f"{prefix}lft__lte": lft, f"{prefix}rght__gte": rght}
        )
    return inside | above


# ---------------------------------------------------------------- figures


def _count(queryset, group: str) -> Coalesce:
    """A correlated COUNT over ``queryset`` grouped by ``group`` (= the outer row)."""
    counted = (
        queryset.filter(**{group: OuterRef("pk")})
        .order_by()
        .values(group)
        .annotate(n=Count("pk", distinct=True))
        .values("n")
    )
    return Coalesce(Subquery(counted, output_field=IntegerField()), 0)


def member_counts(user, *, root: Organization | None = None) -> QuerySet[Organization]:
    """Visible nodes with ``member_total`` (the node and its whole subtree) and
    ``member_direct`` (kept by the node itself): one query for any number of nodes."""
    queryset = Organization.objects.visible_to(user)
    if root is not None:
        queryset = queryset.filter(tree_id=root.tree_id, lft__gte=root.lft, lft__lte=root.rght)
    queryset = Organization.objects.add_related_count(
        queryset, Member, "branch", "member_total", cumulative=True
    )
    queryset = Organization.objects.add_related_count(
        queryset, Member, "branch", "member_direct", cumulative=False
    )
    return queryset.select_related("parent").order_by("tree_id", "lft")


def quarter_start(day: date) -> date:
    return date(day.year, 3 * ((day.month - 1) // 3) + 1, 1)


def registration_stats(user, *, today: date | None = None) -> QuerySet[Organization]:
    """Per visible community: ``registered``, ``claiming`` (registrations with at least one
    claimed post) and ``active`` (with an activity this quarter)."""
    today = today or date.today()
    registrations = CommunityRegistration.objects.all()
    return (
        Organization.objects.visible_to(user)
        .filter(kind=OrgKind.COMMUNITY_COMMITTEE)
        .annotate(
            registered=_count(registrations, "community"),
            claiming=_count(registrations.filter(claims__isnull=False), "community"),
            active=_count(
                registrations.filter(
                    activities__date__gte=quarter_start(today), activities__date__lte=today
                ),
                "community",
            ),
        )
        .order_by("tree_id", "lft")
    )


@dataclass
class ThreeThirds:
    committee: Organization
    cadres: int
    residents: int
    units: int

    @property
    def total(self) -> int:
        return self.cadres + self.residents + self.units

    @property
    def balanced(self) -> bool:
        """Each third within ±1 seat of a third of the seats (and at least one of each)."""
        if min(self.cadres, self.residents, self.units) == 0:
            return False
        third = self.total / 3
        return all(abs(n - third) <= 1 for n in (self.cadres, self.residents, self.units))


def three_thirds(user, *, today: date | None = None) -> list[ThreeThirds]:
    """The 三三制 make-up of every visible committee, from its seats in term today."""
    today = today or date.today()
    current = Q(seats__term_start__lte=today) & (
        Q(seats__term_end__isnull=True) | Q(seats__term_end__gte=today)
    )
    rows = (
        Organization.objects.visible_to(user)
        .filter(kind__in=COMMITTEE_KINDS)
        .annotate(
            n_cadres=Count("seats", filter=current & Q(seats__seat_type=SeatType.COMMUNITY_CADRE)),
            n_residents=Count(
                "seats", filter=current & Q(seats__seat_type=SeatType.RESIDENT_MEMBER)
            ),
            n_units=Count("seats", filter=current & Q(seats__seat_type=SeatType.UNIT_MEMBER)),
        )
        .order_by("tree_id", "lft")
    )
    return [ThreeThirds(org, org.n_cadres, org.n_residents, org.n_units) for org in rows]


@dataclass(frozen=True)
class DutyGap:
    community: Organization
    day: date


def duty_gaps(user, *, start: date, end: date) -> list[DutyGap]:
    """Every (visible community, workday between start and end) with no sent-down cadre on
    duty: nobody in post that day has that weekday in their roster. Two queries."""
    if end < start:
        raise ValueError("end before start")
    communities = list(
        Organization.objects.visible_to(user)
        .filter(kind=OrgKind.COMMUNITY_COMMITTEE)
        .order_by("tree_id", "lft")
    )
    shifts = (
        DutyShift.objects.filter(cadre__community__in=communities, cadre__start_date__lte=end)
        .filter(Q(cadre__end_date__isnull=True) | Q(cadre__end_date__gte=start))
        .values_list("cadre__community_id", "weekday", "cadre__start_date", "cadre__end_date")
    )
    roster: dict[tuple[int, int], list[tuple[date, date | None]]] = {}
    for community_id, weekday, first, last in shifts:
        roster.setdefault((community_id, weekday), []).append((first, last))
    gaps: list[DutyGap] = []
    day = start
    while day <= end:
        if day.weekday() < 5:
            for community in communities:
                spans = roster.get((community.pk, day.weekday()), [])
                if not any(first <= day and (last is None or day <= last) for first, last in spans):
                    gaps.append(DutyGap(community, day))
        day += timedelta(days=1)
    order = {c.pk: i for i, c in enumerate(communities)}
    gaps.sort(key=lambda gap: (order[gap.community.pk], gap.day))
    return gaps


@dataclass
class NeedleCoverage:
    organization: Organization
    owners_committees: int = 0
    party_led_owners_committees: int = 0
    compounds: int = 0
    compounds_with_property: int = 0
    red_property_compounds: int = 0
    bodies_by_kind: dict[str, int] = field(default_factory=dict)

    @staticmethod
    def _share(part: int, whole: int) -> float | None:
        return round(part / whole, 4) if whole else None

    @property
    def party_led_share(self) -> float | None:
        return self._share(self.party_led_owners_committees, self.owners_committees)

    @property
    def red_property_share(self) -> float | None:
        """Red-property compounds among the compounds served by a property company."""
        return self._share(self.red_property_compounds, self.compounds_with_property)


def needle_coverage(user) -> list[NeedleCoverage]:
    """Per visible community and per visible street: party-led owners' committees and
    red-property compounds (a compound whose property company has a property branch)."""
    bodies = Body.objects.all()
    compounds = Organization.objects.filter(kind=OrgKind.COMPOUND_BRANCH)
    communities = (
        Organization.objects.visible_to(user)
        .filter(kind=OrgKind.COMMUNITY_COMMITTEE)
        .select_related("parent")
        .annotate(
            owners=_count(bodies.filter(kind=BodyKind.OWNERS_COMMITTEE), "community"),
            party_led=_count(
                bodies.filter(kind=BodyKind.OWNERS_COMMITTEE, is_party_led=True), "community"
            ),
            n_compounds=_count(compounds, "parent"),
            with_property=_count(
                compounds.filter(
                    pk__in=Body.objects.filter(kind=BodyKind.PROPERTY_COMPANY).values("compound")
                ),
                "parent",
            ),
            red=_count(
                compounds.filter(
                    pk__in=Body.objects.filter(
                        kind=BodyKind.PROPERTY_COMPANY, property_branch__isnull=False
                    ).values("compound")
                ),
                "parent",
            ),
        )
        .order_by("tree_id", "lft")
    )
    kinds = (
        Body.objects.visible_to(user)
        .values_list("community_id", "kind")
        .annotate(n=Count("pk"))
        .order_by()
    )
    by_kind: dict[int, dict[str, int]] = {}
    for community_id, kind, n in kinds:
        by_kind.setdefault(community_id, {})[kind] = n
    rows: list[NeedleCoverage] = []
    streets: dict[int, NeedleCoverage] = {}
    for c in communities:
        row = NeedleCoverage(
            c, c.owners, c.party_led, c.n_compounds, c.with_property, c.red, by_kind.get(c.pk, {})
        )
        rows.append(row)
        parent = c.parent
        if (
            parent is not None
            and parent.kind == OrgKind.STREET_COMMITTEE
            and in_scope(user, parent)
        ):
            street = streets.setdefault(parent.pk, NeedleCoverage(parent))
            street.owners_committees += row.owners_committees
            street.party_led_owners_committees += row.party_led_owners_committees
            street.compounds += row.compounds
            street.compounds_with_property += row.compounds_with_property
            street.red_property_compounds += row.red_property_compounds
            for kind, n in row.bodies_by_kind.items():
                street.bodies_by_kind[kind] = street.bodies_by_kind.get(kind, 0) + n
    return list(streets.values()) + rows


def six_haves_coverage(user) -> QuerySet[Organization]:
    """Per visible community: ``compounds``, ``checked`` (with a checklist) and ``complete``
    (all six items present)."""
    compounds = Organization.objects.filter(kind=OrgKind.COMPOUND_BRANCH)
    all_six = Q(**{f"six_haves__{name}": True for name, _ in SIX_HAVES})
    return (
        Organization.objects.visible_to(user)
        .filter(kind=OrgKind.COMMUNITY_COMMITTEE)
        .annotate(
            compounds=_count(compounds, "parent"),
            checked=_count(compounds.filter(six_haves__isnull=False), "parent"),
            complete=_count(compounds.filter(all_six), "parent"),
        )
        .order_by("tree_id", "lft")
    )
