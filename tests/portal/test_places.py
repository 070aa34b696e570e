"""Places as residents name them (issue 17, item 1): the place search (normalisation, aliases,
ambiguous names, nothing found, bounded input), the report form's place picker without
JavaScript (a server-side search step), the suggestions endpoint, the community page's grid
and worker per building, and the community's public name."""

from __future__ import annotations

import pytest

from grids.placenames import building_number, normalize, parse_query
from portal.adapters import features
from tests.portal.conftest import challenge_from
from tests.portal.factories import ServiceCentreFactory

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(not features()["cases"], reason="grids case services not installed"),
]


@pytest.fixture
def places(tree):
    """园林 (A): 园林小区 (alias 园林花园) 3号楼 with 2 units and 12号楼, 春晖家园 3号楼 in
    another grid; 胜利 (B): 春晖小区 3号楼 — so “春晖 3栋” is ambiguous."""
    from grids.models import Building, Compound, Grid, GridWorker

    a, b = tree["community_a"], tree["community_b"]
    g1 = Grid.objects.create(code="GA1", name="第一网格", level="grid", community=a)
    g2 = Grid.objects.create(code="GA2", name="第二网格", level="grid", community=a)
    gb = Grid.objects.create(code="GB1", name="胜利第一网格", level="grid", community=b)
    GridWorker.objects.create(
        code="GA1-W",
        grid=g1,
        role="full_time",
        name="赵网格",
        phone="13944445555",
        work_phone="0412-2231234",
    )
    GridWorker.objects.create(
        code="GA2-W",
        grid=g2,
        role="leader",
        name="钱网格",
        phone="13944446666",
        work_phone="0412-2235678",
    )
    yl = Compound.objects.create(code="A-YL", name="园林小区", aliases="园林花园", community=a)
    ch = Compound.objects.create(code="A-CH", name="春晖家园", community=a)
    chb = Compound.objects.create(code="B-CH", name="春晖小区", community=b)
    made = {}
    for code, name, compound, grid, units in (
        ("A-YL-3", "3号楼", yl, g1, 2),
        ("A-YL-12", "12号楼", yl, g1, 3),
        ("A-CH-3", "3号楼", ch, g2, 2),
        ("A-CH-5", "5号楼", ch, g2, 1),
        ("B-CH-3", "3号楼", chb, gb, 2),
    ):
        building = Building(
            code=code,
            name=name,
            compound=compound,
            community=compound.community,
            grid=grid,
            units=units,
        )
        building.full_clean()
        building.save()
        made[code] = building
    ServiceCentreFactory(community=a, committee_name="园林社区居民委员会")
    return made


def suggest(client, q):
    response = client.get("/report/places/", {"q": q})
    assert response.status_code == 200
    return response.json()


# -- normalisation -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "terms", "building", "unit", "door"),
    [
        ("园林 3栋", ["园林"], "3", None, ""),
        ("春晖5号楼", ["春晖"], "5", None, ""),
        ("园林小区３幢", ["园林小区"], "3", None, ""),
        ("园林花园三号楼二单元", ["园林花园"], "3", 2, ""),
        ("春晖家园 5# 1单元 302室", ["春晖家园"], "5", 1, "302"),
        ("园林3-2-301", ["园林"], "3", 2, "301"),
        ("园林 十二栋", ["园林"], "12", None, ""),
    ],
)
def test_queries_are_taken_apart_the_way_residents_write(typed, terms, building, unit, door):
    parsed = parse_query(typed)
    assert (parsed.terms, parsed.building, parsed.unit, parsed.door) == (
        terms,
        building,
        unit,
        door,
    )


def test_normalisation_of_stored_names():
    assert normalize("园林小区　３号楼") == "园林小区 3号楼"
    assert building_number("十二栋") == "12" and building_number("３号楼") == "3"
    assert parse_query("园").problem == "too_short"
    assert parse_query("园" * 41).problem == "too_long"


# -- the search ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "typed", ["园林 3栋", "园林小区3号楼", "园林花园 三幢", "园林３#", "园林 3"]
)
def test_one_building_by_name_alias_or_number_with_its_grid_and_worker(client, places, typed):
    data = suggest(client, typed)
    assert [p["value"] for p in data["places"]] == ["b:A-YL-3"], data
    place = data["places"][0]
    assert place["label"] == "园林小区 3号楼" and place["units"] == 2
    assert "园林社区 第一网格" in place["detail"] and "赵网格 0412-2231234" in place["detail"]
    assert "13944445555" not in str(data)  # the personal phone never
    assert "找到 1 处" in data["message"]


