"""The benchmark's status page: operational, or a partial outage with official updates."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from fakes.pages import Incident, SummaryPage


def summary(
    name: str,
    incident_id: str | None = None,
    updates: tuple[str, ...] = (),
    padding: int = 0,
) -> bytes:
    """Operational without `incident_id`; otherwise a partial outage whose incident has
    `updates` (oldest first). `padding` extra components make the body a realistic size."""
    now = datetime.now(UTC)
    page = SummaryPage(name, url="https://status.example.com")
    page.component("API", "partial_outage" if incident_id else "operational").component("Chat")
    for i in range(padding):
        page.component(f"Region {i}")
    if incident_id:
        incident = Incident(
            incident_id,
            f"Elevated error rates ({incident_id})",
            started_at=now - timedelta(minutes=5),
            components=("API",),
        )
        for i, body in enumerate(updates):
            incident.update("identified" if i else "investigating", body, now)
        page.add(incident)
    return page.encode()
