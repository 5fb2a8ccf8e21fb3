"""The outbox and the cards it keeps alive: claims, retries, dead letters, reminders."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.events import Event, EventKind
from bot.notify import CardRef, Delivery
from bot.store import schema
from bot.store.engine import StoreBase
from bot.store.records import (
    CLOSING_KINDS,
    DEAD,
    DROPPED,
    PENDING,
    SENT,
    OutboxRow,
    as_utc,
)
from bot.store.rows import delivery_from_row, outbox_row_from_row, upsert


class DeliveryStore(StoreBase):
    """Rows waiting to be delivered, and where each channel's card lives."""

    async def due_deliveries(
        self, now: datetime, limit: int = 500, platform: str | None = None
    ) -> list[Delivery]:
        """The head of each channel's queue, if due: rows go out in order per channel.

        Ask per platform so that one platform's backlog never holds another's back.
        """
        queued, cards = schema.outbox, schema.cards
        pending = queued.c.status == PENDING
        if platform is not None:
            pending &= queued.c.platform == platform
        head = (
            sa.select(sa.func.min(queued.c.id).label("id"))
            .where(pending)
            .group_by(queued.c.platform, queued.c.channel_id)
            .subquery()
        )
        columns = [c for c in queued.c if c.name != "payload"]
        query = (
            sa.select(*columns, cards.c.message_id, cards.c.thread_id)
            .join(head, head.c.id == queued.c.id)
            .outerjoin(
                cards,
                (cards.c.platform == queued.c.platform)
                & (cards.c.channel_id == queued.c.channel_id)
                & (cards.c.incident_key == queued.c.incident_key),
            )
            .where(
                queued.c.next_attempt_at <= now,
                sa.or_(queued.c.claimed_until.is_(None), queued.c.claimed_until < now),
            )
            .order_by(queued.c.id)
            .limit(limit)
        )
        async with self.engine.connect() as conn:
            rows = (await conn.execute(query)).all()
            events = await self._events_of(conn, rows)
        return [delivery_from_row(r, events[r.id]) for r in rows]

    async def _events_of(self, conn: AsyncConnection, rows: Sequence[Any]) -> dict[int, Event]:
        """Each row's event; a fan-out shares one event, so it is read and parsed once."""
        cache = self._event_cache
        missing = [r.id for r in rows if r.event_id is None or r.event_id not in cache]
        payloads: dict[int, Any] = {}
        if missing:
            queued = schema.outbox
            result = await conn.execute(
                sa.select(queued.c.id, queued.c.payload).where(queued.c.id.in_(missing))
            )
            payloads = {row.id: row.payload for row in result}
        if len(cache) > 4096:
            cache.clear()
        events: dict[int, Event] = {}
        for row in rows:
            if row.id in payloads:
                events[row.id] = Event.from_json(payloads[row.id])
                if row.event_id is not None:
                    cache[row.event_id] = events[row.id]
            else:
                events[row.id] = cache[row.event_id]
        return events

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
        async with self.engine.begin() as conn:
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
        async with self.engine.begin() as conn:
            await self._save_card(conn, delivery, ref, now)

    async def _save_card(
        self, conn: AsyncConnection, delivery: Delivery, ref: CardRef, now: datetime
    ) -> None:
        table = schema.cards
        where = (
            (table.c.platform == delivery.platform)
            & (table.c.channel_id == delivery.channel_id)
            & (table.c.incident_key == delivery.event.incident_key)
        )
        values = {"message_id": ref.message_id, "thread_id": ref.thread_id}
        identity = {
            "platform": delivery.platform,
            "channel_id": delivery.channel_id,
            "incident_key": delivery.event.incident_key,
            "provider": delivery.event.provider,
            "created_at": now,
        }
        await upsert(conn, table, where, values, identity)

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
        cards = schema.cards
        async with self.engine.begin() as conn:
            for delivery, new_card in finished:
                if new_card is not None:
                    await self._save_card(conn, delivery, new_card, now)
                if delivery.event.kind.value in CLOSING_KINDS:
                    await conn.execute(
                        cards.update()
                        .where(
                            cards.c.platform == delivery.platform,
                            cards.c.channel_id == delivery.channel_id,
                            cards.c.incident_key == delivery.event.incident_key,
                        )
                        .values(closed=True)
                    )
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
        async with self.engine.begin() as conn:
            await conn.execute(
                schema.outbox.update().where(schema.outbox.c.id == delivery_id).values(**values)
            )

    async def outbox_rows(self, statuses: Sequence[str] | None = None) -> list[OutboxRow]:
        table = schema.outbox
        query = sa.select(table).order_by(table.c.id)
        if statuses:
            query = query.where(table.c.status.in_(list(statuses)))
        async with self.engine.connect() as conn:
            rows = (await conn.execute(query)).all()
        return [outbox_row_from_row(r) for r in rows]

    async def outbox_depth(self) -> int:
        table = schema.outbox
        async with self.engine.connect() as conn:
            count = await conn.scalar(
                sa.select(sa.func.count()).select_from(table).where(table.c.status == PENDING)
            )
        return int(count or 0)

    async def count_by_status(self) -> dict[str, int]:
        """How many outbox rows are in each status."""
        table = schema.outbox
        query = sa.select(table.c.status, sa.func.count()).group_by(table.c.status)
        async with self.engine.connect() as conn:
            rows = (await conn.execute(query)).all()
        return {str(status): int(count) for status, count in rows}

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
        async with self.engine.begin() as conn:
            result = await conn.execute(
                table.update()
                .where(table.c.id == delivery_id, table.c.status.in_(list(from_statuses)))
                .values(status=status, next_attempt_at=now, attempts=0, claimed_until=None)
            )
        return bool(result.rowcount)

    # --- reminders and history ------------------------------------------------

    async def enqueue_reminders(self, now: datetime) -> int:
        """Queue a thread reminder for each open card whose channel asked for them."""
        cards, subs, incidents = schema.cards, schema.subscriptions, schema.incidents
        query = (
            sa.select(cards, subs.c.reminder_minutes, subs.c.workspace_id, subs.c.id.label("sid"))
            .join(
                subs,
                (subs.c.platform == cards.c.platform)
                & (subs.c.channel_id == cards.c.channel_id)
                & (subs.c.provider == cards.c.provider),
            )
            .where(cards.c.closed.is_(False), subs.c.enabled.is_(True), subs.c.reminder_minutes > 0)
        )
        queued = 0
        async with self.engine.begin() as conn:
            for row in (await conn.execute(query)).all():
                last = as_utc(row.last_reminder_at) or as_utc(row.created_at)
                assert last is not None
                if now - last < timedelta(minutes=row.reminder_minutes):
                    continue
                latest = await conn.scalar(
                    sa.select(incidents.c.latest_event).where(
                        incidents.c.incident_key == row.incident_key,
                        incidents.c.provider == row.provider,
                        incidents.c.ended_at.is_(None),
                    )
                )
                if latest is None:
                    continue
                event = Event.from_json(latest)
                reminder = event.replace(
                    kind=EventKind.REMINDER,
                    at=now,
                    duration_s=(now - event.started_at).total_seconds(),
                )
                await conn.execute(
                    schema.outbox.insert().values(
                        platform=row.platform,
                        workspace_id=row.workspace_id,
                        channel_id=row.channel_id,
                        subscription_id=row.sid,
                        incident_key=row.incident_key,
                        kind=EventKind.REMINDER.value,
                        payload=reminder.to_json(),
                        status=PENDING,
                        attempts=0,
                        next_attempt_at=now,
                        created_at=now,
                    )
                )
                await conn.execute(
                    cards.update().where(cards.c.id == row.id).values(last_reminder_at=now)
                )
                queued += 1
        return queued
