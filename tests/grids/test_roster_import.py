"""The household/resident roster import: accepted files, every rejection with its row, and
nothing written unless the whole file is clean."""

import pytest

from core.models import AuditLog
from grids.models import Household, Resident
from grids.roster import RosterImporter
from tests.core.files import csv_bytes, xlsx_bytes
from tests.grids.factories import make_id_number


def pid(n: int) -> str:
    return make_id_number(n, born="19900505")


HEADER = [
    "户编码",
    "网格编码",
    "楼栋编码",
    "微网格编码",
    "门牌号",
    "户主姓名",
    "户人数",
    "姓名",
    "身份证号",
    "电话",
    "与户主关系",
    "人员类型",
    "独居老人",
    "低保",
]


def row(
    household,
    name,
    n,
    *,
    grid="A-S1-G1",
    building="A-B1",
    micro="",
    door="3-201",
    head="孙一",
    size="2",
    relation="户主",
    phone="13811112222",
    kind="户籍人口",
    alone="否",
    low="否",
    id_number=None,
):
    return [
        household,
        grid,
        building,
        micro,
        door,
        head,
        size,
        name,
        id_number or pid(n),
        phone,
        relation,
        kind,
        alone,
        low,
    ]


def good_rows():
    return [
        HEADER,
        row("N-H1", "孙一", 101),
        row("N-H1", "孙二", 102, relation="配偶", phone=""),
        row(
            "N-H2",
            "周一",
            103,
            door="3-202",
            head="周一",
            size="1",
            micro="A-S1-G1-M1",
            alone="是",
            low="是",
        ),
    ]


def counts():
    return Household.objects.count(), Resident.objects.count(), Resident.history.count()


def test_clean_file_imports_households_residents_and_history(users, roster):
    before = counts()
    result = RosterImporter(users["cadre_a"]).run(csv_bytes(good_rows()), "r.csv", dry_run=False)
    assert result.ok, [str(e) for e in result.errors]
    assert result.committed and (result.created, result.updated) == (3, 0)
    assert counts() == (before[0] + 2, before[1] + 3, before[2] + 3)
    h2 = Household.objects.get(code="N-H2")
    assert h2.micro_grid.code == "A-S1-G1-M1" and h2.building.code == "A-B1"
    zhou = h2.residents.get()
    assert zhou.elderly_alone and zhou.low_income and zhou.relation == "head"
    assert zhou.history.get().history_user == users["cadre_a"]
    assert Household.objects.get(code="N-H1").history.get().history_user == users["cadre_a"]
    assert AuditLog.objects.filter(action="grids.roster_import").count() == 1


def test_dry_run_writes_nothing(users, roster):
    before = counts()
    result = RosterImporter(users["cadre_a"]).run(csv_bytes(good_rows()), "r.csv", dry_run=True)
    assert result.ok and not result.committed
    assert [p["action"] for p in result.preview] == ["新增", "新增", "新增"]
    assert "110105" not in str(result.preview)  # previews are masked
    assert counts() == before


def test_gb18030_and_xlsx_files(users, roster):
    gbk = RosterImporter(users["cadre_a"]).run(
        csv_bytes(good_rows(), "gb18030"), "r.csv", dry_run=True
    )
    assert gbk.ok and gbk.created == 3
    xlsx = RosterImporter(users["cadre_a"]).run(
        xlsx_bytes(good_rows(), "户籍花名册"), "r.xlsx", dry_run=True
    )
    assert xlsx.ok and xlsx.created == 3


def test_reimport_updates_in_place(users, roster):
    RosterImporter(users["cadre_a"]).run(csv_bytes(good_rows()), "r.csv", dry_run=False)
    rows = good_rows()
    rows[1][9] = "13999998888"
    before = counts()
    result = RosterImporter(users["cadre_a"]).run(csv_bytes(rows), "r.csv", dry_run=False)
    assert result.ok and (result.created, result.updated, result.unchanged) == (0, 1, 2)
    assert result.changes[0]["fields"] == [
        {"column": "电话", "old": "138****2222", "new": "139****8888"}
    ]
    assert counts()[:2] == before[:2]
    assert Resident.objects.get(id_number=pid(101)).phone == "13999998888"
    assert counts()[2] == before[2] + 1  # a history row for the one changed resident only


