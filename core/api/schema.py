from django.conf import settings
from drf_spectacular.openapi import AutoSchema
from rest_framework import serializers


class ProjectAutoSchema(AutoSchema):
    """Action-input serializers (plain ``Serializer``s such as ``ReasonSerializer``) get their app
    as a prefix in the component name, so two apps' "Reason" requests never collide."""

    def _get_serializer_name(self, serializer, direction, bypass_extensions=False) -> str:
        name = super()._get_serializer_name(serializer, direction, bypass_extensions)
        cls = type(serializer)
        module = cls.__module__
        if isinstance(serializer, serializers.ListSerializer) or isinstance(
            serializer, serializers.ModelSerializer
        ):
            return name
        for app in settings.PROJECT_APPS:
            if (
                module.startswith(f"{app}.")
                and getattr(cls, "_spectacular_annotation", None) is None
            ):
                prefix = app.split(".")[-1].capitalize()
                return name if name.startswith(prefix) else f"{prefix}{name}"
        return name
