import pytest

from tests.volunteers.factories import ActivityFactory, VolunteerFactory


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    # Test users are created per test; real PBKDF2 rounds would dominate the run time.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def vol_a(tree):
    return VolunteerFactory(community=tree["community_a"], name="张三", phone="13812345678")


@pytest.fixture
def vol_b(tree):
    return VolunteerFactory(community=tree["community_b"], name="李四")


@pytest.fixture
def activity_a(tree):
    return ActivityFactory(organizer=tree["community_a"], capacity=2)


@pytest.fixture
def street_actor(users):
    return users["street"]


@pytest.fixture
def resident_user(db):
    from tests.factories import UserFactory

    return UserFactory(username="resident1", is_staff=False)
