"""Forms that keep what you gave them: a photo survives a form error (kept server-side under a
signed, expiring token, shown as a thumbnail with 重新选择); the error summary lists and links
each field with its message and takes focus."""

import re
from pathlib import Path

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile

from portal import pending_photos
from portal.adapters import features
from tests.portal.factories import PNG_BYTES, make_grid_with_building
from tests.portal.test_cases import code_after, form_data

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(not features()["cases"], reason="grids case services not installed"),
]


@pytest.fixture
def place(tree):
    grid, worker, building = make_grid_with_building(tree["community_a"])
    return {"grid": grid, "worker": worker, "building": building}


def _photo():
    return SimpleUploadedFile("灯.png", PNG_BYTES, content_type="image/png")


def _token(html):
    return re.search(r'name="photos_token" value="([^"]+)"', html).group(1)


def _pending_files():
    root = Path(settings.MEDIA_ROOT) / "pending"
    return sorted(root.iterdir()) if root.is_dir() else []


def test_photo_survives_a_form_error_and_is_filed_with_the_case(client, place):
    from grids.models import Case

    response = client.post("/report/", form_data(client, place, description="", photos=[_photo()]))
    html = response.content.decode()
    assert response.status_code == 200 and 'id="kept-photos"' in html
    assert "已保留您选的 1 张照片" in html and "重新选择照片" in html
    thumb = re.search(r'id="kept-photos".*?<img src="([^"]+)"', html, re.S).group(1)
    assert thumb.startswith("/files/signed/") and client.get(thumb).status_code == 200
    token = _token(html)
    before = len(_pending_files())
    assert before >= 1
    code = code_after(client, client.post("/report/", form_data(client, place, photos_token=token)))
    case = Case.objects.get(tracking_code=code)
    assert case.photos.count() == 1 and case.photos.get().file.name.startswith("cases/")
    assert len(_pending_files()) == before - 1  # the kept copy is gone


def test_choosing_again_replaces_and_ticking_drops_the_kept_photos(client, place):
    from grids.models import Case

    html = client.post(
        "/report/", form_data(client, place, description="", photos=[_photo()])
    ).content.decode()
    token = _token(html)
    code = code_after(
        client,
        client.post("/report/", form_data(client, place, photos_token=token, photos_drop="1")),
    )
    assert Case.objects.get(tracking_code=code).photos.count() == 0


@pytest.mark.parametrize("how", ["expired", "forged"])
def test_expired_or_forged_token_says_so_and_files_nothing(client, place, monkeypatch, how):
    from grids.models import Case

    html = client.post(
        "/report/", form_data(client, place, description="", photos=[_photo()])
    ).content.decode()
    token = _token(html)
    if how == "expired":
        monkeypatch.setattr(pending_photos, "MAX_AGE", -1)
    else:
        token = token[:-4] + "abcd"
    response = client.post("/report/", form_data(client, place, photos_token=token))
    assert response.status_code == 200
    assert "保留时间（1 小时）已过" in response.content.decode()
    assert Case.objects.count() == 0


def test_error_summary_links_each_field_and_takes_focus(client, place):
    html = client.post(
        "/report/", form_data(client, place, description="", name="", phone="123")
    ).content.decode()
    summary = re.search(r'<div class="alert error error-summary"(.*?)</div>', html, re.S).group(0)
    assert "data-focus" in summary and 'tabindex="-1"' in summary
    assert '<a href="#id_description">问题描述：这一项必须填写。</a>' in summary
    assert '<a href="#id_name">您的称呼：' in summary and '<a href="#id_phone">' in summary
    assert "您已填写的内容都保留着" in summary


def test_an_oversized_photo_is_not_kept(client, place, monkeypatch):
    monkeypatch.setattr("core.photos.MAX_PHOTO_BYTES", 10)
    html = client.post(
        "/report/", form_data(client, place, description="", photos=[_photo()])
    ).content.decode()
    assert 'id="kept-photos"' not in html and "上限" in html


def test_abandoned_kept_photos_are_swept(client, place):
    import os
    import time

    client.post("/report/", form_data(client, place, description="", photos=[_photo()]))
    files = _pending_files()
    assert files
    assert pending_photos.sweep() == 0  # still within its hour
    old = time.time() - 3 * pending_photos.MAX_AGE
    for f in files:
        os.utime(f, (old, old))
    assert pending_photos.sweep() == len(files)
    assert _pending_files() == []
