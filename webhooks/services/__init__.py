from webhooks.services.addresses import AddressRefused, check_url
from webhooks.services.delivery import (
    backoff,
    claim,
    deliver,
    deliver_many,
    disable,
    redeliver,
    sweep,
)
from webhooks.services.endpoints import endpoint_rotate_secret, endpoint_save, subscribed_kinds
from webhooks.services.events import on_event
from webhooks.services.signing import body_bytes, sign

__all__ = [
    "AddressRefused",
    "backoff",
    "body_bytes",
    "check_url",
    "claim",
    "deliver",
    "deliver_many",
    "disable",
    "endpoint_rotate_secret",
    "endpoint_save",
    "on_event",
    "redeliver",
    "sign",
    "subscribed_kinds",
    "sweep",
]
