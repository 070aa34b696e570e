"""Domain events: what happened, told to whoever listens, inside the writer's transaction.

Core imports no app, so the listeners register themselves: an app calls ``connect(receiver)``
in its ``AppConfig.ready()`` (the webhooks app does, to write its delivery rows). Services
call ``emit(kind, instance=…)`` (``organization=`` when it is not the instance's scope anchor,
``actor=`` when there is no record, ``data=`` for a few codes) as one line next to their audit row;
each receiver runs at once, in the caller's transaction, so a rolled-back write leaves no trace
of its event and a committed one cannot lose it (an outbox, not a fire-and-forget signal).

Event data carries ids and natural codes only; what an integrator may learn about people is
the receivers' decision (webhooks: the endpoint's owner must hold the reveal permission).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.utils import timezone

from core.scope import scope_anchor

UNSET: Any = object()


@dataclass(frozen=True)
class Event:
    kind: str
    given_organization: Any = UNSET
    instance: Any = None
    data: dict[str, Any] = field(default_factory=dict)
    actor: Any = None  # when there is no organisation (an import): the acting user's nodes
    id: uuid.UUID = field(default_factory=uuid.uuid4)
    occurred_at: datetime = field(default_factory=timezone.now)

    @property
    def organization(self):
        """The organisation node the event belongs to (its scope): the one given, else the
        instance's scope anchor, looked up only when a receiver asks (no query otherwise)."""
        if self.given_organization is not UNSET:
            return self.given_organization
        if self.instance is not None and hasattr(type(self.instance), "scope_path"):
            return scope_anchor(self.instance)
        return None


_receivers: list[Callable[[Event], None]] = []


def connect(receiver: Callable[[Event], None]) -> None:
    """Register a receiver (idempotent: ``ready()`` may run twice in tests)."""
    if receiver not in _receivers:
        _receivers.append(receiver)


def disconnect(receiver: Callable[[Event], None]) -> None:
    if receiver in _receivers:
        _receivers.remove(receiver)


def emit(
    kind: str,
    *,
    organization=UNSET,
    instance=None,
    data: dict[str, Any] | None = None,
    actor=None,
) -> Event:
    """Tell every receiver that ``kind`` happened (e.g. ``case.resolve``)."""
    event = Event(kind, organization, instance, dict(data or {}), actor)
    for receiver in list(_receivers):
        receiver(event)
    return event
