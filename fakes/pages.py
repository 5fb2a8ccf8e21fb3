"""Statuspage v2 `summary.json` bodies built in a few lines, for tests, benchmarks and the demo.

    page = SummaryPage("OpenAI", updated_at=now).component("ChatGPT", "major_outage")
    page.add(Incident("inc1", "Elevated errors", started_at=t0, components=("ChatGPT",))
             .update("investigating", "We are investigating.", at=t0))
    fake_page.set_payload(SUMMARY, page.encode())

The wire shape follows the public Statuspage API (see docs/ and tests/fixtures for recorded
pages): updates newest first, affected components repeated inside each incident, and an
overall `status.indicator` derived from what the page shows.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any

SUMMARY_PATH = "/api/v2/summary.json"
IMPACT_RANK = {"none": 0, "minor": 1, "major": 2, "critical": 3, "maintenance": 0}
COMPONENT_INDICATOR = {
    "operational": "none",
    "under_maintenance": "maintenance",
    "degraded_performance": "minor",
    "partial_outage": "minor",
    "major_outage": "major",
}


def iso(at: datetime) -> str:
    """The timestamp format Statuspage sends (UTC, milliseconds, `Z`)."""
    return at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.000Z")


@dataclass(frozen=True)
class Update:
    """One official update of an incident."""

    status: str
    body: str
    at: datetime
    id: str


@dataclass
class Incident:
    """An incident (or a scheduled maintenance) and its updates, oldest first."""

    id: str
    name: str
    impact: str = "major"
    started_at: datetime | None = None
    components: tuple[str, ...] = ()  # names of the page's components it affects
    status: str | None = None  # default: the status of the latest update
    shortlink: str | None = None
    updates: list[Update] = field(default_factory=list)

    def update(
        self, status: str, body: str, at: datetime | None = None, id: str | None = None
    ) -> Incident:
        """Append an official update (newer than the previous ones); returns the incident."""
        when = at or (self.updates[-1].at if self.updates else self.started_at) or _now()
        self.updates.append(Update(status, body, when, id or f"{self.id}-u{len(self.updates)}"))
        return self

    def wire(self, page: SummaryPage) -> dict[str, Any]:
        started = self.started_at or (self.updates[0].at if self.updates else _now())
        latest = self.updates[-1].at if self.updates else started
        status = self.status or (self.updates[-1].status if self.updates else "investigating")
        affected = [page.component_wire(name) for name in self.components]
        return {
            "id": self.id,
            "name": self.name,
            "status": status,
            "impact": self.impact,
            "created_at": iso(started),
            "updated_at": iso(latest),
            "started_at": iso(started),
            "monitoring_at": None,
            "shortlink": self.shortlink or f"https://stspg.io/{self.id}",
            "page_id": page.id,
            "components": affected,
            "incident_updates": [
                {
                    "id": u.id,
                    "incident_id": self.id,
                    "status": u.status,
                    "body": u.body,
                    "created_at": iso(u.at),
                    "display_at": iso(u.at),
                    "updated_at": iso(u.at),
                }
                for u in reversed(self.updates)
            ],
        }


@dataclass
class SummaryPage:
    """A whole status page; `encode()` gives the bytes a fake page serves."""

    name: str = "OpenAI"
    url: str = "https://status.openai.com"
    id: str = "page1"
    updated_at: datetime | None = None
    components: dict[str, str] = field(default_factory=dict)  # name -> status, in page order
    incidents: list[Incident] = field(default_factory=list)
    maintenances: list[Incident] = field(default_factory=list)
    indicator: str | None = None  # default: derived from components and incidents

    def component(self, name: str, status: str = "operational") -> SummaryPage:
        """Add a component (or set its status); returns the page."""
        self.components[name] = status
        return self

    def add(self, incident: Incident) -> SummaryPage:
        self.incidents.append(incident)
        return self

    def maintenance(self, maintenance: Incident) -> SummaryPage:
        self.maintenances.append(maintenance)
        return self

    def copy(self, **changes: Any) -> SummaryPage:
        """A new page with the same content (incidents shared), `changes` applied."""
        fresh = replace(self, components=dict(self.components), incidents=list(self.incidents))
        return replace(fresh, **changes)

    def component_wire(self, name: str) -> dict[str, Any]:
        position = list(self.components).index(name) if name in self.components else 0
        wire: dict[str, Any] = {
            "id": f"c{position + 1}" if name in self.components else f"c-{name}",
            "name": name,
            "status": self.components.get(name, "operational"),
            "position": position + 1,
            "page_id": self.id,
            "group": False,
            "group_id": None,
            "only_show_if_degraded": False,
        }
        if self.updated_at is not None:
            wire["updated_at"] = iso(self.updated_at)
        return wire

    def derived_indicator(self) -> str:
        worst = "none"
        for status in self.components.values():
            worst = max(worst, COMPONENT_INDICATOR.get(status, "minor"), key=_rank)
        for incident in self.incidents:
            worst = max(worst, incident.impact, key=_rank)
        maintained = "under_maintenance" in self.components.values() or any(
            m.status == "in_progress" for m in self.maintenances
        )
        if worst == "none" and maintained:
            return "maintenance"
        return worst

    def payload(self) -> dict[str, Any]:
        page: dict[str, Any] = {"id": self.id, "name": self.name, "url": self.url}
        if self.updated_at is not None:
            page["updated_at"] = iso(self.updated_at)
        return {
            "page": page,
            "status": {
                "indicator": self.indicator or self.derived_indicator(),
                "description": "Status of " + self.name,
            },
            "components": [self.component_wire(name) for name in self.components],
            "incidents": [incident.wire(self) for incident in self.incidents],
            "scheduled_maintenances": [m.wire(self) for m in self.maintenances],
        }

    def encode(self) -> bytes:
        return json.dumps(self.payload()).encode()


def _rank(indicator: str) -> int:
    return IMPACT_RANK.get(indicator, 1)


def _now() -> datetime:
    return datetime.now(UTC)
