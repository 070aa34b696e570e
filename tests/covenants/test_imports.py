import pytest

from core.models import AuditLog
from covenants.importers import NeedImporter, PartnerUnitImporter, ResourceImporter
from covenants.models import Need, PartnerUnit, UnitPartnership
from covenants.selectors import units_visible_to
from tests.core.files import csv_bytes, read_xlsx, xlsx_bytes
from tests.covenants.factories import credit_code

pytestmark = pytest.mark.django_db

HEADER = [
    "单位编码", "单位名称", "统一社会信用代码", "单位类型", "登记组织编码", "地址",
    "联络员", "联络员电话", "共建社区编码",
]  # fmt: skip


def roster(*rows):
    return [HEADER, *rows]


def test_roster_import_utf8_gbk_and_xlsx(tree, users):
    rows = roster(
        [
            "U-1",
            "铁东区第一中学",
            credit_code(1),
            "学校",
            "S",
            "站前街 8 号",
            "张老师",
            "13811112222",
            "A、B",
        ],
        ["", "鞍钢医院", credit_code(2), "医院", "A", "", "", "", ""],
    )
    for encoding in ("utf-8-sig", "gb18030"):
        result = PartnerUnitImporter(users["street"]).run(
            csv_bytes(rows, encoding), "u.csv", dry_run=True
        )
        assert result.ok, [str(e) for e in result.errors]
        assert (result.created, result.committed) == (2, False)
    assert PartnerUnit.objects.count() == 0
    result = PartnerUnitImporter(users["street"]).run(
        xlsx_bytes(rows, "共驻共建单位"), "u.xlsx", dry_run=False
    )
    assert result.committed and result.created == 2
    first = PartnerUnit.objects.get(code="U-1")
    assert first.kind == "school" and first.liaison_phone == "13811112222"
    assert set(first.partners.values_list("code", flat=True)) == {"A", "B"}
    # A new unit without a code is keyed by its credit code.
    assert PartnerUnit.objects.filter(code=f"U{credit_code(2)}", name="鞍钢医院").exists()
    assert AuditLog.objects.filter(action="unit.import").count() == 1


def test_roster_matches_existing_unit_by_credit_code(tree, users, units):
    existing = units["a"]
    rows = roster(["", "园林小学（更名）", existing.credit_code, "学校", "A", "", "", "", "S"])
    result = PartnerUnitImporter(users["street"]).run(csv_bytes(rows), "u.csv", dry_run=False)
    assert result.committed and (result.created, result.updated) == (0, 1)
    existing.refresh_from_db()
    assert existing.name == "园林小学（更名）" and existing.kind == "school"
    assert UnitPartnership.objects.filter(unit=existing, organization=tree["street"]).exists()


def test_roster_rejects_bad_rows_and_writes_nothing(tree, users, units):
    good = credit_code(50)
    rows = roster(
        ["U-OK", "好单位", good, "机关", "A", "", "", "", ""],
        [
            "U-BAD",
            "坏信用代码",
            good[:-1] + ("0" if good[-1] != "0" else "1"),
            "机关",
            "A",
            "",
            "",
            "",
            "",
        ],
        ["U-ORG", "找不到组织", credit_code(51), "机关", "NOPE", "", "", "", ""],
        ["U-B", "越权", credit_code(52), "机关", "B", "", "", "", ""],
        ["U-DUP", "重复信用代码", good, "机关", "A", "", "", "", ""],
        ["U-USED", "已被占用", units["b"].credit_code, "机关", "A", "", "", "", ""],
        ["U-KIND", "类型错", credit_code(53), "工厂", "A", "", "", "", ""],
        ["UB", "别人的单位", credit_code(54), "机关", "A", "", "", "", ""],
        ["U-PH", "电话错", credit_code(55), "机关", "A", "", "", "123", ""],
        ["U-LVL", "登记到支部", credit_code(56), "机关", "A-01", "", "", "", ""],
    )
    result = PartnerUnitImporter(users["cadre_a"]).run(csv_bytes(rows), "u.csv", dry_run=False)
    assert not result.committed
    messages = [str(e) for e in result.errors]
    expected = [
        "第 3 行 统一社会信用代码: 统一社会信用代码校验位不正确。",
        "第 4 行 登记组织编码: 找不到组织“NOPE”。",
        "第 5 行 登记组织编码: 找不到组织“B”。",  # out of reach answers like unknown
        f"第 7 行 统一社会信用代码: “{units['b'].credit_code}”已登记为单位“UB”。",
        "第 8 行 单位类型: “工厂”不是有效选项",
        "第 9 行 单位编码: 编码“UB”已被使用，不能用于新增记录：新增请换一个编码或留空由系统生成。",
        "第 10 行 联络员电话: 电话号码格式不正确",
        "第 11 行 登记组织编码: “园林社区一号院党支部”应为街道党工委或社区大党委。",
    ]
    for text in expected:
        assert any(m.startswith(text) for m in messages), (text, messages)
    assert PartnerUnit.objects.count() == 3


def test_roster_duplicate_credit_code_in_file(tree, users):
    rows = roster(
        ["U-1", "甲", credit_code(60), "机关", "A", "", "", "", ""],
        ["U-2", "乙", credit_code(60), "机关", "A", "", "", "", ""],
    )
    result = PartnerUnitImporter(users["street"]).run(csv_bytes(rows), "u.csv", dry_run=False)
    assert [str(e) for e in result.errors] == [
        f"第 3 行 统一社会信用代码: “{credit_code(60)}”与第 2 行重复。"
    ]
    assert PartnerUnit.objects.count() == 0