@pytest.mark.parametrize(
    "bad_row, column, message",
    [
        (row("N-H3", "吴一", 104, grid="NOPE"), "网格编码", "找不到网格“NOPE”"),
        (row("N-H3", "吴一", 104, building="NOPE"), "楼栋编码", "找不到楼栋“NOPE”"),
        (row("N-H3", "吴一", 104, grid="A-S1-G2"), "楼栋编码", "不在网格“A-S1-G2”中"),
        (row("N-H3", "吴一", 104, grid="B-G1", building="B-B1"), "网格编码", "找不到网格“B-G1”"),
        (row("N-H3", "吴一", 104, grid="A-S1", building=""), "网格编码", "不是“网格”层级"),
        (row("N-H3", "吴一", 104, micro="A-S1-G2"), "微网格编码", "不是网格“A-S1-G1”下的微网格"),
        (row("N-H3", "吴一", 104, id_number=pid(104)[:-1] + "Y"), "身份证号", "末位为数字或 X"),
        (row("N-H3", "吴一", 104, id_number="110105198013010016"), "身份证号", "出生日期无效"),
        (row("N-H3", "吴一", 104, id_number=pid(101)), "身份证号", "与第 2 行重复"),
        (row("N-H3", "吴一", 104, id_number="110105198001010016"), "身份证号", "已登记在户“A-H1”"),
        (row("N-H1", "吴一", 104, door="9-999"), "户编码", "与第 2 行不一致"),
        (row("N-H3", "吴一", 104, relation="邻居"), "与户主关系", "不是有效选项"),
        (row("N-H3", "吴一", 104, phone="12345"), "电话", "电话号码格式不正确"),
        (row("N-H3", "", 104), "姓名", "必填"),
        (row("N-H3", "=HYPERLINK(1)", 104), "姓名", "不接受公式"),
    ],
)
def test_bad_rows_are_reported_and_nothing_is_written(users, roster, bad_row, column, message):
    before = counts()
    rows = [*good_rows(), bad_row]
    result = RosterImporter(users["cadre_a"]).run(csv_bytes(rows), "r.csv", dry_run=False)
    assert not result.committed
    texts = [str(e) for e in result.errors]
    assert any(e.row == 5 and e.column == column and message in e.message for e in result.errors), (
        texts
    )
    assert all(t.startswith("第 5 行") for t in texts), texts
    assert counts() == before


def test_checksum_error_is_reported(users, roster):
    good = pid(104)
    wrong = good[:-1] + ("1" if good[-1] != "1" else "2")
    result = RosterImporter(users["cadre_a"]).run(
        csv_bytes([*good_rows(), row("N-H3", "吴一", 0, id_number=wrong)]), "r.csv", dry_run=True
    )
    assert [str(e) for e in result.errors] == ["第 5 行 身份证号: 身份证号校验位不正确。"]


def test_existing_household_of_another_community_is_refused(users, roster):
    rows = [HEADER, row("B-H1", "吴一", 104)]
    result = RosterImporter(users["cadre_a"]).run(csv_bytes(rows), "r.csv", dry_run=False)
    # Answered like any code in use: not whose it is.
    assert any("B-H1" in str(e) and "已被使用" in str(e) for e in result.errors)
    assert Household.objects.get(code="B-H1").grid.code == "B-G1"


@pytest.mark.parametrize(
    "content, message",
    [
        (b"", "文件为空"),
        ("户编码,姓名\nX,甲\n".encode(), "缺少必填列"),
        (b"\xff\xfe\x00\x00garbage\x00", "编码无法识别"),
    ],
)
def test_unreadable_files_are_rejected(users, roster, content, message):
    result = RosterImporter(users["cadre_a"]).run(content, "r.csv", dry_run=True)
    assert message in str(result.errors[0])


