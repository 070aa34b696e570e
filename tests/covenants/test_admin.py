from datetime import date

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from covenants.models import ActivityAttachment, Agreement, PartnerUnit
from tests.core.scope_cases import assert_admin_hides
from tests.covenants.factories import (
    ActivityFactory,
    AgreementFactory,
    LiaisonLogFactory,
    PartnershipFactory,
    PartnerUnitFactory,
    ServiceProjectFactory,
)

pytestmark = pytest.mark.django_db

CHANGELISTS = [
    "partnerunit",
    "agreement",
    "serviceproject",
    "activityrecord",
    "liaisonlog",
    "need",
    "resource",
    "project",
    "unitassessment",
    "covenant",
    "agreementtemplate",
]


@pytest.mark.parametrize("model", CHANGELISTS)
def test_changelists_render(model, signed, users, admin_client_for):
    client = admin_client_for(users["cadre_a"])
    response = client.get(reverse(f"admin:covenants_{model}_changelist"))
    assert response.status_code == 200


def test_changelists_show_only_scope(signed, users, admin_client_for):
    client = admin_client_for(users["cadre_a"])
    units = client.get(reverse("admin:covenants_partnerunit_changelist")).content.decode()
    assert "园林小学" in units and "供电公司" in units and "胜利医院" not in units
    assert "138****5678" in units and "13812345678" not in units
    agreements = client.get(reverse("admin:covenants_agreement_changelist")).content.decode()
    assert "AG-a" in agreements and "AG-b" not in agreements and "AG-shared_b" not in agreements


def test_out_of_scope_objects_are_404(signed, users, admin_client_for):
    client = admin_client_for(users["cadre_a"])
    assert_admin_hides(client, signed["b"]["agreement"], "AG-b")
    assert_admin_hides(client, signed["shared_b"]["activity"], "ACT-shared_b")
    assert_admin_hides(client, PartnerUnit.objects.get(code="UB"), "胜利医院")


def test_partner_sees_street_unit_read_only(signed, users, admin_client_for):
    client = admin_client_for(users["cadre_a"])
    shared = PartnerUnit.objects.get(code="US")
    url = reverse("admin:covenants_partnerunit_change", args=[shared.pk])
    page = client.get(url).content.decode()
    assert "供电公司" in page and "AG-shared_a" in page and "AG-shared_b" not in page
    client.post(url, {"name": "改名"})
    shared.refresh_from_db()
    assert shared.name == "供电公司"


def _grow(tree, n):
    for _ in range(n):
        unit = PartnerUnitFactory(organization=tree["community_a"])
        PartnershipFactory(unit=unit, organization=tree["community_b"])
        agreement = AgreementFactory(party_a=tree["community_a"], unit=unit)
        project = ServiceProjectFactory(agreement=agreement)
        ActivityFactory(project=project)
        LiaisonLogFactory(unit=unit, organization=tree["community_a"])


@pytest.mark.parametrize("model", ["partnerunit", "agreement", "activityrecord", "liaisonlog"])
def test_admin_changelist_queries_do_not_grow(model, tree, users, admin_client_for):
    client = admin_client_for(users["cadre_a"])
    url = reverse(f"admin:covenants_{model}_changelist")
    counts = []
    for n in (3, 10):
        _grow(tree, n)
        client.get(url)
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(url).status_code == 200
        counts.append(len(ctx.captured_queries))
    assert counts[0] == counts[1], counts


def test_add_agreement_in_admin_prefills_clauses(tree, units, users, admin_client_for):
    client = admin_client_for(users["cadre_a"])
    url = reverse("admin:covenants_agreement_add")
    data = {
        "code": "AG-ADM",
        "title": "共驻共建协议书",
        "party_a": tree["community_a"].pk,
        "unit": units["a"].pk,
        "starts_on": "2026-01-01",
        "ends_on": "2026-12-31",
        "party_a_seal_label": "社区党组织（盖章）",
        "party_b_seal_label": "辖区单位（盖章）",
        "clauses-TOTAL_FORMS": "0",
        "clauses-INITIAL_FORMS": "0",
    }
    response = client.post(url, data)
    assert response.status_code == 302, response.content.decode()[:2000]
    agreement = Agreement.objects.get(code="AG-ADM")
    assert agreement.clauses.count() == 10
    # 甲方 of another community is not even a choice.
    data.update(code="AG-ADM2", party_a=tree["community_b"].pk)
    response = client.post(url, data)
    assert response.status_code == 200 and "party_a" in response.context["adminform"].form.errors
    data.update(party_a=tree["community_a"].pk, ends_on="2025-01-01")
    response = client.post(url, data)
    assert "不能早于期限起" in response.content.decode()
    assert Agreement.objects.count() == 1


def test_sign_action_and_terminate_view(tree, units, users, admin_client_for):
    agreement = AgreementFactory(
        code="AG-S", party_a=tree["community_a"], unit=units["a"], status="draft", signed_on=None
    )
    client = admin_client_for(users["cadre_a"])
    response = client.post(
        reverse("admin:covenants_agreement_changelist"),
        {"action": "sign_selected", "_selected_action": [agreement.pk]},
        follow=True,
    )
    assert "已签订 1 份协议" in response.content.decode()
    url = reverse("admin:covenants_agreement_terminate", args=[agreement.pk])
    page = client.post(url, {"reason": "", "terminated_on": "2026-05-01"})
    assert page.status_code == 200
    client.post(url, {"reason": "单位迁出", "terminated_on": "2026-05-01"})
    agreement.refresh_from_db()
    assert agreement.status == "terminated" and agreement.termination_reason == "单位迁出"


