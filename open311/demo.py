"""Demo Open311 keys (idempotent): one active key for the demo street, one revoked for a
community. The raw key is printed once, when it is created (only its digest is kept)."""

from __future__ import annotations

import secrets

from django.utils import timezone

from open311.choices import KEY_PREFIX, KEY_PREFIX_SHOWN
from open311.models import ApiKey
from open311.services.keys import key_digest
from organizations.models import Organization

DEMO_KEYS = [
    # (organisation code, integrator name, active)
    ("TD-ZQ", "12345 热线转办平台（演示）", True),
    ("TD-ZQ-YL", "园林社区小程序（演示，已吊销）", False),
]


def seed(stdout) -> None:
    made = 0
    for code, name, active in DEMO_KEYS:
        org = Organization.objects.filter(code=code).first()
        if org is None or ApiKey.objects.filter(name=name).exists():
            continue
        raw = KEY_PREFIX + secrets.token_urlsafe(30)
        ApiKey.objects.create(
            name=name,
            organization=org,
            key_prefix=raw[:KEY_PREFIX_SHOWN],
            key_hash=key_digest(raw),
            active=active,
            revoked_at=None if active else timezone.now(),
        )
        made += 1
        if active:
            stdout.write(f"open311: demo key for {code} (shown once): {raw}\n")
    stdout.write(f"open311: {made} demo keys\n")
