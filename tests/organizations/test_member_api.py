"""Member API: masked always, scoped, reveal logged, constant queries, exports masked."""

import io

import openpyxl
import pytest
from django.contrib.auth.models import Permission

from core.models import SensitiveAccessLog
from organizations.models import Member
from tests.organizations.factories import MemberFactory

pytestmark = pytest.mark.django_db
URL = "/api/v1/members/"


def test_list_is_masked_and_scoped(api, users, members):
    response = api(users["cadre_a"]).get(URL)
    assert response.status_code == 200
    rows = {r["code"]: r for r in response.json()["results"]}
    assert set(rows) == {members[k].code for k in ("a1", "a2", "a_retired")}
    a1 = members["a1"]
    assert rows[a1.code]["id_number"] == a1.id_number[:6] + "********" + a1.id_number[-4:]
    assert rows[a1.code]["phone"] == a1.phone[:3] + "****" + a1.phone[-4:]
    assert rows[a1.code]["work_unit"] == "U-CITY"
    assert a1.id_number not in response.content.decode()


def test_superuser_also_sees_masked_values(api, users, members):
    body = api(users["root"]).get(f"{URL}{members['b1'].code}/").json()
    assert body["id_number"] != members["b1"].id_number
    assert "*" in body["id_number"]


def test_cadre_cannot_read_change_or_delete_other_community(api, users, members):
    client = api(users["cadre_a"])
    code = members["b1"].code
    assert client.get(f"{URL}{code}/").status_code == 404
    assert client.patch(f"{URL}{code}/", {"name": "改名"}, format="json").status_code == 404
    assert client.delete(f"{URL}{code}/").status_code == 404
    assert Member.objects.get(code=code).name == "赵六"


def test_cadre_cannot_create_in_other_community(api, users, tree):
    from datetime import date

    from tests.organizations.factories import make_id_number

    payload = {
        "name": "新党员",
        "gender": "male",
        "id_number": make_id_number(date(1991, 1, 1), 7),
        "category": "resident",
        "branch": "B-01",
    }
    response = api(users["cadre_a"]).post(URL, payload, format="json")
    # B's branch reads as unknown (400), never as forbidden (which would confirm it exists).
    assert response.status_code == 400
    assert "branch" in response.json()["errors"]
    payload["branch"] = "A-01"
    response = api(users["cadre_a"]).post(URL, payload, format="json")
    assert response.status_code == 201, response.json()
    assert response.json()["birth_date"] == "1991-01-01"
    assert response.json()["id_number"].count("*") == 8


def test_api_rejects_bad_id_number_with_field_error(api, users):
    payload = {
        "name": "新党员",
        "gender": "male",
        "id_number": "210302199101010000",
        "category": "resident",
        "branch": "A-01",
    }
    response = api(users["cadre_a"]).post(URL, payload, format="json")
    assert response.status_code == 400
    assert "id_number" in response.json()["errors"]
    assert not Member.objects.exists()


@pytest.mark.parametrize("page_size", [5, 40])
def test_list_query_count_is_constant(api, users, tree, unit, page_size, django_assert_num_queries):
    for i in range(45):
        MemberFactory(branch=tree["branch_a"], work_unit=unit if i % 2 else None)
    client = api(users["cadre_a"])
    # session/auth are forced; the permissions and the scope (one statement, core.authz), the
    # count and the page (with branch and unit joined) are all fixed.
    with django_assert_num_queries(3):
        response = client.get(URL, {"page_size": page_size})
    assert len(response.json()["results"]) == page_size


def test_reveal_needs_permission_and_purpose_and_is_logged(api, users, members):
    code = members["a1"].code
    grid = api(users["grid_a"])  # can view members, has no view_sensitive
    assert grid.post(f"{URL}{code}/reveal/", {"purpose": "入户核实身份"}).status_code == 403
    secretary = api(users["cadre_a"])  # 社区书记 has core.view_sensitive
    assert secretary.post(f"{URL}{code}/reveal/", {"purpose": "查"}).status_code == 400
    response = secretary.post(f"{URL}{code}/reveal/", {"purpose": "办理组织关系转接"})
    assert response.status_code == 200
    assert response.json()["values"]["id_number"] == members["a1"].id_number
    log = SensitiveAccessLog.objects.get()
    assert (log.actor, log.kind, log.target_id, log.purpose) == (
        users["cadre_a"],
        "reveal",
        str(members["a1"].pk),
        "办理组织关系转接",
    )
    assert log.organization == members["a1"].branch
    # The detail stays masked after a reveal.
    assert "*" in secretary.get(f"{URL}{code}/").json()["id_number"]


def test_reveal_of_other_community_is_404(api, users, members):
    response = api(users["cadre_a"]).post(
        f"{URL}{members['b1'].code}/reveal/", {"purpose": "办理组织关系转接"}
    )
    assert response.status_code == 404
    assert not SensitiveAccessLog.objects.exists()


def _xlsx_rows(content):
    sheet = openpyxl.load_workbook(io.BytesIO(content)).worksheets[0]
    return [list(r) for r in sheet.iter_rows(values_only=True)]


def test_export_is_masked_and_scoped(api, users, members):
    response = api(users["cadre_a"]).get(f"{URL}export/", {"file_format": "xlsx"})
    assert response.status_code == 200
    rows = _xlsx_rows(response.content)
    header, data = rows[0], rows[1:]
    assert len(data) == 3
    ids = [r[header.index("身份证号")] for r in data]
    assert all("********" in i for i in ids)
    assert members["b1"].name not in str(data)


def test_unmasked_export_needs_permission_and_is_logged(api, users, members):
    client = api(users["street"])
    denied = client.get(f"{URL}export/", {"unmasked": "1", "purpose": "上报区委组织部"})
    assert denied.status_code == 403
    users["street"].user_permissions.add(
        Permission.objects.get(content_type__app_label="core", codename="export_sensitive")
    )
    users["street"] = type(users["street"]).objects.get(pk=users["street"].pk)
    client = api(users["street"])
    response = client.get(f"{URL}export/", {"unmasked": "1", "purpose": "上报区委组织部"})
    assert response.status_code == 200
    rows = _xlsx_rows(response.content)
    ids = {r[rows[0].index("身份证号")] for r in rows[1:]}
    assert members["b1"].id_number in ids
    log = SensitiveAccessLog.objects.get()
    assert (log.kind, log.row_count, log.purpose) == ("export", 5, "上报区委组织部")
    assert log.organization.code == "S"  # filed under the exporter's scope


def test_member_counts_endpoint(api, users, members):
    response = api(users["street"]).get(f"{URL}counts/", {"root": "A"})
    assert response.status_code == 200
    rows = {r["code"]: r for r in response.json()["results"]}
    assert rows["A"]["member_total"] == 3
    assert rows["A-01"]["member_direct"] == 2
    assert api(users["cadre_b"]).get(f"{URL}counts/", {"root": "A"}).status_code == 400
