"""Admin writes go through the services: scope, validation and history."""

from grids.models import Grid, Resident


def test_admin_adds_a_grid_in_scope_and_refuses_another_community(
    admin_client_for, users, grids, tree
):
    client = admin_client_for(users["cadre_a"])
    data = {
        "code": "A-S1-G3",
        "name": "第三网格",
        "level": "grid",
        "parent": grids["sector"].pk,
        "community": tree["community_a"].pk,
        "boundary": "",
        "note": "",
        "workers-TOTAL_FORMS": "0",
        "workers-INITIAL_FORMS": "0",
    }
    response = client.post("/admin/grids/grid/add/", data)
    assert response.status_code == 302, response.content.decode()[-2000:]
    assert Grid.objects.get(code="A-S1-G3").parent == grids["sector"]
    data.update(code="A-S1-G4", community=tree["community_b"].pk)
    response = client.post("/admin/grids/grid/add/", data)
    assert response.status_code == 200  # community B is not a valid choice for this user
    assert not Grid.objects.filter(code="A-S1-G4").exists()


def test_admin_resident_bad_id_is_shown_and_nothing_saved(admin_client_for, users, roster):
    client = admin_client_for(users["cadre_a"])
    data = {
        "household": roster["households"]["h2"].pk,
        "name": "新人",
        "relation": "child",
        "resident_type": "registered",
        "id_number": "110105198001010011",
        "phone": "",
        "note": "",
    }
    response = client.post("/admin/grids/resident/add/", data)
    assert response.status_code == 200 and "校验位" in response.content.decode()
    assert not Resident.objects.filter(name="新人").exists()


def test_admin_resident_edit_keeps_masked_values_and_records_history(
    admin_client_for, users, roster
):
    resident = roster["residents"]["r1"]
    client = admin_client_for(users["cadre_a"])
    page = client.get(f"/admin/grids/resident/{resident.pk}/change/").content.decode()
    assert "110105********0016" in page and "110105198001010016" not in page
    response = client.post(
        f"/admin/grids/resident/{resident.pk}/change/",
        {
            "household": resident.household_id,
            "name": "张三丰",
            "relation": "head",
            "resident_type": "registered",
            "id_number": "110105********0016",
            "phone": "138****5678",
            "note": "",
        },
    )
    assert response.status_code == 302, response.content.decode()[-2000:]
    resident.refresh_from_db()
    assert resident.name == "张三丰"
    assert resident.id_number == "110105198001010016" and resident.phone == "13812345678"
    assert resident.history.first().history_user == users["cadre_a"]
