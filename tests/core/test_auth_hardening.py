"""Issue 15: one lock-out (django-axes) on the admin login, the API token endpoint and the
portal login, per account and per IP; expiring, listable, revocable API tokens that die with
a password change or deactivation; the client IP from a trusted-proxy count."""

from datetime import timedelta

import pytest
from django.test import RequestFactory
from django.utils import timezone
from rest_framework.test import APIClient

from core.clientip import client_ip
from core.lockout import BASE_COOL_OFF, cool_off
from core.models import ApiToken
from core.tokens import token_issue

PASSWORD = "pw-for-tests-123"
TOKEN_URL = "/api/v1/auth/token/"
LIST = "/api/v1/organizations/"


def _token(client, username, password=PASSWORD, ip="10.1.1.1"):
    return client.post(TOKEN_URL, {"username": username, "password": password}, REMOTE_ADDR=ip)


def _admin_login(client, username, password, ip="10.1.1.1"):
    return client.post(
        "/admin/login/?next=/admin/",
        {"username": username, "password": password},
        REMOTE_ADDR=ip,
    )


# -- lock-out ----------------------------------------------------------------------------


def test_admin_login_locks_the_account_within_ten_failures(users, client, settings):
    assert settings.AXES_FAILURE_LIMIT <= 10
    for n in range(settings.AXES_FAILURE_LIMIT):
        _admin_login(client, "cadre_a", "wrong", ip=f"10.2.0.{n}")  # a new IP each time
    response = _admin_login(client, "cadre_a", PASSWORD, ip="10.2.1.1")
    assert response.status_code == 429
    assert "锁定" in response.content.decode()
    # ... and the locked account gets no API token either, right password or not.
    response = _token(client, "cadre_a", ip="10.2.1.2")
    assert response.status_code == 429
    body = response.json()
    assert body["status"] == 429 and body["code"] == "locked" and "锁定" in body["detail"]
    assert not ApiToken.objects.filter(user=users["cadre_a"]).exists()


def test_token_endpoint_locks_the_ip_across_accounts(users, client, settings):
    names = ["cadre_a", "cadre_b", "grid_a", "street", "district", "root"]
    for n in range(settings.AXES_FAILURE_LIMIT):
        response = _token(client, names[n % len(names)], "wrong", ip="10.3.0.1")
        assert response.status_code in (400, 429)
    # Another account, right password, same IP: refused.
    assert _token(client, "cadre_b", ip="10.3.0.1").status_code == 429
    # The same account from elsewhere still works (it was the IP that was locked).
    assert _token(client, "cadre_b", ip="10.3.0.2").status_code == 200


def test_token_endpoint_locks_the_account_across_ips(users, client, settings):
    for n in range(settings.AXES_FAILURE_LIMIT):
        _token(client, "grid_a", "wrong", ip=f"10.4.0.{n}")
    assert _token(client, "grid_a", ip="10.4.1.1").status_code == 429
    assert _token(client, "cadre_a", ip="10.4.1.1").status_code == 200


def test_portal_lockout_also_refuses_the_api_token(tree, client, settings):
    from portal.accounts import resident_register

    resident_register(
        name="王阿姨", phone="13912345678", password=PASSWORD, community=tree["community_a"]
    )
    for n in range(settings.AXES_FAILURE_LIMIT):
        client.post(
            "/account/login/",
            {"phone": "13912345678", "password": "wrong-password"},
            REMOTE_ADDR=f"10.5.0.{n}",
        )
    response = client.post(
        "/account/login/", {"phone": "13912345678", "password": PASSWORD}, REMOTE_ADDR="10.5.1.1"
    )
    assert response.status_code == 429
    assert "锁定" in response.content.decode()
    assert _token(client, "13912345678", ip="10.5.1.2").status_code == 429


