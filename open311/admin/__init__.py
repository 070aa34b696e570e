from open311.admin.keys import ApiKeyAdmin

__all__ = ["ApiKeyAdmin"]
