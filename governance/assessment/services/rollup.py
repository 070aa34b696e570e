"""Roll-ups: automatic indicators, each organisation's total, subtree aggregates and ranks.

Everything is computed in the database over the nested-set fields (one INSERT … SELECT with
GROUP BY and window functions), then stored in ``Result``; readers never recompute. A run
replaces the assessment's results in one transaction, so running it twice stores the same rows.
"""

from __future__ import annotations

import logging
from decimal import Decimal

from django.db import connection, transaction
from django.utils import timezone

from core.links import check_links, derived
from core.outbox import enqueue
from core.scope import require_in_scope
from core.services import audit
from governance.assessment.choices import IndicatorSource, RunStatus, RunTrigger
from governance.assessment.figures import FIGURES
from governance.assessment.models import Assessment, Indicator, Result, RollupRun, Score
from organizations.models import Organization

# The Celery task (``tasks.rollup_task``) calls this module, so it is queued by name:
# services never import the task layer.
ROLLUP_TASK = "assessment.rollup"

log = logging.getLogger(__name__)


@transaction.atomic
def rollup_request(*, actor, assessment: Assessment, trigger: str = RunTrigger.MANUAL) -> RollupRun:
    """Queue a roll-up; the Celery task starts after commit."""
    if actor is not None:
        require_in_scope(actor, assessment.organizer)
    run = RollupRun(
        assessment=assessment,
        trigger=trigger,
        requested_by=actor if getattr(actor, "pk", None) else None,
        message="等待计算",
    )
    if actor is not None:
        check_links(actor=actor, instance=run)
    else:  # the scheduler: no actor chose it
        derived(run, "assessment")
    run.full_clean()
    run.save()
    audit(
        actor=actor,
        action="assessment.rollup_request",
        target=run,
        organization=assessment.organizer,
        detail={"assessment": assessment.code, "trigger": trigger},
    )
    enqueue(ROLLUP_TASK, run.pk)
    return run


def _progress(run_id: int, progress: int, message: str, **fields) -> None:
    # Written in autocommit between the steps, so the admin page sees it while the run works.
    RollupRun.objects.filter(pk=run_id).update(progress=progress, message=message, **fields)


def rollup_execute(*, run_id: int) -> RollupRun:
    """Run one queued roll-up: automatic scores (one transaction), then results (another)."""
    run = RollupRun.objects.select_related("assessment__organizer", "requested_by").get(pk=run_id)
    _progress(run.pk, 5, "开始计算", status=RunStatus.RUNNING, started_at=timezone.now())
    try:
        fill_automatic_scores(run.assessment)
        _progress(run.pk, 40, "自动取数完成，正在汇总得分")
        count = compute_results(run.assessment, run=run)
    except Exception as exc:
        log.exception("roll-up %s failed", run.pk)
        _progress(
            run.pk,
            run.progress,
            f"计算失败：{exc}"[:200],
            status=RunStatus.FAILED,
            finished_at=timezone.now(),
        )
        raise
    _progress(
        run.pk,
        100,
        f"已完成：{count} 个组织",
        status=RunStatus.DONE,
        finished_at=timezone.now(),
        result_count=count,
    )
    run.refresh_from_db()
    return run


@transaction.atomic
def fill_automatic_scores(assessment: Assessment) -> int:
    """Replace the assessment's automatic scores with fresh values from the figure registry."""
    items = list(
        Indicator.objects.filter(
            indicator_set_id=assessment.indicator_set_id, source=IndicatorSource.AUTOMATIC
        )
    )
    Score.objects.filter(assessment=assessment, source=IndicatorSource.AUTOMATIC).delete()
    if not items:
        return 0
    organizer = assessment.organizer
    nodes = list(
        Organization.objects.filter(
            tree_id=organizer.tree_id,
            lft__gt=organizer.lft,
            lft__lte=organizer.rght,
            kind__in=assessment.indicator_set.assessed_kinds,
        ).values("id", "tree_id", "lft", "rght", "kind")
    )
    scores = []
    for item in items:
        figure = FIGURES.get(item.figure)
        if figure is None or not figure.available:
            continue
        ratios = figure.func(nodes, assessment)
        for node in nodes:
            ratio = ratios.get(node["id"])
            if ratio is None:
                continue
            value = (ratio * item.max_score).quantize(Decimal("0.01"))
            scores.append(
                Score(
                    assessment=assessment,
                    organization_id=node["id"],
                    indicator=item,
                    value=min(value, item.max_score),
                    source=IndicatorSource.AUTOMATIC,
                    evidence=f"系统自动取数：{figure.label} {ratio:.2%}",
                )
            )
    Score.objects.bulk_create(scores, batch_size=5000)
    return len(scores)


