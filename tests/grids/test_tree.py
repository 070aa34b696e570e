"""The grid tree: levels, communities, GeoJSON boundaries, rolled-up counts, oversize flags."""

import pytest
from django.core.exceptions import ValidationError

from grids.models import Grid
from grids.selectors import grid_tree, grids_visible_to
from grids.services.grid import grid_create, grid_update
from tests.grids.factories import HouseholdFactory, ResidentFactory

SQUARE = {
    "type": "Polygon",
    "coordinates": [[[122.99, 41.1], [123.0, 41.1], [123.0, 41.11], [122.99, 41.1]]],
}


def test_grid_create_under_sector_in_scope(users, grids):
    grid = grid_create(
        actor=users["cadre_a"],
        code="A-S1-G3",
        name="第三网格",
        level="grid",
        parent=grids["sector"],
    )
    assert grid.community == grids["sector"].community
    assert grid.parent == grids["sector"]


@pytest.mark.parametrize(
    "level, parent_key, message",
    [
        ("micro_grid", "sector", "微网格不能设在片区之下"),
        ("sector", "g1", "片区不能设在网格之下"),
        ("grid", None, "网格不能设在根节点之下"),
    ],
)
def test_grid_level_must_fit_parent(users, grids, level, parent_key, message):
    with pytest.raises(ValidationError) as exc:
        grid_create(
            actor=users["root"],
            code="X1",
            name="x",
            level=level,
            parent=grids[parent_key] if parent_key else None,
            community=grids["root_a"].community,
        )
    assert message in str(exc.value)


def test_grid_cannot_hang_under_another_communitys_grid(users, grids, tree):
    with pytest.raises(ValidationError) as exc:
        grid_create(
            actor=users["root"],
            code="X2",
            name="x",
            level="grid",
            parent=grids["sector"],
            community=tree["community_b"],
        )
    assert "另一个社区" in str(exc.value)


def test_grid_outside_scope_is_refused(users, grids):
    with pytest.raises(ValidationError, match="对象不存在"):
        grid_create(
            actor=users["cadre_b"], code="X3", name="x", level="grid", parent=grids["sector"]
        )
    assert not Grid.objects.filter(code="X3").exists()


def test_grid_community_must_be_a_community_node(users, tree):
    with pytest.raises(ValidationError) as exc:
        grid_create(
            actor=users["root"], code="X4", name="x", level="community", community=tree["street"]
        )
    assert "社区党组织" in str(exc.value)


def test_grid_cannot_move_under_its_own_descendant(users, grids):
    with pytest.raises(ValidationError):
        grid_update(actor=users["root"], grid=grids["sector"], parent=grids["g1"], level="sector")


@pytest.mark.parametrize(
    "boundary, ok",
    [
        (SQUARE, True),
        ({"type": "MultiPolygon", "coordinates": [SQUARE["coordinates"]]}, True),
        ({"type": "Point", "coordinates": [123.0, 41.1]}, False),
        (
            {"type": "Polygon", "coordinates": [[[123.0, 41.1], [123.1, 41.1], [123.0, 41.2]]]},
            False,
        ),
        ({"type": "Polygon", "coordinates": [[[0, 0], [1, 0], [1, 1], [0, 1]]]}, False),
        ({"type": "Polygon", "coordinates": [[[200, 0], [1, 0], [1, 1], [200, 0]]]}, False),
        ("not json object", False),
    ],
)
def test_boundary_must_be_geojson_polygon(users, grids, boundary, ok):
    if ok:
        grid = grid_update(actor=users["cadre_a"], grid=grids["g1"], boundary=boundary)
        assert grid.boundary == boundary
    else:
        with pytest.raises(ValidationError) as exc:
            grid_update(actor=users["cadre_a"], grid=grids["g1"], boundary=boundary)
        assert "boundary" in exc.value.message_dict


def _find(nodes, code):
    for node in nodes:
        if node["code"] == code:
            return node
        for key in ("communities", "grids", "children"):
            found = _find(node.get(key, []), code)
            if found:
                return found
    return None


