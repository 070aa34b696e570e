"""Every admin page opens for every role without a server error (issue 15, the cross-cutting
rule): on the demo data, each demo user walks every registered model's changelist (plain and
searched), add page, and for the first visible object its change, delete, history and history
version pages. Forbidden is fine (403/302/404); a 500 is not."""

import io
import traceback

import pytest
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.test import Client
from django.urls import NoReverseMatch, reverse

pytestmark = pytest.mark.django_db

# dept_zj: a 职能部门 account (sees only what was whistled to it); member1: a registered
# in-service member's account (报到党员: only the cases dispatched to them)
ROLE_USERS = ("admin", "street", "yuanlin", "shengli", "district", "dept_zj", "member1")


def _pages(model, model_admin, request_user):
    meta = model._meta
    base = f"admin:{meta.app_label}_{meta.model_name}"
    yield reverse(f"{base}_changelist")
    yield reverse(f"{base}_changelist") + "?q=1"
    yield reverse(f"{base}_add")
    obj = model._default_manager.order_by("pk").first()
    try:
        visible = model_admin.get_queryset(_FakeRequest(request_user)).order_by("pk").first()
    except Exception:  # the walk below reports the page itself
        visible = None
    for target in (visible, obj):
        if target is None:
            continue
        yield reverse(f"{base}_change", args=[target.pk])
        yield reverse(f"{base}_delete", args=[target.pk])
        yield reverse(f"{base}_history", args=[target.pk])
        history = getattr(target, "history", None)
        if history is not None and hasattr(history, "order_by"):
            version = history.order_by("history_date").first()
            if version is not None:
                try:
                    yield reverse(f"{base}_simple_history", args=[target.pk, version.pk])
                except NoReverseMatch:
                    pass


class _FakeRequest:
    def __init__(self, user):
        self.user = user
        self.GET = {}
        self.META = {}


def test_every_admin_page_opens_for_every_role():
    from core.demo import seed_all

    seed_all(io.StringIO())
    User = get_user_model()
    users = [User.objects.get(username=name) for name in ROLE_USERS]
    failures = []
    for user in users:
        client = Client(raise_request_exception=False)
        client.force_login(user)
        for model, model_admin in admin.site._registry.items():
            for url in _pages(model, model_admin, user):
                response = client.get(url)
                if response.status_code >= 500:
                    exc = getattr(response, "exc_info", None)
                    reason = "".join(traceback.format_exception(*exc)[-3:]) if exc else ""
                    failures.append(f"{user.username} {url} → {response.status_code} {reason}")
    assert not failures, "\n".join(failures)
