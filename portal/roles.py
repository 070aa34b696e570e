"""The 居民 group: residents who log in to the portal. It carries no model permissions and
its users are never staff, so the admin stays closed to them."""

RESIDENT = "居民"

ROLE_PERMISSIONS: dict[str, dict[str, str]] = {RESIDENT: {}}