def test_api_import_then_confirm(api, users, roster):
    from django.core.files.uploadedfile import SimpleUploadedFile

    client = api(users["cadre_a"])
    upload = lambda: SimpleUploadedFile("r.csv", csv_bytes(good_rows()))  # noqa: E731
    preview = client.post("/api/v1/households/import/", {"file": upload()}, format="multipart")
    assert preview.status_code == 200 and preview.json()["committed"] is False
    assert not Household.objects.filter(code="N-H1").exists()
    done = client.post(
        "/api/v1/households/import/", {"file": upload(), "dry_run": "false"}, format="multipart"
    )
    assert done.status_code == 200 and done.json()["created"] == 3
    assert Household.objects.filter(code__in=["N-H1", "N-H2"]).count() == 2


def test_admin_import_preview_and_confirm(admin_client_for, users, roster):
    from django.core.files.uploadedfile import SimpleUploadedFile

    client = admin_client_for(users["cadre_a"])
    page = client.post(
        "/admin/grids/household/import/",
        {"file": SimpleUploadedFile("r.csv", csv_bytes(good_rows()))},
    )
    assert page.status_code == 200
    context = page.context
    assert context["result"].ok
    response = client.post(
        "/admin/grids/household/import/",
        {"token": context["token"], "digest": context["digest"], "filename": "r.csv"},
    )
    assert response.status_code == 302
    assert Resident.objects.filter(id_number=pid(103)).exists()


def test_roster_template_has_chinese_headers(users, roster):
    content = RosterImporter(users["cadre_a"]).template("csv").decode("utf-8-sig")
    assert content.splitlines()[0].startswith("*户编码,*网格编码,楼栋编码")


def test_long_and_invalid_household_codes_fail_in_the_dry_run_not_in_copy(api, users, roster):
    from django.core.files.uploadedfile import SimpleUploadedFile

    before = counts()
    for code, message in (("H" * 308, "不能超过 64 个字符"), ("N H/3", "编码只能包含")):
        rows = [*good_rows(), row(code, "吴一", 104)]
        preview = RosterImporter(users["cadre_a"]).run(csv_bytes(rows), "r.csv", dry_run=True)
        assert len(preview.errors) == 1
        assert str(preview.errors[0]).startswith(f"第 5 行 户编码: {message}")
        response = api(users["cadre_a"]).post(
            "/api/v1/households/import/",
            {"file": SimpleUploadedFile("r.csv", csv_bytes(rows)), "dry_run": "false"},
            format="multipart",
        )
        assert response.status_code == 400
        assert response.json()["errors"][0]["message"].startswith(f"第 5 行 户编码: {message}")
    assert counts() == before


def test_full_width_id_number_updates_the_stored_resident(users, roster):
    stored = Resident.objects.select_related("household").first()
    typed = stored.id_number.translate(str.maketrans("0123456789X", "０１２３４５６７８９Ｘ"))
    household = stored.household
    rows = [
        HEADER,
        row(
            household.code,
            "改名",
            0,
            id_number=typed,
            grid=household.grid.code,
            building=household.building.code if household.building_id else "",
            micro=household.micro_grid.code if household.micro_grid_id else "",
            door=household.door_number,
            head=household.head_name,
            size=str(household.size),
        ),
    ]
    before = Resident.objects.count()
    result = RosterImporter(users["cadre_a"]).run(csv_bytes(rows), "r.csv", dry_run=False)
    assert result.committed, result.errors
    assert (result.created, result.updated) == (0, 1)
    assert Resident.objects.count() == before
    stored.refresh_from_db()
    assert stored.name == "改名"


def test_full_width_codes_are_written_as_ascii(users, roster):
    # Both passes (validate, then write) read the codes the same way.
    wide = str.maketrans("ABGHNS-0123456789", "ＡＢＧＨＮＳ－０１２３４５６７８９")
    rows = [HEADER, row("N-H9".translate(wide), "吴九", 109, grid="A-S1-G1".translate(wide))]
    result = RosterImporter(users["cadre_a"]).run(csv_bytes(rows), "r.csv", dry_run=False)
    assert result.committed, result.errors
    household = Household.objects.get(code="N-H9")
    assert household.grid.code == "A-S1-G1"
    assert Resident.objects.filter(household=household, id_number=pid(109)).exists()
