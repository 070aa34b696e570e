"""Case photos: the one check every way in uses (the portal, the admin desk form, the API,
and ``grids.services.cases.case_report`` itself): at most MAX_PHOTOS files, each at most
MAX_PHOTO_BYTES, each really an image by its first bytes (the sender's file name and content
type are not trusted), stored under a name we choose."""

from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError

MAX_PHOTO_BYTES = 5 * 1024 * 1024
MAX_PHOTOS = 3
# Magic numbers of the image types we accept; the browser's content type is not trusted.
_IMAGE_SIGNATURES = (
    (b"\xff\xd8\xff", "jpg"),
    (b"\x89PNG\r\n\x1a\n", "png"),
)
_HEIC_BRANDS = {b"heic", b"heix", b"hevc", b"mif1", b"msf1"}


def sniff_image(head: bytes) -> str | None:
    for signature, kind in _IMAGE_SIGNATURES:
        if head.startswith(signature):
            return kind
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "webp"
    if head[4:8] == b"ftyp" and head[8:12] in _HEIC_BRANDS:
        return "heic"
    return None


def photo_problems(files) -> list[str]:
    """What is wrong with ``files`` (empty when they may be stored). Renames each accepted
    upload to ``photo.<type>``: the type found, never the sender's name."""
    if len(files) > MAX_PHOTOS:
        return [f"照片最多 {MAX_PHOTOS} 张，您选了 {len(files)} 张。"]
    problems = []
    for upload in files:
        name = getattr(upload, "name", "照片")
        if upload.size > MAX_PHOTO_BYTES:
            problems.append(
                f"“{name}”有 {upload.size / 1048576:.1f} MB，超过每张 "
                f"{MAX_PHOTO_BYTES // 1048576} MB 的上限。"
            )
            continue
        upload.seek(0)
        head = upload.read(16)
        upload.seek(0)
        kind = sniff_image(head)
        if kind is None:
            problems.append(f"“{name}”不是图片文件，只收 JPG、PNG、WEBP、HEIC。")
        else:
            upload.name = f"photo.{kind}"
    return problems


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class PhotosField(forms.FileField):
    """Up to MAX_PHOTOS images (JPG/PNG/WEBP/HEIC), each at most MAX_PHOTO_BYTES."""

    widget = MultipleFileInput

    def __init__(self, **kwargs):
        kwargs.setdefault("required", False)
        kwargs.setdefault("label", "照片（可不传）")
        kwargs.setdefault(
            "help_text",
            f"最多 {MAX_PHOTOS} 张，每张不超过 {MAX_PHOTO_BYTES // (1024 * 1024)} MB，"
            "只收 JPG、PNG、WEBP、HEIC 图片。",
        )
        super().__init__(**kwargs)
        self.widget.attrs.update(
            {
                "accept": "image/jpeg,image/png,image/webp,image/heic",
                "data-max-bytes": MAX_PHOTO_BYTES,
            }
        )

    def clean(self, data, initial=None):
        files = [f for f in (data or []) if f] if isinstance(data, list | tuple) else []
        if data and not isinstance(data, list | tuple):
            files = [data]
        if not files:
            if self.required:
                raise ValidationError("请至少上传一张照片。")
            return []
        problems = photo_problems(files)
        if problems:
            raise ValidationError(problems)
        return files
