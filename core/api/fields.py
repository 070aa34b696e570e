from rest_framework import serializers

from core.sensitive import mask


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
