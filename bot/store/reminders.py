"""The open cards reminders are computed from, and the reminders queued for them."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

import sqlalchemy as sa

from bot.events import Event
from bot.reminders import OpenCard, ReminderPlan
from bot.routing import Recipient
from bot.store import schema
from bot.store.engine import Database
from bot.store.eventlog import EventLog
from bot.store.outbox import OutboxRepository
from bot.store.records import as_utc


class ReminderRepository:
    """Implements bot.reminders.ReminderBook."""

    def __init__(self, db: Database, events: EventLog, outbox: OutboxRepository) -> None:
        self.db = db
        self.events = events
        self.outbox = outbox

    async def reminder_candidates(self) -> list[OpenCard]:
        """Open cards whose channel asks for reminders, with their incident's latest event."""
        cards, subs = schema.cards, schema.subscriptions
        incidents, events = schema.incidents, schema.events
        query = (
            sa.select(
                cards.c.id,
                cards.c.platform,
                cards.c.channel_id,
                cards.c.created_at,
                cards.c.last_reminder_at,
                subs.c.id.label("sid"),
                subs.c.workspace_id,
                subs.c.reminder_minutes,
                events.c.payload,
            )
            .join(
                subs,
                (subs.c.platform == cards.c.platform)
                & (subs.c.channel_id == cards.c.channel_id)
                & (subs.c.provider == cards.c.provider),
            )
            .join(
                incidents,
                (incidents.c.incident_key == cards.c.incident_key)
                & (incidents.c.provider == cards.c.provider),
            )
            .join(events, events.c.id == incidents.c.latest_event_id)
            .where(
                cards.c.closed.is_(False),
                subs.c.enabled.is_(True),
                subs.c.reminder_minutes > 0,
                incidents.c.ended_at.is_(None),
            )
            .order_by(cards.c.id)
        )
        async with self.db.engine.connect() as conn:
            rows = (await conn.execute(query)).all()
        out: dict[int, OpenCard] = {}
        for row in rows:
            last = as_utc(row.last_reminder_at) or as_utc(row.created_at)
            assert last is not None
            out.setdefault(
                row.id,
                OpenCard(
                    card_id=row.id,
                    platform=row.platform,
                    channel_id=row.channel_id,
                    workspace_id=row.workspace_id,
                    subscription_id=row.sid,
                    every=timedelta(minutes=row.reminder_minutes),
                    last_reminded_at=last,
                    latest=Event.from_json(row.payload),
                ),
            )
        return list(out.values())

    async def enqueue_reminders(self, plans: Sequence[ReminderPlan], now: datetime) -> int:
        """Store each reminder event once and queue it for its cards; returns rows queued.

        A card closed since it was read (its restoration was delivered) is skipped.
        """
        cards = schema.cards
        queued = 0
        async with self.db.engine.begin() as conn:
            for plan in plans:
                by_id = {c.card_id: c for c in plan.cards}
                result = await conn.execute(
                    cards.update()
                    .where(cards.c.id.in_(list(by_id)), cards.c.closed.is_(False))
                    .values(last_reminder_at=now)
                    .returning(cards.c.id)
                )
                still_open = sorted(row.id for row in result)
                if not still_open:
                    continue
                event_id = await self.events.append(conn, plan.event, now)
                recipients = [
                    Recipient(c.platform, c.channel_id, c.workspace_id, c.subscription_id)
                    for c in (by_id[i] for i in still_open)
                ]
                await self.outbox.enqueue(conn, plan.event, event_id, recipients, now)
                queued += len(recipients)
        if queued:
            self.outbox.announce()
        return queued
