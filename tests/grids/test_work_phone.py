"""GridWorker.work_phone: the public duty phone (validated, not masked), next to the personal
phone (masked)."""

import pytest
from django.core.exceptions import ValidationError

from grids.importers import GridWorkerImporter
from grids.models import GridWorker
from tests.core.files import csv_bytes


def test_work_phone_is_validated_and_may_be_blank(roster):
    worker = roster["workers"]["worker"]
    worker.work_phone = "12345"
    with pytest.raises(ValidationError) as err:
        worker.full_clean()
    assert "work_phone" in err.value.message_dict
    for value in ("", "0757-86001234", "13800001111"):
        worker.work_phone = value
        worker.full_clean()


def test_api_shows_work_phone_plainly_and_masks_the_personal_phone(api, users, roster):
    worker = roster["workers"]["worker"]
    worker.phone, worker.work_phone = "13812349999", "0757-86001234"
    worker.save()
    response = api(users["cadre_a"]).get(f"/api/v1/grid-workers/{worker.code}/")
    assert response.status_code == 200
    body = response.json()
    assert body["work_phone"] == "0757-86001234"
    assert body["phone"] != "13812349999" and "13812349999" not in response.content.decode()


def test_api_sets_and_validates_the_work_phone(api, users, roster):
    worker = roster["workers"]["worker"]
    client = api(users["cadre_a"])
    url = f"/api/v1/grid-workers/{worker.code}/"
    bad = client.patch(url, {"work_phone": "abc"}, format="json")
    assert bad.status_code == 400 and "work_phone" in bad.json()["errors"]
    ok = client.patch(url, {"work_phone": "0757-86005678"}, format="json")
    assert ok.status_code == 200, ok.content
    worker.refresh_from_db()
    assert worker.work_phone == "0757-86005678"


def test_admin_lists_and_edits_the_work_phone(admin_client_for, users, roster):
    worker = roster["workers"]["worker"]
    worker.work_phone = "0757-86001234"
    worker.save()
    client = admin_client_for(users["cadre_a"])
    listing = client.get("/admin/grids/gridworker/").content.decode()
    assert "0757-86001234" in listing
    page = client.get(f"/admin/grids/gridworker/{worker.pk}/change/").content.decode()
    assert 'name="work_phone"' in page


def test_import_sets_the_work_phone(users, roster):
    header = ["编号", "网格编码", "岗位", "姓名", "电话", "工作电话"]
    rows = [header, ["A-W8", "A-S1-G2", "兼职网格员", "新网格员", "13900000008", "0757-86007777"]]
    result = GridWorkerImporter(users["cadre_a"]).run(csv_bytes(rows), "w.csv", dry_run=False)
    assert result.committed, result.errors
    assert GridWorker.objects.get(code="A-W8").work_phone == "0757-86007777"
    rows = [header, ["A-W7", "A-S1-G2", "兼职网格员", "新网格员", "13900000007", "123"]]
    result = GridWorkerImporter(users["cadre_a"]).run(csv_bytes(rows), "w.csv", dry_run=False)
    assert not result.committed and not GridWorker.objects.filter(code="A-W7").exists()
