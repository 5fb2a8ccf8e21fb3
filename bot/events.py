"""Events: what the state machine announces, each a self-contained fact sheet."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from pydantic import TypeAdapter

from bot.models import IncidentStatus, Severity


class EventKind(StrEnum):
    DEGRADED = "degraded"
    OUTAGE = "outage"
    UPDATE = "update"
    RESTORED = "restored"
    MAINTENANCE_STARTED = "maintenance_started"
    MAINTENANCE_ENDED = "maintenance_ended"
    SOURCE_UNREACHABLE = "source_unreachable"
    SOURCE_RECOVERED = "source_recovered"
    REMINDER = "reminder"
    # A component-only card whose story is now told on an official incident's card.
    MERGED = "merged"
    # Early warning, before (or beside) the official page; only `early` subscriptions hear it.
    SUSPECTED = "suspected"  # our signals agree: the unconfirmed card
    FALSE_ALARM = "false_alarm"  # the signals cleared and the page never confirmed
    PROBES_RECOVERED = "probes_recovered"  # our probes answer again; the page still says down

    @property
    def is_source_health(self) -> bool:
        return self in (EventKind.SOURCE_UNREACHABLE, EventKind.SOURCE_RECOVERED)

    @property
    def is_early(self) -> bool:
        """Told by our own signals, not by the official page."""
        return self in (EventKind.SUSPECTED, EventKind.FALSE_ALARM, EventKind.PROBES_RECOVERED)


@dataclass(frozen=True, slots=True)
class Event:
    """One announcement. It carries the full current card, never a diff.

    `incident_key` names the card: an official incident id, or a synthetic key for a
    component-only episode, a maintenance, or a source-health episode.
    """

    kind: EventKind
    provider: str
    source_id: str
    page_name: str
    incident_key: str
    title: str
    severity: Severity
    at: datetime
    started_at: datetime
    incident_id: str | None = None
    status: IncidentStatus | None = None
    components: tuple[str, ...] = ()
    component: str | None = None
    text: str | None = None
    url: str | None = None
    duration_s: float | None = None
    # On `merged`: the card (incident key) and title that now tell this story.
    merged_into: str | None = None
    merged_into_title: str | None = None
    # Early warning: why we suspect it ("5 of 6 probes failing since 15:02"), and the
    # official lag once known ("OpenAI confirmed this 14 min after our first signal").
    reasons: tuple[str, ...] = ()
    lag: tuple[str, ...] = ()
    # A sample card from `/statusbot test`: always delivered, and marked as a test.
    test: bool = False
    # While a card is open: what the provider's past incidents of this severity suggest.
    expectation: str | None = None

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = _EVENT_ADAPTER.dump_python(self, mode="json")
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Event:
        return _EVENT_ADAPTER.validate_python(data)

    def replace(self, **changes: Any) -> Event:
        return dataclasses.replace(self, **changes)


_EVENT_ADAPTER: TypeAdapter[Event] = TypeAdapter(Event)
