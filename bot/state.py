"""What the state machine remembers about one source between polls (stored as JSON)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from pydantic import TypeAdapter

from bot.models import ComponentStatus, IncidentStatus, Severity


@dataclass(frozen=True, slots=True)
class MachineSettings:
    provider: str
    source_id: str
    flap_window_s: float = 120.0
    failure_threshold: int = 3
    # An incident that names no components is tied to component trouble that began at most
    # this long before it (or while it is open), never to older trouble.
    tie_window_s: float = 1800.0
    # The configured display name; events carry it instead of the page's own title.
    display_name: str | None = None


@dataclass(frozen=True, slots=True)
class ComponentState:
    name: str
    status: ComponentStatus  # the last known status, never UNKNOWN
    bad_since: datetime | None = None
    # Not listed in the latest snapshot (capped lists): unknown, neither recovered nor new.
    missing_since: datetime | None = None
    # The key of the last card opened for this component alone: a new one never reuses it.
    last_card: str | None = None


@dataclass(frozen=True, slots=True)
class IncidentState:
    """An official incident as last seen; kept after restoration as a tombstone."""

    key: str
    id: str
    title: str
    status: IncidentStatus
    severity: Severity
    started_at: datetime
    url: str | None = None
    component_ids: tuple[str, ...] = ()
    components_known: bool = True
    last_update_id: str | None = None
    text: str | None = None
    resolved_at: datetime | None = None
    restored_at: datetime | None = None
    # For an incident that names no components: the ones whose trouble it is taken to cover.
    tied: tuple[str, ...] = ()

    @property
    def names_components(self) -> bool:
        return self.components_known and bool(self.component_ids)

    @property
    def covers(self) -> tuple[str, ...]:
        """The components this incident speaks for: named, else tied."""
        return self.component_ids if self.names_components else self.tied


@dataclass(frozen=True, slots=True)
class EpisodeState:
    """A component outage that no official incident covers (yet)."""

    key: str
    component_id: str
    name: str
    severity: Severity
    started_at: datetime
    ok_since: datetime | None = None


@dataclass(frozen=True, slots=True)
class MaintenanceState:
    key: str
    id: str
    title: str
    status: IncidentStatus
    started_at: datetime  # when the work actually began, not when it was announced
    url: str | None = None
    component_ids: tuple[str, ...] = ()
    text: str | None = None


@dataclass(frozen=True, slots=True)
class SourceState:
    baseline_done: bool = False
    page_name: str = ""
    page_url: str | None = None
    components: dict[str, ComponentState] = field(default_factory=dict)
    incidents: dict[str, IncidentState] = field(default_factory=dict)
    episodes: dict[str, EpisodeState] = field(default_factory=dict)
    maintenances: dict[str, MaintenanceState] = field(default_factory=dict)
    failures: int = 0
    failing_since: datetime | None = None
    unreachable_since: datetime | None = None
    last_error: str | None = None
    last_ok_at: datetime | None = None
    # The newest page clock seen; an older copy is stale.
    page_updated_at: datetime | None = None
    # Since when the page has served only copies older than that (a page that really went
    # back in time is believed after a while).
    stale_since: datetime | None = None
    # The newest moment any event was dated: events never go back in time.
    last_at: datetime | None = None

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = _STATE_ADAPTER.dump_python(self, mode="json")
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> SourceState:
        return _STATE_ADAPTER.validate_python(data)

    def open_incidents(self) -> list[IncidentState]:
        return [i for i in self.incidents.values() if i.restored_at is None]


_STATE_ADAPTER: TypeAdapter[SourceState] = TypeAdapter(SourceState)

# A fresh state that has already "seen" an all-operational page: used by replay.
ALL_OPERATIONAL = SourceState(baseline_done=True)