def test_counts_roll_up_street_community_sector_grid(users, roster, tree):
    tree_data = grid_tree(users["street"])
    street = _find(tree_data, "S")
    assert (street["households"], street["people"]) == (6, 7)
    assert (_find(tree_data, "A")["households"], _find(tree_data, "A")["people"]) == (4, 5)
    assert _find(tree_data, "A-S1")["households"] == 4
    assert (_find(tree_data, "A-S1-G1")["households"], _find(tree_data, "A-S1-G1")["people"]) == (
        3,
        4,
    )
    assert (
        _find(tree_data, "A-S1-G1-M1")["households"],
        _find(tree_data, "A-S1-G1-M1")["people"],
    ) == (1, 2)
    assert _find(tree_data, "A-S1-G2")["households"] == 1
    assert _find(tree_data, "B")["households"] == 2


def test_counts_are_scoped(users, roster):
    tree_data = grid_tree(users["cadre_b"])
    assert _find(tree_data, "A") is None
    assert _find(tree_data, "B")["households"] == 2
    assert _find(tree_data, "S")["households"] == 2


def test_annotated_counts_match_the_tree(users, roster):
    by_code = {g.code: g for g in grids_visible_to(users["cadre_a"])}
    assert set(by_code) == {"A-G", "A-S1", "A-S1-G1", "A-S1-G2", "A-S1-G1-M1"}
    assert (by_code["A-G"].household_count, by_code["A-G"].resident_count) == (4, 5)
    assert (by_code["A-S1-G1"].household_count, by_code["A-S1-G1"].resident_count) == (3, 4)
    assert by_code["A-S1-G1-M1"].household_count == 1


def test_oversized_grids_and_micro_grids_are_flagged(settings, users, roster, grids):
    settings.GRIDS_OVERSIZE_HOUSEHOLDS = {"grid": 2, "micro_grid": 1}
    HouseholdFactory(
        grid=grids["g1"], building=roster["buildings"]["b1"], micro_grid=grids["micro"]
    )
    tree_data = grid_tree(users["cadre_a"])
    assert _find(tree_data, "A-S1-G1")["oversized"] is True  # 4 > 2
    assert _find(tree_data, "A-S1-G2")["oversized"] is False  # 1
    assert _find(tree_data, "A-S1-G1-M1")["oversized"] is True  # 2 > 1
    assert _find(tree_data, "A-S1")["oversized"] is False  # sectors have no limit


def test_default_limits_follow_the_seeds(users, roster):
    from grids.choices import oversize_limits

    assert oversize_limits() == {"grid": 400, "micro_grid": 10}


def _grow(grids, roster, n):
    for _ in range(n):
        household = HouseholdFactory(building=roster["buildings"]["b2"])
        ResidentFactory(household=household)


@pytest.mark.parametrize("extra", [0, 15])
def test_tree_for_a_whole_street_uses_three_queries(
    users, roster, grids, django_assert_num_queries, extra
):
    from grids.services.grid import grid_create

    for i in range(extra):
        grid_create(
            actor=users["root"],
            code=f"A-S1-N{i}",
            name=f"新网格{i}",
            level="grid",
            parent=grids["sector"],
        )
    _grow(grids, roster, extra)
    users["street"].refresh_from_db()
    with django_assert_num_queries(4):  # scope, grid nodes, totals, streets
        grid_tree(users["street"])


@pytest.mark.parametrize("page_size", [2, 7])
def test_grid_api_list_constant_queries(
    api, users, grids, roster, django_assert_num_queries, page_size
):
    client = api(users["street"])
    # session-less token auth: permissions and scope (1, core.authz) + count (1) + page (1)
    with django_assert_num_queries(3):
        response = client.get(f"/api/v1/grids/?page_size={page_size}")
    assert response.status_code == 200
    assert len(response.json()["results"]) == page_size


def test_grid_tree_api(api, users, roster):
    response = api(users["cadre_a"]).get("/api/v1/grids/tree/")
    assert response.status_code == 200
    data = response.json()
    assert _find(data, "A")["households"] == 4
    assert _find(data, "B") is None
    assert api(users["cadre_a"]).get("/api/v1/grids/tree/?root=B").json() == []
    assert api(users["cadre_a"]).get("/api/v1/grids/tree/?root=NOPE").json() == []
    rooted = api(users["cadre_a"]).get("/api/v1/grids/tree/?root=A").json()
    assert _find(rooted, "A")["households"] == 4 and _find(rooted, "B") is None
