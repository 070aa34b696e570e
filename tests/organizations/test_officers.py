"""Officers (骨干任职) on party nodes, buildings and grids: node-kind rules, one holder per
single post (service, import, admin, concurrent writers), scope, vacancies, files, portal."""

import threading
import time
from datetime import date, timedelta

import pytest
from django.db import connection, connections
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from organizations.importers import OfficerImporter
from organizations.models import Officer
from organizations.selectors import officers_visible_to, public_officers, vacant_nodes
from organizations.services import officer_create
from tests.core.files import csv_bytes
from tests.grids.conftest import grids, roster  # noqa: F401  (fixtures)
from tests.organizations.factories import MemberFactory

pytestmark = pytest.mark.django_db
URL = "/api/v1/officers/"
HEADER = ["任职编号", "所在组织编码", "职务", "楼栋编码", "单元", "网格编码", "姓名", "党员编号",
          "居民编号", "联系电话", "任期开始", "任期结束", "备注"]  # fmt: skip


def secretary(org, name="王书记", start=date(2024, 1, 1), end=None, **kw):
    return Officer.objects.create(
        organization=org,
        position="secretary",
        person_name=name,
        term_start=start,
        term_end=end,
        **kw,
    )


def post(client, **data):
    payload = {"person_name": "李四", "term_start": "2025-01-01", **data}
    return client.post(URL, payload, format="json")


# ---------------------------------------------------------------- rules through the API


def test_api_creates_a_secretary_with_a_readable_code_and_audit(api, users, tree):
    from core.models import AuditLog

    response = post(api(users["cadre_a"]), organization="A-01", position="secretary")
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["code"].startswith("ZW-A-") and body["is_current"] is True
    assert AuditLog.objects.filter(action="officer.create").count() == 1


@pytest.mark.parametrize(
    "data, field, words",
    [
        ({"organization": "A-01", "position": "group_leader"}, "position", "楼栋党小组"),
        ({"organization": "A-01-B1", "position": "secretary"}, "position", "只能设在"),
        ({"organization": "A", "position": "household_head"}, "position", "党员中心户"),
        ({"organization": "A", "position": "building_leader"}, "building", "须填写楼栋"),
        ({"organization": "A", "position": "resident_group_leader"}, "grid", "须填写所在网格"),
    ],
)
def test_position_on_the_wrong_kind_of_node_is_refused(api, users, tree, data, field, words):
    response = post(api(users["cadre_a"]), **data)
    assert response.status_code == 400
    errors = response.json()["errors"]
    assert words in str(errors[field]), errors
    assert not Officer.objects.exists()


def test_two_secretaries_at_once_are_refused_until_the_first_term_ends(api, users, tree):
    client = api(users["cadre_a"])
    first = post(client, organization="A-01", position="secretary", person_name="甲")
    assert first.status_code == 201
    second = post(client, organization="A-01", position="secretary", person_name="乙")
    assert second.status_code == 400
    assert "已有 甲" in str(second.json()["errors"]["term_start"]), second.json()
    # Deputies and committee members may be many.
    for name in ("丙", "丁"):
        assert (
            post(
                client, organization="A-01", position="committee_member", person_name=name
            ).status_code
            == 201
        )
    # End the first term; the successor starts the next day.
    code = first.json()["code"]
    assert (
        client.patch(f"{URL}{code}/", {"term_end": "2025-06-30"}, format="json").status_code == 200
    )
    later = post(
        client, organization="A-01", position="secretary", person_name="乙", term_start="2025-07-01"
    )
    assert later.status_code == 201, later.json()
    # A back-dated third one that overlaps either is refused.
    clash = post(
        client,
        organization="A-01",
        position="secretary",
        person_name="戊",
        term_start="2025-06-01",
        term_end="2025-06-15",
    )
    assert clash.status_code == 400
    assert Officer.objects.filter(position="secretary").count() == 2


def test_database_keeps_one_open_ended_holder_whatever_the_writer(tree):
    from django.db import IntegrityError, transaction

    secretary(tree["branch_a"])
    with pytest.raises(IntegrityError), transaction.atomic():
        Officer.objects.create(
            organization=tree["branch_a"], position="secretary", person_name="又一个",
            term_start=date(2025, 1, 1), code="ZW-X-1",
        )  # fmt: skip


