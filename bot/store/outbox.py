"""The outbox: one row per (event, channel), referring to the event; claims, retries,
dead letters, and the cards that deliveries create."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.events import Event
from bot.notify import CardRef, Delivery
from bot.routing import Recipient, Router
from bot.store import cards, schema
from bot.store.engine import Database
from bot.store.eventlog import EventLog
from bot.store.records import CLOSING_KINDS, DEAD, DROPPED, PENDING, SENT, OutboxRow
from bot.store.rows import delivery_from_row, outbox_row_from_row
from bot.store.subscriptions import SubscriptionRepository


class OutboxRepository:
    """Rows waiting to be delivered, and where each channel's card lives."""

    def __init__(
        self,
        db: Database,
        events: EventLog,
        subscriptions: SubscriptionRepository,
        router: Router,
    ) -> None:
        self.db = db
        self.events = events
        self.subscriptions = subscriptions
        self.router = router

    @property
    def shared(self) -> bool:
        """Whether other processes may serve the same queue (then rows are leased)."""
        return self.db.shared

    # --- queueing (inside the caller's transaction) ------------------------------

    async def fan_out(
        self, conn: AsyncConnection, event: Event, event_id: int, now: datetime
    ) -> int:
        """Queue the event for every channel the router picks; returns how many rows."""
        subs = await self.subscriptions.enabled_for(conn, event.provider)
        followed = await cards.following(conn, event.incident_key) if subs else set()
        recipients = self.router.recipients(event, subs, followed)
        await self.enqueue(conn, event, event_id, recipients, now)
        return len(recipients)

    async def enqueue(
        self,
        conn: AsyncConnection,
        event: Event,
        event_id: int,
        recipients: Sequence[Recipient],
        now: datetime,
    ) -> None:
        """One pending row per recipient, each referring to the stored event."""
        if not recipients:
            return
        rows = [
            {
                "platform": r.platform,
                "workspace_id": r.workspace_id,
                "channel_id": r.channel_id,
                "subscription_id": r.subscription_id,
                "event_id": event_id,
                "incident_key": event.incident_key,
                "kind": event.kind.value,
                "status": PENDING,
                "attempts": 0,
                "next_attempt_at": now,
                "created_at": now,
            }
            for r in recipients
        ]
        await conn.execute(schema.outbox.insert(), rows)

    # --- serving the queue -------------------------------------------------------

    async def due_deliveries(
        self, now: datetime, limit: int = 500, platform: str | None = None
    ) -> list[Delivery]:
        """The head of each channel's queue, if due: rows go out in order per channel.

        Ask per platform so that one platform's backlog never holds another's back.
        """
        queued, card = schema.outbox, schema.cards
        pending = queued.c.status == PENDING
        if platform is not None:
            pending &= queued.c.platform == platform
        head = (
            sa.select(sa.func.min(queued.c.id).label("id"))
            .where(pending)
            .group_by(queued.c.platform, queued.c.channel_id)
            .subquery()
        )
        query = (
            sa.select(queued, card.c.message_id, card.c.thread_id)
            .join(head, head.c.id == queued.c.id)
            .outerjoin(
                card,
                (card.c.platform == queued.c.platform)
                & (card.c.channel_id == queued.c.channel_id)
                & (card.c.incident_key == queued.c.incident_key),
            )
            .where(
                queued.c.next_attempt_at <= now,
                sa.or_(queued.c.claimed_until.is_(None), queued.c.claimed_until < now),
            )
            .order_by(queued.c.id)
            .limit(limit)
        )
        async with self.db.engine.connect() as conn:
            rows = (await conn.execute(query)).all()
            events = await self.events.load(conn, (r.event_id for r in rows))
        return [delivery_from_row(r, events[r.event_id]) for r in rows]

    async def begin_attempts(
        self, delivery_ids: Sequence[int], now: datetime, lease: timedelta = timedelta(0)
    ) -> set[int]:
        """Claim rows and count their attempt before calling out; returns the ids claimed.

        The count tells a retry after a crash that the outcome may be unknown. With a
        lease, a second worker on the same database skips the rows until the lease ends.
        """
        if not delivery_ids:
            return set()
        table = schema.outbox
        async with self.db.engine.begin() as conn:
            result = await conn.execute(
                table.update()
                .where(
                    table.c.id.in_(list(delivery_ids)),
                    table.c.status == PENDING,
                    sa.or_(table.c.claimed_until.is_(None), table.c.claimed_until < now),
                )
                .values(
                    attempts=table.c.attempts + 1,
                    claimed_until=now + lease if lease else None,
                )
                .returning(table.c.id)
            )
            return {row.id for row in result}

    async def save_card(self, delivery: Delivery, ref: CardRef, now: datetime) -> None:
        """Remember a card the moment it is posted, before the rest of the delivery."""
        async with self.db.engine.begin() as conn:
            await cards.save(conn, delivery, ref, now)

    async def mark_delivered(
        self, delivery: Delivery, now: datetime, new_card: CardRef | None = None
    ) -> None:
        """Record the delivery as sent, with the card it created if not saved already."""
        await self.mark_delivered_many([(delivery, new_card)], now)

    async def mark_delivered_many(
        self, finished: Sequence[tuple[Delivery, CardRef | None]], now: datetime
    ) -> None:
        """Record many deliveries as sent in one transaction (a fan-out finishes thousands)."""
        if not finished:
            return
        async with self.db.engine.begin() as conn:
            for delivery, new_card in finished:
                if new_card is not None:
                    await cards.save(conn, delivery, new_card, now)
                if delivery.event.kind.value in CLOSING_KINDS:
                    await cards.close(conn, delivery)
            await conn.execute(
                schema.outbox.update()
                .where(schema.outbox.c.id.in_([d.id for d, _ in finished]))
                .values(status=SENT, sent_at=now, last_error=None, claimed_until=None)
            )

    async def mark_failed(self, delivery_id: int, error: str, retry_at: datetime | None) -> None:
        """Schedule a retry, or (retry_at None) move the row to the dead letters."""
        values: dict[str, Any] = {"last_error": error[:2000], "claimed_until": None}
        if retry_at is None:
            values["status"] = DEAD
        else:
            values["next_attempt_at"] = retry_at
        async with self.db.engine.begin() as conn:
            await conn.execute(
                schema.outbox.update().where(schema.outbox.c.id == delivery_id).values(**values)
            )

    async def disable_channel(
        self, platform: str, channel_id: str, reason: str, workspace_id: str | None = None
    ) -> None:
        """Stop delivering to a channel (or a whole workspace) that is gone or closed to us."""
        queued = schema.outbox
        if workspace_id is not None:
            rows = (queued.c.platform == platform) & (queued.c.workspace_id == workspace_id)
        else:
            rows = (queued.c.platform == platform) & (queued.c.channel_id == channel_id)
        async with self.db.engine.begin() as conn:
            await self.subscriptions.disable(conn, platform, channel_id, reason, workspace_id)
            await conn.execute(
                queued.update()
                .where(rows, queued.c.status == PENDING)
                .values(status=DROPPED, last_error=reason)
            )

    # --- what an operator sees and does -------------------------------------------

    async def outbox_rows(self, statuses: Sequence[str] | None = None) -> list[OutboxRow]:
        table = schema.outbox
        query = sa.select(table).order_by(table.c.id)
        if statuses:
            query = query.where(table.c.status.in_(list(statuses)))
        async with self.db.engine.connect() as conn:
            rows = (await conn.execute(query)).all()
        return [outbox_row_from_row(r) for r in rows]

    async def outbox_depth(self) -> int:
        table = schema.outbox
        async with self.db.engine.connect() as conn:
            count = await conn.scalar(
                sa.select(sa.func.count()).select_from(table).where(table.c.status == PENDING)
            )
        return int(count or 0)

    async def retry_delivery(self, delivery_id: int, now: datetime) -> bool:
        """Put a dead or dropped row back in the queue."""
        return await self._set_status(
            delivery_id, PENDING, now, from_statuses=(DEAD, DROPPED, PENDING)
        )

    async def drop_delivery(self, delivery_id: int, now: datetime) -> bool:
        return await self._set_status(delivery_id, DROPPED, now, from_statuses=(DEAD, PENDING))

    async def _set_status(
        self, delivery_id: int, status: str, now: datetime, from_statuses: Sequence[str]
    ) -> bool:
        table = schema.outbox
        async with self.db.engine.begin() as conn:
            result = await conn.execute(
                table.update()
                .where(table.c.id == delivery_id, table.c.status.in_(list(from_statuses)))
                .values(status=status, next_attempt_at=now, attempts=0, claimed_until=None)
            )
        return bool(result.rowcount)
