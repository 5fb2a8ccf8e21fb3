"""Retry-After, the one way: a server's "come back in N seconds" as seconds."""

from __future__ import annotations

from datetime import UTC, datetime
from email.utils import parsedate_to_datetime


def parse_retry_after(value: str | float | None, now: datetime | None = None) -> float | None:
    """Seconds from delta-seconds ("120", "1.5") or an HTTP-date; None if absent or unusable.

    A date in the past is 0; a negative or non-finite number is unusable.
    """
    if value is None:
        return None
    if isinstance(value, int | float):
        seconds = float(value)
        return seconds if 0 <= seconds < float("inf") else None
    text = value.strip()
    if not text:
        return None
    try:
        seconds = float(text)
    except ValueError:
        pass
    else:
        return seconds if 0 <= seconds < float("inf") else None
    try:
        when = parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())
