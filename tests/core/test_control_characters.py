"""Control characters (issue 15): refused at the API's door, and a record that already holds one
never breaks an export of its list."""

import io

import openpyxl
import pytest

from core.importing import write_table
from organizations.models import Organization

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("fmt", ["json", "multipart"])
def test_api_refuses_text_with_control_characters(users, api, tree, fmt):
    response = api(users["street"]).patch(
        "/api/v1/organizations/A/", {"name": "园林\x0b社区"}, format=fmt
    )
    assert response.status_code == 400
    assert "控制字符" in response.json()["detail"]
    assert Organization.objects.get(code="A").name == "园林社区大党委"


def test_api_keeps_tabs_and_line_breaks(users, api, tree):
    response = api(users["street"]).patch(
        "/api/v1/organizations/A/", {"name": "园林社区\t大党委"}, format="json"
    )
    assert response.status_code == 200, response.content


@pytest.mark.parametrize("fmt", ["xlsx", "csv"])
def test_export_of_a_stored_control_character_does_not_fail(users, api, tree, fmt):
    Organization.objects.filter(code="A").update(name="园林\x0b社区\x1f大党委")
    response = api(users["street"]).get(f"/api/v1/organizations/export/?file_format={fmt}")
    assert response.status_code == 200
    if fmt == "xlsx":
        sheet = openpyxl.load_workbook(io.BytesIO(response.content)).active
        names = [row[1] for row in sheet.iter_rows(values_only=True)]
        assert "园林社区大党委" in names
    else:
        assert "园林社区大党委" in response.content.decode("utf-8-sig")


def test_write_table_drops_characters_xlsx_cannot_hold():
    data = write_table(["名称"], [["a\x00b\x08c"]], "xlsx", "表")
    sheet = openpyxl.load_workbook(io.BytesIO(data)).active
    assert sheet["A2"].value == "abc"
