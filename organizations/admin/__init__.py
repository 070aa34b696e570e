from organizations.admin import organization  # noqa: F401
