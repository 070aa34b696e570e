import pytest

from governance.models import Notification


@pytest.mark.django_db
def test_admin_index_links_the_workbench_pages_and_shows_unread_count(users, admin_client_for):
    client = admin_client_for(users["cadre_a"])
    response = client.get("/admin/")
    page = response.content.decode()
    assert response.status_code == 200
    for url in (
        "/admin/dashboard/",
        "/admin/governance/notification/",
        "/admin/governance/meeting/calendar/",
        "/admin/reports/appraisal/",
        "/admin/reports/units/",
    ):
        assert f'href="{url}"' in page
        assert client.get(url).status_code == 200
    assert "无未读" in page


@pytest.mark.django_db
def test_admin_index_counts_unread_notifications(users, admin_client_for):
    Notification.objects.create(
        recipient=users["cadre_a"],
        recipient_key=f"user:{users['cadre_a'].pk}",
        dedup_key="test:1",
        kind=Notification._meta.get_field("kind").choices[0][0],
        title="测试提醒",
    )
    page = admin_client_for(users["cadre_a"]).get("/admin/").content.decode()
    assert "1 条未读" in page