def test_out_of_scope_member_or_node_reads_as_unknown(api, users, tree):
    member_b = MemberFactory(branch=tree["branch_b"])
    client = api(users["cadre_a"])
    response = post(client, organization="A-01", position="secretary", member=member_b.code)
    assert response.status_code == 400
    unknown = post(client, organization="A-01", position="secretary", member="NOPE")
    assert response.json()["errors"]["member"] == [
        m.replace("NOPE", member_b.code) for m in unknown.json()["errors"]["member"]
    ]
    other = post(client, organization="B-01", position="secretary")
    nothing = post(client, organization="ZZZ", position="secretary")
    assert other.status_code == nothing.status_code == 400
    assert other.json()["errors"]["organization"] == [
        m.replace("ZZZ", "B-01") for m in nothing.json()["errors"]["organization"]
    ]
    assert not Officer.objects.exists()


def test_building_and_unit_leaders_take_their_community_from_the_building(api, users, roster):  # noqa: F811
    from grids.models import Building

    Building.objects.filter(code="A-B1").update(units=2)
    client = api(users["cadre_a"])
    response = post(client, position="building_leader", building="A-B1")
    assert response.status_code == 201, response.json()
    assert response.json()["organization"] == "A"
    assert post(client, position="building_leader", building="A-B1").status_code == 400
    assert post(client, position="unit_leader", building="A-B1", unit_number=1).status_code == 201
    too_far = post(client, position="unit_leader", building="A-B1", unit_number=3)
    assert too_far.status_code == 400 and "只有 2 个单元" in str(too_far.json()["errors"])
    group = post(client, position="resident_group_leader", grid="A-S1-G1-M1")
    assert group.status_code == 201, group.json()
    sector = post(client, position="resident_group_leader", grid="A-S1")
    assert sector.status_code == 400
    # A resident of community B cannot be picked by A's cadre.
    resident_b = roster["residents"]["rb1"] if "rb1" in roster["residents"] else None
    if resident_b is not None:
        refused = post(
            client, position="building_leader", building="A-B2", resident=resident_b.code
        )
        assert refused.status_code == 400


def test_officer_list_is_scoped_and_its_query_count_constant(
    api, users, tree, django_assert_num_queries
):
    member = MemberFactory(branch=tree["branch_a"])
    secretary(tree["branch_a"], member=member)
    secretary(tree["branch_b"], name="B书记")
    client_b = api(users["cadre_b"])
    assert [o["person_name"] for o in client_b.get(URL).json()["results"]] == ["B书记"]
    assert (
        client_b.get(f"{URL}{Officer.objects.get(organization=tree['branch_a']).code}/").status_code
        == 404
    )
    client = api(users["street"])
    client.get(URL)
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(URL).json()["count"] == 2
    for i in range(20):
        Officer.objects.create(
            organization=tree["community_a"], position="committee_member", person_name=f"委员{i}",
            term_start=date(2024, 1, 1), member=MemberFactory(branch=tree["branch_a"]),
        )  # fmt: skip
    with django_assert_num_queries(len(ctx.captured_queries)):
        assert client.get(URL).json()["count"] == 22


def test_phone_is_masked_in_the_api(api, users, tree):
    secretary(tree["branch_a"], phone="13812345678")
    row = api(users["cadre_a"]).get(URL).json()["results"][0]
    assert row["phone"] != "13812345678" and "****" in row["phone"]


