"""The services emit their events (core.events) with the organisation they belong to, and
nothing when their transaction rolls back."""

from __future__ import annotations

from datetime import date

import pytest
from django.db import transaction

from core import events
from covenants.services import agreement_terminate
from governance.services import meeting_hold, meeting_plan, task_dispatch
from grids.models import Resident
from grids.services.cases import case_accept
from grids.services.grid import roster_create, roster_delete, roster_update
from organizations.services import member_delete, member_update
from tests.core.files import csv_bytes
from tests.covenants.factories import AgreementFactory, PartnerUnitFactory
from tests.governance.factories import MeetingSeriesFactory
from tests.organizations.factories import MemberFactory
from tests.webhooks.test_delivery import report
from volunteers.importers import SkillImporter

pytestmark = pytest.mark.django_db


@pytest.fixture
def seen():
    got: list[tuple[str, str | None, object]] = []

    def record(event):
        org = event.organization
        got.append((event.kind, org.code if org is not None else None, event))

    events.connect(record)
    yield got
    events.disconnect(record)


def kinds(seen):
    return [(kind, org) for kind, org, _ in seen]


def test_case_steps(users, roster, seen):
    case = report(roster)
    case_accept(actor=users["cadre_a"], case=case, triage="minor")
    assert kinds(seen) == [("case.report", "A"), ("case.accept", "A")]


def test_resident_changes(users, roster, seen):
    household = roster["households"]["h2"]
    resident = roster_create(
        actor=users["cadre_a"],
        model=Resident,
        data={"household": household, "name": "王五", "relation": "head"},
    )
    roster_update(actor=users["cadre_a"], instance=resident, data={"name": "王五五"})
    roster_delete(actor=users["cadre_a"], instance=resident)
    assert [k for k, _ in kinds(seen)] == ["resident.create", "resident.update", "resident.delete"]
    assert {o for _, o in kinds(seen)} == {"A"}


def test_member_changes(users, tree, seen):
    member = MemberFactory(branch=tree["branch_a"])
    member_update(actor=users["cadre_a"], member=member, name="李四")
    member_delete(actor=users["cadre_a"], member=member)
    assert kinds(seen) == [("member.update", "A-01"), ("member.delete", "A-01")]


def test_meetings_and_tasks(users, tree, seen):
    series = MeetingSeriesFactory(body=tree["community_a"])
    meeting = meeting_plan(actor=users["cadre_a"], series=series, planned_on=date(2026, 3, 5))
    meeting_hold(actor=users["cadre_a"], meeting=meeting, held_on=date(2026, 3, 5))
    task_dispatch(
        actor=users["cadre_a"],
        title="更换健身器材",
        assignee=tree["branch_a"],
        deadline=date(2026, 4, 1),
        organization=tree["community_a"],
    )
    assert kinds(seen) == [("meeting.plan", "A"), ("meeting.hold", "A"), ("task.dispatch", "A")]


def test_agreements(users, tree, seen):
    unit = PartnerUnitFactory(organization=tree["street"])
    agreement = AgreementFactory(party_a=tree["community_a"], unit=unit)
    agreement_terminate(
        actor=users["cadre_a"],
        agreement=agreement,
        reason="单位搬迁",
        terminated_on=date(2026, 6, 1),
    )
    assert kinds(seen) == [("agreement.terminate", "A")]


def test_an_import_emits_once_with_the_importing_user(users, seen):
    data = csv_bytes([["技能编码", "技能名称"], ["s1", "技能1"], ["s2", "技能2"]])
    result = SkillImporter(users["street"]).run(data, "skills.csv", dry_run=False)
    assert result.committed
    ((kind, org, event),) = seen
    assert kind == "import.commit" and org is None and event.actor == users["street"]
    assert event.data == {"model": "volunteers.skill", "created": 2, "updated": 0}


def test_a_rolled_back_write_leaves_no_delivery(users, tree, roster, receiver):
    from tests.webhooks.test_delivery import make_endpoint
    from webhooks.models import Delivery

    make_endpoint(users["street"], tree["street"], receiver.url)
    with pytest.raises(RuntimeError), transaction.atomic():
        report(roster)
        assert Delivery.objects.count() == 1  # written with the case…
        raise RuntimeError
    assert Delivery.objects.count() == 0  # …and gone with it
