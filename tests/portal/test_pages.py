import pytest
from django.urls import reverse

from tests.portal.factories import ServiceCentreFactory, ServiceItemFactory

pytestmark = pytest.mark.django_db


def test_home_is_chinese_and_links_the_core_pages(client, tree):
    html = client.get("/").content.decode()
    assert '<html lang="zh-CN"' in html
    assert "/community/" in html and "/services/" in html
    assert "园林社区" in html and "大党委" not in html  # the residents' committee name


def test_large_text_link_sets_a_lasting_cookie_and_class(client, tree):
    response = client.get("/text-size/?size=large&next=/services/")
    assert response.status_code == 302 and response["Location"] == "/services/"
    assert response.cookies["portal_text"]["max-age"] >= 30 * 24 * 3600
    html = client.get("/").content.decode()
    assert 'class="large-text"' in html
    assert "标准字" in html
    client.get("/text-size/?size=normal")
    assert 'class="large-text"' not in client.get("/").content.decode()


def test_text_size_refuses_an_offsite_next(client):
    response = client.get("/text-size/?size=large&next=https://evil.example/")
    assert response["Location"] == "/"


@pytest.mark.parametrize("query", ["一号院", "园林社区一号", "园林 1号楼", "1栋", "胜利社区"])
def test_find_community_by_partial_names(client, tree, query):
    html = client.get(reverse("portal:community_search"), {"q": query}).content.decode()
    assert 'id="results"' in html, query


def test_find_community_maps_a_building_to_its_community(client, tree):
    html = client.get("/community/", {"q": "胜利社区1号楼"}).content.decode()
    assert "/community/B/" in html
    assert "/community/A/" not in html.split('id="results"')[1].split("全部社区")[0]


def test_find_community_says_so_when_nothing_matches(client, tree):
    html = client.get("/community/", {"q": "不存在的小区"}).content.decode()
    assert "没有找到" in html


def test_community_page_shows_centre_committee_and_handbook(client, tree):
    community = tree["community_a"]
    ServiceCentreFactory(community=community, name="园林党群服务中心")
    ServiceItemFactory(organization=community, title="高龄津贴申领")
    ServiceItemFactory(organization=community, title="内部事项", is_published=False)
    html = client.get(f"/community/{community.code}/").content.decode()
    assert "园林党群服务中心" in html and "园林社区居民委员会" in html
    assert "高龄津贴申领" in html and "内部事项" not in html
    assert "园林社区一号院" in html  # its compound


def test_unknown_community_is_a_friendly_404(client, tree):
    response = client.get("/community/NOPE/")
    assert response.status_code == 404
    assert "找不到这个页面" in response.content.decode()


def test_handbook_lists_published_items_of_community_and_street(client, tree):
    ServiceItemFactory(organization=tree["street"], title="街道事项", one_visit=False)
    ServiceItemFactory(organization=tree["community_a"], title="园林事项")
    ServiceItemFactory(organization=tree["community_b"], title="胜利事项")
    ServiceItemFactory(organization=tree["community_a"], title="草稿事项", is_published=False)
    html = client.get("/services/", {"community": "A"}).content.decode()
    assert "街道事项" in html and "园林事项" in html
    assert "胜利事项" not in html and "草稿事项" not in html
    html = client.get("/services/", {"community": "A", "one_visit": "1"}).content.decode()
    assert "街道事项" not in html and "园林事项" in html


def test_handbook_item_shows_materials_and_hides_unpublished(client, tree):
    item = ServiceItemFactory(organization=tree["community_a"], materials="身份证\n户口簿")
    html = client.get(f"/services/{item.pk}/").content.decode()
    assert "<li>身份证</li>" in html and "最多跑一次" in html
    hidden = ServiceItemFactory(organization=tree["community_a"], is_published=False)
    assert client.get(f"/services/{hidden.pk}/").status_code == 404


