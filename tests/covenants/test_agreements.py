from datetime import date

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from core.models import AuditLog
from covenants.choices import AgreementStatus
from covenants.clauses import DEFAULT_CLAUSES
from covenants.models import Agreement, AgreementTemplate, UnitPartnership
from covenants.selectors import agreements_expiring, agreements_visible_to
from covenants.services import (
    agreement_draft,
    agreement_sign,
    agreement_terminate,
    agreement_update,
    agreements_expire,
    template_for_street,
    template_update,
)
from tests.covenants.factories import AgreementFactory

pytestmark = pytest.mark.django_db
S = AgreementStatus


def draft(actor, party_a, unit, code="AG1", starts=date(2026, 1, 1), ends=date(2027, 12, 31), **kw):
    return agreement_draft(
        actor=actor, code=code, party_a=party_a, unit=unit, starts_on=starts, ends_on=ends, **kw
    )


def sign(actor, agreement, **kw):
    return agreement_sign(
        actor=actor,
        agreement=agreement,
        signed_on=date(2025, 12, 28),
        party_a_signatory="李书记",
        party_b_signatory="赵经理",
        **kw,
    )


def test_draft_copies_the_streets_ten_clauses(tree, units, users):
    agreement = draft(users["cadre_a"], tree["community_a"], units["a"])
    texts = list(agreement.clauses.order_by("number").values_list("text", flat=True))
    assert texts == DEFAULT_CLAUSES and len(texts) == 10
    assert agreement.status == S.DRAFT
    assert agreement.preamble.startswith("根据中省市城市基层党建会议精神")
    assert AuditLog.objects.filter(action="agreement.draft").count() == 1


def test_edited_street_template_prefills_new_agreements_only(tree, units, users):
    first = draft(users["street"], tree["community_a"], units["a"], code="AG1")
    template = template_for_street(tree["street"])
    template_update(
        actor=users["street"], template=template, clauses=["甲方条款", "乙方条款", "其他"]
    )
    second = draft(users["street"], tree["community_b"], units["b"], code="AG2")
    assert list(second.clauses.values_list("text", flat=True)) == ["甲方条款", "乙方条款", "其他"]
    assert first.clauses.count() == 10
    assert AgreementTemplate.objects.count() == 1


def test_template_belongs_to_a_street(tree, users):
    template = template_for_street(tree["street"])
    with pytest.raises(PermissionDenied):
        template_update(actor=users["cadre_a"], template=template, title="改")


def test_term_ending_before_start_refused(tree, units, users):
    with pytest.raises(ValidationError) as exc:
        draft(users["cadre_a"], tree["community_a"], units["a"], ends=date(2025, 12, 31))
    assert "不能早于期限起" in exc.value.message_dict["ends_on"][0]
    assert Agreement.objects.count() == 0


def test_party_a_outside_scope_or_wrong_kind_refused(tree, units, users):
    with pytest.raises(ValidationError) as exc:  # out of reach: like an unknown party A
        draft(users["cadre_a"], tree["community_b"], units["shared"])
    assert exc.value.message_dict == {"party_a": ["对象不存在。"]}
    with pytest.raises(ValidationError) as exc:
        draft(users["street"], tree["branch_a"], units["a"])
    assert "甲方应为街道党工委或社区大党委" in exc.value.message_dict["party_a"][0]
    # 乙方 must be in reach too: A cannot draft with B's own unit.
    with pytest.raises(ValidationError, match="对象不存在"):
        draft(users["cadre_a"], tree["community_a"], units["b"])
    assert Agreement.objects.count() == 0


def test_sign_records_audit_and_partnership(tree, units, users):
    agreement = draft(users["street"], tree["street"], units["a"])
    assert not UnitPartnership.objects.filter(unit=units["a"], organization=tree["street"]).exists()
    sign(users["street"], agreement)
    agreement.refresh_from_db()
    assert agreement.status == S.SIGNED and agreement.signed_on == date(2025, 12, 28)
    assert agreement.signed_by == users["street"]
    assert UnitPartnership.objects.filter(unit=units["a"], organization=tree["street"]).exists()
    log = AuditLog.objects.get(action="agreement.sign")
    assert log.target_id == str(agreement.pk) and log.actor == users["street"]


def test_sign_requires_signatories(tree, units, users):
    agreement = draft(users["cadre_a"], tree["community_a"], units["a"])
    with pytest.raises(ValidationError) as exc:
        agreement_sign(actor=users["cadre_a"], agreement=agreement)
    assert "party_a_signatory" in exc.value.message_dict
    agreement.refresh_from_db()
    assert agreement.status == S.DRAFT


def test_second_signed_agreement_for_same_pair_with_overlapping_term_refused(tree, units, users):
    first = draft(users["cadre_a"], tree["community_a"], units["a"], code="AG1")
    sign(users["cadre_a"], first)
    overlapping = draft(
        users["cadre_a"],
        tree["community_a"],
        units["a"],
        code="AG2",
        starts=date(2027, 12, 31),
        ends=date(2029, 12, 31),
    )
    with pytest.raises(ValidationError) as exc:
        sign(users["cadre_a"], overlapping)
    assert "AG1" in str(exc.value) and "期限重叠" in str(exc.value)
    overlapping.refresh_from_db()
    assert overlapping.status == S.DRAFT
    assert AuditLog.objects.filter(action="agreement.sign").count() == 1
    # The day after the first term ends is fine, and so is another unit or another 甲方.
    following = draft(
        users["cadre_a"],
        tree["community_a"],
        units["a"],
        code="AG3",
        starts=date(2028, 1, 1),
        ends=date(2029, 12, 31),
    )
    sign(users["cadre_a"], following)
    other = draft(users["cadre_a"], tree["community_a"], units["shared"], code="AG4")
    sign(users["cadre_a"], other)