def test_cool_off_grows_with_further_failures(users, settings):
    from axes.models import AccessAttempt

    request = RequestFactory().post("/admin/login/", {"username": "cadre_a"}, REMOTE_ADDR="1.1.1.1")
    assert cool_off(request) == BASE_COOL_OFF
    limit = settings.AXES_FAILURE_LIMIT
    attempt = AccessAttempt.objects.create(
        username="cadre_a",
        ip_address="9.9.9.9",
        user_agent="",
        get_data="",
        post_data="",
        http_accept="",
        path_info="/admin/login/",
        failures_since_start=limit,
    )
    assert cool_off(request) == BASE_COOL_OFF
    attempt.failures_since_start = 2 * limit
    attempt.save()
    assert cool_off(request) == 2 * BASE_COOL_OFF
    attempt.failures_since_start = 3 * limit
    attempt.save()
    assert cool_off(request) == 4 * BASE_COOL_OFF
    attempt.failures_since_start = 100 * limit
    attempt.save()
    assert cool_off(request) == timedelta(days=1)


# -- tokens ------------------------------------------------------------------------------


def _bearer(key):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    return client


def test_token_response_keeps_the_token_key_and_says_when_it_expires(users, client, settings):
    response = _token(client, "cadre_a")
    assert response.status_code == 200
    body = response.json()
    assert len(body["token"]) == 40
    token = ApiToken.objects.get(pk=body["id"])
    assert token.key_hash != body["token"]  # only a digest is stored
    ttl = token.expires_at - timezone.now()
    assert (
        timedelta(days=settings.API_TOKEN_TTL_DAYS - 1)
        < ttl
        <= timedelta(days=settings.API_TOKEN_TTL_DAYS)
    )
    assert _bearer(body["token"]).get(LIST).status_code == 200


def test_expired_token_is_refused_and_removed(users):
    token, key = token_issue(user=users["cadre_a"])
    ApiToken.objects.filter(pk=token.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    assert _bearer(key).get(LIST).status_code == 401
    assert not ApiToken.objects.filter(pk=token.pk).exists()


def test_ttl_setting_is_honoured(users, settings):
    settings.API_TOKEN_TTL_DAYS = 2
    token, _ = token_issue(user=users["cadre_a"])
    assert token.expires_at - timezone.now() <= timedelta(days=2)


def test_owner_lists_and_revokes_own_tokens_only(users):
    first, key1 = token_issue(user=users["cadre_a"], name="接口一")
    second, key2 = token_issue(user=users["cadre_a"], name="接口二")
    other, key_b = token_issue(user=users["cadre_b"])
    client = _bearer(key1)
    listed = client.get("/api/v1/auth/tokens/").json()
    assert {t["id"] for t in listed} == {first.pk, second.pk}
    assert [t["current"] for t in listed if t["id"] == first.pk] == [True]
    assert "key_hash" not in listed[0]
    # Another user's token: not found, and it keeps working.
    assert client.delete(f"/api/v1/auth/tokens/{other.pk}/").status_code == 404
    assert _bearer(key_b).get(LIST).status_code == 200
    assert client.delete(f"/api/v1/auth/tokens/{second.pk}/").status_code == 204
    assert _bearer(key2).get(LIST).status_code == 401
    assert _bearer(key1).get(LIST).status_code == 200
    from core.models import AuditLog

    assert AuditLog.objects.filter(action="auth.token_revoke", actor=users["cadre_a"]).exists()


def test_admin_revokes_any_token(users, admin_client_for):
    token, key = token_issue(user=users["cadre_b"])
    client = admin_client_for(users["root"])
    page = client.get("/admin/core/apitoken/")
    assert page.status_code == 200 and token.prefix in page.content.decode()
    response = client.post(
        "/admin/core/apitoken/",
        {"action": "revoke", "_selected_action": [token.pk]},
    )
    assert response.status_code == 302
    assert _bearer(key).get(LIST).status_code == 401


def test_scoped_staff_cannot_open_the_token_admin(users, admin_client_for):
    client = admin_client_for(users["street"])
    assert client.get("/admin/core/apitoken/").status_code == 403


def test_password_change_kills_every_token(users):
    user = users["cadre_a"]
    _, key1 = token_issue(user=user)
    _, key2 = token_issue(user=user)
    user.set_password("a-new-password-456")
    user.save()
    assert _bearer(key1).get(LIST).status_code == 401
    assert _bearer(key2).get(LIST).status_code == 401
    assert not ApiToken.objects.filter(user=user).exists()


def test_deactivation_kills_every_token(users):
    user = users["cadre_a"]
    _, key = token_issue(user=user)
    user.is_active = False
    user.save()
    assert _bearer(key).get(LIST).status_code == 401


def test_inactive_user_gets_no_token(users, client):
    users["cadre_a"].is_active = False
    users["cadre_a"].save()
    assert _token(client, "cadre_a").status_code == 400


# -- client IP ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "count, forwarded, remote, expected",
    [
        (0, "1.2.3.4", "10.0.0.1", "10.0.0.1"),  # no proxy: the header is never read
        (1, "6.6.6.6, 1.2.3.4", "10.0.0.1", "1.2.3.4"),  # forged first entry ignored
        (1, "", "10.0.0.1", "10.0.0.1"),
        (1, "not-an-ip", "10.0.0.1", "10.0.0.1"),
        (2, "6.6.6.6, 1.2.3.4, 10.0.0.2", "10.0.0.1", "1.2.3.4"),
        (2, "1.2.3.4", "10.0.0.1", "10.0.0.1"),  # fewer hops than proxies
    ],
)
def test_client_ip_counts_trusted_proxies_from_the_right(
    settings, count, forwarded, remote, expected
):
    settings.TRUSTED_PROXY_COUNT = count
    meta = {"REMOTE_ADDR": remote}
    if forwarded:
        meta["HTTP_X_FORWARDED_FOR"] = forwarded
    assert client_ip(RequestFactory().get("/", **meta)) == expected


