"""Writes to endpoints: save (URL checked, secret generated or rotated), enable again."""

from __future__ import annotations

import secrets

from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.utils import timezone

from core.links import derived
from core.services import audit, scoped_save
from webhooks.choices import EventKind
from webhooks.models import Endpoint
from webhooks.services.addresses import AddressRefused, check_url

KINDS_CACHE_PREFIX = "webhooks:subscribed-kinds"
KINDS_CACHE_SECONDS = 60


def kinds_cache_key() -> str:
    # Per database: a development site, the test database and a benchmark may share one Redis.
    return f"{KINDS_CACHE_PREFIX}:{connection.settings_dict['NAME']}"


def new_secret() -> str:
    return secrets.token_urlsafe(32)


def subscribed_kinds() -> frozenset[str]:
    """Event kinds some active endpoint subscribes to (cached, so events nobody listens to
    cost no query; dropped after every endpoint write)."""
    kinds = cache.get(kinds_cache_key())
    if kinds is None:
        kinds = sorted(
            {k for row in Endpoint.objects.filter(active=True).values_list("event_kinds", flat=True)
             for k in (row or [])}
        )  # fmt: skip
        cache.set(kinds_cache_key(), kinds, KINDS_CACHE_SECONDS)
    return frozenset(kinds)


def forget_kinds() -> None:
    key = kinds_cache_key()
    transaction.on_commit(lambda: cache.delete(key))
    cache.delete(key)


def _clean_kinds(kinds) -> list[str]:
    if not isinstance(kinds, list) or not all(isinstance(k, str) for k in kinds):
        raise ValidationError({"event_kinds": ["订阅事件应为事件类型的列表。"]})
    unknown = [k for k in kinds if k not in EventKind.values]
    if unknown:
        raise ValidationError({"event_kinds": [f"未知的事件类型：{'、'.join(unknown)}。"]})
    return sorted(set(kinds))


@transaction.atomic
def endpoint_save(*, actor, endpoint: Endpoint) -> Endpoint:
    """Create or change an endpoint. The URL must pass ``check_url``; a blank secret gets a
    new one; a changed secret keeps the old one as ``previous_secret`` (see docs/webhooks.md);
    enabling a disabled endpoint clears its failure count."""
    try:
        check_url(endpoint.url)
    except AddressRefused as exc:
        raise ValidationError({"url": [str(exc)]}) from exc
    endpoint.event_kinds = _clean_kinds(endpoint.event_kinds)
    stored = Endpoint.objects.filter(pk=endpoint.pk).first() if endpoint.pk else None
    if not endpoint.secret:
        endpoint.secret = stored.secret if stored is not None else new_secret()
    if stored is not None and stored.secret != endpoint.secret:
        endpoint.previous_secret = stored.secret
        endpoint.secret_rotated_at = timezone.now()
    if endpoint.active and (stored is None or not stored.active):
        endpoint.consecutive_failures = 0
        endpoint.disabled_at = None
        endpoint.disabled_reason = ""
    if stored is None and endpoint.owner_id is None and getattr(actor, "pk", None):
        endpoint.owner = actor
    derived(endpoint, "owner")
    scoped_save(actor=actor, instance=endpoint)
    audit(
        actor=actor,
        action="webhook_endpoint.create" if stored is None else "webhook_endpoint.update",
        target=endpoint,
        organization=endpoint.organization,
        detail={"kinds": endpoint.event_kinds, "active": endpoint.active},
    )
    forget_kinds()
    return endpoint


@transaction.atomic
def endpoint_rotate_secret(*, actor, endpoint: Endpoint) -> Endpoint:
    """A new secret; the old one stays valid as the second signature for a day."""
    endpoint = Endpoint.objects.select_for_update().get(pk=endpoint.pk)
    endpoint.secret = new_secret()
    return endpoint_save(actor=actor, endpoint=endpoint)
