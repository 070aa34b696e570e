from open311.services.keys import (
    KeyRefused,
    api_key_issue,
    api_key_revoke,
    authenticate,
    key_covers,
)
from open311.services.media import fetch_media, media_host_allowed
from open311.services.requests import NotFound, request_create

__all__ = [
    "KeyRefused",
    "NotFound",
    "api_key_issue",
    "api_key_revoke",
    "authenticate",
    "fetch_media",
    "key_covers",
    "media_host_allowed",
    "request_create",
]
