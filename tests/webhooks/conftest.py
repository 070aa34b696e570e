import pytest

from tests.core.test_celery_worker import worker  # noqa: F401 (the shared real-worker fixture)
from tests.grids.conftest import grids, roster  # noqa: F401 (cases need the roster)
from tests.webhooks.receiver import Receiver


@pytest.fixture
def receiver(settings):
    settings.WEBHOOK_ALLOW_PRIVATE_ADDRESSES = True
    server = Receiver()
    try:
        yield server
    finally:
        server.close()


@pytest.fixture(autouse=True)
def _fresh_kinds_cache(db):
    from django.core.cache import cache

    from webhooks.services.endpoints import kinds_cache_key

    cache.delete(kinds_cache_key())
    yield
    cache.delete(kinds_cache_key())
