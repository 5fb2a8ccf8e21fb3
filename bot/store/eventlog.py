"""The event log: every event the machine emitted (and every reminder), stored once."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.events import Event, EventKind
from bot.store import schema
from bot.store.engine import Database


class EventLog:
    """Appends events and reads them back by id; outbox rows and incidents refer to them."""

    def __init__(self, db: Database) -> None:
        self.db = db

    async def append(self, conn: AsyncConnection, event: Event, now: datetime) -> int:
        """Store `event` in `conn`'s transaction; returns its id."""
        result = await conn.execute(
            schema.events.insert().values(
                source_id=event.source_id,
                provider=event.provider,
                kind=event.kind.value,
                incident_key=event.incident_key,
                at=event.at,
                payload=event.to_json(),
                created_at=now,
            )
        )
        key = result.inserted_primary_key
        assert key is not None
        return int(key[0])

    async def load(self, conn: AsyncConnection, ids: Iterable[int]) -> dict[int, Event]:
        """The events with these ids, each parsed once however many rows share it."""
        wanted = sorted(set(ids))
        if not wanted:
            return {}
        table = schema.events
        result = await conn.execute(
            sa.select(table.c.id, table.c.payload).where(table.c.id.in_(wanted))
        )
        return {row.id: Event.from_json(row.payload) for row in result}

    async def recent_events(self, limit: int = 50) -> list[Event]:
        """The newest events the machine emitted, oldest first (reminders left out)."""
        table = schema.events
        query = (
            sa.select(table.c.payload)
            .where(table.c.kind != EventKind.REMINDER.value)
            .order_by(table.c.id.desc())
            .limit(limit)
        )
        async with self.db.engine.connect() as conn:
            rows = (await conn.execute(query)).all()
        return [Event.from_json(r[0]) for r in reversed(rows)]
