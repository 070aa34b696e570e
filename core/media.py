"""Uploaded files served with the same rules as their records, never as public files.

Every file field's uploads live under one prefix of ``MEDIA_ROOT`` (``PROTECTED`` below; a test
checks that every FileField of the project is listed). ``MEDIA_URL`` is ``/files/``, so every
``.url`` (admin widgets, API file fields, templates) points at ``protected_file``, which finds
the record that owns the name and answers it only to:

- staff with the model's view permission and the record in their scope (``visible_to``);
- a resident for their own records (``resident``: their own case's photos, their own wish);
- anyone for what the portal publishes (``public``: e.g. disclosures marked public).

Anything else — another community's photo, a guessed or traversal name, a file of no record —
is a plain 404. In production the web server sends the bytes: with ``MEDIA_SENDFILE=nginx`` the
answer is an empty response with ``X-Accel-Redirect: /_protected/<name>`` (an ``internal``
nginx location aliased to ``MEDIA_ROOT``); otherwise Django streams the file. Case photos have
thumbnails, made with Pillow on first request and kept under ``MEDIA_ROOT/thumbs/``.
"""

from __future__ import annotations

import mimetypes
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from urllib.parse import quote

from django.apps import apps
from django.conf import settings
from django.core import signing
from django.db.models import Q
from django.http import FileResponse, Http404, HttpResponse
from django.urls import reverse
from django.views.decorators.http import require_GET

from core.scope import restrict

THUMB_DIR = "thumbs"
THUMB_SIZE = (320, 320)
SENDFILE_PREFIX = "/_protected/"
# Shown in the browser; anything else (documents, archives, HTML…) is a download, so an
# uploaded page can never run on our origin.
INLINE_TYPES = {"image/jpeg", "image/png", "image/webp", "application/pdf"}


@dataclass(frozen=True)
class Protected:
    model: str  # "app_label.ModelName"
    field: str
    public: Q | None = None
    resident: Callable[[object], Q] | None = None
    thumbnail: bool = False


def _own_case(user) -> Q:
    profile = getattr(user, "resident", None)
    return Q(case__reporter_phone=profile.phone) if profile else Q(pk__in=[])


# upload prefix → who may read the files stored under it
PROTECTED: dict[str, Protected] = {
    "cases/": Protected("grids.CasePhoto", "file", resident=_own_case, thumbnail=True),
    "wishes/": Protected("volunteers.Wish", "fulfilment_photo", resident=lambda u: Q(posted_by=u)),
    "covenants/activities/": Protected("covenants.ActivityAttachment", "file"),
    "disclosures/": Protected(
        "organizations.FinancialDisclosure", "file", public=Q(is_public=True)
    ),
    "governance/meetings/": Protected("governance.MeetingAttachment", "file"),
    "assessment/evidence/": Protected("assessment.Score", "evidence_file"),
}


def _entry(name: str) -> Protected | None:
    path = PurePosixPath(name)
    if path.is_absolute() or ".." in path.parts or "\\" in name or "\x00" in name:
        return None
    for prefix, entry in PROTECTED.items():
        if name.startswith(prefix):
            return entry
    return None


def readable(user, name: str) -> Protected | None:
    """The rule that lets ``user`` read the stored file ``name``; None when nothing does."""
    entry = _entry(name)
    if entry is None:
        return None
    model = apps.get_model(entry.model)
    owners = model._default_manager.filter(**{entry.field: name})
    if entry.public is not None and owners.filter(entry.public).exists():
        return entry
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return None
    opts = model._meta
    if user.is_staff and user.has_perm(f"{opts.app_label}.view_{opts.model_name}"):
        if restrict(owners, user).exists():
            return entry
    if entry.resident is not None and not user.is_staff:
        if owners.filter(entry.resident(user)).exists():
            return entry
    return None


def _stored_path(name: str) -> Path:
    root = Path(settings.MEDIA_ROOT).resolve()
    path = (root / name).resolve()
    if root not in path.parents or not path.is_file():
        raise Http404
    return path


