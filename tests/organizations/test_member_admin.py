"""Member admin: masked lists, forms, read-only pages and history; scoped; reveal log."""

import pytest
from django.urls import reverse

from core.models import SensitiveAccessLog
from organizations.models import Member
from tests.organizations.factories import MemberFactory

pytestmark = pytest.mark.django_db

CHANGELIST = reverse("admin:organizations_member_changelist")


def change_url(member):
    return reverse("admin:organizations_member_change", args=[member.pk])


def test_changelist_is_masked_and_scoped(admin_client_for, users, members):
    response = admin_client_for(users["cadre_a"]).get(CHANGELIST)
    html = response.content.decode()
    assert response.status_code == 200
    assert members["a1"].name in html and members["b1"].name not in html
    assert members["a1"].id_number not in html
    assert members["a1"].id_number[:6] + "********" + members["a1"].id_number[-4:] in html
    assert members["a1"].phone not in html


@pytest.mark.parametrize("per_page", [10, 50])
def test_changelist_query_count_is_constant(
    admin_client_for, users, tree, unit, per_page, django_assert_num_queries, settings
):
    for i in range(60):
        MemberFactory(branch=tree["branch_a"], work_unit=unit if i % 2 else None)
    from organizations.admin.members import MemberAdmin

    client = admin_client_for(users["cadre_a"])
    client.get(CHANGELIST)  # warm the content-type cache
    MemberAdmin.list_per_page = per_page
    try:
        # session, user, scope and permissions (one statement, core.authz: the scope is read
        # first here), counts ×2, the page, the member-count figures, and the sidebar's one
        # "may this user manage indicator sets" check.
        with django_assert_num_queries(8):
            response = client.get(CHANGELIST)
    finally:
        MemberAdmin.list_per_page = 50
    assert response.status_code == 200
    assert response.content.decode().count('class="action-select"') == per_page


def test_other_community_member_is_404(admin_client_for, users, members):
    client = admin_client_for(users["cadre_a"])
    assert client.get(change_url(members["b1"])).status_code == 404
    history = reverse("admin:organizations_member_history", args=[members["b1"].pk])
    assert client.get(history).status_code == 404
    reveal = reverse("admin:organizations_member_reveal", args=[members["b1"].pk])
    assert client.post(reveal, {"purpose": "办理组织关系转接"}).status_code == 404
    assert not SensitiveAccessLog.objects.exists()


def test_change_form_masks_and_keeps_stored_values(admin_client_for, users, members):
    member = members["a1"]
    client = admin_client_for(users["cadre_a"])
    html = client.get(change_url(member)).content.decode()
    assert member.id_number not in html and member.phone not in html
    masked_id = member.id_number[:6] + "********" + member.id_number[-4:]
    masked_phone = member.phone[:3] + "****" + member.phone[-4:]
    data = {
        "code": member.code,
        "name": "张三",
        "gender": "male",
        "birth_date": "1980-05-17",
        "id_number": masked_id,
        "phone": masked_phone,
        "category": "retired",
        "status": "full",
        "branch": member.branch_id,
        "join_date": "2005-07-01",
        "work_unit": member.work_unit_id,
        "address": "",
    }
    response = client.post(change_url(member), data)
    assert response.status_code == 302, response.content.decode()[:3000]
    member.refresh_from_db()
    assert member.category == "retired"
    assert member.id_number == members["a1"].id_number
    # An error elsewhere re-displays the form still masked.
    data["join_date"] = "1990-01-01"  # before age 18
    response = client.post(change_url(member), data)
    assert response.status_code == 200
    assert member.id_number not in response.content.decode()


def test_read_only_change_page_is_masked(admin_client_for, users, members):
    member = members["a1"]
    response = admin_client_for(users["grid_a"]).get(change_url(member))
    assert response.status_code == 200
    html = response.content.decode()
    assert member.id_number not in html and member.phone not in html
    assert member.id_number[:6] + "********" in html


def test_history_is_visible_and_masked(admin_client_for, users, members):
    from organizations.services import members as member_services

    member = members["a1"]
    member_services.member_update(
        actor=users["cadre_a"], member=member, phone="13800001111", category="retired"
    )
    history = reverse("admin:organizations_member_history", args=[member.pk])
    response = admin_client_for(users["cadre_a"]).get(history)
    html = response.content.decode()
    assert response.status_code == 200
    assert "cadre_a" in html
    assert "13800001111" not in html and "138****1111" in html


