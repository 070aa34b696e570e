"""Issue 18 item 4 (layout): the case page's next workflow steps are primary buttons above the
read-only form, and a step page's breadcrumb names the case."""

import datetime as dt

import pytest
from django.utils import timezone

from tests.governance.test_digest import make_case

pytestmark = pytest.mark.django_db


def test_next_steps_are_primary_buttons_above_the_form(tree, users, admin_client_for):
    case = make_case(tree["community_a"], code="LY1", due=timezone.now() + dt.timedelta(days=2))
    client = admin_client_for(users["cadre_a"])
    html = client.get(f"/admin/grids/case/{case.pk}/change/").content.decode()
    steps = html.index('class="case-steps"')
    assert 'class="button default case-step"' in html
    assert f"/admin/grids/case/{case.pk}/step/accept/" in html
    assert steps < html.index("<fieldset")  # above the form's fields
    assert steps < html.index('class="submit-row"')  # not under the save buttons
    step = client.get(f"/admin/grids/case/{case.pk}/step/accept/").content.decode()
    crumbs = step[
        step.index('class="breadcrumbs"') : step.index("</div>", step.index('class="breadcrumbs"'))
    ]
    assert f'href="/admin/grids/case/{case.pk}/change/">LY1</a>' in crumbs
    assert "/admin/grids/case/" in crumbs