def test_forged_forwarded_for_does_not_bypass_the_tracking_limit(db, client, settings):
    from portal.protection import TRACK_PER_IP

    settings.TRUSTED_PROXY_COUNT = 1
    answered = []
    for n in range(TRACK_PER_IP.count + 4):
        response = client.post(
            "/track/",
            {"tracking_code": "ABCDEFGHJK", "phone_last4": "1234"},
            HTTP_X_FORWARDED_FOR=f"7.7.{n}.1, 203.0.113.9",
            REMOTE_ADDR="172.18.0.2",
        )
        answered.append("太频繁" in response.content.decode())
    assert answered[: TRACK_PER_IP.count] == [False] * TRACK_PER_IP.count
    assert all(answered[TRACK_PER_IP.count :])


def test_audit_rows_record_the_trusted_client_ip(users, client, settings):
    from core.models import AuditLog

    settings.TRUSTED_PROXY_COUNT = 1
    response = client.post(
        TOKEN_URL,
        {"username": "cadre_a", "password": PASSWORD},
        HTTP_X_FORWARDED_FOR="6.6.6.6, 198.51.100.23",
        REMOTE_ADDR="172.18.0.2",
    )
    assert response.status_code == 200
    row = AuditLog.objects.get(action="auth.token_issue")
    assert row.ip_address == "198.51.100.23"


def test_audit_rows_outside_a_request_have_no_ip(users):
    from core.models import AuditLog

    token_issue(user=users["cadre_a"])
    assert AuditLog.objects.get(action="auth.token_issue").ip_address is None


def test_admin_login_locks_the_ip_across_accounts(users, client, settings):
    names = ["cadre_a", "cadre_b", "grid_a", "street", "district"]
    for n in range(settings.AXES_FAILURE_LIMIT):
        _admin_login(client, names[n % len(names)], "wrong", ip="10.6.0.1")
    assert _admin_login(client, "root", PASSWORD, ip="10.6.0.1").status_code == 429
    assert _admin_login(client, "root", PASSWORD, ip="10.6.0.2").status_code == 302


def test_portal_login_locks_the_ip_across_phones(tree, client, settings):
    from portal.accounts import resident_register

    resident_register(
        name="李先生", phone="13911112222", password=PASSWORD, community=tree["community_a"]
    )
    for n in range(settings.AXES_FAILURE_LIMIT):
        client.post(
            "/account/login/",
            {"phone": f"1390000{n:04d}", "password": "wrong-password"},
            REMOTE_ADDR="10.7.0.1",
        )
    locked = client.post(
        "/account/login/", {"phone": "13911112222", "password": PASSWORD}, REMOTE_ADDR="10.7.0.1"
    )
    assert locked.status_code == 429 and "锁定" in locked.content.decode()
    ok = client.post(
        "/account/login/", {"phone": "13911112222", "password": PASSWORD}, REMOTE_ADDR="10.7.0.2"
    )
    assert ok.status_code == 302
