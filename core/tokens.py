"""API tokens: issue, authenticate, list, revoke.

One user may hold several tokens (one per integration), each with a name, an expiry
(``API_TOKEN_TTL_DAYS``, default 30) and a last-used time. Only a SHA-256 of the key is
stored. A token records a stamp of its user's password hash when issued; a password change
(from any place: admin, portal, ``set_password``) changes the hash, so every older token stops
working at its next use, without signals. A deactivated user's tokens stop working as well.
Dead tokens are deleted when they are presented.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from rest_framework import exceptions
from rest_framework.authentication import TokenAuthentication

from core.models import ApiToken
from core.services import audit

# last_used_at is written at most this often per token (not one UPDATE per request).
_TOUCH_EVERY = timedelta(minutes=5)


def _hash(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def password_stamp(user) -> str:
    """Changes whenever the password (hash) changes; keyed, so the stored stamp reveals nothing."""
    return hmac.new(
        settings.SECRET_KEY.encode(), f"{user.pk}:{user.password}".encode(), hashlib.sha256
    ).hexdigest()


def token_ttl() -> timedelta:
    return timedelta(days=settings.API_TOKEN_TTL_DAYS)


@transaction.atomic
def token_issue(*, user, name: str = "") -> tuple[ApiToken, str]:
    """A new token for ``user``; returns the row and the key (shown once, never stored)."""
    key = secrets.token_hex(20)
    token = ApiToken.objects.create(
        user=user,
        name=(name or "")[:100],
        key_hash=_hash(key),
        prefix=key[:8],
        password_stamp=password_stamp(user),
        expires_at=timezone.now() + token_ttl(),
    )
    audit(actor=user, action="auth.token_issue", target=token)
    return token, key


@transaction.atomic
def token_revoke(*, actor, token: ApiToken) -> None:
    audit(
        actor=actor,
        action="auth.token_revoke",
        target_type="core.apitoken",
        target_repr=f"{token.prefix}… ({token.user_id})",
    )
    token.delete()


def tokens_of(user):
    """The user's live tokens (expired and stale ones are not shown)."""
    stamp = password_stamp(user)
    return ApiToken.objects.filter(
        user=user, expires_at__gt=timezone.now(), password_stamp=stamp
    ).order_by("-created_at")


def token_is_live(token: ApiToken) -> bool:
    user = token.user
    return (
        user.is_active
        and token.expires_at > timezone.now()
        and hmac.compare_digest(token.password_stamp, password_stamp(user))
    )


class ExpiringTokenAuthentication(TokenAuthentication):
    """``Authorization: Token <key>`` against ``ApiToken``: unknown, expired, revoked and
    stale (password changed, user deactivated) tokens all answer 401."""

    def authenticate_credentials(self, key):
        # One indexed query (key_hash is unique): no ORDER BY for first(), nothing else.
        found = list(ApiToken.objects.select_related("user").filter(key_hash=_hash(key or ""))[:1])
        token = found[0] if found else None
        if token is None:
            raise exceptions.AuthenticationFailed("令牌无效。")
        if not token_is_live(token):
            token.delete()
            raise exceptions.AuthenticationFailed("令牌已过期或已失效，请重新获取。")
        now = timezone.now()
        if token.last_used_at is None or now - token.last_used_at > _TOUCH_EVERY:
            ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
            token.last_used_at = now
        return token.user, token
