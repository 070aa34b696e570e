"""双报到: registration of in-service members only, claims once per post and within capacity,
activity records, the yearly feedback feeding 民主评议, and the community figures."""

import csv
import io
from datetime import date
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from core.models import AuditLog
from organizations.importers import (
    AppraisalImporter,
    MemberActivityImporter,
    PostClaimImporter,
    RegistrationImporter,
)
from organizations.models import (
    Appraisal,
    CommunityRegistration,
    MemberActivity,
    PostClaim,
)
from organizations.selectors import members as selectors
from organizations.services import members as services
from tests.organizations.factories import MemberFactory, PostFactory, RegistrationFactory

pytestmark = pytest.mark.django_db


def csv_file(rows):
    buffer = io.StringIO()
    csv.writer(buffer).writerows(rows)
    return buffer.getvalue().encode("utf-8")


@pytest.fixture
def posts(tree):
    return {
        "help": PostFactory(
            code="GW-A-1",
            community=tree["community_a"],
            kind="rescue",
            name="困难群众帮扶岗",
            capacity=2,
        ),
        "env": PostFactory(
            code="GW-A-2", community=tree["community_a"], kind="environment", name="环境整治岗"
        ),
        "b": PostFactory(
            code="GW-B-1", community=tree["community_b"], kind="legal", name="法律咨询岗"
        ),
    }


@pytest.fixture
def registration(tree, members):
    # b1 keeps their branch in B but lives in A: they report to A.
    return RegistrationFactory(
        code="BD-1", member=members["b1"], community=tree["community_a"], branch=tree["branch_a"]
    )


def test_register_in_service_member_with_audit(users, tree, members):
    reg = services.registration_create(
        actor=users["cadre_a"],
        member=members["a1"],
        community=tree["community_a"],
        branch=tree["branch_a"],
        registered_on=date(2025, 4, 1),
    )
    assert AuditLog.objects.filter(action="registration.create", target_id=str(reg.pk)).exists()


def test_member_not_in_service_cannot_register(users, tree, members):
    with pytest.raises(ValidationError) as exc:
        services.registration_create(
            actor=users["cadre_a"],
            member=members["a_retired"],
            community=tree["community_a"],
            registered_on=date(2025, 4, 1),
        )
    assert "在职党员" in str(exc.value.message_dict["member"])
    assert not CommunityRegistration.objects.exists()


def test_enrolled_branch_must_belong_to_the_community(users, tree, members):
    with pytest.raises(ValidationError) as exc:
        services.registration_create(
            actor=users["street"],
            member=members["a1"],
            community=tree["community_a"],
            branch=tree["branch_b"],
            registered_on=date(2025, 4, 1),
        )
    assert "branch" in exc.value.message_dict


def test_cadre_cannot_register_into_other_community(users, tree, members):
    with pytest.raises(ValidationError):
        services.registration_create(
            actor=users["cadre_a"],
            member=members["a1"],
            community=tree["community_b"],
            registered_on=date(2025, 4, 1),
        )


def test_claim_once_and_within_capacity(users, tree, members, posts, registration):
    claim = services.post_claim(
        actor=users["cadre_a"], registration=registration, post=posts["help"]
    )
    assert AuditLog.objects.filter(action="post.claim", target_id=str(claim.pk)).exists()
    with pytest.raises(ValidationError) as exc:
        services.post_claim(actor=users["cadre_a"], registration=registration, post=posts["help"])
    assert "已认领过" in str(exc.value)
    other = RegistrationFactory(member=members["a1"], community=tree["community_a"])
    services.post_claim(actor=users["cadre_a"], registration=other, post=posts["help"])
    third = RegistrationFactory(
        member=MemberFactory(branch=tree["branch_a"]), community=tree["community_a"]
    )
    with pytest.raises(ValidationError) as exc:
        services.post_claim(actor=users["cadre_a"], registration=third, post=posts["help"])
    assert "名额已满" in str(exc.value)
    assert PostClaim.objects.count() == 2


def test_claim_of_another_community_post_rejected(users, posts, registration):
    with pytest.raises(ValidationError):
        services.post_claim(actor=users["street"], registration=registration, post=posts["b"])


