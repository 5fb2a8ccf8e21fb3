"""Plain records the store reads and writes."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from bot.events import Event, EventKind
from bot.machine import SourceState
from bot.models import Severity

# Outbox row states.
PENDING, SENT, DEAD, DROPPED = "pending", "sent", "dead", "dropped"
# Events that end a card's incident.
CLOSING_KINDS = (
    EventKind.RESTORED.value,
    EventKind.MAINTENANCE_ENDED.value,
    EventKind.MERGED.value,
)


def as_utc(value: datetime | None) -> datetime | None:
    """SQLite hands back naive datetimes; everything here is UTC."""
    if value is None:
        return None
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


@dataclass(frozen=True, slots=True)
class SourceRecord:
    source_id: str
    provider: str
    state: SourceState
    validators: dict[str, Any] | None = None
    last_attempt_at: datetime | None = None
    last_ok_at: datetime | None = None
    last_error: str | None = None
    version: int = 0


@dataclass(frozen=True, slots=True)
class Subscription:
    platform: str
    channel_id: str
    provider: str
    workspace_id: str | None = None
    components: tuple[str, ...] = ()
    min_severity: Severity = Severity.DEGRADED
    reminder_minutes: int = 0
    enabled: bool = True
    disabled_reason: str | None = None
    created_by: str | None = None
    created_at: datetime = field(default_factory=lambda: datetime.now(UTC))
    id: int | None = None

    def wants(self, event: Event, has_card: bool) -> bool:
        """Whether this channel should see the event."""
        if not self.enabled or event.provider != self.provider or event.kind.is_source_health:
            return False
        if has_card:
            return True  # a card we posted follows its incident to the end
        if event.kind is EventKind.MERGED:
            return False  # only closes a card this channel has
        if event.kind in (EventKind.RESTORED, EventKind.MAINTENANCE_ENDED, EventKind.REMINDER):
            # No card here: only a channel that subscribed mid-incident wants the ending.
            return self.created_at >= event.started_at and self._matches_components(event)
        return event.severity >= self.min_severity and self._matches_components(event)

    def _matches_components(self, event: Event) -> bool:
        if not self.components:
            return True
        haystack = [c.lower() for c in event.components] + [event.title.lower()]
        return any(f.lower() in text for f in self.components for text in haystack)


@dataclass(frozen=True, slots=True)
class OutboxRow:
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