def test_export_masks_phone_and_reimport_keeps_it(tree, users, units):
    importer = PartnerUnitImporter(users["street"])
    data = importer.export(units_visible_to(users["street"]), "xlsx")
    table = read_xlsx(data)
    assert table[0][:3] == ["单位编码", "单位名称", "统一社会信用代码"]
    phones = {row[0]: row[10] for row in table[1:]}
    assert phones["UA"] == "138****5678"
    partners = {row[0]: row[11] for row in table[1:]}
    assert partners["US"] == "A、B"
    result = PartnerUnitImporter(users["street"]).run(data, "back.xlsx", dry_run=False)
    assert result.committed, [str(e) for e in result.errors]
    units["a"].refresh_from_db()
    assert units["a"].liaison_phone == "13812345678"


def test_api_import_dry_run_then_commit(tree, users, api):
    rows = roster(["U-API", "区图书馆", credit_code(70), "事业单位", "S", "", "", "", "A"])
    client = api(users["street"])
    import io

    preview = client.post(
        "/api/v1/partner-units/import/", {"file": io.BytesIO(csv_bytes(rows))}, format="multipart"
    )
    assert preview.status_code == 200 and preview.json()["dry_run"] is True
    assert not PartnerUnit.objects.filter(code="U-API").exists()
    upload = io.BytesIO(csv_bytes(rows))
    upload.name = "u.csv"
    done = client.post(
        "/api/v1/partner-units/import/", {"file": upload, "dry_run": "false"}, format="multipart"
    )
    assert done.status_code == 200 and done.json()["committed"] is True
    assert PartnerUnit.objects.filter(code="U-API").exists()
    forbidden = api(users["district"]).post(
        "/api/v1/partner-units/import/", {"file": io.BytesIO(csv_bytes(rows))}, format="multipart"
    )
    assert forbidden.status_code == 403


def test_needs_and_resources_import(tree, users, units):
    needs = [
        ["需求编码", "所属社区编码", "需求", "共建类别", "来源", "登记日期"],
        ["N-1", "A", "老年人助餐", "民生共做", "走访调查", "2026-03-01"],
        ["N-2", "B", "越权需求", "民生共做", "走访调查", "2026-03-01"],
    ]
    result = NeedImporter(users["cadre_a"]).run(csv_bytes(needs), "n.csv", dry_run=False)
    assert [str(e) for e in result.errors] == ["第 3 行 所属社区编码: 找不到组织“B”。"]
    assert Need.objects.count() == 0
    result = NeedImporter(users["cadre_a"]).run(csv_bytes(needs[:2]), "n.csv", dry_run=False)
    assert result.committed and Need.objects.get().status == "open"
    resources = [
        ["资源编码", "提供单位编码", "面向社区编码", "资源类型", "资源"],
        ["R-1", "UA", "A", "场地阵地", "学校操场"],
        ["R-2", "UB", "A", "资金", "看不见的单位"],
    ]
    result = ResourceImporter(users["cadre_a"]).run(csv_bytes(resources), "r.csv", dry_run=True)
    assert [str(e) for e in result.errors] == ["第 3 行 提供单位编码: 找不到单位“UB”。"]


def test_liaison_log_import_adds_updates_and_rejects(tree, users, units):
    from covenants.importers import LiaisonLogImporter
    from covenants.models import LiaisonLog

    header = ["单位编码", "社区/街道编码", "联系日期", "联系方式", "会商内容"]
    rows = [
        header,
        ["US", "A", "2026-03-05", "电话", "商定学雷锋活动"],
        ["UA", "A", "2026-03-06", "上门会商", "报送活动方案"],
    ]
    result = LiaisonLogImporter(users["cadre_a"]).run(csv_bytes(rows), "l.csv", dry_run=False)
    assert result.committed and result.created == 2
    assert LiaisonLog.objects.get(unit=units["shared"]).liaison_name == "王联络"
    rows[1][4] = "商定学雷锋活动（改期）"
    result = LiaisonLogImporter(users["cadre_a"]).run(csv_bytes(rows), "l.csv", dry_run=False)
    assert (result.created, result.updated, result.unchanged) == (0, 1, 1)
    assert LiaisonLog.objects.get(unit=units["shared"]).content.endswith("（改期）")
    bad = [
        header,
        ["UB", "A", "2026-03-05", "电话", "看不见的单位"],
        ["UA", "B", "2026-03-05", "电话", "越权社区"],
        ["UA", "A", "2999-01-01", "电话", "未来"],
        ["UA", "A", "2026-03-06", "上门会商", "重复"],
        ["UA", "A", "2026-03-06", "上门会商", "重复"],
    ]
    result = LiaisonLogImporter(users["cadre_a"]).run(csv_bytes(bad), "l.csv", dry_run=False)
    messages = [str(e) for e in result.errors]
    assert "第 2 行 单位编码: 找不到单位“UB”。" in messages
    assert "第 3 行 社区/街道编码: 找不到组织“B”。" in messages
    assert "第 4 行 联系日期: 联系日期不能晚于今天。" in messages
    assert any(m.startswith("第 6 行 单位编码+社区/街道编码+联系日期+联系方式") for m in messages)
    assert LiaisonLog.objects.count() == 2
    exported = LiaisonLogImporter(users["cadre_a"]).export(LiaisonLog.objects.all(), "csv")
    assert (
        exported.decode("utf-8-sig").splitlines()[0].startswith("单位编码,社区/街道编码,联系日期")
    )


def test_admin_export_is_scoped(units, users, admin_client_for):
    from django.urls import reverse

    client = admin_client_for(users["cadre_a"])
    response = client.get(reverse("admin:covenants_partnerunit_export"), {"format": "csv"})
    body = response.content.decode("utf-8-sig")
    assert "园林小学" in body and "供电公司" in body and "胜利医院" not in body
    assert "13812345678" not in body and "138****5678" in body