def test_handbook_is_kept_in_the_admin_within_scope(admin_client_for, users, tree):
    client = admin_client_for(users["cadre_a"])
    response = client.post(
        "/admin/portal/serviceitem/add/",
        {
            "organization": tree["community_a"].pk,
            "category": "民政",
            "title": "临时救助申请",
            "materials": "身份证",
            "place": "服务中心",
            "hours": "工作日",
            "sort_order": 10,
            "is_published": "on",
            "one_visit": "on",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    from portal.models import ServiceItem

    assert ServiceItem.objects.get(title="临时救助申请").one_visit
    # The other community is not among the choices.
    response = client.post(
        "/admin/portal/serviceitem/add/",
        {
            "organization": tree["community_b"].pk,
            "category": "民政",
            "title": "越权事项",
            "materials": "x",
            "place": "x",
            "hours": "x",
            "sort_order": 1,
        },
    )
    assert response.status_code == 200
    assert not ServiceItem.objects.filter(title="越权事项").exists()


def test_pages_stay_small(client, tree):
    ServiceCentreFactory(community=tree["community_a"])
    for url in ["/", "/community/A/", "/services/", "/community/?q=园林"]:
        response = client.get(url)
        assert response.status_code == 200
        assert len(response.content) < 200 * 1024


def test_public_pages_are_cached_for_anonymous_visitors_only(client, tree):
    from portal.accounts import resident_register

    html = client.get("/").content.decode()
    assert "登录" in html
    profile = resident_register(
        name="王阿姨", phone="13912345678", password="Yuanlin-2026!", community=tree["community_a"]
    )
    client.force_login(profile.user)
    html = client.get("/").content.decode()
    assert 'href="/me/"' in html  # not the anonymous copy


def test_public_page_cache_keeps_the_two_text_sizes_apart(client, tree):
    assert 'class="large-text"' not in client.get("/services/").content.decode()
    client.cookies["portal_text"] = "large"
    assert 'class="large-text"' in client.get("/services/").content.decode()


def test_server_error_page_is_friendly_and_standalone():
    from django.template.loader import render_to_string

    html = render_to_string("500.html")
    assert '<html lang="zh-CN">' in html and "系统暂时出了点问题" in html


def test_demo_data_is_idempotent(db):
    import io

    from portal import demo
    from portal.models import ServiceCentre, ServiceItem
    from tests.factories import OrganizationFactory

    street = OrganizationFactory(code="TD-ZQ", kind="street_committee", phone="0412-2220001")
    for code in ("YL", "SL", "DM"):
        OrganizationFactory(code=f"TD-ZQ-{code}", name=f"{code}社区大党委", parent=street)
    demo.seed(io.StringIO())
    counts = ServiceCentre.objects.count(), ServiceItem.objects.count()
    demo.seed(io.StringIO())
    assert counts == (ServiceCentre.objects.count(), ServiceItem.objects.count())
    assert counts[0] == 3 and counts[1] > 10


def test_resident_accounts_are_listed_masked_in_scope(admin_client_for, users, tree):
    from portal.accounts import resident_register

    resident_register(
        name="王阿姨", phone="13912345678", password="Yuanlin-2026!", community=tree["community_a"]
    )
    resident_register(
        name="李叔", phone="13700001111", password="Yuanlin-2026!", community=tree["community_b"]
    )
    html = admin_client_for(users["cadre_a"]).get("/admin/portal/residentprofile/").content.decode()
    assert "王阿姨" in html and "139****5678" in html and "13912345678" not in html
    assert "李叔" not in html


def test_community_page_shows_the_work_phone_never_the_personal_phone(client, tree):
    from tests.portal.factories import make_grid_with_building

    community = tree["community_a"]
    _, worker, _ = make_grid_with_building(community)
    worker.work_phone = "0757-86001234"
    worker.save()
    html = client.get(f"/community/{community.code}/").content.decode()
    assert "赵网格" in html and "0757-86001234" in html
    assert worker.phone not in html and worker.phone[-4:] not in html
