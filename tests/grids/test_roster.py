"""Buildings, households, residents: invariants, scope, masking, history, query counts."""

import pytest
from django.core.exceptions import ValidationError

from core.models import AuditLog, SensitiveAccessLog
from grids.models import Building, Household, Resident
from grids.services.grid import roster_create, roster_update
from tests.grids.factories import HouseholdFactory, ResidentFactory, make_id_number


def test_building_in_one_community_cannot_take_a_grid_of_another(users, grids, tree):
    with pytest.raises(ValidationError) as exc:
        roster_create(
            actor=users["root"],
            model=Building,
            data={
                "code": "X-B",
                "name": "x",
                "community": tree["community_a"],
                "grid": grids["gb"],
            },
        )
    assert "不一致" in exc.value.message_dict["grid"][0]
    assert not Building.objects.filter(code="X-B").exists()


def test_building_only_in_grid_level(users, grids, tree):
    with pytest.raises(ValidationError) as exc:
        roster_create(
            actor=users["cadre_a"],
            model=Building,
            data={
                "code": "X-B",
                "name": "x",
                "community": tree["community_a"],
                "grid": grids["sector"],
            },
        )
    assert "网格" in exc.value.message_dict["grid"][0]


def test_household_building_must_be_in_its_grid(users, roster, grids):
    with pytest.raises(ValidationError) as exc:
        roster_create(
            actor=users["cadre_a"],
            model=Household,
            data={
                "code": "X-H",
                "grid": grids["g2"],
                "building": roster["buildings"]["b1"],
                "door_number": "1-101",
                "head_name": "甲",
            },
        )
    assert "building" in exc.value.message_dict


def test_household_micro_grid_must_be_under_its_grid(users, roster, grids):
    with pytest.raises(ValidationError) as exc:
        roster_create(
            actor=users["cadre_a"],
            model=Household,
            data={
                "code": "X-H",
                "grid": grids["g2"],
                "micro_grid": grids["micro"],
                "door_number": "1-101",
                "head_name": "甲",
            },
        )
    assert "micro_grid" in exc.value.message_dict


def test_household_outside_scope_is_refused(users, roster, grids):
    with pytest.raises(ValidationError):
        roster_create(
            actor=users["cadre_b"],
            model=Household,
            data={"code": "X-H", "grid": grids["g1"], "door_number": "1", "head_name": "甲"},
        )
    assert not Household.objects.filter(code="X-H").exists()


def test_resident_id_checksum_is_checked(users, roster):
    bad = make_id_number(7)[:-1] + ("0" if make_id_number(7)[-1] != "0" else "1")
    with pytest.raises(ValidationError) as exc:
        roster_create(
            actor=users["cadre_a"],
            model=Resident,
            data={
                "household": roster["households"]["h2"],
                "name": "甲",
                "id_number": bad,
                "relation": "child",
            },
        )
    assert "校验位" in exc.value.message_dict["id_number"][0]


def test_resident_cannot_be_in_two_households(users, roster):
    with pytest.raises(ValidationError) as exc:
        roster_create(
            actor=users["cadre_a"],
            model=Resident,
            data={
                "household": roster["households"]["h2"],
                "name": "张三",
                "id_number": "110105198001010016",
                "relation": "child",
            },
        )
    assert "已登记在其他户" in str(exc.value)
    assert Resident.objects.filter(id_number="110105198001010016").count() == 1


def test_resident_birth_date_and_gender_come_from_the_id(users, roster):
    resident = roster_create(
        actor=users["cadre_a"],
        model=Resident,
        data={
            "household": roster["households"]["h2"],
            "name": "新居民",
            "id_number": make_id_number(12, born="19520315").lower(),
            "relation": "parent",
            "elderly_alone": True,
        },
    )
    assert str(resident.birth_date) == "1952-03-15"
    assert resident.gender == "female"  # sequence 012: even
    assert resident.care_flags == ["独居老人"]
    assert resident.code.startswith("R") and len(resident.code) == 16


