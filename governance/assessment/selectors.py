"""Reads of the work list, admission and assessment, shared by admin, API, portal and reports."""

from __future__ import annotations

from datetime import date

from django.db.models import Count, Exists, OuterRef, Q, QuerySet

from governance.assessment.choices import AdmissionStatus, ListStatus, RunStatus
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

# ---------------------------------------------------------------- work list


def work_lists_visible_to(user) -> QuerySet[WorkListVersion]:
    return (
        WorkListVersion.objects.visible_to(user)
        .select_related("street")
        .annotate(item_count=Count("items"))
    )


def work_items_visible_to(user) -> QuerySet[WorkItem]:
    return WorkItem.objects.visible_to(user).select_related("version__street")


def current_work_list(community) -> WorkListVersion | None:
    """The street's published version that ``community`` inherits (None if none is current)."""
    return (
        WorkListVersion.objects.filter(
            status=ListStatus.PUBLISHED,
            street__tree_id=community.tree_id,
            street__lft__lt=community.lft,
            street__rght__gt=community.rght,
        )
        .select_related("street")
        .order_by("-street__level", "-published_at")
        .first()
    )


def work_items_for(community) -> QuerySet[WorkItem]:
    """The items a community holds: those of its street's current published version.

    One query, found through the tree (the street is an ancestor of the community), so a
    community moved to another street inherits that street's list at once.
    """
    return (
        WorkItem.objects.filter(
            version__status=ListStatus.PUBLISHED,
            version__street__tree_id=community.tree_id,
            version__street__lft__lt=community.lft,
            version__street__rght__gt=community.rght,
        )
        .select_related("version")
        .order_by("seq")
    )


def public_work_items_for(community) -> QuerySet[WorkItem]:
    """For the resident portal: only the items marked public."""
    return work_items_for(community).filter(is_public=True)


# ---------------------------------------------------------------- admission


def admission_requests_visible_to(user) -> QuerySet[AdmissionRequest]:
    return AdmissionRequest.objects.visible_to(user).select_related(
        "community", "filed_by", "decided_by"
    )


def admission_figures(queryset: QuerySet[AdmissionRequest]) -> dict[str, int]:
    """Requests, approved, refused (by the street), refused by the community, pending,
    refusable (missing staff or funds) — one query."""
    figures = queryset.aggregate(
        requests=Count("pk"),
        approved=Count("pk", filter=Q(status=AdmissionStatus.APPROVED)),
        refused=Count("pk", filter=Q(status=AdmissionStatus.REFUSED)),
        community_refused=Count("pk", filter=Q(status=AdmissionStatus.COMMUNITY_REFUSED)),
        pending=Count("pk", filter=Q(status=AdmissionStatus.PENDING)),
        refusable=Count("pk", filter=Q(refusable=True)),
    )
    return {k: v or 0 for k, v in figures.items()}


# ---------------------------------------------------------------- assessment


def indicator_sets_visible_to(user) -> QuerySet[IndicatorSet]:
    return IndicatorSet.objects.annotate(
        aspect_count=Count("indicators", filter=Q(indicators__parent__isnull=True)),
        item_count=Count("indicators", filter=Q(indicators__parent__isnull=False)),
    )


def indicators_of(indicator_set) -> QuerySet[Indicator]:
    return Indicator.objects.filter(indicator_set=indicator_set).select_related(
        "parent", "indicator_set"
    )


def indicators_visible_to(user) -> QuerySet[Indicator]:
    return Indicator.objects.select_related("parent", "indicator_set")


def assessments_visible_to(user) -> QuerySet[Assessment]:
    return Assessment.objects.visible_to(user).select_related("organizer", "indicator_set")


def scores_visible_to(user) -> QuerySet[Score]:
    return Score.objects.visible_to(user).select_related(
        "assessment", "organization", "indicator__parent", "scored_by"
    )


def tallies_visible_to(user) -> QuerySet[SatisfactionTally]:
    return SatisfactionTally.objects.visible_to(user).select_related("assessment", "organization")


def results_visible_to(user) -> QuerySet[Result]:
    return Result.objects.visible_to(user).select_related("assessment", "organization")


def ranking(assessment, kind: str, user=None) -> QuerySet[Result]:
    """The stored ranking of one kind of organisation (reads, never recomputes)."""
    queryset = Result.objects.filter(assessment=assessment, kind=kind)
    if user is not None:
        queryset = queryset.visible_to(user)
    return queryset.select_related("organization").order_by("rank", "organization__code")


def runs_visible_to(user) -> QuerySet[RollupRun]:
    return RollupRun.objects.visible_to(user).select_related("assessment", "requested_by")


def assessments_due_for_rollup(last_day: date) -> QuerySet[Assessment]:
    """Ended by ``last_day`` and with no run (queued, running or done) since the period ended."""
    later_runs = RollupRun.objects.filter(
        assessment=OuterRef("pk"),
        created_at__date__gt=OuterRef("ends_on"),
        status__in=[RunStatus.QUEUED, RunStatus.RUNNING, RunStatus.DONE],
    )
    return (
        Assessment.objects.filter(ends_on__lte=last_day)
        .annotate(has_run=Exists(later_runs))
        .filter(has_run=False)
        .select_related("organizer")
    )
