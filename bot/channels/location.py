"""A shared location's coordinates as the platforms send them, checked once for every channel."""

from __future__ import annotations

import math


def coordinates(latitude: object, longitude: object) -> tuple[float, float] | None:
    """``(latitude, longitude)`` as floats, or None when either is not a number on the globe.

    Numbers may come as JSON numbers or numeric strings (WhatsApp has sent both); ``True``, a
    null, ``NaN`` and values past the poles or the date line are not a location.
    """
    values = []
    for value, limit in ((latitude, 90), (longitude, 180)):
        if isinstance(value, bool) or not isinstance(value, int | float | str):
            return None
        try:
            number = float(value)
        except (ValueError, OverflowError):
            return None
        if not math.isfinite(number) or not -limit <= number <= limit:
            return None
        values.append(number)
    return values[0], values[1]