def test_unit_is_carried_and_an_impossible_unit_is_dropped(client, places):
    assert suggest(client, "园林 3栋 2单元")["places"][0]["unit"] == 2
    assert suggest(client, "园林 3栋 9单元")["places"][0]["unit"] == ""


def test_ambiguous_building_name_lists_every_match(client, places):
    data = suggest(client, "春晖 3栋")
    assert {p["value"] for p in data["places"]} == {"b:A-CH-3", "b:B-CH-3"}
    assert "有 2 处都叫这个名字" in data["message"]


def test_compound_without_number_lists_its_buildings(client, places):
    data = suggest(client, "园林花园")
    assert [p["value"] for p in data["places"]] == ["b:A-YL-3", "b:A-YL-12"]
    assert "写上楼号更快" in data["message"]


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("幸福里 3栋", "没有找到“幸福里 3栋”"),
        ("园林 8栋", "找到了园林小区，但没有8号楼"),
        ("园", "请至少写两个字"),
        ("园林" * 30, "写得太长了"),
        ("<script>alert(1)</script>", "没有找到"),
    ],
)
def test_bad_input_says_so_plainly(client, places, typed, message):
    data = suggest(client, typed)
    assert data["places"] == [] and message in data["message"], data


def test_search_is_a_bounded_number_of_queries_and_cached(
    client, places, django_assert_max_num_queries
):
    with django_assert_max_num_queries(5):
        suggest(client, "春晖 3栋")
    with django_assert_max_num_queries(0):
        suggest(client, "春晖  3栋")


def test_place_search_is_one_query_once_the_compound_index_is_current(
    places, django_assert_num_queries
):
    """The picker's uncached suggestion: one round trip (buildings, their grid's workers and
    the compound index's stamp) once the process holds a current index; a search that matches
    no compound is one query too (the stamp)."""
    from django.db import connection

    from grids.selectors import place_search

    place_search("园林 3栋")  # builds the index for this data
    one = 1 if connection.vendor == "postgresql" else 2
    with django_assert_num_queries(one):
        found = place_search("春晖 3栋")
    assert [p["code"] for p in found["places"]] == ["A-CH-3", "B-CH-3"]
    workers = [[(w["name"], w["work_phone"]) for w in p["workers"]] for p in found["places"]]
    assert workers == [[("钱网格", "0412-2235678")], []]
    with django_assert_num_queries(one):
        assert place_search("幸福里 3栋")["problem"] == "no_compound"
    with django_assert_num_queries(one):
        assert place_search("园林 8栋")["problem"] == "no_building"


def test_place_search_sees_a_change_made_behind_its_back(places):
    """The index is checked against the table on every search: a rename by queryset.update
    (no signals), a new alias and a new compound are found at once."""
    from grids.models import Building, Compound
    from grids.selectors import place_search

    assert place_search("园林 3栋")["places"][0]["code"] == "A-YL-3"
    Compound.objects.filter(code="A-YL").update(name="翠湖苑", aliases="老翠湖")
    # No compound is called 园林 any more: the community's name (园林社区) brings both of its
    # compounds' 3号楼, where before the compound's own name brought only its own.
    assert {p["code"] for p in place_search("园林 3栋")["places"]} == {"A-YL-3", "A-CH-3"}
    assert [p["code"] for p in place_search("老翠湖 3栋")["places"]] == ["A-YL-3"]
    new = Compound.objects.create(code="A-XF", name="幸福里", community=places["A-CH-3"].community)
    Building.objects.create(
        code="A-XF-7",
        name="7号楼",
        number="7",
        compound=new,
        community=new.community,
        grid=places["A-CH-3"].grid,
        units=1,
    )
    found = place_search("幸福里 7栋")
    assert [p["code"] for p in found["places"]] == ["A-XF-7"]
    assert [w["name"] for w in found["places"][0]["workers"]] == ["钱网格"]


# -- the report form without JavaScript ----------------------------------------------------------


