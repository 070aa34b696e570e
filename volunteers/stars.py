"""Star levels (星级) by cumulative service hours; thresholds from settings."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings

DEFAULT_THRESHOLDS = (100, 300, 600, 1000, 1500)


def star_thresholds() -> list[Decimal]:
    values = getattr(settings, "VOLUNTEER_STAR_THRESHOLDS", DEFAULT_THRESHOLDS)
    return sorted(Decimal(str(v)) for v in values)


def star_level(total_hours) -> int:
    """0 below the first threshold, n when at least the n-th threshold is reached."""
    total = Decimal(str(total_hours or 0))
    return sum(1 for threshold in star_thresholds() if total >= threshold)


def hours_to_next_star(total_hours) -> Decimal | None:
    total = Decimal(str(total_hours or 0))
    for threshold in star_thresholds():
        if total < threshold:
            return threshold - total
    return None


def star_label(level: int) -> str:
    return "★" * level if level else "未评星"
