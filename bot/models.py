"""Domain model: what a status source says, independent of its wire format."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import IntEnum, StrEnum


class ComponentStatus(StrEnum):
    """A component's official status (Statuspage vocabulary)."""

    OPERATIONAL = "operational"
    DEGRADED = "degraded_performance"
    PARTIAL_OUTAGE = "partial_outage"
    MAJOR_OUTAGE = "major_outage"
    MAINTENANCE = "under_maintenance"
    # A word the parser does not know: the machine keeps the last known status instead.
    UNKNOWN = "unknown"


class Severity(IntEnum):
    """How bad things are for a user; ordered so that max() picks the worst."""

    OPERATIONAL = 0
    MAINTENANCE = 1
    DEGRADED = 2
    PARTIAL_OUTAGE = 3
    MAJOR_OUTAGE = 4

    @property
    def label(self) -> str:
        return self.name.lower()

    @classmethod
    def parse(cls, text: str) -> Severity:
        """Read a severity from config or a command ("degraded", "outage", "major"...)."""
        key = text.strip().lower().replace("-", "_").replace(" ", "_")
        aliases = {
            "operational": cls.OPERATIONAL,
            "maintenance": cls.MAINTENANCE,
            "degraded": cls.DEGRADED,
            "minor": cls.DEGRADED,
            "partial": cls.PARTIAL_OUTAGE,
            "partial_outage": cls.PARTIAL_OUTAGE,
            "outage": cls.PARTIAL_OUTAGE,
            "major": cls.MAJOR_OUTAGE,
            "major_outage": cls.MAJOR_OUTAGE,
            "critical": cls.MAJOR_OUTAGE,
        }
        if key not in aliases:
            raise ValueError(f"unknown severity {text!r}; use degraded, partial or major")
        return aliases[key]


COMPONENT_SEVERITY: dict[ComponentStatus, Severity] = {
    ComponentStatus.OPERATIONAL: Severity.OPERATIONAL,
    ComponentStatus.MAINTENANCE: Severity.MAINTENANCE,
    ComponentStatus.DEGRADED: Severity.DEGRADED,
    ComponentStatus.PARTIAL_OUTAGE: Severity.PARTIAL_OUTAGE,
    ComponentStatus.MAJOR_OUTAGE: Severity.MAJOR_OUTAGE,
    ComponentStatus.UNKNOWN: Severity.DEGRADED,
}


class Impact(StrEnum):
    """An incident's declared impact."""

    NONE = "none"
    MINOR = "minor"
    MAJOR = "major"
    CRITICAL = "critical"
    MAINTENANCE = "maintenance"


IMPACT_SEVERITY: dict[Impact, Severity] = {
    Impact.NONE: Severity.DEGRADED,
    Impact.MINOR: Severity.DEGRADED,
    Impact.MAJOR: Severity.PARTIAL_OUTAGE,
    Impact.CRITICAL: Severity.MAJOR_OUTAGE,
    Impact.MAINTENANCE: Severity.MAINTENANCE,
}


class IncidentStatus(StrEnum):
    """Official incident (or maintenance) status."""

    INVESTIGATING = "investigating"
    IDENTIFIED = "identified"
    MONITORING = "monitoring"
    RESOLVED = "resolved"
    POSTMORTEM = "postmortem"
    SCHEDULED = "scheduled"
    IN_PROGRESS = "in_progress"
    VERIFYING = "verifying"
    COMPLETED = "completed"

    @property
    def is_closed(self) -> bool:
        return self in (
            IncidentStatus.RESOLVED,
            IncidentStatus.POSTMORTEM,
            IncidentStatus.COMPLETED,
        )


@dataclass(frozen=True, slots=True)
class Component:
    id: str
    name: str
    status: ComponentStatus
    group: str | None = None


@dataclass(frozen=True, slots=True)
class IncidentUpdate:
    id: str
    status: IncidentStatus
    body: str
    at: datetime


@dataclass(frozen=True, slots=True)
class Incident:
    """An official incident or maintenance; `updates` are newest first."""

    id: str
    title: str
    status: IncidentStatus
    impact: Impact
    started_at: datetime | None = None
    url: str | None = None
    component_ids: tuple[str, ...] = ()
    updates: tuple[IncidentUpdate, ...] = ()
    # False when the format cannot tie incidents to components (incident.io, feeds).
    components_known: bool = True

    @property
    def latest_update(self) -> IncidentUpdate | None:
        return self.updates[0] if self.updates else None


@dataclass(frozen=True, slots=True)
class Snapshot:
    """Everything one poll of a source saw; `observed_at` is the time the machine uses."""

    page_name: str
    page_url: str | None
    observed_at: datetime
    # The page's own clock (Statuspage `page.updated_at`, a feed's build date): a copy older
    # than the newest already seen is stale and ignored.
    page_updated_at: datetime | None = None
    description: str = ""
    components: tuple[Component, ...] = ()
    incidents: tuple[Incident, ...] = ()
    maintenances: tuple[Incident, ...] = ()
    warnings: tuple[str, ...] = field(default=(), compare=False)


@dataclass(frozen=True, slots=True)
class FetchFailure:
    """A poll that produced no snapshot; never evidence of an outage."""

    observed_at: datetime
    reason: str
    retry_after_s: float | None = None


Observation = Snapshot | FetchFailure
