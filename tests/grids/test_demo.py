"""The demo seed: grids sized like seed 001, cases in every status, idempotent."""

import io

from grids.models import Case, Grid, Household
from grids.selectors import grid_tree


def test_demo_seed(db, roles):
    from core.demo import ensure_user
    from core.roles import COMMUNITY_SECRETARY, STREET_ADMIN
    from grids import demo as grids_demo
    from organizations.demo import demo_tree
    from organizations.models import Organization
    from organizations.tree import load_nodes

    # Only the demo tree and users are needed (not the rest of the organizations seed).
    nodes = demo_tree()
    load_nodes(
        [Organization(**{k: v for k, v in n.items() if k != "parent"}) for n in nodes],
        [],
        {n["code"]: n["parent"] for n in nodes},
        update_fields=[],
    )
    ensure_user("street", role=STREET_ADMIN, scope_codes=["TD-ZQ"])
    ensure_user("yuanlin", role=COMMUNITY_SECRETARY, scope_codes=["TD-ZQ-YL"])
    out = io.StringIO()
    grids_demo.seed(out)
    from organizations.models import Officer

    counts = (
        Grid.objects.count(),
        Household.objects.count(),
        Case.objects.count(),
        Officer.objects.count(),
    )
    grids_demo.seed(out)
    assert (
        Grid.objects.count(),
        Household.objects.count(),
        Case.objects.count(),
        Officer.objects.count(),
    ) == counts
    # 支部建在网格上 and the residents' posts (seed_officers).
    assert Grid.objects.filter(level="grid", covering_branch__isnull=False).exists()
    assert Grid.objects.filter(level="grid", covering_branch__isnull=True).exists()
    assert Officer.objects.filter(position="building_leader", resident__isnull=False).exists()
    assert Officer.objects.filter(position="resident_group_leader").count() == 6

    per_grid = [Household.objects.filter(grid=g).count() for g in Grid.objects.filter(level="grid")]
    assert len(per_grid) == 6 and all(380 <= n <= 440 for n in per_grid)
    assert {g.level for g in Grid.objects.all()} == {"community", "sector", "grid", "micro_grid"}
    micro_sizes = [
        Household.objects.filter(micro_grid=g).count()
        for g in Grid.objects.filter(level="micro_grid")
    ]
    assert micro_sizes and all(n == 10 for n in micro_sizes)
    assert set(Case.objects.values_list("status", flat=True)) == {
        "reported",
        "accepted",
        "dispatched",
        "resolved",
        "evaluated",
    }
    assert Case.objects.filter(reopen_count__gt=0).exists()
    assert Case.objects.filter(dispatch_kind="department", acknowledged_at=None).exists()
    assert Case.objects.filter(source="visit").exists()
    from django.contrib.auth import get_user_model

    street = grid_tree(get_user_model().objects.get(username="street"))
    assert street[0]["households"] == Household.objects.count()
