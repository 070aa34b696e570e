"""Form building blocks for the public pages: phone fields and the human check (photo
uploads are ``core.photos.PhotosField``, shared with the admin and the API)."""

from __future__ import annotations

from django import forms

from portal.protection import (
    HumanCheckFailed,
    consume_challenge,
    new_challenge,
    verify_challenge,
)
from portal.reporting import clean_mobile


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
        return clean_mobile(value)


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