def test_changes_are_kept_in_history_with_user(users, roster):
    resident = roster["residents"]["r2"]
    roster_update(actor=users["cadre_a"], instance=resident, data={"phone": "13700000000"})
    latest = resident.history.first()
    assert latest.history_type == "~"
    assert latest.history_user == users["cadre_a"]
    assert latest.phone == "13700000000"
    household = roster["households"]["h2"]
    roster_update(actor=users["cadre_a"], instance=household, data={"size": 5})
    assert household.history.first().history_user == users["cadre_a"]
    assert AuditLog.objects.filter(action="resident.update", actor=users["cadre_a"]).count() == 1


# ---------------------------------------------------------------- API


def test_api_residents_are_masked_and_scoped(api, users, roster):
    response = api(users["cadre_a"]).get("/api/v1/residents/")
    assert response.status_code == 200
    rows = response.json()["results"]
    assert {r["household"] for r in rows} == {"A-H1", "A-H2", "A-H3", "A-H4"}
    zhang = next(r for r in rows if r["name"] == "张三")
    assert zhang["id_number"] == "110105********0016"
    assert zhang["phone"] == "138****5678"
    assert "110105198001010016" not in response.content.decode()


def test_api_other_communitys_resident_is_404(api, users, roster):
    code = roster["residents"]["rb"].code
    assert api(users["cadre_a"]).get(f"/api/v1/residents/{code}/").status_code == 404
    assert api(users["cadre_b"]).get(f"/api/v1/residents/{code}/").status_code == 200


def test_api_reveal_needs_permission_and_is_logged(api, users, roster):
    code = roster["residents"]["r1"].code
    denied = api(users["cadre_b"]).post(
        f"/api/v1/residents/{code}/reveal/", {"purpose": "核实身份信息"}
    )
    assert denied.status_code == 404
    ok = api(users["cadre_a"]).post(
        f"/api/v1/residents/{code}/reveal/", {"purpose": "核实身份信息"}
    )
    assert ok.status_code == 200
    assert ok.json()["values"]["id_number"] == "110105198001010016"
    assert SensitiveAccessLog.objects.filter(actor=users["cadre_a"], kind="reveal").count() == 1


def test_api_create_resident_in_other_community_is_refused(api, users, roster):
    response = api(users["cadre_b"]).post(
        "/api/v1/residents/",
        {"household": "A-H2", "name": "甲", "id_number": make_id_number(55), "relation": "child"},
        format="json",
    )
    # The same answer as for an unknown household: A's household does not exist for B.
    assert response.status_code == 400
    assert "household" in response.json()["errors"]
    assert not Resident.objects.filter(id_number=make_id_number(55)).exists()


def test_api_create_household_with_mismatched_building(api, users, roster):
    response = api(users["cadre_a"]).post(
        "/api/v1/households/",
        {
            "code": "X-H9",
            "grid": "A-S1-G2",
            "building": "A-B1",
            "door_number": "9",
            "head_name": "甲",
        },
        format="json",
    )
    assert response.status_code == 400
    assert "building" in response.json()["errors"]


def test_api_household_contacts(api, users, roster):
    response = api(users["cadre_a"]).get("/api/v1/households/A-H1/contacts/")
    assert response.status_code == 200
    workers = response.json()["grid_workers"]
    assert {w["name"] for w in workers} == {"王网格长", "赵专职"}
    assert all("****" in w["phone"] for w in workers)


def _grow(roster, n):
    for _ in range(n):
        ResidentFactory(household=HouseholdFactory(building=roster["buildings"]["b1"]))


@pytest.mark.parametrize("page_size", [3, 12])
def test_resident_list_constant_queries(api, users, roster, django_assert_num_queries, page_size):
    _grow(roster, 12)
    client = api(users["cadre_a"])
    # permissions and scope (one statement, core.authz) + count + page
    with django_assert_num_queries(3):
        response = client.get(f"/api/v1/residents/?page_size={page_size}")
    assert len(response.json()["results"]) == page_size


