"""Reusable scope assertions: an out-of-scope record must look exactly like a missing one
(404, never its data) in the admin and the API. Each model's test passes its URLs and names."""

from __future__ import annotations

from django.urls import reverse


def admin_urls(obj) -> dict[str, str]:
    meta = obj._meta
    prefix = f"admin:{meta.app_label}_{meta.model_name}"
    return {
        "change": reverse(f"{prefix}_change", args=[obj.pk]),
        "delete": reverse(f"{prefix}_delete", args=[obj.pk]),
        "history": reverse(f"{prefix}_history", args=[obj.pk]),
    }


def assert_admin_hides(client, obj, secret: str) -> None:
    """GET and POST on change/delete/history of ``obj`` are 404 and never show ``secret``."""
    for name, url in admin_urls(obj).items():
        for method in ("get", "post"):
            response = getattr(client, method)(url, {"post": "yes"} if name == "delete" else {})
            assert response.status_code == 404, (name, method, response.status_code)
            assert secret not in response.content.decode(), (name, method)


def assert_api_hides(client, detail_url: str, secret: str, payload: dict) -> None:
    """Read, change and delete of an out-of-scope record are 404 with the standard body."""
    for method, data in (("get", None), ("patch", payload), ("put", payload), ("delete", None)):
        response = getattr(client, method)(detail_url, data, format="json")
        assert response.status_code == 404, (method, response.status_code)
        body = response.json()
        assert body["status"] == 404 and body["code"] == "not_found", body
        assert secret not in response.content.decode()
