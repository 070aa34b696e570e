"""The signature scheme (docs/webhooks.md): ``X-Signature: sha256=<hex>`` where hex is
HMAC-SHA256(secret, f"{timestamp}.".encode() + body) over the exact body bytes, and
``X-Webhook-Timestamp`` is the Unix time in seconds at sending."""

from __future__ import annotations

import hashlib
import hmac
import json
from typing import Any


def body_bytes(payload: dict[str, Any]) -> bytes:
    return json.dumps(payload, ensure_ascii=False, separators=(",", ":"), sort_keys=True).encode()


def sign(secret: str, timestamp: int, body: bytes) -> str:
    digest = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return "sha256=" + digest.hexdigest()
