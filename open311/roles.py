"""Who keeps the integrators' Open311 keys: the street administrator issues and revokes them;
the district's read-only role sees them (names, scope, last use — never a key)."""

from core.roles import DISTRICT_READONLY, STREET_ADMIN

ROLE_PERMISSIONS: dict[str, dict[str, str]] = {
    STREET_ADMIN: {"open311.apikey": "add change view"},
    DISTRICT_READONLY: {"open311.apikey": "view"},
}
