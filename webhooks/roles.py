"""Only the street's administrators manage webhook endpoints and see their deliveries."""

from core.roles import STREET_ADMIN

ROLE_PERMISSIONS = {STREET_ADMIN: {"webhooks.*": "add change delete view"}}
