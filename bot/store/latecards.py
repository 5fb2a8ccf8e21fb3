"""Late cards: the living card of each open incident, for a channel that subscribes mid-incident."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from bot.events import Event
from bot.routing import Recipient, Subscription, wants
from bot.store import cards
from bot.store.engine import Database
from bot.store.eventlog import EventLog
from bot.store.incidents import IncidentRepository
from bot.store.outbox import OutboxRepository


class LateCardRepository:
    """Queues the cards a new subscriber would have had, had it subscribed earlier."""

    def __init__(
        self,
        db: Database,
        events: EventLog,
        incidents: IncidentRepository,
        outbox: OutboxRepository,
    ) -> None:
        self.db = db
        self.events = events
        self.incidents = incidents
        self.outbox = outbox

    async def queue(self, sub: Subscription, events: Sequence[Event], now: datetime) -> list[Event]:
        """Queue for `sub`'s channel each card it wants and has no card for yet; returns them.

        Each card is stored as an event (its incident's latest), so the incident's later
        events find the channel following it: the next update edits this card.
        """
        queued: list[Event] = []
        channel = (sub.platform, sub.channel_id)
        recipient = Recipient(sub.platform, sub.channel_id, sub.workspace_id, sub.id)
        async with self.db.engine.begin() as conn:
            batch = await self.outbox.begin_batch(conn)
            for event in events:
                if channel in await cards.following(conn, event.incident_key):
                    continue
                if not wants(sub, event, has_card=False):
                    continue
                event_id = await self.events.append(conn, event, now)
                await self.incidents.record(conn, event, event_id, now)
                await self.outbox.enqueue(conn, event, event_id, [recipient], now, batch)
                queued.append(event)
        self.outbox.announce(batch)
        return queued