def test_attachment_inline_rejects_type_with_message(signed, users, admin_client_for):
    activity = signed["a"]["activity"]
    client = admin_client_for(users["cadre_a"])
    url = reverse("admin:covenants_activityrecord_change", args=[activity.pk])
    data = {
        "code": activity.code,
        "project": activity.project_id,
        "date": "2026-03-15",
        "kind": "volunteer_service",
        "title": activity.title,
        "staff_count": 1,
        "member_count": 0,
        "residents_served": 10,
        "attachments-TOTAL_FORMS": "1",
        "attachments-INITIAL_FORMS": "0",
        "attachments-0-kind": "photo",
        "attachments-0-file": SimpleUploadedFile("合影.tif", b"II*\x00"),
    }
    response = client.post(url, data)
    assert response.status_code == 200
    assert "影像资料不接受“合影.tif”" in response.content.decode()
    assert ActivityAttachment.objects.count() == 0
    data["attachments-0-file"] = SimpleUploadedFile("合影.png", b"\x89PNG\r\n\x1a\n0000")
    response = client.post(url, data)
    assert response.status_code == 302
    assert ActivityAttachment.objects.get().original_name == "合影.png"


def test_report_views(signed, users, admin_client_for):
    client = admin_client_for(users["cadre_a"])
    table = client.get(
        reverse("admin:covenants_activity_table"), {"year": 2026, "on": "2026-04-01"}
    )
    body = table.content.decode()
    assert table.status_code == 200 and "园林小学" in body and "胜利医院" not in body
    inactive = client.get(reverse("admin:covenants_inactive_units"), {"on": "2026-04-01"})
    assert "近一个月无联系" in inactive.content.decode()
    assert (
        client.get(reverse("admin:covenants_activity_table"), {"organization": "B"}).status_code
        == 404
    )


def test_unit_page_shows_registered_members_and_feedback(tree, units, users, admin_client_for, api):
    from organizations.models import Appraisal, CommunityRegistration, Member

    member = Member.objects.create(
        name="刘在职",
        gender="male",
        id_number="110105199001011239",
        birth_date=date(1990, 1, 1),
        category="in_service",
        branch=tree["branch_a"],
        work_unit=units["shared"],
    )
    CommunityRegistration.objects.create(
        member=member, community=tree["community_b"], registered_on=date(2026, 1, 5)
    )
    Appraisal.objects.create(
        member=member, year=2025, feedback_community=tree["community_b"], feedback_grade="excellent"
    )
    shared = units["shared"]
    url = reverse("admin:covenants_partnerunit_change", args=[shared.pk])
    page_b = admin_client_for(users["cadre_b"]).get(url).content.decode()
    assert "刘在职" in page_b and "2025 年：优秀" in page_b
    rows = api(users["cadre_b"]).get("/api/v1/partner-units/US/members/").json()
    assert rows[0]["name"] == "刘在职" and rows[0]["feedback_grade"] == "excellent"
    detail = api(users["cadre_b"]).get("/api/v1/partner-units/US/").json()
    assert detail["registered_members"] == rows
    assert detail["partners"] == ["B"]  # A's partnership is not B's business
    page_a = admin_client_for(users["cadre_a"]).get(url).content.decode()
    assert "刘在职" not in page_a
    # Community A does not see a registration made in B.
    assert api(users["cadre_a"]).get("/api/v1/partner-units/US/members/").json() == []


def test_template_admin_edits_clauses_through_the_service(tree, users, admin_client_for):
    from core.models import AuditLog
    from covenants.services import template_for_street

    template = template_for_street(tree["street"])
    clauses = list(template.clauses.order_by("number"))
    client = admin_client_for(users["street"])
    url = reverse("admin:covenants_agreementtemplate_change", args=[template.pk])
    data = {
        "organization": tree["street"].pk,
        "title": "共驻共建协议书",
        "preamble": template.preamble,
        "party_a_seal_label": "街道党工委（盖章）",
        "party_b_seal_label": "辖区单位（盖章）",
        "clauses-TOTAL_FORMS": str(len(clauses) + 1),
        "clauses-INITIAL_FORMS": str(len(clauses)),
    }
    for i, clause in enumerate(clauses):
        data.update(
            {
                f"clauses-{i}-id": clause.pk,
                f"clauses-{i}-template": template.pk,
                f"clauses-{i}-number": clause.number,
                f"clauses-{i}-text": clause.text,
            }
        )
    n = len(clauses)
    data.update(
        {
            f"clauses-{n}-template": template.pk,
            f"clauses-{n}-number": 11,
            f"clauses-{n}-text": "十一、新增条款",
        }
    )
    response = client.post(url, data)
    assert response.status_code == 302, response.content.decode()[:3000]
    assert template.clauses.count() == 11
    assert AuditLog.objects.filter(action="agreement_template.update").exists()
    assert admin_client_for(users["cadre_a"]).get(url).status_code == 404
