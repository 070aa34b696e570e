"""Benchmark: an assessment roll-up for the Tiedong profile (≈2,960 organisations, 5 aspects /
278 items, one period) — set-based SQL beside a naive per-node recursion, same totals.

Builds the tree sized by ../shared/data/district_profiles.json (district → streets →
communities → compound branches → building groups, plus functional branches) in a fresh test
database created from DATABASE_URL (the named database itself is not written to), an indicator
set of 5 aspects and 278 items (one automatic), top-down scores for every community, compound
and functional branch, and satisfaction ballots; then times:

  * set-based: ``fill_automatic_scores`` + ``compute_results`` (one INSERT … SELECT over the
    nested-set ranges with GROUP BY and window functions), run twice (idempotent);
  * naive: a recursion over the tree that queries each node's scores, ballots and children and
    sums subtrees in Python, then ranks in Python;

and checks that both give the same own score, subtree average and rank for every organisation.

    psql -h 127.0.0.1 -U postgres -c "CREATE DATABASE gz_bench_rollup"
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/gz_bench_rollup .venv/bin/python bench/rollup.py
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sys
import time
from collections import defaultdict
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
DEFAULT_PROFILES = ROOT.parent / "shared" / "data" / "district_profiles.json"
TARGET_SECONDS = 5.0
ASSESSED = ["community_committee", "compound_branch", "functional_branch"]


def spread(total: int, buckets: list[str]) -> list[str]:
    base, extra = divmod(total, len(buckets))
    out: list[str] = []
    for index, bucket in enumerate(buckets):
        out.extend([bucket] * (base + (1 if index < extra else 0)))
    return out


def build_tree(profile: dict) -> int:
    from organizations.models import Organization
    from organizations.tree import load_nodes

    nodes: list[tuple[str, str, str, str | None]] = [
        ("TD", "铁东区委组织部", "district_committee", None)
    ]
    streets = [f"TD-S{i:02d}" for i in range(1, profile["streets"] + 1)]
    nodes += [(s, f"{s} 街道党工委", "street_committee", "TD") for s in streets]
    counter: dict[tuple[str, str], int] = defaultdict(int)

    def child(parent: str, tag: str) -> str:
        counter[parent, tag] += 1
        return f"{parent}-{tag}{counter[parent, tag]:02d}"

    communities, compounds = [], []
    for street in spread(profile["communities"], streets):
        communities.append(child(street, "C"))
        nodes.append(
            (communities[-1], f"{communities[-1]} 社区大党委", "community_committee", street)
        )
    for community in spread(profile["compound_branches"], communities):
        compounds.append(child(community, "Y"))
        nodes.append((compounds[-1], f"{compounds[-1]} 小区党支部", "compound_branch", community))
    for compound in spread(profile["building_groups"], compounds):
        code = child(compound, "B")
        nodes.append((code, f"{code} 楼栋党小组", "building_group", compound))
    for community in spread(profile["functional_branches"], communities):
        code = child(community, "F")
        nodes.append((code, f"{code} 功能型党支部", "functional_branch", community))
    new = [Organization(code=c, name=n, kind=k) for c, n, k, _ in nodes]
    load_nodes(new, [], {c: p for c, _, _, p in nodes}, update_fields=[])
    return len(nodes)


def build_assessment(profile: dict):
    from governance.assessment.models import (
        Assessment,
        Indicator,
        IndicatorSet,
        SatisfactionTally,
        Score,
    )
    from organizations.models import Organization

    aspects, items_total = profile["assessment_aspects"], profile["assessment_items"]
    per_aspect = spread(items_total, [f"A{i}" for i in range(1, aspects + 1)])
    counts = {a: per_aspect.count(a) for a in dict.fromkeys(per_aspect)}
    indicator_set = IndicatorSet.objects.create(
        code="TD-BENCH",
        name="铁东区上考下评综合考核",
        weight_total=Decimal(items_total),
        assessed_kinds=ASSESSED,
        status="active",
    )
    items = []
    for seq, (aspect_code, count) in enumerate(counts.items(), start=1):
        aspect = Indicator.objects.create(
            indicator_set=indicator_set,
            code=aspect_code,
            name=f"方面{seq}",
            weight=Decimal(count),
            seq=seq,
        )
        for i in range(1, count + 1):
            automatic = seq == 1 and i == 1
            items.append(
                Indicator(
                    indicator_set=indicator_set,
                    parent=aspect,
                    code=f"{aspect_code}-{i:03d}",
                    name=f"条目{aspect_code}-{i}",
                    weight=Decimal(1),
                    seq=i,
                    max_score=Decimal(10) if i % 3 else Decimal(5),
                    source="automatic" if automatic else "manual",
                    figure="branch_group_coverage" if automatic else "",
                )
            )
    Indicator.objects.bulk_create(items)
    district = Organization.objects.get(code="TD")
    assessment = Assessment.objects.create(
        code="TD-BENCH-2026Q1",
        name="2026年第一季度",
        organizer=district,
        indicator_set=indicator_set,
        period_kind="quarter",
        starts_on="2026-01-01",
        ends_on="2026-03-31",
    )
    rng = random.Random(2026)
    targets = list(Organization.objects.filter(kind__in=ASSESSED).values_list("id", flat=True))
    manual = [i for i in items if i.source == "manual"]
    scores = [
        Score(
            assessment=assessment,
            organization_id=org,
            indicator=item,
            value=Decimal(rng.randint(0, int(item.max_score) * 2)) / 2,
        )
        for org in targets
        for item in manual
    ]
    Score.objects.bulk_create(scores, batch_size=10000)
    tallies = []
    for org in targets:
        for kind in ("member", "resident"):
            if rng.random() < 0.8:
                s, b, d = rng.randint(5, 40), rng.randint(0, 10), rng.randint(0, 5)
                tallies.append(
                    SatisfactionTally(
                        assessment=assessment,
                        organization_id=org,
                        voter_kind=kind,
                        satisfied=s,
                        basically_satisfied=b,
                        dissatisfied=d,
                    )
                )
    SatisfactionTally.objects.bulk_create(tallies)
    return assessment, len(scores), len(tallies)


def naive_rollup(assessment) -> dict[int, tuple]:
    """Per-node recursion: queries each node's scores, ballots and children."""
    from governance.assessment.models import SatisfactionTally, Score

    td_w, bu_w = float(assessment.top_down_weight), float(assessment.bottom_up_weight)
    total_w = float(assessment.indicator_set.weight_total)
    out: dict[int, tuple] = {}

    def visit(node) -> tuple[float, int]:
        rows = Score.objects.filter(assessment=assessment, organization=node).values_list(
            "value", "indicator__max_score", "indicator__weight"
        )
        td = sum(float(v) / float(m) * float(w) for v, m, w in rows) if rows else None
        ballots = list(
            SatisfactionTally.objects.filter(assessment=assessment, organization=node).values_list(
                "satisfied", "basically_satisfied", "dissatisfied"
            )
        )
        n = sum(s + b + d for s, b, d in ballots)
        bu = sum(s * 100.0 + b * 60.0 for s, b, _ in ballots) / n if n else None
        if td is None and bu is None:
            own = None
        elif bu is None:
            own = td
        elif td is None:
            own = bu * total_w / 100.0
        else:
            own = td * td_w + bu * total_w / 100.0 * bu_w
        total, count = (own, 1) if own is not None else (0.0, 0)
        for child in node.get_children():
            t, c = visit(child)
            total, count = total + t, count + c
        if count:
            out[node.pk] = (node.kind, own, total / count)
        return total, count

    visit(assessment.organizer)
    ranked: dict[int, tuple] = {}
    by_kind: dict[str, list[tuple[float, int]]] = defaultdict(list)
    for pk, (kind, own, avg) in out.items():
        by_kind[kind].append((round(own if own is not None else avg, 4), pk))
    for rows in by_kind.values():
        rows.sort(reverse=True)
        for position, (score, pk) in enumerate(rows):
            rank = 1 + sum(1 for s, _ in rows[:position] if s > score)
            ranked[pk] = (out[pk][1], out[pk][2], rank)
    return ranked


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--profiles", default=str(DEFAULT_PROFILES))
    parser.add_argument("--profile", default="tiedong")
    args = parser.parse_args()
    profile = json.loads(Path(args.profiles).read_text())["profiles"][args.profile]

    import django

    django.setup()
    from django.conf import settings
    from django.db import connection
    from django.test.utils import CaptureQueriesContext, setup_test_environment

    if connection.vendor != "postgresql":
        print("注意：DATABASE_URL 未指向 PostgreSQL，以下数字来自", connection.vendor)
    setup_test_environment(debug=False)
    old_name = connection.creation.create_test_db(verbosity=0)
    failed = False
    try:
        from governance.assessment.models import Result
        from governance.assessment.services.rollup import compute_results, fill_automatic_scores

        t0 = time.perf_counter()
        nodes = build_tree(profile)
        assessment, n_scores, n_tallies = build_assessment(profile)
        print(
            f"数据：{nodes} 个组织，{profile['assessment_aspects']} 个方面 / "
            f"{profile['assessment_items']} 个条目，{n_scores} 条上考评分，{n_tallies} 条下评测评"
            f"（准备 {time.perf_counter() - t0:.1f} s）"
        )

        timings = []
        for attempt in (1, 2):
            with CaptureQueriesContext(connection) as queries:
                t = time.perf_counter()
                autos = fill_automatic_scores(assessment)
                count = compute_results(assessment)
                timings.append(time.perf_counter() - t)
            print(
                f"集合式汇总（第 {attempt} 次）：{timings[-1]:.3f} s，{len(queries)} 条 SQL，"
                f"{count} 个组织有结果，自动取数 {autos} 条"
            )
        stored = {
            r.organization_id: (r.own_score, r.subtree_average, r.rank)
            for r in Result.objects.filter(assessment=assessment)
        }

        with CaptureQueriesContext(connection) as queries:
            t = time.perf_counter()
            naive = naive_rollup(assessment)
            naive_seconds = time.perf_counter() - t
        print(f"逐节点递归：{naive_seconds:.3f} s，{len(queries)} 条 SQL")
        print(f"加速比：{naive_seconds / min(timings):.1f} 倍")

        mismatches = []
        if set(stored) != set(naive):
            mismatches.append(f"组织集合不同：{len(stored)} 对 {len(naive)}")
        for pk, (own, avg, rank) in naive.items():
            s_own, s_avg, s_rank = stored.get(pk, (None, None, None))
            same_own = (own is None and s_own is None) or (
                own is not None and s_own is not None and abs(float(s_own) - own) < 1e-3
            )
            if not same_own or abs(float(s_avg) - avg) > 1e-3 or s_rank != rank:
                mismatches.append(f"{pk}: 集合式 {s_own}/{s_avg}/{s_rank}，递归 {own}/{avg}/{rank}")
        if mismatches:
            failed = True
            print(f"结果不一致：{len(mismatches)} 处，例如 {mismatches[:3]}")
        else:
            print(
                f"两种算法结果一致：{len(naive)} 个组织的本级得分、含下级平均分、同类排名全部相同"
            )
        best = min(timings)
        verdict = "达标" if best < TARGET_SECONDS else "未达标"
        print(f"目标 < {TARGET_SECONDS:.0f} s：{verdict}（{best:.3f} s）")
        failed = failed or best >= TARGET_SECONDS
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)
    print(f"数据库：{connection.vendor} {settings.DATABASES['default']['NAME']}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
