"""Photos that survive a form error: kept server-side under a signed, expiring token.

When a form with photos comes back with an error, the photos that passed their own checks
are stored under ``pending/`` (a prefix ``/files/`` never serves) and the form carries a token
signed with ``django.core.signing`` (salt below, valid ``MAX_AGE``) naming them. The page shows
them as thumbnails through expiring signed links (``core.media.signed_url``); sending the form
again without choosing new photos uses them; choosing new ones or ticking “不要这些照片”
replaces or drops them. An expired or forged token keeps nothing and says so.
"""

from __future__ import annotations

import secrets
from datetime import timedelta

from django.core import signing
from django.core.files.storage import default_storage
from django.utils import timezone

from core.media import PENDING_PREFIX, signed_url

SALT = "portal.pending-photos"
MAX_AGE = 3600  # a resident who leaves the page open longer chooses the photos again
EXPIRED = "您先前选的照片保留时间（1 小时）已过，为安全起见已删除，请重新选择照片。"


class Expired(Exception):
    pass


def keep(files) -> str:
    """Store the (already checked) uploads; the signed token naming them."""
    names = []
    for upload in files:
        ext = upload.name.rsplit(".", 1)[-1].lower() if "." in upload.name else "bin"
        upload.seek(0)
        names.append(default_storage.save(f"{PENDING_PREFIX}{secrets.token_hex(16)}.{ext}", upload))
    return signing.dumps(names, salt=SALT, compress=True)


def names_of(token: str) -> list[str]:
    """The kept photos' stored names; [] without a token; Expired for an old or bad one."""
    if not token:
        return []
    try:
        names = signing.loads(token, salt=SALT, max_age=MAX_AGE)
    except signing.SignatureExpired:
        raise Expired from None
    except signing.BadSignature:
        raise Expired from None
    if not isinstance(names, list):
        raise Expired
    return [n for n in names if isinstance(n, str) and n.startswith(PENDING_PREFIX)]


def open_files(names: list[str]) -> list:
    """The kept photos as files for the case service (it checks them again)."""
    files = []
    for name in names:
        if not default_storage.exists(name):
            raise Expired
        handle = default_storage.open(name, "rb")
        handle.name = name.rsplit("/", 1)[-1]
        files.append(handle)
    return files


def thumbnails(names: list[str]) -> list[dict]:
    return [{"thumb": signed_url(n, thumbnail=True), "url": signed_url(n)} for n in names]


def discard(names: list[str]) -> None:
    for name in names:
        if name.startswith(PENDING_PREFIX):
            default_storage.delete(name)


def sweep(*, older_than: timedelta = timedelta(seconds=2 * MAX_AGE)) -> int:
    """Delete kept photos nobody came back for (their token expired long ago); beat runs it
    every hour (``portal.sweep_pending_photos``). Returns how many files went."""
    prefix = PENDING_PREFIX.rstrip("/")
    try:
        _, files = default_storage.listdir(prefix)
    except FileNotFoundError:
        return 0
    cutoff = timezone.now() - older_than
    removed = 0
    for name in files:
        path = f"{PENDING_PREFIX}{name}"
        try:
            if default_storage.get_modified_time(path) < cutoff:
                default_storage.delete(path)
                removed += 1
        except FileNotFoundError:
            continue
    return removed
