"""Uploads served by their records' rules: staff in scope, residents their own, the public only
what is published; 404 for everything else; X-Accel-Redirect in production; thumbnails."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from django.apps import apps
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import models
from django.test import Client

from core.media import PROTECTED
from core.roles import UNIT_LIAISON
from tests.conftest import make_user
from tests.portal.factories import make_grid_with_building, make_resident


def _png(size=(800, 600), color=(200, 30, 30)) -> bytes:
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", size, color).save(buffer, "PNG")
    return buffer.getvalue()


PNG = _png()


def test_every_file_field_of_the_project_is_protected():
    from django.conf import settings

    declared = {(entry.model.lower(), entry.field) for entry in PROTECTED.values()}
    found = set()
    for app in settings.PROJECT_APPS:
        label = app.rsplit(".", 1)[-1]
        for model in apps.get_app_config(label).get_models():
            for field in model._meta.get_fields():
                if isinstance(field, models.FileField):
                    found.add((f"{model._meta.app_label}.{model.__name__}".lower(), field.name))
    assert found == declared
    for prefix, entry in PROTECTED.items():
        field = apps.get_model(entry.model)._meta.get_field(entry.field)
        upload_to = field.upload_to
        if callable(upload_to):
            assert prefix == "covenants/activities/"
        else:
            assert upload_to.startswith(prefix), (upload_to, prefix)


def _case(actor, building, phone="13600001111"):
    from grids.services.cases import case_file_at_desk

    return case_file_at_desk(
        actor=actor,
        category="facilities",
        description="楼道灯坏了",
        reporter_name="赵六",
        reporter_phone=phone,
        building=building,
        photos=[SimpleUploadedFile("现场.png", PNG, content_type="image/png")],
    )


@pytest.fixture
def photos(tree, users):
    _, _, building_a = make_grid_with_building(tree["community_a"])
    _, _, building_b = make_grid_with_building(tree["community_b"], code="G2", building_code="BLD2")
    case_a = _case(users["cadre_a"], building_a)
    case_b = _case(users["cadre_b"], building_b, phone="13700002222")
    return {"a": case_a.photos.get().file.name, "b": case_b.photos.get().file.name}


def _get(user, url, **extra):
    client = Client()
    if user is not None:
        client.force_login(user)
    return client.get(url, **extra)


def _body(response) -> bytes:
    return b"".join(response.streaming_content) if response.streaming else response.content


def test_case_photo_urls_are_protected_urls(photos):
    from grids.models import CasePhoto

    photo = CasePhoto.objects.get(file=photos["a"])
    assert photo.file.url == f"/files/{photos['a']}"
    assert photos["a"].startswith("cases/") and "现场" not in photos["a"]


@pytest.mark.parametrize(
    "who, status",
    [
        ("cadre_a", 200),
        ("grid_a", 200),
        ("street", 200),
        ("district", 200),
        ("root", 200),
        ("cadre_b", 404),  # another community's photo
        (None, 404),  # anonymous
        ("liaison", 404),  # staff without the view permission
    ],
)
def test_case_photo_per_role(photos, users, roles, tree, who, status):
    user = (
        make_user("liaison", role=UNIT_LIAISON, scope=[tree["community_a"]])
        if who == "liaison"
        else users.get(who)
    )
    response = _get(user, f"/files/{photos['a']}")
    assert response.status_code == status
    if status == 200:
        assert _body(response) == PNG
        assert response["Content-Type"] == "image/png"
        assert response["Content-Disposition"].startswith("inline")
        assert "private" in response["Cache-Control"]


def test_residents_see_their_own_case_photos_only(client, photos, tree):
    make_resident(client, tree["community_a"], phone="13600001111", name="赵六")
    assert client.get(f"/files/{photos['a']}").status_code == 200
    assert client.get(f"/files/{photos['b']}").status_code == 404
    other = Client()
    make_resident(other, tree["community_a"], phone="13911112222", name="钱七")
    assert other.get(f"/files/{photos['a']}").status_code == 404


@pytest.mark.parametrize(
    "url",
    [
        "/files/cases/2026/01/photo.png",  # a guessed name
        "/files/cases/../../config/settings.py",
        "/files/cases/%2e%2e/%2e%2e/config/settings.py",
        "/files/cases/..%2f..%2fconfig%2fsettings.py",
        "/files//etc/passwd",
        "/files/import-staging/anything.xlsx",  # under MEDIA_ROOT but no record's file
        "/files/thumb/cases/2026/01/photo.png",
    ],
)
def test_guessed_and_traversal_names_are_404(users, photos, url):
    assert _get(users["root"], url).status_code == 404


def test_no_public_media_url(users, photos):
    assert _get(users["root"], f"/media/{photos['a']}").status_code == 404


def test_production_hands_the_bytes_to_nginx(settings, users, photos):
    settings.MEDIA_SENDFILE = "nginx"
    response = _get(users["cadre_a"], f"/files/{photos['a']}")
    assert response.status_code == 200
    assert response["X-Accel-Redirect"] == f"/_protected/{photos['a']}"
    assert response.content == b""
    assert response["Content-Type"] == "image/png"
    # Refused requests never reach nginx.
    response = _get(users["cadre_b"], f"/files/{photos['a']}")
    assert response.status_code == 404 and not response.has_header("X-Accel-Redirect")


def test_case_photo_thumbnail_is_made_once_and_kept_on_disk(settings, users, photos):
    from PIL import Image

    url = f"/files/thumb/{photos['a']}"
    response = _get(users["cadre_a"], url)
    assert response.status_code == 200 and response["Content-Type"] == "image/jpeg"
    image = Image.open(io.BytesIO(_body(response)))
    assert max(image.size) == 320 and image.size == (320, 240)
    stored = Path(settings.MEDIA_ROOT) / "thumbs" / f"{photos['a']}.jpg"
    assert stored.is_file()
    made = stored.stat().st_mtime_ns
    assert _get(users["cadre_a"], url).status_code == 200
    assert stored.stat().st_mtime_ns == made  # served from disk, not made again
    assert _get(users["cadre_b"], url).status_code == 404
    settings.MEDIA_SENDFILE = "nginx"
    response = _get(users["cadre_a"], url)
    assert response["X-Accel-Redirect"] == f"/_protected/thumbs/{photos['a']}.jpg"


def test_disclosure_files_are_public_only_when_published(tree, users):
    from datetime import date

    from organizations.models import Body, FinancialDisclosure

    body = Body.objects.create(
        community=tree["community_a"], kind="shareholding_company", name="园林股份合作公司"
    )
    disclosure = FinancialDisclosure.objects.create(
        body=body,
        period="2025年度",
        period_start=date(2025, 1, 1),
        period_end=date(2025, 12, 31),
        title="2025年度财务公开",
        file=SimpleUploadedFile("财务.pdf", b"%PDF-1.4 test", content_type="application/pdf"),
    )
    url = disclosure.file.url
    assert url.startswith("/files/disclosures/")
    assert _get(None, url).status_code == 404
    assert _get(users["cadre_a"], url).status_code == 200
    assert _get(users["cadre_b"], url).status_code == 404
    disclosure.is_public = True
    disclosure.save()
    response = _get(None, url)
    assert response.status_code == 200 and _body(response) == b"%PDF-1.4 test"
    assert f'href="{url}"' in Client().get("/notices/", {"community": "A"}).content.decode()


def test_documents_are_downloads_never_rendered_inline(tree, users):
    from datetime import date

    from organizations.models import Body, FinancialDisclosure

    body = Body.objects.create(
        community=tree["community_a"], kind="shareholding_company", name="公司"
    )
    disclosure = FinancialDisclosure.objects.create(
        body=body,
        period="2025年度",
        period_start=date(2025, 1, 1),
        period_end=date(2025, 12, 31),
        title="公开",
        is_public=True,
        file=SimpleUploadedFile("page.html", b"<script>alert(1)</script>"),
    )
    response = _get(None, disclosure.file.url)
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment")
    assert "sandbox" in response["Content-Security-Policy"]


def test_wish_photo_for_staff_in_scope_and_the_resident_who_posted_it(client, tree, users):
    from volunteers.models import Wish

    profile = make_resident(client, tree["community_a"])
    wish = Wish.objects.create(
        code="W-1",
        title="想要一副老花镜",
        community=tree["community_a"],
        beneficiary_name="王阿姨",
        source="portal",
        posted_by=profile.user,
        fulfilment_photo=SimpleUploadedFile("done.png", PNG, content_type="image/png"),
    )
    url = wish.fulfilment_photo.url
    assert url.startswith("/files/wishes/")
    assert client.get(url).status_code == 200
    assert _get(users["cadre_a"], url).status_code == 200
    assert _get(users["cadre_b"], url).status_code == 404
    assert _get(None, url).status_code == 404
    other = Client()
    make_resident(other, tree["community_a"], phone="13911112222", name="钱七")
    assert other.get(url).status_code == 404
    # The API links the same protected URL; its token fetches it, within the same scope.
    from core.tokens import token_issue

    _, key = token_issue(user=users["cadre_a"])
    api = Client(HTTP_AUTHORIZATION=f"Token {key}")
    linked = api.get("/api/v1/wishes/W-1/").json()["fulfilment_photo"]
    assert linked == f"http://testserver{url}"
    assert api.get(url).status_code == 200
    _, other_key = token_issue(user=users["cadre_b"])
    assert Client(HTTP_AUTHORIZATION=f"Token {other_key}").get(url).status_code == 404
    assert Client(HTTP_AUTHORIZATION="Token wrong").get(url).status_code == 404


def test_admin_case_page_links_the_protected_photo_and_its_thumbnail(
    admin_client_for, users, photos
):
    from grids.models import CasePhoto

    photo = CasePhoto.objects.get(file=photos["a"])
    html = (
        admin_client_for(users["cadre_a"])
        .get(f"/admin/grids/case/{photo.case_id}/change/")
        .content.decode()
    )
    assert f'href="/files/{photos["a"]}"' in html
    assert f'src="/files/thumb/{photos["a"]}"' in html
