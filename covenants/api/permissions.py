from core.api.permissions import ScopedModelPermissions


class WorkflowPermission(ScopedModelPermissions):
    """Workflow steps (sign, terminate, confirm, adopt, compute) change an existing record."""

    perms_map = {
        **ScopedModelPermissions.perms_map,
        "POST": ["%(app_label)s.change_%(model_name)s"],
    }
