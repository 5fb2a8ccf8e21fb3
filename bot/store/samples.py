"""Sample cards (`/statusbot test`): queued for one channel, never recorded as incidents."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from bot.events import Event
from bot.routing import Recipient
from bot.store.engine import Database
from bot.store.eventlog import EventLog
from bot.store.outbox import OutboxRepository


class SampleCardRepository:
    """Queues a sample card's events for one channel, in order, through the outbox."""

    def __init__(self, db: Database, events: EventLog, outbox: OutboxRepository) -> None:
        self.db = db
        self.events = events
        self.outbox = outbox

    async def queue(self, recipient: Recipient, events: Sequence[Event], now: datetime) -> None:
        """The card goes through the same delivery as a real alert (permissions, edits,
        thread), but no incident is recorded: `/is-chatgpt-down` never sees it."""
        async with self.db.engine.begin() as conn:
            batch = await self.outbox.begin_batch(conn)
            for event in events:
                event_id = await self.events.append(conn, event, now)
                await self.outbox.enqueue(conn, event, event_id, [recipient], now, batch)
        self.outbox.announce(batch)
