"""Benchmark: the Tiedong-profile organisation tree from one XLSX, and the subtree API list.

Builds the tree sized by the published profile (../shared/data/district_profiles.json:
streets, communities, compound branches, building groups, functional branches), imports it
with OrganizationImporter into a fresh test database created from DATABASE_URL (the named
database itself is not touched), then times GET /api/v1/organizations/?subtree_of=<street>.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/gz_bench_tree .venv/bin/python bench/tree_import.py
"""

from __future__ import annotations

import argparse
import io
import json
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
DEFAULT_PROFILES = ROOT.parent / "shared" / "data" / "district_profiles.json"
TARGET_SECONDS = 5.0


def spread(total: int, buckets: list[str]) -> list[str]:
    """``total`` children spread over ``buckets`` as evenly as possible, in bucket order."""
    base, extra = divmod(total, len(buckets))
    out: list[str] = []
    for index, bucket in enumerate(buckets):
        out.extend([bucket] * (base + (1 if index < extra else 0)))
    return out


def build_rows(profile: dict) -> list[list[str]]:
    """Rows (code, name, kind label, parent code) for the whole district, parents first."""
    from organizations.choices import OrgKind as K

    rows = [["TD", f"{profile['name']}委组织部", K.DISTRICT_COMMITTEE.label, ""]]
    streets = [f"TD-S{i:02d}" for i in range(1, profile["streets"] + 1)]
    rows += [
        [c, f"第{i}街道党工委", K.STREET_COMMITTEE.label, "TD"] for i, c in enumerate(streets, 1)
    ]

    communities: list[str] = []
    counter: dict[str, int] = {}

    def child(parent: str, tag: str) -> str:
        counter[parent, tag] = counter.get((parent, tag), 0) + 1
        return f"{parent}-{tag}{counter[parent, tag]:02d}"

    for street in spread(profile["communities"], streets):
        code = child(street, "C")
        communities.append(code)
        rows.append([code, f"{code} 社区大党委", K.COMMUNITY_COMMITTEE.label, street])
    compounds: list[str] = []
    for community in spread(profile["compound_branches"], communities):
        code = child(community, "Y")
        compounds.append(code)
        rows.append([code, f"{code} 小区党支部", K.COMPOUND_BRANCH.label, community])
    for compound in spread(profile["building_groups"], compounds):
        code = child(compound, "B")
        rows.append([code, f"{code} 楼栋党小组", K.BUILDING_GROUP.label, compound])
    for community in spread(profile["functional_branches"], communities):
        code = child(community, "F")
        rows.append([code, f"{code} 功能型党支部", K.FUNCTIONAL_BRANCH.label, community])
    return rows


def build_xlsx(rows: list[list[str]]) -> bytes:
    import openpyxl

    from organizations.importers import OrganizationImporter

    workbook = openpyxl.Workbook(write_only=True)
    sheet = workbook.create_sheet(OrganizationImporter.sheet_name)
    sheet.append([c.header for c in OrganizationImporter.columns[:4]])
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--profiles", default=str(DEFAULT_PROFILES))
    parser.add_argument("--profile", default="tiedong")
    parser.add_argument("--calls", type=int, default=50)
    args = parser.parse_args()

    import django

    django.setup()
    from django.conf import settings
    from django.db import connection, reset_queries
    from django.test.utils import CaptureQueriesContext, setup_test_environment

    source = Path(args.profiles)
    if not source.is_file():
        print(f"找不到规模数据文件 {source}，请用 --profiles 指定 district_profiles.json。")
        return 2
    profiles = json.loads(source.read_text(encoding="utf-8"))["profiles"]
    profile = profiles[args.profile]
    if connection.vendor != "postgresql":
        print("注意：DATABASE_URL 未指向 PostgreSQL，以下数字来自", connection.vendor)

    setup_test_environment(debug=False)
    old_name = connection.creation.create_test_db(verbosity=0)
    try:
        from django.contrib.auth import get_user_model
        from django.contrib.auth.models import Group
        from rest_framework.test import APIClient

        from core.roles import STREET_ADMIN
        from organizations.importers import OrganizationImporter
        from organizations.models import Organization, ScopeAssignment

        User = get_user_model()
        root, _ = User.objects.get_or_create(
            username="bench-root", defaults={"is_superuser": True, "is_staff": True}
        )

        started = time.perf_counter()
        rows = build_rows(profile)
        data = build_xlsx(rows)
        built = time.perf_counter() - started
        print(
            f"{profile['name']}：{len(rows)} 行（{profile['streets']} 街道、"
            f"{profile['communities']} 社区、{profile['compound_branches']} 小区党支部、"
            f"{profile['building_groups']} 楼栋党小组、{profile['functional_branches']} 功能型党支部），"
            f"XLSX {len(data) / 1024:.0f} KB，生成 {built:.2f} s"
        )

        started = time.perf_counter()
        preview = OrganizationImporter(root).run(data, "tree.xlsx", dry_run=True)
        dry = time.perf_counter() - started
        assert preview.ok, [str(e) for e in preview.errors[:5]]

        started, cpu = time.perf_counter(), time.process_time()
        result = OrganizationImporter(root).run(data, "tree.xlsx", dry_run=False)
        total = time.perf_counter() - started
        cpu = time.process_time() - cpu
        assert result.committed, [str(e) for e in result.errors[:5]]
        assert Organization.objects.count() == len(rows)
        verdict = "达标" if total < TARGET_SECONDS else "未达标"
        print(f"预检（dry run）：{dry:.2f} s，{len(rows) / dry:.0f} 行/秒")
        print(
            f"导入（读取+校验+写入+重建树）：{total:.2f} s，{len(rows) / total:.0f} 行/秒 "
            f"（目标 < {TARGET_SECONDS:.0f} s：{verdict}）"
        )
        print(
            f"  其中本进程 CPU {cpu:.2f} s（目标 < 1 s CPU，不含数据库服务端），"
            f"系统负载 {'/'.join(f'{x:.1f}' for x in os.getloadavg())}（{os.cpu_count()} 核）"
        )

        street = Organization.objects.get(code="TD-S01")
        user, _ = User.objects.get_or_create(username="bench-street", defaults={"is_staff": True})
        user.groups.add(Group.objects.get(name=STREET_ADMIN))
        ScopeAssignment.objects.get_or_create(user=user, organization=street)
        client = APIClient()
        client.force_authenticate(user)
        url = "/api/v1/organizations/"
        subtree = street.get_descendant_count() + 1
        for page_size in (50, 200):
            params = {"subtree_of": street.code, "page_size": page_size}
            # A fresh user object per request, as a real request loads it (no warm caches).
            fresh = User.objects.get(pk=user.pk)
            client.force_authenticate(fresh)
            # Each request clears the query log (request_started), so start empty and count
            # before the next request.
            reset_queries()
            with CaptureQueriesContext(connection) as queries:
                response = client.get(url, params)
            assert response.status_code == 200, response.content[:300]
            query_count = len(queries)
            timings = []
            for _ in range(args.calls):
                client.force_authenticate(User.objects.get(pk=user.pk))
                started = time.perf_counter()
                response = client.get(url, params)
                timings.append((time.perf_counter() - started) * 1000)
                assert response.status_code == 200
            print(
                f"GET {url}?subtree_of={street.code}&page_size={page_size}（子树 {subtree} 个节点，"
                f"{args.calls} 次）：p50 {statistics.median(timings):.1f} ms，"
                f"p95 {percentile(timings, 0.95):.1f} ms，查询 {query_count} 次"
            )
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)
    print(f"数据库：{connection.vendor} {settings.DATABASES['default']['NAME']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