@pytest.mark.parametrize("page_size", [3, 12])
def test_household_list_constant_queries(api, users, roster, django_assert_num_queries, page_size):
    _grow(roster, 12)
    client = api(users["cadre_a"])
    # permissions and scope (one statement, core.authz) + count + page
    with django_assert_num_queries(3):
        response = client.get(f"/api/v1/households/?page_size={page_size}")
    assert len(response.json()["results"]) == page_size


# ---------------------------------------------------------------- export


def test_export_masked_by_default_and_unmasked_only_with_permission(api, users, roster):
    masked = api(users["cadre_a"]).get("/api/v1/residents/export/?file_format=csv")
    text = masked.content.decode("utf-8-sig")
    assert "110105********0016" in text and "110105198001010016" not in text
    assert "李四" not in text  # other community
    refused = api(users["cadre_a"]).get(
        "/api/v1/residents/export/?file_format=csv&unmasked=1&purpose=年度核查"
    )
    assert refused.status_code == 403
    full = api(users["root"]).get(
        "/api/v1/residents/export/?file_format=csv&unmasked=1&purpose=年度核查"
    )
    assert "110105198001010016" in full.content.decode("utf-8-sig")
    assert SensitiveAccessLog.objects.filter(kind="export").count() == 1


def test_roster_export_is_masked_and_scoped(api, users, roster):
    text = (
        api(users["cadre_b"])
        .get("/api/v1/households/export/?file_format=csv")
        .content.decode("utf-8-sig")
    )
    assert "B-H1" in text and "A-H1" not in text
    assert "139****1111" in text and "13900001111" not in text


# ---------------------------------------------------------------- admin


def test_admin_lists_are_masked_and_scoped(admin_client_for, users, roster):
    client = admin_client_for(users["cadre_a"])
    page = client.get("/admin/grids/resident/").content.decode()
    assert "110105********0016" in page and "110105198001010016" not in page
    assert "李四" not in page
    other = roster["residents"]["rb"]
    assert client.get(f"/admin/grids/resident/{other.pk}/change/").status_code == 404
    assert client.get(f"/admin/grids/resident/{other.pk}/history/").status_code in (403, 404)


def test_admin_household_page_shows_central_household_and_grid_worker(
    admin_client_for, users, roster, tree
):
    from grids.services.visits import central_link_create
    from tests.factories import OrganizationFactory

    central = OrganizationFactory(
        code="A-01-B1-H1", name="1号楼党员中心户", kind="central_household", parent=tree["group_a"]
    )
    central.refresh_from_db()
    central_link_create(
        actor=users["cadre_a"], organization=central, household=roster["households"]["h1"]
    )
    page = (
        admin_client_for(users["cadre_a"])
        .get(f"/admin/grids/household/{roster['households']['h1'].pk}/change/")
        .content.decode()
    )
    assert "1号楼党员中心户" in page
    assert "王网格长" in page and "赵专职" in page
    assert "110105********0016" in page and "110105198001010016" not in page


@pytest.mark.parametrize(
    "url",
    [
        "/admin/grids/grid/",
        "/admin/grids/gridworker/",
        "/admin/grids/building/",
        "/admin/grids/household/",
        "/admin/grids/resident/",
        "/admin/grids/case/",
        "/admin/grids/visitlog/",
        "/admin/grids/centralhouseholdlink/",
        "/admin/grids/case/add/",
        "/admin/grids/household/add/",
        "/admin/grids/grid/import/",
        "/admin/grids/household/import/",
    ],
)
def test_admin_pages_open(admin_client_for, users, roster, url):
    assert admin_client_for(users["cadre_a"]).get(url).status_code == 200


def test_admin_grid_list_shows_counts_and_other_communities_hidden(admin_client_for, users, roster):
    page = admin_client_for(users["cadre_a"]).get("/admin/grids/grid/").content.decode()
    assert "第一网格" in page and "胜利第一网格" not in page