def _send(name: str, path: Path) -> HttpResponse:
    content_type = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
    if getattr(settings, "MEDIA_SENDFILE", "") == "nginx":
        response = HttpResponse(content_type=content_type)
        response["X-Accel-Redirect"] = SENDFILE_PREFIX + quote(name)
    else:
        response = FileResponse(path.open("rb"), content_type=content_type)
    disposition = "inline" if content_type in INLINE_TYPES else "attachment"
    response["Content-Disposition"] = f"{disposition}; filename*=UTF-8''{quote(path.name)}"
    response["Cache-Control"] = "private, max-age=3600"
    response["Content-Security-Policy"] = "default-src 'none'; img-src 'self'; sandbox"
    response["X-Content-Type-Options"] = "nosniff"
    return response


def _user(request):
    """The session's user, or an API token's (integrators fetch the URLs the API gives them
    with the same ``Authorization: Token …`` header)."""
    user = request.user
    if not user.is_authenticated and request.META.get("HTTP_AUTHORIZATION", "").startswith(
        "Token "
    ):
        from rest_framework.exceptions import AuthenticationFailed

        from core.tokens import ExpiringTokenAuthentication

        try:
            found = ExpiringTokenAuthentication().authenticate(request)
        except AuthenticationFailed:
            return user
        if found:
            return found[0]
    return user


@require_GET
def protected_file(request, name: str):
    if readable(_user(request), name) is None:
        raise Http404
    return _send(name, _stored_path(name))


def _thumbnail(name: str, source: Path) -> str | None:
    """The thumbnail's stored name, made on first use; None when Pillow cannot read it."""
    from PIL import Image, ImageOps, UnidentifiedImageError

    thumb_name = f"{THUMB_DIR}/{name}.jpg"
    target = Path(settings.MEDIA_ROOT) / thumb_name
    if target.is_file() and target.stat().st_mtime >= source.stat().st_mtime:
        return thumb_name
    try:
        with Image.open(source) as image:
            image = ImageOps.exif_transpose(image)
            image.thumbnail(THUMB_SIZE)
            target.parent.mkdir(parents=True, exist_ok=True)
            partial = target.with_name(f".{target.name}.{os.getpid()}.tmp")
            image.convert("RGB").save(partial, "JPEG", quality=80)
            os.replace(partial, target)  # two first requests at once: the last one wins
    except (UnidentifiedImageError, OSError):
        return None
    return thumb_name


@require_GET
def protected_thumbnail(request, name: str):
    entry = readable(_user(request), name)
    if entry is None or not entry.thumbnail:
        raise Http404
    source = _stored_path(name)
    thumb_name = _thumbnail(name, source)
    if thumb_name is None:  # e.g. HEIC without a decoder: the original
        return _send(name, source)
    return _send(thumb_name, _stored_path(thumb_name))


SIGNED_SALT = "core.media.signed"
# Uploads a form keeps across an error (portal/pending_photos.py): never served by /files/,
# only through a signed link.
PENDING_PREFIX = "pending/"
SIGNED_MAX_AGE = 3600  # a signed link (the tracking page's photos) works for an hour


def signed_url(name: str, *, thumbnail: bool = False) -> str:
    """A link to one stored file that works without an account for SIGNED_MAX_AGE seconds:
    for a visitor who proved the right to see it another way (the tracking code and the last
    four phone digits). The token names the file and the size, nothing else."""
    token = signing.dumps({"n": name, "t": 1 if thumbnail else 0}, salt=SIGNED_SALT, compress=True)
    return reverse("signed-file", kwargs={"token": token})


@require_GET
def signed_file(request, token: str):
    try:
        data = signing.loads(token, salt=SIGNED_SALT, max_age=SIGNED_MAX_AGE)
    except signing.BadSignature:
        raise Http404 from None
    name = data.get("n", "") if isinstance(data, dict) else ""
    entry = _entry(name)
    pending = name.startswith(PENDING_PREFIX) and _entry("cases/" + name) is not None
    if entry is None and not pending:
        raise Http404
    source = _stored_path(name)
    if data.get("t") and (pending or entry.thumbnail):
        thumb_name = _thumbnail(name, source)
        if thumb_name is not None:
            return _send(thumb_name, _stored_path(thumb_name))
    return _send(name, source)


def thumbnail_url(file) -> str:
    """The thumbnail URL of a stored image (a FieldFile)."""
    return reverse("protected-thumbnail", kwargs={"name": file.name})
