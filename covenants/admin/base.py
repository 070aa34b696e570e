"""What every covenants admin shares: the scope (units by their own visibility rule), writes
through services with clear messages, and workflow errors shown instead of raised."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError

from core.admin import ScopedAdminMixin
from covenants.models import PartnerUnit
from covenants.models.agreements import PARTY_A_KINDS

# FK names that must be a street or community node.
PARTY_FIELDS = {"party_a", "organization"}


class CovenantsAdminMixin(ScopedAdminMixin):
    party_fields: tuple[str, ...] = ()

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.related_model is PartnerUnit:
            kwargs["queryset"] = PartnerUnit.objects.visible_to(request.user).order_by("code")
        field = super().formfield_for_foreignkey(db_field, request, **kwargs)
        if db_field.name in self.party_fields and field is not None:
            field.queryset = field.queryset.filter(kind__in=PARTY_A_KINDS)
        return field

    def run_service(self, request, func, *args, success: str = "", **kwargs):
        """Call a workflow service from an admin action; show its error as a message."""
        try:
            result = func(*args, actor=request.user, **kwargs)
        except (ValidationError, PermissionDenied) as exc:
            text = " ".join(exc.messages) if isinstance(exc, ValidationError) else str(exc)
            self.message_user(request, text, messages.ERROR)
            return None
        if success:
            self.message_user(request, success, messages.SUCCESS)
        return result


def changed(form) -> dict:
    return {n: form.cleaned_data[n] for n in form.changed_data if n in form.cleaned_data}


def cleaned(form) -> dict:
    return dict(form.cleaned_data)
