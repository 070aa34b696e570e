"""Photos by ``media_url``: fetched only from hosts listed in ``OPEN311_MEDIA_HOSTS`` (empty:
every media_url is refused), over http(s), without following redirects (a redirect could
leave the list), within ``OPEN311_MEDIA_TIMEOUT`` seconds in all and at most
``core.photos.MAX_PHOTO_BYTES``. The bytes are then checked by content like every upload
(``core.photos.photo_problems``, run by ``case_report``): only real JPEG/PNG/WEBP/HEIC."""

from __future__ import annotations

import time
from urllib.parse import urlsplit

import requests
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile

from core.photos import MAX_PHOTO_BYTES


def media_host_allowed(url: str) -> bool:
    parts = urlsplit(url or "")
    host = (parts.hostname or "").lower()
    allowed = {h.strip().lower() for h in settings.OPEN311_MEDIA_HOSTS if h.strip()}
    return parts.scheme in ("http", "https") and bool(host) and host in allowed


def fetch_media(url: str) -> ContentFile:
    """The photo at ``url`` as an unsaved file; ``ValidationError`` when refused or failed."""
    url = (url or "").strip()
    if len(url) > 2000 or not media_host_allowed(url):
        raise ValidationError({"media_url": ["media_url 的地址不在允许的主机列表中，未下载。"]})
    timeout = settings.OPEN311_MEDIA_TIMEOUT
    deadline = time.monotonic() + timeout
    try:
        with requests.get(url, stream=True, timeout=timeout, allow_redirects=False) as resp:
            if resp.status_code != 200:
                raise ValidationError(
                    {"media_url": [f"media_url 下载失败（HTTP {resp.status_code}）。"]}
                )
            declared = resp.headers.get("Content-Length", "")
            if declared.isdigit() and int(declared) > MAX_PHOTO_BYTES:
                raise ValidationError({"media_url": [_too_big()]})
            chunks, size = [], 0
            for chunk in resp.iter_content(64 * 1024):
                size += len(chunk)
                if size > MAX_PHOTO_BYTES:
                    raise ValidationError({"media_url": [_too_big()]})
                if time.monotonic() > deadline:
                    raise ValidationError({"media_url": ["media_url 下载超时。"]})
                chunks.append(chunk)
    except requests.RequestException as exc:
        raise ValidationError({"media_url": ["media_url 下载失败或超时。"]}) from exc
    return ContentFile(b"".join(chunks), name="media")


def _too_big() -> str:
    return f"media_url 的文件超过 {MAX_PHOTO_BYTES // 1048576} MB 的上限。"
