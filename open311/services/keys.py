"""Issuing, revoking and checking integrators' Open311 keys.

A key is 45 characters (``o311_`` + 40 random url-safe ones); only its SHA-256 is stored (a
random 240-bit secret needs no slow hash) with the first 12 characters as a prefix to tell keys
apart in the admin. The raw key is returned once by ``api_key_issue`` and never again.

Use is logged by a counter: every accepted key bumps ``use_count`` and ``last_used_at`` in one
UPDATE; each case filed through a key also writes an ``open311.request`` audit row naming it
(``open311.services.requests``). Issue and revoke are audited too.
"""

from __future__ import annotations

import hashlib
import secrets

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from core.links import check_links
from core.scope import require_in_scope
from core.services import audit
from open311.choices import KEY_PREFIX, KEY_PREFIX_SHOWN
from open311.models import ApiKey


def key_digest(raw: str) -> str:
    return hashlib.sha256((raw or "").encode()).hexdigest()


@transaction.atomic
def api_key_issue(*, actor, name: str, organization) -> tuple[ApiKey, str]:
    """A new key for ``organization``'s subtree; returns (record, raw key shown once)."""
    raw = KEY_PREFIX + secrets.token_urlsafe(30)
    key = ApiKey(
        name=(name or "").strip(),
        organization=organization,
        key_prefix=raw[:KEY_PREFIX_SHOWN],
        key_hash=key_digest(raw),
        created_by=actor if getattr(actor, "pk", None) else None,
    )
    check_links(actor=actor, instance=key)
    key.full_clean()
    require_in_scope(actor, organization, "该组织不在您的管辖范围内。")
    key.save()
    audit(
        actor=actor,
        action="open311.key_issue",
        target=key,
        organization=organization,
        detail={"prefix": key.key_prefix},
    )
    return key, raw


@transaction.atomic
def api_key_revoke(*, actor, key: ApiKey) -> ApiKey:
    """Revoke for good: the key is refused (403) from the next request on."""
    key = ApiKey.objects.select_for_update().get(pk=key.pk)
    require_in_scope(actor, key.organization, "该密钥不在您的管辖范围内。")
    if not key.active:
        raise ValidationError({"active": ["该密钥已吊销。"]})
    key.active = False
    key.revoked_at = timezone.now()
    key.save(update_fields=["active", "revoked_at"])
    audit(
        actor=actor,
        action="open311.key_revoke",
        target=key,
        organization=key.organization,
        detail={"prefix": key.key_prefix},
    )
    return key


class KeyRefused(PermissionDenied):
    pass


def authenticate(raw: str) -> ApiKey:
    """The active key ``raw`` stands for, its use counted; ``KeyRefused`` otherwise (unknown,
    malformed and revoked keys alike)."""
    raw = (raw or "").strip()
    if not raw.startswith(KEY_PREFIX) or len(raw) > 100:
        raise KeyRefused("api_key 无效或已吊销。")
    key = (
        ApiKey.objects.select_related("organization")
        .filter(key_hash=key_digest(raw), active=True)
        .first()
    )
    if key is None:
        raise KeyRefused("api_key 无效或已吊销。")
    now = timezone.now()
    ApiKey.objects.filter(pk=key.pk).update(use_count=F("use_count") + 1, last_used_at=now)
    key.last_used_at = now
    return key


def key_covers(key: ApiKey, organization) -> bool:
    """Whether ``organization`` lies in the key's subtree."""
    root = key.organization
    return (
        organization.tree_id == root.tree_id
        and root.lft <= organization.lft
        and organization.rght <= root.rght
    )
