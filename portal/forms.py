"""Form building blocks for the public pages: phone fields, the human check, photo uploads."""

from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError

from core.validators import is_mobile, normalize_phone
from portal.protection import (
    HumanCheckFailed,
    consume_challenge,
    new_challenge,
    verify_challenge,
)

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


class MobileField(forms.CharField):
    """An 11-digit mainland mobile number, stored without spaces or +86."""

    def __init__(self, **kwargs):
        kwargs.setdefault("label", "手机号")
        kwargs.setdefault("max_length", 20)
        super().__init__(**kwargs)
        self.widget.input_type = "tel"
        self.widget.attrs.update({"inputmode": "tel", "autocomplete": "tel"})

    def clean(self, value):
        value = super().clean(value)
        if not value:
            return value
        phone = normalize_phone(value)
        if not is_mobile(phone):
            raise ValidationError("手机号格式不对，请填写 11 位手机号，例如 13812345678。")
        return phone


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class PhotosField(forms.FileField):
    """Up to MAX_PHOTOS images (JPG/PNG/WEBP/GIF), each at most MAX_PHOTO_BYTES."""

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
        if len(files) > MAX_PHOTOS:
            raise ValidationError(f"照片最多 {MAX_PHOTOS} 张，您选了 {len(files)} 张。")
        errors = []
        for upload in files:
            name = getattr(upload, "name", "照片")
            if upload.size > MAX_PHOTO_BYTES:
                errors.append(
                    f"“{name}”有 {upload.size / 1048576:.1f} MB，超过每张 "
                    f"{MAX_PHOTO_BYTES // 1048576} MB 的上限。"
                )
                continue
            head = upload.read(16)
            upload.seek(0)
            kind = sniff_image(head)
            if kind is None:
                errors.append(f"“{name}”不是图片文件，只收 JPG、PNG、WEBP、HEIC。")
            else:
                # Stored under a name we choose: the type we found, never the sender's name.
                upload.name = f"photo.{kind}"
        if errors:
            raise ValidationError(errors)
        return files


class HumanCheckMixin:
    """Adds the signed arithmetic question. Every rendering shows a fresh question (a used
    token is refused), so the answer box is rendered empty by ``_human_check.html``.

    With ``spend_on_clean = False`` ``is_valid()`` checks the answer without spending the
    token, and the view spends it with ``consume_challenge()`` right before it creates
    something (so a merged duplicate does not spend it)."""

    spend_on_clean = True

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.challenge = new_challenge()
        self.challenge_nonce = None
        self.fields["challenge_answer"] = forms.CharField(label="验证题", max_length=8)

    def clean(self):
        cleaned = super().clean()
        # Only look at the question once the rest of the form is right.
        if not self.errors:
            try:
                self.challenge_nonce = verify_challenge(
                    self.data.get("challenge_token", ""),
                    self.data.get("challenge_answer", ""),
                    consume=self.spend_on_clean,
                )
            except HumanCheckFailed as exc:
                self.add_error("challenge_answer", str(exc))
        return cleaned

    def consume_challenge(self) -> bool:
        try:
            consume_challenge(self.challenge_nonce)
        except HumanCheckFailed as exc:
            self.add_error("challenge_answer", str(exc))
            return False
        return True


class PortalForm(forms.Form):
    required_css_class = "required"
    default_error_messages = {"required": "这一项必须填写。"}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            field.error_messages.setdefault("required", "这一项必须填写。")
            field.error_messages["required"] = "这一项必须填写。"
            if isinstance(field.widget, forms.Textarea):
                field.widget.attrs.setdefault("rows", 5)
