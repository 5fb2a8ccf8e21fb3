"""Statuspage summary.json bodies for an operational page, an outage and its updates."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta


def _iso(at: datetime) -> str:
    return at.strftime("%Y-%m-%dT%H:%M:%S.000Z")


def summary(
    name: str,
    incident_id: str | None = None,
    updates: tuple[str, ...] = (),
    padding: int = 0,
) -> bytes:
    """Operational without `incident_id`; otherwise a partial outage whose incident has
    `updates` (oldest first). `padding` extra components make the body a realistic size."""
    now = datetime.now(UTC)
    started = now - timedelta(minutes=5)
    status = "partial_outage" if incident_id else "operational"
    components = [
        {"id": "c1", "name": "API", "status": status, "page_id": "page1"},
        {"id": "c2", "name": "Chat", "status": "operational", "page_id": "page1"},
    ] + [
        {"id": f"pad{i}", "name": f"Region {i}", "status": "operational", "page_id": "page1"}
        for i in range(padding)
    ]
    incidents = []
    if incident_id:
        incidents.append(
            {
                "id": incident_id,
                "name": f"Elevated error rates ({incident_id})",
                "status": "identified" if len(updates) > 1 else "investigating",
                "impact": "major",
                "created_at": _iso(started),
                "updated_at": _iso(now),
                "started_at": _iso(started),
                "shortlink": f"https://stspg.io/{incident_id}",
                "page_id": "page1",
                "components": [{"id": "c1", "name": "API", "status": status}],
                "incident_updates": [
                    {
                        "id": f"{incident_id}-u{i}",
                        "incident_id": incident_id,
                        "status": "identified" if i else "investigating",
                        "body": body,
                        "created_at": _iso(now),
                        "display_at": _iso(now),
                        "updated_at": _iso(now),
                    }
                    for i, body in reversed(list(enumerate(updates)))
                ],
            }
        )
    body = {
        "page": {"id": "page1", "name": name, "url": "https://status.example.com"},
        "status": {"indicator": "major" if incident_id else "none", "description": "x"},
        "components": components,
        "incidents": incidents,
        "scheduled_maintenances": [],
    }
    return json.dumps(body).encode()