def test_reveal_page_logs_and_street_admin_sees_log_scoped(admin_client_for, users, members):
    reveal = reverse("admin:organizations_member_reveal", args=[members["a1"].pk])
    client = admin_client_for(users["cadre_a"])
    response = client.post(reveal, {"purpose": "核对党费缴纳"})
    assert members["a1"].id_number in response.content.decode()
    assert SensitiveAccessLog.objects.count() == 1
    log_list = reverse("admin:core_sensitiveaccesslog_changelist")
    street = admin_client_for(users["street"]).get(log_list)
    assert street.status_code == 200
    assert "核对党费缴纳" in street.content.decode()
    other = admin_client_for(users["cadre_b"]).get(log_list)
    assert "核对党费缴纳" not in other.content.decode()


def test_grid_worker_reveal_is_refused(admin_client_for, users, members):
    reveal = reverse("admin:organizations_member_reveal", args=[members["a1"].pk])
    response = admin_client_for(users["grid_a"]).post(reveal, {"purpose": "入户核实身份"})
    assert members["a1"].id_number not in response.content.decode()
    assert not SensitiveAccessLog.objects.exists()


def test_admin_export_masked(admin_client_for, users, members):
    url = reverse("admin:organizations_member_export") + "?format=csv"
    text = admin_client_for(users["street"]).get(url).content.decode("utf-8-sig")
    assert members["b1"].name in text
    assert members["b1"].id_number not in text


def test_admin_add_goes_through_service_with_history(admin_client_for, users, tree):
    from datetime import date

    from tests.organizations.factories import make_id_number

    id_number = make_id_number(date(1992, 3, 4), 5, male=False)
    response = admin_client_for(users["cadre_a"]).post(
        reverse("admin:organizations_member_add"),
        {
            "code": "DY-NEW",
            "name": "周九",
            "gender": "female",
            "birth_date": "",
            "id_number": id_number,
            "phone": "",
            "category": "resident",
            "status": "probationary",
            "branch": tree["branch_a"].pk,
            "join_date": "",
            "address": "",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    member = Member.objects.get(code="DY-NEW")
    assert member.birth_date == date(1992, 3, 4)
    assert member.history.get().history_user == users["cadre_a"]


@pytest.mark.parametrize(
    "model, heading",
    [
        ("member", "党员人数"),
        ("communityregistration", "双报到情况"),
        ("committeeseat", "三三制"),
        ("sentdowncadre", "无下沉党员值班"),
        ("body", "红色物业"),
        ("sixhaves", "六有达标覆盖"),
    ],
)
def test_changelists_show_their_figures_in_scope(admin_client_for, users, members, model, heading):
    url = reverse(f"admin:organizations_{model}_changelist")
    response = admin_client_for(users["cadre_a"]).get(url)
    html = response.content.decode()
    assert response.status_code == 200
    assert heading in html
    assert "胜利社区" not in html  # community B's figures never reach community A's cadre


def test_three_thirds_figures_name_balance(admin_client_for, users, tree):
    from datetime import date

    from organizations.models import CommitteeSeat
    from tests.organizations.factories import PartnerUnitFactory

    unit = PartnerUnitFactory(organization=tree["street"])
    for seat_type in ("community_cadre", "resident_member", "unit_member"):
        CommitteeSeat.objects.create(
            committee=tree["community_a"],
            person_name=seat_type,
            seat_type=seat_type,
            term_start=date(2024, 1, 1),
            unit=unit if seat_type == "unit_member" else None,
        )
    html = (
        admin_client_for(users["cadre_a"])
        .get(reverse("admin:organizations_committeeseat_changelist"))
        .content.decode()
    )
    assert "均衡" in html


def test_history_version_page_opens_for_read_only_users(admin_client_for, users, members):
    """The district read-only role opens a past version: masked, no FieldError (issue 15)."""
    from organizations.services import members as member_services

    member = members["a1"]
    member_services.member_update(actor=users["cadre_a"], member=member, phone="13800001111")
    version = member.history.order_by("history_date").first()
    url = reverse("admin:organizations_member_simple_history", args=[member.pk, version.pk])
    response = admin_client_for(users["district"]).get(url)
    assert response.status_code == 200
    html = response.content.decode()
    assert member.id_number not in html and "13800001111" not in html
