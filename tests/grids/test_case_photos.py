"""Case photos: the same content check (real image, size, count) whichever way they come in —
the service itself, the admin desk form and the staff API."""

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile

from core.photos import MAX_PHOTO_BYTES, MAX_PHOTOS, photo_problems
from grids.models import Case, CasePhoto
from grids.services.cases import case_file_at_desk
from tests.portal.factories import PNG_BYTES

pytestmark = pytest.mark.django_db


def png(name="scene.png"):
    return SimpleUploadedFile(name, PNG_BYTES, content_type="image/png")


def text_as_jpg():
    return SimpleUploadedFile("scene.jpg", b"not an image at all", content_type="image/jpeg")


def oversized():
    return SimpleUploadedFile(
        "big.png", PNG_BYTES + b"\0" * MAX_PHOTO_BYTES, content_type="image/png"
    )


def test_photo_problems_name_each_bad_file_and_rename_good_ones():
    good, fake, big = png("我的照片.png"), text_as_jpg(), oversized()
    problems = photo_problems([good, fake, big])
    assert problems == [
        "“scene.jpg”不是图片文件，只收 JPG、PNG、WEBP、HEIC。",
        "“big.png”有 5.0 MB，超过每张 5 MB 的上限。",
    ]
    assert good.name == "photo.png"  # never the sender's name
    assert photo_problems([png() for _ in range(MAX_PHOTOS + 1)]) == [
        f"照片最多 {MAX_PHOTOS} 张，您选了 {MAX_PHOTOS + 1} 张。"
    ]


def desk(users, roster, photos):
    return case_file_at_desk(
        actor=users["cadre_a"],
        category="facilities",
        description="楼道灯坏了",
        reporter_name="赵六",
        reporter_phone="13600001111",
        building=roster["buildings"]["b1"],
        photos=photos,
    )


def test_service_refuses_a_non_image_and_keeps_nothing(users, roster):
    with pytest.raises(ValidationError) as exc:
        desk(users, roster, [png(), text_as_jpg()])
    assert "不是图片文件" in str(exc.value.message_dict["photos"])
    assert not Case.objects.exists() and not CasePhoto.objects.exists()
    case = desk(users, roster, [png()])
    assert [p.file.name.rsplit("/", 1)[-1].startswith("photo") for p in case.photos.all()] == [True]


def admin_form(grids, **extra):
    return {
        "category": "livelihood",
        "description": "窗口来访：楼道灯坏了",
        "reporter_name": "赵六",
        "reporter_phone": "13600001111",
        "community": grids["g1"].community_id,
        "grid": grids["g1"].pk,
        "location": "",
        **extra,
    }


def test_admin_desk_form_takes_photos_and_checks_their_content(
    admin_client_for, users, roster, grids
):
    client = admin_client_for(users["cadre_a"])
    page = client.get("/admin/grids/case/add/").content.decode()
    assert 'enctype="multipart/form-data"' in page and 'name="photos"' in page
    response = client.post("/admin/grids/case/add/", admin_form(grids, photos=[text_as_jpg()]))
    assert response.status_code == 200 and "不是图片文件" in response.content.decode()
    response = client.post("/admin/grids/case/add/", admin_form(grids, photos=[oversized()]))
    assert response.status_code == 200 and "上限" in response.content.decode()
    assert not Case.objects.exists()
    response = client.post("/admin/grids/case/add/", admin_form(grids, photos=[png(), png()]))
    assert response.status_code == 302
    assert Case.objects.get().photos.count() == 2


def api_data(**extra):
    return {
        "source": "patrol",
        "category": "environment",
        "description": "垃圾桶破损",
        "reporter_name": "网格员",
        "reporter_phone": "13811110000",
        "building": "A-B2",
        **extra,
    }


def test_api_filing_takes_photos_by_multipart_and_checks_their_content(api, users, roster):
    client = api(users["grid_a"])
    bad = client.post("/api/v1/cases/", api_data(photos=[text_as_jpg()]), format="multipart")
    assert bad.status_code == 400 and "不是图片文件" in str(bad.json())
    big = client.post("/api/v1/cases/", api_data(photos=[oversized()]), format="multipart")
    assert big.status_code == 400 and "上限" in str(big.json())
    assert not Case.objects.exists()
    ok = client.post("/api/v1/cases/", api_data(photos=[png(), png()]), format="multipart")
    assert ok.status_code == 201, ok.json()
    assert Case.objects.get().photos.count() == 2
