"""Incidents: each open or ended incident of a source, pointing at its latest event."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.events import Event, EventKind
from bot.store import cards, schema
from bot.store.engine import Database
from bot.store.records import CLOSING_KINDS
from bot.store.rows import upsert


class IncidentRepository:
    """The `incidents` table: what `/is-chatgpt-down` and reminders read."""

    def __init__(self, db: Database) -> None:
        self.db = db

    async def record(
        self, conn: AsyncConnection, event: Event, event_id: int, now: datetime
    ) -> None:
        """Make `event` its incident's latest, in `conn`'s transaction."""
        if event.kind.is_source_health:
            return
        table = schema.incidents
        values = {
            "provider": event.provider,
            "incident_id": event.incident_id,
            "title": event.title,
            "severity": int(event.severity),
            "status": event.status.value if event.status else None,
            "started_at": event.started_at,
            "ended_at": event.at if event.kind.value in CLOSING_KINDS else None,
            "updated_at": now,
            "latest_event_id": event_id,
        }
        key = (table.c.source_id == event.source_id) & (table.c.incident_key == event.incident_key)
        identity = {"source_id": event.source_id, "incident_key": event.incident_key}
        await upsert(conn, table, key, values, identity)
        if event.kind in (EventKind.DEGRADED, EventKind.OUTAGE):
            await cards.reopen(conn, event.incident_key)

    async def open_incidents(self, provider: str | None = None) -> list[Event]:
        """The latest event of every incident not yet restored, oldest incident first."""
        incidents, events = schema.incidents, schema.events
        query = (
            sa.select(events.c.payload)
            .join(incidents, incidents.c.latest_event_id == events.c.id)
            .where(incidents.c.ended_at.is_(None))
        )
        if provider is not None:
            query = query.where(incidents.c.provider == provider)
        async with self.db.engine.connect() as conn:
            rows = (await conn.execute(query.order_by(incidents.c.started_at))).all()
        return [Event.from_json(r[0]) for r in rows]