def test_terminated_agreement_frees_the_rest_of_its_term(tree, units, users):
    first = sign(users["cadre_a"], draft(users["cadre_a"], tree["community_a"], units["a"]))
    agreement_terminate(
        actor=users["cadre_a"], agreement=first, reason="单位搬迁", terminated_on=date(2026, 6, 30)
    )
    again = draft(
        users["cadre_a"], tree["community_a"], units["a"], code="AG2", starts=date(2026, 7, 1)
    )
    sign(users["cadre_a"], again)
    assert again.status == S.SIGNED
    still_overlapping = draft(
        users["cadre_a"],
        tree["community_a"],
        units["a"],
        code="AG3",
        starts=date(2026, 6, 1),
        ends=date(2026, 6, 30),
    )
    with pytest.raises(ValidationError):
        sign(users["cadre_a"], still_overlapping)


def test_terminate_requires_reason_and_signed_status(tree, units, users):
    agreement = draft(users["cadre_a"], tree["community_a"], units["a"])
    with pytest.raises(ValidationError):
        agreement_terminate(actor=users["cadre_a"], agreement=agreement, reason="提前终止")
    sign(users["cadre_a"], agreement)
    with pytest.raises(ValidationError) as exc:
        agreement_terminate(actor=users["cadre_a"], agreement=agreement, reason="  ")
    assert "终止原因" in str(exc.value)
    with pytest.raises(PermissionDenied):
        agreement_terminate(actor=users["cadre_b"], agreement=agreement, reason="越权")
    agreement_terminate(
        actor=users["cadre_a"],
        agreement=agreement,
        reason="单位撤销",
        terminated_on=date(2026, 5, 1),
    )
    agreement.refresh_from_db()
    assert agreement.status == S.TERMINATED
    assert agreement.termination_reason == "单位撤销"
    assert agreement.terminated_on == date(2026, 5, 1)
    log = AuditLog.objects.get(action="agreement.terminate")
    assert log.detail["reason"] == "单位撤销"


def test_signed_agreement_cannot_be_edited(tree, units, users):
    agreement = sign(users["cadre_a"], draft(users["cadre_a"], tree["community_a"], units["a"]))
    with pytest.raises(ValidationError):
        agreement_update(actor=users["cadre_a"], agreement=agreement, clauses=["改条款"])
    assert agreement.clauses.count() == 10


def test_draft_clauses_editable(tree, units, users):
    agreement = draft(users["cadre_a"], tree["community_a"], units["a"])
    agreement_update(
        actor=users["cadre_a"], agreement=agreement, clauses=["一", "", "二"], title="共建协议"
    )
    assert list(agreement.clauses.values_list("number", "text")) == [(1, "一"), (2, "二")]
    with pytest.raises(ValidationError):
        agreement_update(actor=users["cadre_a"], agreement=agreement, clauses=[" "])


def test_expire_marks_ended_terms_once(tree, units, users):
    agreement = AgreementFactory(
        party_a=tree["community_a"], unit=units["a"], ends_on=date(2026, 3, 31)
    )
    assert agreements_expire(today=date(2026, 3, 31)) == 0
    assert agreements_expire(today=date(2026, 4, 1)) == 1
    assert agreements_expire(today=date(2026, 4, 2)) == 0
    agreement.refresh_from_db()
    assert agreement.status == S.EXPIRED
    assert AuditLog.objects.filter(action="agreement.expire").count() == 1


def test_expiring_within_30_days_scoped(tree, units, users):
    today = date(2026, 12, 1)
    inside = AgreementFactory(code="IN", party_a=tree["community_a"], unit=units["a"])  # ends 12-31
    AgreementFactory(
        code="EDGE", party_a=tree["community_a"], unit=units["shared"], ends_on=date(2027, 1, 1)
    )
    AgreementFactory(code="B", party_a=tree["community_b"], unit=units["b"])
    AgreementFactory(
        code="DRAFT",
        party_a=tree["community_a"],
        unit=units["a"],
        status=S.DRAFT,
        starts_on=date(2027, 1, 1),
        ends_on=date(2027, 12, 5),
    )
    codes = [a.code for a in agreements_expiring(users["cadre_a"], today=today)]
    assert codes == [inside.code]
    assert "EDGE" in [
        a.code for a in agreements_expiring(users["cadre_a"], today=date(2026, 12, 2))
    ]
    assert {a.code for a in agreements_expiring(users["street"], today=today)} == {"IN", "B"}
    assert set(agreements_visible_to(users["cadre_b"]).values_list("code", flat=True)) == {"B"}


def test_expire_task_runs_the_service(tree, units):
    from covenants.tasks import expire_agreements

    AgreementFactory(
        party_a=tree["community_a"],
        unit=units["a"],
        ends_on=date(2020, 1, 1),
        starts_on=date(2019, 1, 1),
    )
    assert expire_agreements.delay().get() == 1
    assert Agreement.objects.get().status == S.EXPIRED


@pytest.mark.parametrize("days", ["-1", "99999999999", "abc"])
def test_expiring_with_a_day_count_out_of_range_is_a_400(users, api, days):
    response = api(users["street"]).get(f"/api/v1/agreements/expiring/?within_days={days}")
    assert response.status_code == 400
