import io

import pytest
from django.contrib.auth import get_user_model

from covenants import demo
from covenants.choices import AgreementStatus, UnitKind
from covenants.models import Agreement, Covenant, LiaisonLog, Need, PartnerUnit, UnitAssessment
from covenants.selectors import (
    agreements_expiring,
    inactive_units,
    needs_unmatched,
    resources_idle,
    unit_activity_table,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def seeded(roles):
    from core.demo import ensure_user
    from organizations import demo as org_demo

    ensure_user("admin", superuser=True)
    out = io.StringIO()
    org_demo.seed(out)
    demo.seed(out)
    return out.getvalue()


def test_demo_is_realistic_and_idempotent(seeded):
    admin = get_user_model().objects.get(username="admin")
    counts = (
        PartnerUnit.objects.count(),
        Agreement.objects.count(),
        LiaisonLog.objects.count(),
        Need.objects.count(),
    )
    demo.seed(io.StringIO())
    assert counts == (
        PartnerUnit.objects.count(),
        Agreement.objects.count(),
        LiaisonLog.objects.count(),
        Need.objects.count(),
    )
    assert set(PartnerUnit.objects.values_list("kind", flat=True)) == set(UnitKind.values)
    assert PartnerUnit.objects.count() >= 12
    assert set(Agreement.objects.values_list("status", flat=True)) == {
        AgreementStatus.SIGNED,
        AgreementStatus.TERMINATED,
        AgreementStatus.DRAFT,
    }
    table = unit_activity_table(admin)
    assert table.activities > 200
    assert 0.5 <= table.handout_share <= 0.7
    inactive = inactive_units(admin)
    assert 0.25 <= len(inactive) / len(table.rows) <= 0.6
    assert agreements_expiring(admin).exists()
    assert needs_unmatched(admin).exists() and resources_idle(admin).exists()
    charter = Covenant.objects.get(code="GY-YL-01")
    assert [v.is_current for v in charter.versions.order_by("number")] == [False, True]
    assert UnitAssessment.objects.values("grade").distinct().count() >= 2


def test_demo_users_see_their_share(seeded):
    from django.contrib.auth import get_user_model

    yuanlin = get_user_model().objects.get(username="yuanlin")
    codes = set(PartnerUnit.objects.visible_to(yuanlin).values_list("code", flat=True))
    assert codes and "TD-ZQ-U04" not in codes  # 卫生服务中心 works with 胜利 only