def test_feedback_feeds_appraisal_and_unqualified_is_ineligible(
    users, tree, members, posts, registration
):
    for day, hours in ((date(2025, 5, 1), "2.5"), (date(2025, 6, 1), "3"), (date(2024, 6, 1), "9")):
        MemberActivity.objects.create(
            registration=registration,
            date=day,
            hours=Decimal(hours),
            content="清理楼道",
            confirmed_by="楼长",
        )
    appraisal = services.feedback_submit(
        actor=users["cadre_a"],
        registration=registration,
        year=2025,
        grade="unqualified",
        comment="很少参加",
    )
    assert appraisal.feedback_hours == Decimal("5.5")
    assert appraisal.feedback_community == tree["community_a"]
    assert AuditLog.objects.filter(action="appraisal.feedback").exists()
    # The member's own branch (community B) concludes the appraisal from the feedback.
    with pytest.raises(PermissionDenied):
        services.appraisal_conclude(actor=users["cadre_a"], appraisal=appraisal)
    appraisal = services.appraisal_conclude(actor=users["cadre_b"], appraisal=appraisal)
    assert appraisal.grade == "unqualified"
    assert appraisal.award_eligible is False
    assert AuditLog.objects.filter(action="appraisal.conclude").exists()
    appraisal = services.appraisal_conclude(
        actor=users["cadre_b"], appraisal=appraisal, grade="qualified"
    )
    assert appraisal.award_eligible is True


def test_registration_stats(users, tree, members, posts, registration):
    services.post_claim(actor=users["cadre_a"], registration=registration, post=posts["env"])
    other = RegistrationFactory(member=members["a1"], community=tree["community_a"])
    today = date(2025, 8, 20)
    MemberActivity.objects.create(
        registration=other, date=date(2025, 7, 2), hours=2, content="政策宣传"
    )
    MemberActivity.objects.create(
        registration=registration, date=date(2025, 6, 30), hours=2, content="上季度"
    )
    rows = {c.code: c for c in selectors.registration_stats(users["street"], today=today)}
    assert (rows["A"].registered, rows["A"].claiming, rows["A"].active) == (2, 1, 1)
    assert (rows["B"].registered, rows["B"].claiming, rows["B"].active) == (0, 0, 0)


def test_stats_api_scoped(api, users, registration):
    body = api(users["cadre_b"]).get("/api/v1/registrations/stats/").json()
    assert [r["code"] for r in body] == ["B"]


def test_feedback_and_conclude_api(api, users, registration):
    response = api(users["cadre_a"]).post(
        "/api/v1/registrations/BD-1/feedback/", {"year": 2025, "grade": "excellent"}, format="json"
    )
    assert response.status_code == 200, response.json()
    code = response.json()["code"]
    response = api(users["cadre_b"]).post(f"/api/v1/appraisals/{code}/conclude/", {}, format="json")
    assert response.status_code == 200, response.json()
    assert response.json()["grade"] == "excellent"


def test_claim_twice_through_api_is_400(api, users, posts, registration):
    client = api(users["cadre_a"])
    payload = {"registration": "BD-1", "post": "GW-A-2", "claimed_on": "2025-05-01"}
    assert client.post("/api/v1/post-claims/", payload, format="json").status_code == 201
    response = client.post("/api/v1/post-claims/", payload, format="json")
    assert response.status_code == 400
    assert PostClaim.objects.count() == 1


@pytest.mark.parametrize("page_size", [2, 20])
def test_registration_list_queries_constant(api, users, tree, page_size, django_assert_num_queries):
    for _ in range(25):
        RegistrationFactory(
            member=MemberFactory(branch=tree["branch_a"]), community=tree["community_a"]
        )
    # permissions and scope (one statement, core.authz) + count + page
    with django_assert_num_queries(3):
        response = api(users["cadre_a"]).get("/api/v1/registrations/", {"page_size": page_size})
    assert len(response.json()["results"]) == page_size


# ---------------------------------------------------------------- files


def test_import_registration_of_retired_member_rejected(users, tree, members):
    data = csv_file(
        [
            ["党员身份证号", "报到社区编码", "编入党支部编码", "报到日期"],
            [members["a1"].id_number, "A", "A-01", "2025-03-01"],
            [members["a_retired"].id_number, "A", "A-01", "2025-03-01"],
        ]
    )
    result = RegistrationImporter(users["cadre_a"]).run(data, "r.csv", dry_run=False)
    assert not result.committed
    assert any(
        e.row == 3 and e.column == "党员身份证号" and "在职党员" in e.message for e in result.errors
    ), [str(e) for e in result.errors]
    assert not CommunityRegistration.objects.exists()


