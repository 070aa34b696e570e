"""Grid fixtures on top of the shared ``tree``: community A has a sector, two grids (one
with a micro-grid), buildings, households and residents; community B has one grid."""

import pytest

from tests.grids.factories import (
    BuildingFactory,
    GridFactory,
    GridWorkerFactory,
    HouseholdFactory,
    ResidentFactory,
)


@pytest.fixture
def grids(tree):
    a, b = tree["community_a"], tree["community_b"]
    root_a = GridFactory(code="A-G", name="园林社区网格", level="community", community=a)
    sector = GridFactory(code="A-S1", name="园林一片区", level="sector", parent=root_a, community=a)
    g1 = GridFactory(code="A-S1-G1", name="第一网格", level="grid", parent=sector, community=a)
    g2 = GridFactory(code="A-S1-G2", name="第二网格", level="grid", parent=sector, community=a)
    micro = GridFactory(
        code="A-S1-G1-M1", name="1号楼微网格", level="micro_grid", parent=g1, community=a
    )
    root_b = GridFactory(code="B-G", name="胜利社区网格", level="community", community=b)
    gb = GridFactory(code="B-G1", name="胜利第一网格", level="grid", parent=root_b, community=b)
    nodes = {
        "root_a": root_a,
        "sector": sector,
        "g1": g1,
        "g2": g2,
        "micro": micro,
        "root_b": root_b,
        "gb": gb,
    }
    for node in nodes.values():
        node.refresh_from_db()
    return nodes


@pytest.fixture
def roster(grids):
    """Buildings, households and residents: 3 households in g1 (one in the micro-grid),
    1 in g2, 2 in community B; workers in g1 and gb."""
    b1 = BuildingFactory(code="A-B1", name="1号楼", grid=grids["g1"])
    b2 = BuildingFactory(code="A-B2", name="2号楼", grid=grids["g2"])
    bb = BuildingFactory(code="B-B1", name="胜利1号楼", grid=grids["gb"])
    h1 = HouseholdFactory(code="A-H1", building=b1, micro_grid=grids["micro"])
    h2 = HouseholdFactory(code="A-H2", building=b1)
    h3 = HouseholdFactory(code="A-H3", building=b1)
    h4 = HouseholdFactory(code="A-H4", building=b2)
    hb1 = HouseholdFactory(code="B-H1", building=bb)
    hb2 = HouseholdFactory(code="B-H2", building=bb)
    residents = {
        "r1": ResidentFactory(
            household=h1, name="张三", id_number="110105198001010016", phone="13812345678"
        ),
        "r1b": ResidentFactory(household=h1, relation="spouse"),
        "r2": ResidentFactory(household=h2),
        "r3": ResidentFactory(household=h3),
        "r4": ResidentFactory(household=h4),
        "rb": ResidentFactory(household=hb1, name="李四", phone="13900001111"),
        "rb2": ResidentFactory(household=hb2),
    }
    workers = {
        "leader": GridWorkerFactory(code="A-W1", grid=grids["g1"], role="leader", name="王网格长"),
        "worker": GridWorkerFactory(code="A-W2", grid=grids["g1"], name="赵专职"),
        "worker_b": GridWorkerFactory(code="B-W1", grid=grids["gb"], name="钱专职"),
    }
    return {
        "buildings": {"b1": b1, "b2": b2, "bb": bb},
        "households": {"h1": h1, "h2": h2, "h3": h3, "h4": h4, "hb1": hb1, "hb2": hb2},
        "residents": residents,
        "workers": workers,
    }