# ---------------------------------------------------------------- concurrency


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(
    connection.vendor != "postgresql", reason="needs PostgreSQL: concurrent transactions"
)
def test_two_secretaries_assigned_at_once_make_one(tree, users, monkeypatch):
    """Dated terms (no partial index can help): the service locks the branch row, so the
    second writer waits, then sees the first's secretary and is refused."""
    from organizations.services import officers as officer_services

    real = officer_services.officer_clash_errors

    def slow(officer):
        errors = real(officer)
        time.sleep(0.5)  # the other writer reaches the lock meanwhile
        return errors

    monkeypatch.setattr(officer_services, "officer_clash_errors", slow)
    start = threading.Barrier(2, timeout=20)
    results = {}

    def assign(n):
        try:
            start.wait()
            officer = officer_create(
                actor=users["street"],
                data={
                    "organization": tree["branch_a"],
                    "position": "secretary",
                    "person_name": f"书记{n}",
                    "term_start": date(2025, 1, 1),
                    "term_end": date(2027, 12, 31),
                },
            )
            results[n] = officer.code
        except Exception as exc:  # asserted below
            results[n] = exc
        finally:
            connections.close_all()

    threads = [threading.Thread(target=assign, args=(n,)) for n in (1, 2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    failures = [r for r in results.values() if not isinstance(r, str)]
    assert len(failures) == 1, results
    assert "同一时间只能有一位书记" in str(failures[0])
    assert Officer.objects.filter(organization=tree["branch_a"], position="secretary").count() == 1


# ---------------------------------------------------------------- files


def test_import_writes_officers_and_refuses_clashes_in_file_and_database(users, tree, roster):  # noqa: F811
    member = MemberFactory(branch=tree["branch_a"], code="DY-OK")
    rows = [
        HEADER,
        ["", "A-01", "书记", "", "", "", "甲", "DY-OK", "", "", "2024-01-01", "", ""],
        ["", "A-01", "组织委员", "", "", "", "乙", "", "", "", "2024-01-01", "", ""],
        ["", "A-01-B1", "党小组长", "", "", "", "丙", "", "", "", "2024-01-01", "", ""],
        ["", "", "楼栋长", "A-B1", "", "", "丁", "", "", "", "2024-01-01", "", ""],
    ]
    result = OfficerImporter(users["cadre_a"]).run(csv_bytes(rows), "o.csv", dry_run=False)
    assert not result.errors, result.errors
    assert result.created == 4
    assert Officer.objects.get(person_name="丁").organization == tree["community_a"]
    assert Officer.objects.get(person_name="甲").member == member
    # Again: every single post now clashes with the stored terms; nothing written.
    again = [HEADER, *[r[:1] + r[1:6] + [r[6] + "2"] + r[7:] for r in rows[1:]]]
    result = OfficerImporter(users["cadre_a"]).run(csv_bytes(again), "o.csv", dry_run=False)
    assert len(result.errors) == 4 and all("已有" in e.message for e in result.errors)
    assert Officer.objects.count() == 4


def test_import_reports_bad_rows_and_writes_nothing(users, tree, roster):  # noqa: F811
    rows = [
        HEADER,
        ["", "A-02", "书记", "", "", "", "未知组织", "", "", "", "2024-01-01", "", ""],
        ["", "B-01", "书记", "", "", "", "越界", "", "", "", "2024-01-01", "", ""],
        ["", "A-01", "党小组长", "", "", "", "错节点", "", "", "", "2024-01-01", "", ""],
        ["", "A-01", "书记", "", "", "", "倒序", "", "", "", "2024-06-01", "2024-01-01", ""],
    ]
    result = OfficerImporter(users["cadre_a"]).run(csv_bytes(rows), "o.csv", dry_run=False)
    by_row = {e.row: e.message for e in result.errors}
    assert "找不到" in by_row[2] and "找不到" in by_row[3]
    assert "只能设在" in by_row[4]
    assert "早于开始日期" in by_row[5]
    twice = [
        HEADER,
        ["", "A-01-B1", "党小组长", "", "", "", "重", "", "", "", "2024-01-01", "", ""],
        ["", "A-01-B1", "党小组长", "", "", "", "复", "", "", "", "2024-06-01", "", ""],
    ]
    result = OfficerImporter(users["cadre_a"]).run(csv_bytes(twice), "o.csv", dry_run=False)
    assert [(e.row, "第 2 行" in e.message) for e in result.errors] == [(3, True)]
    assert not Officer.objects.exists()


def test_export_reimports_unchanged(users, tree):
    secretary(tree["branch_a"], phone="13812345678")
    importer = OfficerImporter(users["cadre_a"])
    data = importer.export(officers_visible_to(users["cadre_a"]), "csv")
    content = data if isinstance(data, bytes) else data[0]
    result = OfficerImporter(users["cadre_a"]).run(content, "o.csv", dry_run=True)
    assert not result.errors and result.created == 0, result.errors


# ---------------------------------------------------------------- admin


def test_admin_add_change_and_clash_message(admin_client_for, users, tree):
    client = admin_client_for(users["cadre_a"])
    url = reverse("admin:organizations_officer_add")
    form = {
        "code": "", "position": "secretary", "organization": tree["branch_a"].pk,
        "person_name": "甲", "phone": "", "term_start": "2024-01-01", "term_end": "", "note": "",
    }  # fmt: skip
    assert client.post(url, form).status_code == 302
    response = client.post(url, {**form, "person_name": "乙"})
    assert response.status_code == 200
    assert "同一时间只能有一位书记" in response.content.decode(), response.context[
        "adminform"
    ].form.errors
    assert Officer.objects.count() == 1
    wrong = client.post(url, {**form, "organization": tree["group_a"].pk, "person_name": "丙"})
    assert wrong.status_code == 200 and "只能设在" in wrong.content.decode()
    changelist = client.get(reverse("admin:organizations_officer_changelist"))
    assert changelist.status_code == 200 and "骨干空缺" in changelist.content.decode()


def test_tree_page_and_node_page_show_current_officers(admin_client_for, users, tree):
    secretary(tree["branch_a"], name="现任甲")
    secretary(tree["community_a"], name="往任乙", start=date(2020, 1, 1), end=date(2021, 1, 1))
    client = admin_client_for(users["cadre_a"])
    page = client.get(reverse("admin:organizations_organization_changelist")).content.decode()
    assert "书记 现任甲" in page and "往任乙" not in page
    node = client.get(
        reverse("admin:organizations_organization_change", args=[tree["branch_a"].pk])
    )
    assert node.status_code == 200 and "现任甲" in node.content.decode()


# ---------------------------------------------------------------- vacancies, portal


def test_vacancies_count_nodes_without_a_current_holder(api, users, tree):
    from organizations.models import Organization

    secretary(tree["branch_a"])
    secretary(tree["community_a"], start=date(2020, 1, 1), end=date.today() - timedelta(days=1))
    vacant = set(
        vacant_nodes(Organization.objects.visible_to(users["cadre_a"])).values_list(
            "code", flat=True
        )
    )
    assert vacant == {"A", "A-01-B1"}
    rows = api(users["cadre_a"]).get(f"{URL}vacancies/").json()
    assert {(r["code"], r["missing"]) for r in rows} == {("A", "书记"), ("A-01-B1", "党小组长")}


def test_community_page_shows_party_officers_names_not_phones(client, tree):
    from django.core.cache import cache

    cache.clear()
    secretary(tree["community_a"], name="刘书记", phone="13812345678")
    secretary(tree["branch_a"], name="赵书记")
    assert [r["node"] for r in public_officers(tree["community_a"])] == [
        tree["community_a"].name,
        tree["branch_a"].name,
    ]
    page = client.get(reverse("portal:community_detail", args=["A"])).content.decode()
    assert "书记 刘书记" in page and "赵书记" in page
    assert "13812345678" not in page and "5678" not in page


def test_appointment_kinds_include_the_new_commissioners(api, users, tree):
    client = api(users["cadre_a"])
    for kind in ("public_health", "legal", "grid_instructor"):
        response = client.post(
            "/api/v1/standing-appointments/",
            {"community": "A", "kind": kind, "person_name": "专员", "start_date": "2026-01-01"},
            format="json",
        )
        assert response.status_code == 201, response.json()
    from organizations.importers import StandingAppointmentImporter

    header = [
        "任职编号",
        "社区编码",
        "职务",
        "姓名",
        "联系电话",
        "派出单位",
        "任职开始",
        "任职结束",
    ]
    rows = [header, ["", "A", "网格指导员", "指导员", "", "", "2026-01-01", ""]]
    result = StandingAppointmentImporter(users["cadre_a"]).run(
        csv_bytes(rows), "a.csv", dry_run=False
    )
    assert result.committed, [str(e) for e in result.errors]
