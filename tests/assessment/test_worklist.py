"""Work list: publishing, inheritance by communities, frozen published versions, scope."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from core.models import AuditLog
from governance.assessment.models import WorkItem
from governance.assessment.selectors import public_work_items_for, work_items_for
from governance.assessment.services import (
    work_item_save,
    worklist_copy,
    worklist_publish,
    worklist_version_create,
)
from tests.assessment.factories import WorkItemFactory


@pytest.fixture
def draft(tree, users):
    version = worklist_version_create(
        actor=users["street"], street=tree["street"], code="WL-1", title="2026版清单"
    )
    WorkItemFactory(version=version, code="WL-1-01", seq=1, title="党建引领", is_public=True)
    WorkItemFactory(version=version, code="WL-1-02", seq=2, title="内部考核", is_public=False)
    return version


def test_communities_inherit_the_published_version(tree, users, draft):
    assert list(work_items_for(tree["community_a"])) == []
    worklist_publish(actor=users["street"], version=draft)
    for key in ("community_a", "community_b"):
        assert [i.code for i in work_items_for(tree[key])] == ["WL-1-01", "WL-1-02"]
    assert [i.code for i in public_work_items_for(tree["community_a"])] == ["WL-1-01"]
    assert AuditLog.objects.filter(action="worklist.publish", target_id=str(draft.pk)).exists()


def test_new_version_supersedes_the_old_one(tree, users, draft):
    worklist_publish(actor=users["street"], version=draft)
    revision = worklist_copy(actor=users["street"], version=draft, code="WL-2", title="2027版")
    assert [i.code for i in revision.items.order_by("seq")] == ["WL-2-01", "WL-2-02"]
    work_item_save(
        actor=users["street"],
        item=WorkItem(
            version=revision,
            code="WL-2-03",
            seq=3,
            holder="workstation",
            responsibility="assist",
            title="协助人口普查",
        ),
    )
    worklist_publish(actor=users["street"], version=revision)
    draft.refresh_from_db()
    assert draft.status == "superseded"
    assert [i.code for i in work_items_for(tree["community_b"])] == [
        "WL-2-01",
        "WL-2-02",
        "WL-2-03",
    ]


def test_published_version_is_frozen(tree, users, draft):
    worklist_publish(actor=users["street"], version=draft)
    item = draft.items.first()
    item.title = "改名"
    with pytest.raises(ValidationError):
        work_item_save(actor=users["street"], item=item)
    with pytest.raises(ValidationError):
        worklist_publish(actor=users["street"], version=draft)


def test_community_cadre_cannot_publish_for_the_street(tree, users, draft):
    with pytest.raises(PermissionDenied):
        worklist_publish(actor=users["cadre_a"], version=draft)


def test_empty_list_cannot_be_published(tree, users):
    version = worklist_version_create(
        actor=users["street"], street=tree["street"], code="WL-E", title="空"
    )
    with pytest.raises(ValidationError):
        worklist_publish(actor=users["street"], version=version)


def test_only_a_street_publishes_lists(tree, users):
    with pytest.raises(ValidationError):
        worklist_version_create(
            actor=users["street"], street=tree["community_a"], code="WL-X", title="社区自定"
        )


def test_work_items_for_is_one_query(tree, users, draft, django_assert_num_queries):
    worklist_publish(actor=users["street"], version=draft)
    with django_assert_num_queries(1):
        items = list(work_items_for(tree["community_a"]))
        [i.version.code for i in items]


def test_community_cadre_reads_but_cannot_change_the_street_list(tree, users, draft):
    from governance.assessment.models import WorkListVersion

    assert list(WorkListVersion.objects.visible_to(users["cadre_a"])) == [draft]
    assert WorkItem.objects.visible_to(users["cadre_b"]).count() == 2
    item = draft.items.first()
    item.title = "社区自改"
    with pytest.raises(PermissionDenied):
        work_item_save(actor=users["cadre_a"], item=item)