def test_report_without_js_search_step_then_pick_building_and_unit(client, places):
    from grids.models import Case

    html = client.get("/report/").content.decode()
    assert 'name="place_q"' in html and 'value="search"' in html
    typed = {
        "category": "facilities",
        "description": "楼道灯坏了一个星期",
        "name": "王阿姨",
        "phone": "13912345678",
        "place_q": "春晖 3栋",
        "place_action": "search",
    }
    page = client.post("/report/", {**typed, **challenge_from(html)}).content.decode()
    # The search step keeps what was typed and lists both 春晖 3号楼 to choose from.
    assert "楼道灯坏了一个星期" in page and 'value="13912345678"' in page
    assert 'value="b:A-CH-3"' in page and 'value="b:B-CH-3"' in page
    assert "有 2 处都叫这个名字" in page and "其他地方 · 园林社区" in page
    assert "还有" not in page  # a search step is not a failed submission
    # Submitting without picking one: asked to pick, the list stays.
    sent = {**typed, "place_action": "", **challenge_from(page)}
    again = client.post("/report/", sent).content.decode()
    assert "请在查找结果里选一处地点" in again and 'value="b:B-CH-3"' in again
    # Pick 园林's 春晖家园 3号楼, unit 2, door 302.
    sent = {**sent, "place": "b:A-CH-3", "unit": "2", "door": "302", **challenge_from(again)}
    response = client.post("/report/", sent)
    assert response.status_code == 302, response.content.decode()[:2000]
    case = Case.objects.get()
    assert case.building.code == "A-CH-3" and case.grid.code == "GA2"
    assert case.location.startswith("2单元302室")


def test_report_refuses_a_unit_the_building_does_not_have(client, places):
    html = client.get("/report/").content.decode()
    data = {
        "category": "facilities",
        "description": "楼道灯坏了一个星期",
        "name": "王阿姨",
        "phone": "13912345678",
        "place": "b:A-CH-5",
        "unit": "3",
        **challenge_from(html),
    }
    page = client.post("/report/", data).content.decode()
    assert "春晖家园 5号楼只有 1 个单元" in page


def test_other_place_needs_a_written_location(client, places):
    from grids.models import Case

    html = client.get("/report/").content.decode()
    data = {
        "category": "environment",
        "description": "东门外垃圾没人清",
        "name": "李先生",
        "phone": "13912345670",
        "place": "c:A",
        **challenge_from(html),
    }
    page = client.post("/report/", data).content.decode()
    assert "选了“其他地方”，请在这里写明在哪里" in page
    data.update(location="东门外公交站", **challenge_from(page))
    assert client.post("/report/", data).status_code == 302
    case = Case.objects.get()
    assert case.building is None and case.community.code == "A"


def test_nothing_found_offers_other_place(client, places):
    html = client.get("/report/").content.decode()
    data = {"place_q": "幸福里 3栋", "place_action": "search", **challenge_from(html)}
    page = client.post("/report/", data).content.decode()
    assert "没有找到“幸福里 3栋”" in page and 'value="c:A"' in page


def test_a_link_can_preselect_a_building(client, places):
    page = client.get("/report/", {"place": "b:A-YL-3"}).content.decode()
    assert 'value="b:A-YL-3" data-units="2" checked' in page
    assert '<option value="2">2单元</option>' in page


# -- community page and public names -------------------------------------------------------------


def test_community_search_names_grid_and_worker_of_the_building(client, places):
    html = client.get("/community/", {"q": "园林花园 3栋"}).content.decode()
    results = html.split('id="results"')[1].split("全部社区")[0]
    assert "园林小区 3号楼" in results and "第一网格" in results
    assert "赵网格" in results and "0412-2231234" in results
    assert "13944445555" not in html


def test_community_page_says_which_grid_serves_which_building(client, places):
    html = client.get("/community/A/").content.decode()
    assert "园林小区 3号楼、12号楼" in html and "春晖家园 3号楼、5号楼" in html
    assert "0412-2235678" in html
    assert "园林小区（又叫园林花园）" in html


def test_public_name_is_the_residents_committee_everywhere(client, places):
    for url in ("/", "/community/", "/community/A/", "/report/", "/services/"):
        html = client.get(url).content.decode()
        assert "大党委" not in html, url
    html = client.get("/community/A/").content.decode()
    assert "<h1>园林社区</h1>" in html
