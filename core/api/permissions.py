from rest_framework.permissions import DjangoModelPermissions

from core import authz


class ScopedModelPermissions(DjangoModelPermissions):
    """Model permissions from the user's groups, reads included (view_*).

    Which rows are reachable is the scope's business (querysets start from ``visible_to``).
    """

    perms_map = {
        "GET": ["%(app_label)s.view_%(model_name)s"],
        "OPTIONS": [],
        "HEAD": ["%(app_label)s.view_%(model_name)s"],
        "POST": ["%(app_label)s.add_%(model_name)s"],
        "PUT": ["%(app_label)s.change_%(model_name)s"],
        "PATCH": ["%(app_label)s.change_%(model_name)s"],
        "DELETE": ["%(app_label)s.delete_%(model_name)s"],
    }

    def has_permission(self, request, view):
        # The permission set and the scope in one statement (core.authz), before Django's
        # ModelBackend would read the permissions with two queries of its own.
        authz.ensure(request.user)
        return super().has_permission(request, view)


class ViewModelPermission(ScopedModelPermissions):
    """For read-like POST actions (reveal): the model's view permission is enough."""

    perms_map = {**ScopedModelPermissions.perms_map, "POST": ["%(app_label)s.view_%(model_name)s"]}
