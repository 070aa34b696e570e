"""Phone verification by SMS code: registration creates the account only after the code sent
to the phone comes back (rate-limited, expiring, kept hashed); without a gateway the account
is unverified and 我的反映 lists nothing by phone until it is verified in 我的."""

import time

import pytest
from django.contrib.auth import get_user_model
from django.core.cache import cache

from core.sms import SmsRateLimited, SmsUnavailable
from portal import phone_codes
from portal.models import ResidentProfile
from tests.portal.conftest import challenge_from

pytestmark = pytest.mark.django_db

PHONE = "13912345678"
PASSWORD = "Yuanlin-2026!"


def register(client, tree, **overrides):
    data = {
        "name": "王阿姨",
        "phone": PHONE,
        "community": tree["community_a"].pk,
        "password1": PASSWORD,
        "password2": PASSWORD,
        **challenge_from(client.get("/account/register/").content.decode()),
    }
    data.update(overrides)
    return client.post("/account/register/", data)


def test_register_with_a_code_makes_a_verified_account(client, tree, sms):
    response = register(client, tree)
    assert response.status_code == 302 and response["Location"] == "/account/register/verify/"
    assert not get_user_model().objects.filter(username=PHONE).exists()  # not yet
    (text,) = sms.to(PHONE)
    assert "验证码" in text and "10 分钟" in text
    html = client.get("/account/register/verify/").content.decode()
    assert "139****5678" in html and PHONE not in html
    # The cache keeps only a digest: neither the code nor the phone in the clear.
    entry = cache.get(phone_codes._key(PHONE))
    assert sms.last_code(PHONE) not in str(entry) and PHONE not in str(entry)
    response = client.post("/account/register/verify/", {"code": sms.last_code(PHONE)})
    assert response.status_code == 302 and response["Location"] == "/me/"
    profile = ResidentProfile.objects.get(phone=PHONE)
    assert profile.phone_verified_at is not None
    assert profile.user.check_password(PASSWORD)
    assert "验证手机号" not in client.get("/me/requests/").content.decode()


def test_wrong_codes_count_down_then_void_the_code(client, tree, sms):
    register(client, tree)
    right = sms.last_code(PHONE)
    wrong = "000000" if right != "000000" else "111111"
    for left in (4, 3, 2, 1):
        html = client.post("/account/register/verify/", {"code": wrong}).content.decode()
        assert f"还可以再试 {left} 次" in html
    html = client.post("/account/register/verify/", {"code": wrong}).content.decode()
    assert "已过期或还没发送" in html
    html = client.post("/account/register/verify/", {"code": right}).content.decode()
    assert "已过期或还没发送" in html  # voided: the right code no longer works
    assert not ResidentProfile.objects.exists()


def test_an_expired_code_is_refused(client, tree, sms, monkeypatch):
    register(client, tree)
    code = sms.last_code(PHONE)
    later = time.time() + phone_codes.CODE_TTL + 1
    monkeypatch.setattr(phone_codes.time, "time", lambda: later)
    html = client.post("/account/register/verify/", {"code": code}).content.decode()
    assert "已过期或还没发送" in html and not ResidentProfile.objects.exists()


def test_resend_is_rate_limited_and_replaces_the_code(client, tree, sms, monkeypatch):
    register(client, tree)
    first = sms.last_code(PHONE)
    html = client.post(
        "/account/register/verify/", {"action": "resend"}, follow=True
    ).content.decode()
    assert "太频繁" in html and len(sms.to(PHONE)) == 1  # one a minute
    now = time.time()
    monkeypatch.setattr(time, "time", lambda: now + 61)
    html = client.post(
        "/account/register/verify/", {"action": "resend"}, follow=True
    ).content.decode()
    assert "新的验证码已发送到 139****5678" in html and len(sms.to(PHONE)) == 2
    second = sms.last_code(PHONE)
    if first != second:  # the earlier code stopped working
        html = client.post("/account/register/verify/", {"code": first}).content.decode()
        assert "验证码不对" in html
    response = client.post("/account/register/verify/", {"code": second})
    assert response.status_code == 302


def test_gateway_down_or_429_says_so_and_keeps_the_form(client, tree, sms):
    sms.failures = [SmsRateLimited("429", retry_after=30)]
    html = register(client, tree).content.decode()
    assert "短信暂时发不出去" in html and 'value="王阿姨"' in html
    assert not ResidentProfile.objects.exists()
    sms.failures = [SmsUnavailable("down")]
    cache.clear()  # a minute later
    html = register(client, tree).content.decode()
    assert "短信暂时发不出去" in html


def test_without_a_gateway_the_account_is_unverified_and_lists_nothing_by_phone(
    client, tree, settings
):
    settings.SMS_BACKEND = ""
    response = register(client, tree)
    assert response.status_code == 302 and response["Location"] == "/me/"
    profile = ResidentProfile.objects.get(phone=PHONE)
    assert profile.phone_verified_at is None
    assert 'id="verify-phone"' in client.get("/me/").content.decode()
    html = client.get("/me/requests/").content.decode()
    assert 'id="verify-first"' in html and 'id="my-requests"' not in html


def test_an_unverified_account_verifies_in_me(client, tree, settings, sms):
    settings.SMS_BACKEND = ""
    register(client, tree)
    settings.SMS_BACKEND = "tests.portal.fake_sms.FakeSms"
    html = client.get("/me/verify-phone/").content.decode()
    assert "发送验证码" in html and 'id="code-sent"' not in html
    client.post("/me/verify-phone/", {"action": "resend"})
    assert 'id="code-sent"' in client.get("/me/verify-phone/").content.decode()
    response = client.post("/me/verify-phone/", {"code": sms.last_code(PHONE)})
    assert response.status_code == 302 and response["Location"] == "/me/requests/"
    assert ResidentProfile.objects.get(phone=PHONE).phone_verified_at is not None


def test_verify_page_without_a_pending_registration_goes_back(client):
    response = client.get("/account/register/verify/")
    assert response.status_code == 302 and response["Location"] == "/account/register/"
