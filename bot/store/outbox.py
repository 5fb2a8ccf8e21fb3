"""The outbox: one row per (event, channel), referring to the event; claims, retries,
dead letters, and the cards that deliveries create.

The worker hears of new rows the moment their transaction commits: in this process by a
callback (`listen`), from other processes on PostgreSQL by LISTEN/NOTIFY. Rows queued
while nothing else waits are handed to the local worker already claimed, so a poll's
first chat call needs no read of the queue.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.events import Event, EventKind
from bot.notify import CardRef, Delivery
from bot.quiet import Disposition, hold_or_send
from bot.routing import Recipient, Router
from bot.store import cards, schema
from bot.store.engine import Database, Unlisten
from bot.store.eventlog import EventLog
from bot.store.hush import HushRepository
from bot.store.records import (
    CLOSING_KINDS,
    DEAD,
    DROPPED,
    HELD,
    PENDING,
    SENT,
    SUPERSEDED,
    OutboxRow,
    as_utc,
)
from bot.store.rows import delivery_from_row, outbox_row_from_row
from bot.store.subscriptions import SubscriptionRepository

# The PostgreSQL channel on which every process announces new rows.
NOTIFY_CHANNEL = "statusbot_outbox"

# Called after a commit that queued rows, with those handed over already claimed.
QueueListener = Callable[[Sequence[Delivery]], None]


@dataclass
class _Listener:
    platforms: frozenset[str]
    lease: timedelta
    on_queued: QueueListener
    max_claimed: int


@dataclass
class QueueBatch:
    """The rows one transaction queues; `claimable` when nothing else was pending."""

    claimable: bool
    queued: int = 0
    claimed: list[Delivery] = field(default_factory=list)
    claimed_channels: set[tuple[str, str]] = field(default_factory=set)


class OutboxRepository:
    """Rows waiting to be delivered, and where each channel's card lives."""

    def __init__(
        self,
        db: Database,
        events: EventLog,
        subscriptions: SubscriptionRepository,
        router: Router,
        hush: HushRepository | None = None,
    ) -> None:
        self.db = db
        self.events = events
        self.subscriptions = subscriptions
        self.router = router
        self.hush = hush or HushRepository(db)
        self._listener: _Listener | None = None
        self._unlisten: Unlisten | None = None

    @property
    def shared(self) -> bool:
        """Whether other processes may serve the same queue (then rows are leased)."""
        return self.db.shared

    # --- hearing of new rows -----------------------------------------------------

    async def listen(
        self,
        platforms: Iterable[str],
        lease: timedelta,
        on_queued: QueueListener,
        max_claimed: int = 64,
    ) -> None:
        """Hear of queued rows as soon as their transaction commits (one listener).

        Up to `max_claimed` rows of `platforms` queued while nothing else is pending arrive
        already claimed (attempt counted; leased for `lease` on a shared database); a
        larger fan-out leaves the rest to the queue. Rows another process queues arrive as
        a call with nothing claimed (PostgreSQL NOTIFY).
        """
        await self.unlisten()
        self._unlisten = await self.db.listen(NOTIFY_CHANNEL, lambda: on_queued(()))
        self._listener = _Listener(frozenset(platforms), lease, on_queued, max_claimed)

    @property
    def listening(self) -> bool:
        return self._listener is not None

    async def unlisten(self) -> None:
        self._listener = None
        if self._unlisten is not None:
            unlisten, self._unlisten = self._unlisten, None
            await unlisten()

    async def begin_batch(self, conn: AsyncConnection) -> QueueBatch:
        """Start collecting what `conn`'s transaction queues (see `announce`)."""
        if self._listener is None:
            return QueueBatch(claimable=False)
        pending = await conn.scalar(
            sa.select(schema.outbox.c.id).where(schema.outbox.c.status == PENDING).limit(1)
        )
        return QueueBatch(claimable=pending is None)

    def announce(self, batch: QueueBatch | None = None) -> None:
        """After the commit: tell the listener (`None`: rows changed, nothing claimed)."""
        if self._listener is None or (batch is not None and not batch.queued):
            return
        self._listener.on_queued(batch.claimed if batch is not None else ())

    # --- queueing (inside the caller's transaction) ------------------------------

    async def fan_out(
        self,
        conn: AsyncConnection,
        event: Event,
        event_id: int,
        now: datetime,
        batch: QueueBatch | None = None,
    ) -> int:
        """Queue the event for every channel the router picks; returns how many rows."""
        subs = await self.subscriptions.enabled_for(conn, event.provider)
        followed = await cards.following(conn, event.incident_key) if subs else {}
        recipients = self.router.recipients(event, subs, followed)
        await self.enqueue(conn, event, event_id, recipients, now, batch, followed)
        return len(recipients)

    async def enqueue(
        self,
        conn: AsyncConnection,
        event: Event,
        event_id: int,
        recipients: Sequence[Recipient],
        now: datetime,
        batch: QueueBatch | None = None,
        known_cards: dict[tuple[str, str], CardRef | None] | None = None,
    ) -> None:
        """One row per recipient, each referring to the stored event: pending, or held
        until the channel's quiet hours end; none for a channel that muted the provider.

        With a claimable `batch`, the first row of each channel the listener serves is
        claimed in this same transaction and collected for `announce`.
        """
        if not recipients:
            return
        listener = self._listener
        lease = listener.lease if listener is not None and self.shared else timedelta(0)
        hushes = await self.hush.load(conn, {(r.platform, r.channel_id) for r in recipients})
        kept: list[Recipient] = []
        born: list[bool] = []
        rows: list[dict[str, Any]] = []
        for r in recipients:
            channel = (r.platform, r.channel_id)
            hush = hushes.get(channel)
            disposition, held_until = hold_or_send(hush, event, now, r.wake_on_major)
            if disposition is Disposition.DROP:
                continue
            held_before = 0
            if disposition is Disposition.SEND and hush is not None:
                # This row carries the full card: earlier held updates of it are summed up.
                held_before = await self._supersede_held(conn, channel, event.incident_key)
            mention = r.mention
            if mention is not None and await self._mentioned_before(
                conn, channel, event.incident_key
            ):
                mention = None  # one ping per card: later major updates stay quiet
            claim = (
                disposition is Disposition.SEND
                and batch is not None
                and batch.claimable
                and listener is not None
                and r.platform in listener.platforms
                and channel not in batch.claimed_channels
                and len(batch.claimed_channels) < listener.max_claimed
            )
            if claim:
                assert batch is not None
                batch.claimed_channels.add(channel)
            kept.append(r)
            born.append(claim)
            rows.append(
                {
                    "platform": r.platform,
                    "workspace_id": r.workspace_id,
                    "channel_id": r.channel_id,
                    "subscription_id": r.subscription_id,
                    "event_id": event_id,
                    "incident_key": event.incident_key,
                    "kind": event.kind.value,
                    "status": PENDING if held_until is None else HELD,
                    "attempts": 1 if claim else 0,
                    "next_attempt_at": held_until or now,
                    "claimed_until": now + lease if claim and lease else None,
                    "created_at": now,
                    "mention": mention,
                    "held": held_before,
                }
            )
        if not rows:
            return
        recipients = kept
        table = schema.outbox
        if batch is not None and any(born):
            result = await conn.execute(
                table.insert().returning(table.c.id, sort_by_parameter_order=True), rows
            )
            cards_here = known_cards or {}
            for row_id, r, row, claim in zip(result.scalars(), recipients, rows, born, strict=True):
                if claim:
                    batch.claimed.append(
                        Delivery(
                            id=row_id,
                            platform=r.platform,
                            workspace_id=r.workspace_id,
                            channel_id=r.channel_id,
                            event=event,
                            card=cards_here.get((r.platform, r.channel_id)),
                            attempt=1,
                            mention=row["mention"],
                            held=row["held"],
                        )
                    )
        else:
            await conn.execute(table.insert(), rows)
        if batch is not None:
            batch.queued += len(rows)
        await self.db.notify(conn, NOTIFY_CHANNEL)

    # --- quiet hours ----------------------------------------------------------------

    async def _mentioned_before(
        self, conn: AsyncConnection, channel: tuple[str, str], incident_key: str
    ) -> bool:
        table = schema.outbox
        found = await conn.scalar(
            sa.select(table.c.id)
            .where(
                table.c.platform == channel[0],
                table.c.channel_id == channel[1],
                table.c.incident_key == incident_key,
                table.c.mention.is_not(None),
                table.c.status.in_([PENDING, SENT]),
            )
            .limit(1)
        )
        return found is not None

    async def _supersede_held(
        self, conn: AsyncConnection, channel: tuple[str, str], incident_key: str
    ) -> int:
        """Retire the channel's held rows of one card; returns how many updates they held."""
        table = schema.outbox
        where = (
            (table.c.platform == channel[0])
            & (table.c.channel_id == channel[1])
            & (table.c.incident_key == incident_key)
            & (table.c.status == HELD)
        )
        rows = (await conn.execute(sa.select(table.c.kind, table.c.held).where(where))).all()
        if not rows:
            return 0
        await conn.execute(table.update().where(where).values(status=SUPERSEDED))
        return sum(1 + r.held for r in rows if r.kind != EventKind.REMINDER.value)

    async def release_held(self, now: datetime, channel: tuple[str, str] | None = None) -> int:
        """Quiet time is over: each card's newest held update goes out (it carries the full
        card, and counts the updates it sums up); the older ones and held reminders are
        retired. `channel`: that channel's rows at once (its quiet hours were turned off).
        Returns how many rows were released."""
        table = schema.outbox
        where = table.c.status == HELD
        if channel is None:
            where &= table.c.next_attempt_at <= now
        else:
            where &= (table.c.platform == channel[0]) & (table.c.channel_id == channel[1])
        query = sa.select(
            table.c.id,
            table.c.platform,
            table.c.channel_id,
            table.c.incident_key,
            table.c.kind,
            table.c.held,
        ).where(where)
        released = 0
        async with self.db.engine.begin() as conn:
            cards_held: dict[tuple[str, str, str], list[Any]] = {}
            for row in (await conn.execute(query.order_by(table.c.id))).all():
                cards_held.setdefault((row.platform, row.channel_id, row.incident_key), []).append(
                    row
                )
            retired: list[int] = []
            for group in cards_held.values():
                updates = [r for r in group if r.kind != EventKind.REMINDER.value]
                retired += [r.id for r in group if not updates or r.id != updates[-1].id]
                if updates:
                    newest = updates[-1]
                    summed = sum(1 + r.held for r in updates[:-1]) + newest.held
                    await conn.execute(
                        table.update()
                        .where(table.c.id == newest.id)
                        .values(status=PENDING, next_attempt_at=now, held=summed)
                    )
                    released += 1
            if retired:
                await conn.execute(
                    table.update().where(table.c.id.in_(retired)).values(status=SUPERSEDED)
                )
            if released:
                await self.db.notify(conn, NOTIFY_CHANNEL)
        if released:
            self.announce()
        return released

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
        self,
        finished: Sequence[tuple[Delivery, CardRef | None]],
        now: datetime,
        cards_posted: Sequence[tuple[Delivery, CardRef]] = (),
    ) -> None:
        """Record many deliveries as sent, and cards just posted by deliveries still going,
        in one transaction (a fan-out finishes thousands)."""
        if not finished and not cards_posted:
            return
        async with self.db.engine.begin() as conn:
            for delivery, ref in cards_posted:
                await cards.save(conn, delivery, ref, now)
            for delivery, new_card in finished:
                if new_card is not None:
                    await cards.save(conn, delivery, new_card, now)
                if delivery.event.kind.value in CLOSING_KINDS:
                    await cards.close(conn, delivery)
            if finished:
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

    async def forget_workspace(self, platform: str, workspace_id: str) -> int:
        """The app was uninstalled from a workspace: its subscriptions, cards and queued
        deliveries go (the chat side has nothing left to edit); returns the channels."""
        subs, queued, card = schema.subscriptions, schema.outbox, schema.cards
        mine = (subs.c.platform == platform) & (subs.c.workspace_id == workspace_id)
        async with self.db.engine.begin() as conn:
            channels = set((await conn.execute(sa.select(subs.c.channel_id).where(mine))).scalars())
            await conn.execute(
                queued.update()
                .where(
                    queued.c.platform == platform,
                    queued.c.workspace_id == workspace_id,
                    queued.c.status == PENDING,
                )
                .values(status=DROPPED, last_error="the app was uninstalled")
            )
            if channels:
                await conn.execute(
                    card.delete().where(
                        card.c.platform == platform, card.c.channel_id.in_(sorted(channels))
                    )
                )
            await conn.execute(subs.delete().where(mine))
        return len(channels)

    # --- what an operator sees and does -------------------------------------------

    async def outbox_rows(self, statuses: Sequence[str] | None = None) -> list[OutboxRow]:
        table = schema.outbox
        query = sa.select(table).order_by(table.c.id)
        if statuses:
            query = query.where(table.c.status.in_(list(statuses)))
        async with self.db.engine.connect() as conn:
            rows = (await conn.execute(query)).all()
        return [outbox_row_from_row(r) for r in rows]

    async def next_due_at(self, platforms: Iterable[str]) -> datetime | None:
        """When the earliest channel head of these platforms falls due (a retry's time, or
        the end of another worker's lease); None when nothing is pending."""
        queued = schema.outbox
        wanted = list(platforms)
        if not wanted:
            return None
        head = (
            sa.select(sa.func.min(queued.c.id).label("id"))
            .where(queued.c.status == PENDING, queued.c.platform.in_(wanted))
            .group_by(queued.c.platform, queued.c.channel_id)
            .subquery()
        )
        due = sa.case(
            (queued.c.claimed_until > queued.c.next_attempt_at, queued.c.claimed_until),
            else_=queued.c.next_attempt_at,
        )
        query = sa.select(sa.func.min(due)).join(head, head.c.id == queued.c.id)
        async with self.db.engine.connect() as conn:
            return as_utc(await conn.scalar(query))

    async def outbox_depth(self) -> int:
        table = schema.outbox
        async with self.db.engine.connect() as conn:
            count = await conn.scalar(
                sa.select(sa.func.count()).select_from(table).where(table.c.status == PENDING)
            )
        return int(count or 0)

    async def count_by_status(self) -> dict[str, int]:
        """How many outbox rows are in each status."""
        table = schema.outbox
        query = sa.select(table.c.status, sa.func.count()).group_by(table.c.status)
        async with self.db.engine.connect() as conn:
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
        async with self.db.engine.begin() as conn:
            result = await conn.execute(
                table.update()
                .where(table.c.id == delivery_id, table.c.status.in_(list(from_statuses)))
                .values(status=status, next_attempt_at=now, attempts=0, claimed_until=None)
            )
            if status == PENDING and result.rowcount:
                await self.db.notify(conn, NOTIFY_CHANNEL)  # a running bot picks it up now
        if status == PENDING and result.rowcount:
            self.announce()
        return bool(result.rowcount)
