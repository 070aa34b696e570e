"""Issue 15: a resident's username is their phone number; every display of a user masks it
(admin user pages, audit log, history pages, API), and revealing it is logged."""

import pytest

from core.api.fields import UserField
from core.models import AuditLog, SensitiveAccessLog
from core.users import is_phone_like, mask_username, user_display
from tests.conftest import make_user
from tests.factories import UserFactory

PHONE = "13912345678"
MASKED = "139****5678"


@pytest.fixture
def resident(tree):
    from portal.accounts import resident_register

    return resident_register(
        name="王阿姨", phone=PHONE, password="pw-for-tests-123", community=tree["community_a"]
    ).user


@pytest.mark.parametrize(
    "value, masked",
    [
        (PHONE, MASKED),
        ("+86 139-1234-5678", MASKED),
        ("02487654321", "024****4321"),
        ("cadre_a", "cadre_a"),
        ("zhang3", "zhang3"),
        ("", ""),
    ],
)
def test_mask_username(value, masked):
    assert mask_username(value) == masked
    assert is_phone_like(value) == (masked != value)


def test_str_of_a_user_masks_a_phone_username(db):
    assert str(UserFactory(username=PHONE)) == MASKED
    assert str(UserFactory(username="cadre_x")) == "cadre_x"
    assert user_display(UserFactory(username="13800000001")) == "138****0001"


def test_user_admin_list_and_change_page_mask_the_phone(resident, users, admin_client_for):
    client = admin_client_for(users["root"])
    page = client.get("/admin/auth/user/").content.decode()
    assert MASKED in page and PHONE not in page
    page = client.get(f"/admin/auth/user/{resident.pk}/change/").content.decode()
    assert MASKED in page and PHONE not in page


def test_unchanged_masked_username_keeps_the_stored_one(resident, users, admin_client_for):
    client = admin_client_for(users["root"])
    url = f"/admin/auth/user/{resident.pk}/change/"
    response = client.post(
        url,
        {
            "username": MASKED,
            "first_name": "王阿姨",
            "last_name": "",
            "email": "",
            "is_active": "on",
            "date_joined_0": "2026-01-01",
            "date_joined_1": "08:00:00",
            "initial-date_joined_0": "2026-01-01",
            "initial-date_joined_1": "08:00:00",
            "scope_assignments-TOTAL_FORMS": "0",
            "scope_assignments-INITIAL_FORMS": "0",
            "scope_assignments-MIN_NUM_FORMS": "0",
            "scope_assignments-MAX_NUM_FORMS": "1000",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    resident.refresh_from_db()
    assert resident.username == PHONE


def test_audit_log_masks_the_acting_resident(resident, users, admin_client_for):
    row = AuditLog.objects.get(action="portal.resident_register")
    assert row.actor == resident
    client = admin_client_for(users["street"])  # may reveal members' data, still masked here
    for url in ["/admin/core/auditlog/", f"/admin/core/auditlog/{row.pk}/change/"]:
        response = client.get(url)
        assert response.status_code == 200
        html = response.content.decode()
        assert MASKED in html and PHONE not in html


def test_history_pages_mask_the_acting_user(tree, users, admin_client_for):
    phone_user = make_user("13700001111", superuser=True)
    org = tree["community_a"]
    org.name = "园林社区大党委（改名）"
    org.save()
    org.history.filter(history_type="~").update(history_user=phone_user)
    client = admin_client_for(users["root"])
    html = client.get(f"/admin/organizations/organization/{org.pk}/history/").content.decode()
    assert "137****1111" in html and "13700001111" not in html


def test_api_user_fields_mask_a_phone_username(db):
    field = UserField(read_only=True)
    assert field.to_representation(UserFactory(username=PHONE)) == MASKED
    assert field.to_representation(UserFactory(username="cadre_y")) == "cadre_y"


def test_reveal_is_logged_and_needs_the_permission(resident, users, tree, admin_client_for):
    url = f"/admin/auth/user/{resident.pk}/reveal/"
    client = admin_client_for(users["root"])
    page = client.get(url).content.decode()
    assert MASKED in page and PHONE not in page
    page = client.post(url, {"purpose": "回访核实身份"}).content.decode()
    assert PHONE in page
    log = SensitiveAccessLog.objects.get(target_type="auth.user", target_id=str(resident.pk))
    assert log.actor == users["root"] and log.purpose == "回访核实身份"
    assert log.target_repr == MASKED
    # A user-admin without the reveal permission cannot.
    viewer = make_user("user_viewer", perms=["auth.view_user"])
    client = admin_client_for(viewer)
    page = client.post(url, {"purpose": "回访核实身份"}).content.decode()
    assert PHONE not in page and "没有查看完整个人信息的权限" in page