# Own score = top-down (Σ value × weight / max) combined with the bottom-up satisfaction
# (0–100, rescaled to the set's weight total); with only one of the two, that one alone.
# Subtree aggregates: each scored node counts for itself and for every inner node (one with
# descendants) whose [lft, rght] range holds it — a range join, then GROUP BY. Arithmetic is
# in double precision and results are rounded to 4 places, so equal scores rank as ties.
# The aggregates are MATERIALIZED so that each is computed once whatever plan is chosen.
ROLLUP_SQL = """
WITH items AS MATERIALIZED (
    SELECT id, CAST(weight AS DOUBLE PRECISION) / CAST(max_score AS DOUBLE PRECISION) AS factor
    FROM assessment_indicator
    WHERE indicator_set_id = %(indicator_set)s AND parent_id IS NOT NULL
), td AS MATERIALIZED (
    SELECT s.organization_id AS org_id, SUM(CAST(s.value AS DOUBLE PRECISION) * i.factor) AS v
    FROM assessment_score s JOIN items i ON i.id = s.indicator_id
    WHERE s.assessment_id = %(assessment)s
    GROUP BY s.organization_id
), bu AS MATERIALIZED (
    SELECT t.organization_id AS org_id,
           SUM(t.satisfied * 100.0 + t.basically_satisfied * 60.0)
             / SUM(t.satisfied + t.basically_satisfied + t.dissatisfied) AS v
    FROM assessment_satisfactiontally t
    WHERE t.assessment_id = %(assessment)s
    GROUP BY t.organization_id
), nodes AS MATERIALIZED (
    SELECT o.id, o.tree_id, o.lft, o.rght, o.kind, td.v AS td, bu.v AS bu,
           CASE
             WHEN td.v IS NULL AND bu.v IS NULL THEN NULL
             WHEN bu.v IS NULL THEN td.v
             WHEN td.v IS NULL THEN bu.v * %(weight_total)s / 100.0
             ELSE td.v * %(td_weight)s + bu.v * %(weight_total)s / 100.0 * %(bu_weight)s
           END AS own
    FROM organizations_organization o
    LEFT JOIN td ON td.org_id = o.id
    LEFT JOIN bu ON bu.org_id = o.id
    WHERE o.tree_id = %(tree_id)s AND o.lft BETWEEN %(lft)s AND %(rght)s
), scored AS (
    SELECT id, tree_id, lft, own FROM nodes WHERE own IS NOT NULL
), inner_nodes AS (
    SELECT id, tree_id, lft, rght FROM nodes WHERE rght > lft + 1
), contributions AS (
    SELECT id, own FROM scored
    UNION ALL
    SELECT a.id, s.own
    FROM inner_nodes a JOIN scored s
      ON s.tree_id = a.tree_id AND s.lft > a.lft AND s.lft < a.rght
), agg AS (
    SELECT id, COUNT(*) AS c, SUM(own) AS total FROM contributions GROUP BY id
), ranked AS (
    SELECT n.id, n.kind, n.td, n.bu, n.own, agg.c, agg.total / agg.c AS average,
           ROUND(CAST(COALESCE(n.own, agg.total / agg.c) AS NUMERIC), 4) AS rank_score
    FROM nodes n JOIN agg ON agg.id = n.id
)
INSERT INTO assessment_result (
    assessment_id, organization_id, kind, top_down, bottom_up, own_score,
    subtree_count, subtree_average, rank_score, rank, rank_of, run_id
)
SELECT %(assessment)s, id, kind, ROUND(CAST(td AS NUMERIC), 4), ROUND(CAST(bu AS NUMERIC), 4),
       ROUND(CAST(own AS NUMERIC), 4), c, ROUND(CAST(average AS NUMERIC), 4), rank_score,
       RANK() OVER (PARTITION BY kind ORDER BY rank_score DESC),
       COUNT(*) OVER (PARTITION BY kind),
       %(run)s
FROM ranked
"""


@transaction.atomic
def compute_results(assessment: Assessment, *, run: RollupRun | None = None) -> int:
    """Replace the stored results of ``assessment``; returns how many organisations have one."""
    # Serialise runs of the same assessment (a second run waits, then replaces the same rows).
    assessment = (
        Assessment.objects.select_for_update()
        .select_related("organizer", "indicator_set")
        .get(pk=assessment.pk)
    )
    organizer = Organization.objects.get(pk=assessment.organizer_id)
    Result.objects.filter(assessment=assessment).delete()
    params = {
        "assessment": assessment.pk,
        "indicator_set": assessment.indicator_set_id,
        "tree_id": organizer.tree_id,
        "lft": organizer.lft,
        "rght": organizer.rght,
        "weight_total": float(assessment.indicator_set.weight_total),
        "td_weight": float(assessment.top_down_weight),
        "bu_weight": float(assessment.bottom_up_weight),
        "run": run.pk if run else None,
    }
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # Fresh statistics after bulk score imports keep the planner off nested loops
            # over the aggregates (without them a large roll-up can take minutes).
            cursor.execute("ANALYZE assessment_score, assessment_satisfactiontally")
        cursor.execute(ROLLUP_SQL, params)
    count = Result.objects.filter(assessment=assessment).count()
    assessment.last_rolled_up_at = timezone.now()
    assessment.save(update_fields=["last_rolled_up_at", "updated_at"])
    audit(
        actor=run.requested_by if run else None,
        action="assessment.rollup",
        target=assessment,
        organization=organizer,
        detail={"results": count, "run": run.pk if run else None},
    )
    return count
