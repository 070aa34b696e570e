import pytest
from django.contrib.auth import get_user_model

from portal.models import ResidentProfile
from tests.portal.conftest import challenge_from

pytestmark = pytest.mark.django_db

PASSWORD = "Yuanlin-2026!"


def register(client, tree, **overrides):
    data = {
        "name": "王阿姨",
        "phone": "13912345678",
        "community": tree["community_a"].pk,
        "password1": PASSWORD,
        "password2": PASSWORD,
        **challenge_from(client.get("/account/register/").content.decode()),
    }
    data.update(overrides)
    return client.post("/account/register/", data)


def test_register_creates_a_non_staff_resident_and_logs_in(client, tree):
    response = register(client, tree)
    assert response.status_code == 302 and response["Location"] == "/me/"
    user = get_user_model().objects.get(username="13912345678")
    assert not user.is_staff and not user.is_superuser
    assert user.groups.filter(name="居民").exists()
    assert ResidentProfile.objects.get(user=user).community == tree["community_a"]
    html = client.get("/me/").content.decode()
    assert "王阿姨" in html
    # No admin access.
    assert client.get("/admin/").status_code == 302


def test_register_keeps_typed_text_on_errors(client, tree):
    response = register(client, tree, phone="12345", password2="different")
    html = response.content.decode()
    assert response.status_code == 200
    assert "手机号格式不对" in html and "两次输入的密码不一样" in html
    assert 'value="王阿姨"' in html and 'value="12345"' in html
    assert "您已填写的内容都保留着" in html


def test_register_refuses_a_taken_phone(client, tree):
    register(client, tree)
    client.post("/account/logout/")
    response = register(client, tree, name="李叔")
    assert "已经注册过了" in response.content.decode()


def test_login_with_phone_and_password(client, tree):
    register(client, tree)
    client.post("/account/logout/")
    response = client.post("/account/login/", {"phone": "139 1234 5678", "password": PASSWORD})
    assert response.status_code == 302
    assert "王阿姨" in client.get("/me/").content.decode()


def test_login_locks_out_after_repeated_failures(client, tree, settings):
    register(client, tree)
    client.post("/account/logout/")
    for _ in range(settings.AXES_FAILURE_LIMIT):
        client.post("/account/login/", {"phone": "13912345678", "password": "wrong-password"})
    response = client.post("/account/login/", {"phone": "13912345678", "password": PASSWORD})
    assert response.status_code == 429
    assert "锁定" in response.content.decode()


def test_staff_cannot_log_in_to_the_portal(client, users):
    from tests.factories import UserFactory

    UserFactory(username="13700000000", is_staff=True)
    response = client.post(
        "/account/login/", {"phone": "13700000000", "password": "pw-for-tests-123"}
    )
    assert response.status_code == 200
    assert "手机号或密码不对" in response.content.decode()


def test_me_requires_login(client):
    response = client.get("/me/")
    assert response.status_code == 302 and "/account/login/" in response["Location"]


def test_csrf_failure_is_friendly_and_keeps_the_text(tree):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    response = client.post(
        "/account/register/", {"name": "<b>王阿姨</b>", "password1": "secret-value"}
    )
    html = response.content.decode()
    assert response.status_code == 403
    assert "已经过期" in html and "您填写的内容都还在" in html
    assert "&lt;b&gt;王阿姨&lt;/b&gt;" in html
    assert "secret-value" not in html
