import pytest
from django.core import signing
from django.test import RequestFactory

from portal import protection
from portal.protection import (
    HumanCheckFailed,
    Limit,
    RateLimited,
    fingerprint,
    hit,
    new_challenge,
    recent_duplicate,
    remember_submission,
    verify_challenge,
)
from tests.portal.conftest import answer_for


def test_rate_limit_allows_up_to_the_count_then_refuses_kindly():
    limit = Limit("t", 3, 600)
    for _ in range(3):
        hit(limit, "13800000000")
    with pytest.raises(RateLimited) as exc:
        hit(limit, "13800000000")
    assert "分钟后再试" in str(exc.value)


def test_rate_limit_counts_each_subject_apart():
    limit = Limit("t", 1, 600)
    hit(limit, "a")
    hit(limit, "b")
    with pytest.raises(RateLimited):
        hit(limit, "a")


def test_rate_limit_window_rolls_over(monkeypatch):
    limit = Limit("t", 1, 60)
    now = [1_000_000.0]
    monkeypatch.setattr(protection.time, "time", lambda: now[0])
    hit(limit, "x")
    with pytest.raises(RateLimited):
        hit(limit, "x")
    now[0] += 61
    hit(limit, "x")


def test_submission_limits_apply_per_ip_across_phones():
    request = RequestFactory().post("/", REMOTE_ADDR="10.0.0.9")
    for n in range(protection.SUBMIT_PER_IP.count):
        protection.check_submission_limits(request, f"1380000{n:04d}")
    with pytest.raises(RateLimited):
        protection.check_submission_limits(request, "13899999999")


def test_human_check_question_is_chinese_and_token_hides_the_answer():
    challenge = new_challenge()
    assert "等于几" in challenge.question
    assert not any(ch.isdigit() for ch in challenge.question.split("（")[0])
    verify_challenge(challenge.token, answer_for(challenge.token))


def test_human_check_accepts_full_width_digits():
    challenge = new_challenge()
    answer = answer_for(challenge.token).translate(
        str.maketrans("0123456789", "０１２３４５６７８９")
    )
    verify_challenge(challenge.token, answer)


def test_human_check_refuses_wrong_answer_forged_token_and_replay():
    challenge = new_challenge()
    wrong = str(int(answer_for(challenge.token)) + 1)
    with pytest.raises(HumanCheckFailed, match="不对"):
        verify_challenge(challenge.token, wrong)
    forged = signing.dumps({"a": 1, "b": 1, "o": "+", "n": "x"}, salt="other")
    with pytest.raises(HumanCheckFailed, match="无效"):
        verify_challenge(forged, "2")
    verify_challenge(challenge.token, answer_for(challenge.token))
    with pytest.raises(HumanCheckFailed, match="用过"):
        verify_challenge(challenge.token, answer_for(challenge.token))


def test_human_check_expires(monkeypatch):
    challenge = new_challenge()
    real_loads = signing.loads

    def later(token, **kwargs):
        kwargs["max_age"] = -1
        return real_loads(token, **kwargs)

    monkeypatch.setattr(protection.signing, "loads", later)
    with pytest.raises(HumanCheckFailed, match="过期"):
        verify_challenge(challenge.token, answer_for(challenge.token))


def test_duplicates_match_despite_spacing_and_width():
    a = fingerprint("case", "13800000000", "楼道 灯坏了", "A")
    b = fingerprint("case", "13800000000", "楼道灯坏了 ", "A")
    c = fingerprint("case", "13800000001", "楼道灯坏了", "A")
    assert a == b != c
    assert recent_duplicate(a) is None
    remember_submission(a, "CODE123")
    assert recent_duplicate(b) == "CODE123"
    assert recent_duplicate(c) is None
