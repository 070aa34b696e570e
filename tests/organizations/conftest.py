import pytest

from tests.organizations.factories import MemberFactory, PartnerUnitFactory


@pytest.fixture
def unit(tree):
    return PartnerUnitFactory(code="U-CITY", name="市自来水公司", organization=tree["street"])


@pytest.fixture
def members(tree, unit):
    """Three members in community A (one retired), two in community B."""
    a = tree["branch_a"]
    b = tree["branch_b"]
    return {
        "a1": MemberFactory(name="张三", branch=a, work_unit=unit),
        "a2": MemberFactory(name="李四", branch=tree["group_a"]),
        "a_retired": MemberFactory(name="王五", branch=a, category="retired"),
        "b1": MemberFactory(name="赵六", branch=b),
        "b2": MemberFactory(name="钱七", branch=b, category="resident"),
    }