def test_import_registration_accepts_member_of_other_branch(users, tree, members):
    data = csv_file(
        [
            ["党员身份证号", "报到社区编码", "报到日期"],
            [members["b1"].id_number, "A", "2025-03-01"],
        ]
    )
    result = RegistrationImporter(users["cadre_a"]).run(data, "r.csv", dry_run=False)
    assert result.committed, [str(e) for e in result.errors]
    assert CommunityRegistration.objects.get().member == members["b1"]


def test_import_registration_outside_scope_rejected(users, tree, members):
    data = csv_file(
        [
            ["党员身份证号", "报到社区编码", "报到日期"],
            [members["a1"].id_number, "B", "2025-03-01"],
        ]
    )
    result = RegistrationImporter(users["cadre_a"]).run(data, "r.csv", dry_run=False)
    assert [(e.row, e.column) for e in result.errors] == [(2, "报到社区编码")]
    assert not CommunityRegistration.objects.exists()


def test_import_post_claimed_twice_rejected(users, posts, registration):
    header = ["党员身份证号", "岗位编码", "认领日期"]
    idn = registration.member.id_number
    data = csv_file([header, [idn, "GW-A-2", "2025-05-01"], [idn, "GW-A-2", "2025-05-02"]])
    result = PostClaimImporter(users["cadre_a"]).run(data, "c.csv", dry_run=False)
    assert [(e.row, e.column) for e in result.errors] == [(3, "岗位编码")]
    assert "重复认领" in result.errors[0].message
    assert not PostClaim.objects.exists()
    # And against the database.
    services.post_claim(actor=users["cadre_a"], registration=registration, post=posts["env"])
    data = csv_file([header, [idn, "GW-A-2", "2025-05-01"]])
    result = PostClaimImporter(users["cadre_a"]).run(data, "c.csv", dry_run=False)
    assert result.errors and result.errors[0].row == 2 and "已认领过" in result.errors[0].message
    assert PostClaim.objects.count() == 1


def test_import_claims_over_capacity_rejected(users, tree, posts, registration, members):
    other = RegistrationFactory(member=members["a1"], community=tree["community_a"])
    third = RegistrationFactory(
        member=MemberFactory(branch=tree["branch_a"]), community=tree["community_a"]
    )
    header = ["党员身份证号", "岗位编码", "认领日期"]
    rows = [header] + [
        [r.member.id_number, "GW-A-1", "2025-05-01"] for r in (registration, other, third)
    ]
    result = PostClaimImporter(users["cadre_a"]).run(csv_file(rows), "c.csv", dry_run=False)
    assert [(e.row, e.column) for e in result.errors] == [(4, "岗位编码")]
    assert not PostClaim.objects.exists()


def test_import_activities_and_appraisals(users, tree, members, registration):
    data = csv_file(
        [
            ["党员身份证号", "活动日期", "服务时长", "活动内容", "确认人"],
            [registration.member.id_number, "2025-05-04", "2", "义务理发", "王书记"],
        ]
    )
    result = MemberActivityImporter(users["cadre_a"]).run(data, "a.csv", dry_run=False)
    assert result.committed, [str(e) for e in result.errors]
    data = csv_file(
        [
            ["党员身份证号", "年度", "民主评议结果"],
            [members["b1"].id_number, "2025", "不合格"],
        ]
    )
    result = AppraisalImporter(users["cadre_b"]).run(data, "p.csv", dry_run=False)
    assert result.committed, [str(e) for e in result.errors]
    assert Appraisal.objects.get().award_eligible is False
    # A cadre of A cannot appraise B's member.
    result = AppraisalImporter(users["cadre_a"]).run(data, "p.csv", dry_run=True)
    assert result.errors and result.errors[0].column == "党员身份证号"


def test_registration_export_masks_member_id(users, registration):
    content = (
        RegistrationImporter(users["cadre_a"])
        .export(CommunityRegistration.objects.all(), "csv")
        .decode("utf-8-sig")
    )
    assert registration.member.id_number not in content
    assert registration.member.id_number[:6] + "********" in content
