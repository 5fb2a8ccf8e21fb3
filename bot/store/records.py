"""Plain records the store reads and writes."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from bot.events import Event, EventKind
from bot.machine import SourceState

# Outbox row states.
PENDING, SENT, DEAD, DROPPED = "pending", "sent", "dead", "dropped"
# Held during a channel's quiet hours; superseded by a later update of the same card.
HELD, SUPERSEDED = "held", "superseded"
# Events that end a card's incident.
CLOSING_KINDS = (
    EventKind.RESTORED.value,
    EventKind.MAINTENANCE_ENDED.value,
    EventKind.MERGED.value,
    EventKind.FALSE_ALARM.value,
)


def as_utc(value: datetime | None) -> datetime | None:
    """SQLite hands back naive datetimes; everything here is UTC."""
    if value is None:
        return None
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


@dataclass(frozen=True, slots=True)
class SourceRecord:
    """A source's committed machine state and when it was last polled."""

    source_id: str
    provider: str
    state: SourceState
    last_attempt_at: datetime | None = None
    last_ok_at: datetime | None = None
    last_error: str | None = None
    version: int = 0


@dataclass(frozen=True, slots=True)
class PollCommit:
    """What one poll changes."""

    source_id: str
    provider: str
    state: SourceState
    at: datetime
    events: Sequence[Event] = ()
    error: str | None = None
    # The version the state was loaded at; None skips the check (tools and tests).
    expected_version: int | None = None


@dataclass(frozen=True, slots=True)
class OutboxRow:
    """One queued delivery as an operator sees it (`statusbot outbox list`)."""

    id: int
    platform: str
    channel_id: str
    incident_key: str
    kind: str
    status: str
    attempts: int
    next_attempt_at: datetime
    last_error: str | None
    created_at: datetime
    sent_at: datetime | None
