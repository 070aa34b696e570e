from rest_framework import serializers

from core.scope import restrict
from core.sensitive import mask


class ScopedSlugRelatedField(serializers.SlugRelatedField):
    """A link by natural code whose choices are limited to the caller's scope (outside a
    ``ScopedModelSerializer``, which gives every link its ``core.links`` choices).

    An out-of-scope code reads as "does not exist" (400), exactly like an unknown one, so the
    API never confirms that another community's record exists.
    """

    def get_queryset(self):
        queryset = super().get_queryset()
        if getattr(self, "linkable", False):  # already core.links' choices for this writer
            return queryset
        request = self.context.get("request")
        if request is None or getattr(queryset.model, "scope_path", None) is None:
            return queryset
        return restrict(queryset, request.user)


class MaskedCharField(serializers.CharField):
    """Writes take the full value; responses always carry the masked one.

    ``kind`` is "id" (110105********123X) or "phone" (138****5678). The full value is only
    available through the logged ``reveal`` action.
    """

    def __init__(self, *, kind: str, **kwargs):
        self.mask_kind = kind
        super().__init__(**kwargs)

    def to_representation(self, value):
        return mask(self.mask_kind, super().to_representation(value))


class UserField(serializers.SlugRelatedField):
    """A user by username. A resident's username is their phone number: responses show it
    masked (138****5678); writes still take the full username."""

    def __init__(self, **kwargs):
        kwargs.setdefault("slug_field", "username")
        super().__init__(**kwargs)

    def to_representation(self, obj):
        from core.users import mask_username

        return mask_username(super().to_representation(obj))
