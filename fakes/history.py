"""Simulated past: weeks of per-minute availability and incidents, written into a store.

For the demo (a board worth opening), the README's pictures and tests that need a long
history without polling a page for 90 days. Everything it writes is marked nowhere as
real: the incidents' titles say "(simulated)". Deterministic for a given seed.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa

from bot.availability import floor_minute, minute_number
from bot.models import Severity
from bot.store import schema
from bot.store.store import Store

TITLES = (
    "Elevated error rates (simulated)",
    "Increased latency for some users (simulated)",
    "Login failures (simulated)",
    "Responses failing to load (simulated)",
    "Degraded performance in one region (simulated)",
)


@dataclass(frozen=True, slots=True)
class PastIncident:
    title: str
    severity: Severity
    components: tuple[str, ...]
    start: datetime
    official_at: datetime
    end: datetime


def plan(
    components: list[str], start: datetime, end: datetime, count: int, seed: int = 7
) -> list[PastIncident]:
    """`count` incidents spread over the period, durations between 10 min and 5 h."""
    rng = random.Random(seed)
    span = (end - start).total_seconds()
    out = []
    for i in range(count):
        begin = start + timedelta(seconds=span * (i + rng.uniform(0.1, 0.8)) / count)
        severity = rng.choice(
            [Severity.DEGRADED, Severity.DEGRADED, Severity.PARTIAL_OUTAGE, Severity.MAJOR_OUTAGE]
        )
        minutes = int(rng.lognormvariate(3.7, 0.7))
        length = timedelta(minutes=max(10, min(300, minutes)))
        affected = tuple(rng.sample(components, k=rng.randint(1, min(3, len(components)))))
        out.append(
            PastIncident(
                title=rng.choice(TITLES),
                severity=severity,
                components=affected,
                start=floor_minute(begin),
                official_at=floor_minute(begin + timedelta(minutes=rng.randint(2, 25))),
                end=floor_minute(begin + length),
            )
        )
    return out


async def write_past(
    store: Store,
    provider: str,
    source_id: str,
    incidents: list[PastIncident],
    start: datetime,
    end: datetime,
    probe_id: str | None = None,
) -> None:
    """Per-minute samples from `start` to `end` and one record per incident; with a
    `probe_id`, our probes' samples too (failing from the first signal until a few minutes
    before the page said it was over)."""
    rows: list[dict[str, Any]] = []
    if probe_id is not None:
        rows += _probe_rows(provider, probe_id, incidents, start, end)
    minute = floor_minute(start)
    by_minute: dict[datetime, dict[str, int]] = {}
    for incident in incidents:
        at = incident.start
        while at < incident.end:
            marks = by_minute.setdefault(at, {})
            for name in incident.components:
                marks[name] = max(marks.get(name, 0), int(incident.severity))
            at += timedelta(minutes=1)
    while minute < end:
        marks = by_minute.get(minute, {})
        rows.append(
            {
                "source_id": source_id,
                "provider": provider,
                "minute": minute_number(minute),
                "severity": max(marks.values(), default=0),
                "components": marks,
            }
        )
        minute += timedelta(minutes=1)
    async with store.db.engine.begin() as conn:
        for chunk in range(0, len(rows), 5000):
            await conn.execute(sa.insert(schema.availability), rows[chunk : chunk + 5000])
        for n, incident in enumerate(incidents):
            await conn.execute(
                sa.insert(schema.incident_history).values(
                    source_id=source_id,
                    incident_key=f"simulated-{n}",
                    provider=provider,
                    title=incident.title,
                    url=None,
                    severity=int(incident.severity),
                    components=list(incident.components),
                    first_signal_at=incident.start,
                    official_at=incident.official_at,
                    resolved_at=incident.end,
                )
            )


def _probe_rows(
    provider: str, probe_id: str, incidents: list[PastIncident], start: datetime, end: datetime
) -> list[dict[str, Any]]:
    failing: dict[datetime, int] = {}
    for incident in incidents:
        worst = (
            Severity.DEGRADED if incident.severity == Severity.DEGRADED else Severity.MAJOR_OUTAGE
        )
        at, until = incident.start, incident.end - (incident.end - incident.start) / 5
        while at < until:
            failing[floor_minute(at)] = int(worst)
            at += timedelta(minutes=1)
    rows, minute = [], floor_minute(start)
    while minute < end:
        rows.append(
            {
                "source_id": f"probe:{probe_id}",
                "provider": provider,
                "minute": minute_number(minute),
                "severity": failing.get(minute, 0),
                "components": {},
            }
        )
        minute += timedelta(minutes=1)
    return rows


async def simulate(
    store: Store,
    provider: str,
    components: list[str],
    end: datetime,
    days: int = 90,
    count: int = 14,
    seed: int = 7,
    probe_id: str | None = None,
) -> list[PastIncident]:
    """`days` of simulated history up to `end` for a provider whose source id is its key
    (and, with a `probe_id`, what that probe of ours saw)."""
    start = end - timedelta(days=days)
    incidents = plan(components, start, end - timedelta(hours=2), count, seed)
    await write_past(store, provider, provider, incidents, start, end, probe_id)
    return incidents
