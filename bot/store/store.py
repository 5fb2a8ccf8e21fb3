"""One SQL store for SQLite and PostgreSQL; dialects differ only at the engine's edge.

A poll's new state, its events, the incidents they touch and the outbox rows they fan out
to are written in one transaction: a crash loses all of it or none of it.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy import event as sa_event
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine

from bot.errors import ConcurrentUpdate
from bot.events import Event, EventKind
from bot.machine import SourceState
from bot.models import Severity
from bot.notify import CardRef, Delivery
from bot.store import schema
from bot.store.records import OutboxRow, SourceRecord, Subscription, as_utc

log = logging.getLogger(__name__)

MIGRATIONS = Path(__file__).parent / "migrations"
# The newest migration; a test checks it against Alembic's own idea of head.
HEAD_REVISION = "0001"
PENDING, SENT, DEAD, DROPPED = "pending", "sent", "dead", "dropped"
CLOSING_KINDS = (EventKind.RESTORED.value, EventKind.MAINTENANCE_ENDED.value)


@dataclass(frozen=True, slots=True)
class PollCommit:
    """What one poll changes."""

    source_id: str
    provider: str
    state: SourceState
    at: datetime
    events: Sequence[Event] = ()
    validators: dict[str, Any] | None = None
    error: str | None = None
    # The version the state was loaded at; None skips the check (tools and tests).
    expected_version: int | None = None


def make_engine(url: str) -> AsyncEngine:
    if url.startswith("sqlite"):
        engine = create_async_engine(url, connect_args={"timeout": 30})

        @sa_event.listens_for(engine.sync_engine, "connect")
        def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
            cursor = dbapi_conn.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.close()

        return engine
    return create_async_engine(url, pool_size=10, max_overflow=10, pool_pre_ping=True)


def _upgrade(sync_conn: Any) -> None:
    # Alembic costs ~10 MB of memory: import it only when there is something to migrate.
    from alembic import command
    from alembic.config import Config as AlembicConfig

    cfg = AlembicConfig()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.attributes["connection"] = sync_conn
    command.upgrade(cfg, "head")


def _current_revision(sync_conn: Any) -> str | None:
    if not sa.inspect(sync_conn).has_table("alembic_version"):
        return None
    return sync_conn.execute(sa.text("SELECT version_num FROM alembic_version")).scalar()


class Store:
    """The bot's only persistence; every method is one short transaction."""

    def __init__(self, url: str, local_sinks: Sequence[str] = ()) -> None:
        self.url = url
        self.engine = make_engine(url)
        # A SQLite file belongs to one process; a server database may be shared by several.
        self.shared = not url.startswith("sqlite")
        # Sinks such as the console that receive every event, subscription or not.
        self.local_sinks = tuple(local_sinks)

    async def initialize(self) -> None:
        """Create or migrate the schema to the newest version."""
        async with self.engine.begin() as conn:
            if await conn.run_sync(_current_revision) != HEAD_REVISION:
                await conn.run_sync(_upgrade)

    async def aclose(self) -> None:
        await self.engine.dispose()

    async def ping(self) -> bool:
        try:
            async with self.engine.connect() as conn:
                await conn.execute(sa.text("SELECT 1"))
            return True
        except Exception:  # noqa: BLE001 - readiness reports, never raises
            return False

    # --- sources ------------------------------------------------------------

    async def load_source(self, source_id: str) -> SourceRecord | None:
        async with self.engine.connect() as conn:
            row = (
                await conn.execute(
                    sa.select(schema.sources).where(schema.sources.c.source_id == source_id)
                )
            ).first()
        return _source_record(row) if row else None

    async def all_sources(self) -> list[SourceRecord]:
        async with self.engine.connect() as conn:
            rows = (await conn.execute(sa.select(schema.sources))).all()
        return [_source_record(r) for r in rows]

    async def commit_poll(self, commit: PollCommit) -> list[int]:
        """Persist one poll: state, events, incidents and outbox rows, atomically.

        Raises ConcurrentUpdate when another process committed this source since we loaded it.
        """
        async with self.engine.begin() as conn:
            await self._save_source(conn, commit)
            event_ids = []
            for event in commit.events:
                event_ids.append(await self._insert_event(conn, event, commit.at))
                await self._upsert_incident(conn, event, commit.at)
                await self._fan_out(conn, event, event_ids[-1], commit.at)
        return event_ids

    async def _save_source(self, conn: AsyncConnection, commit: PollCommit) -> None:
        values: dict[str, Any] = {
            "provider": commit.provider,
            "state": commit.state.to_json(),
            "last_attempt_at": commit.at,
            "last_ok_at": commit.state.last_ok_at,
            "last_error": commit.error,
            "updated_at": commit.at,
        }
        if commit.validators is not None:
            values["validators"] = commit.validators
        table = schema.sources
        where = table.c.source_id == commit.source_id
        if commit.expected_version is not None:
            where &= table.c.version == commit.expected_version
        updated = await conn.execute(
            table.update().where(where).values(version=table.c.version + 1, **values)
        )
        if updated.rowcount:
            return
        if commit.expected_version not in (None, 0):
            raise ConcurrentUpdate(f"source {commit.source_id} changed under us")
        try:
            async with conn.begin_nested():
                await conn.execute(
                    table.insert().values(source_id=commit.source_id, version=1, **values)
                )
        except IntegrityError:
            raise ConcurrentUpdate(f"source {commit.source_id} was created under us") from None

    async def _insert_event(self, conn: AsyncConnection, event: Event, now: datetime) -> int:
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

    async def _upsert_incident(self, conn: AsyncConnection, event: Event, now: datetime) -> None:
        if event.kind.is_source_health:
            return
        table = schema.incidents
        ended = event.at if event.kind.value in CLOSING_KINDS else None
        values = {
            "provider": event.provider,
            "incident_id": event.incident_id,
            "title": event.title,
            "severity": int(event.severity),
            "status": event.status.value if event.status else None,
            "started_at": event.started_at,
            "ended_at": ended,
            "updated_at": now,
            "latest_event": event.to_json(),
        }
        key = (table.c.source_id == event.source_id) & (table.c.incident_key == event.incident_key)
        updated = await conn.execute(table.update().where(key).values(**values))
        if updated.rowcount == 0:
            await conn.execute(
                table.insert().values(
                    source_id=event.source_id, incident_key=event.incident_key, **values
                )
            )

    async def _fan_out(
        self, conn: AsyncConnection, event: Event, event_id: int, now: datetime
    ) -> None:
        subs = (
            await conn.execute(
                sa.select(schema.subscriptions).where(
                    schema.subscriptions.c.provider == event.provider,
                    schema.subscriptions.c.enabled.is_(True),
                )
            )
        ).all()
        payload = event.to_json()

        def row(platform: str, channel: str, workspace: str | None, sub_id: int | None) -> dict:
            return {
                "platform": platform,
                "workspace_id": workspace,
                "channel_id": channel,
                "subscription_id": sub_id,
                "event_id": event_id,
                "incident_key": event.incident_key,
                "kind": event.kind.value,
                "payload": payload,
                "status": PENDING,
                "attempts": 0,
                "next_attempt_at": now,
                "created_at": now,
            }

        rows = [row(sink, sink, None, None) for sink in self.local_sinks]
        followed = await self._channels_following(conn, event.incident_key) if subs else set()
        for sub_row in subs:
            sub = _subscription(sub_row)
            if sub.wants(event, (sub.platform, sub.channel_id) in followed):
                rows.append(row(sub.platform, sub.channel_id, sub.workspace_id, sub.id))
        if rows:
            await conn.execute(schema.outbox.insert(), rows)

    async def _channels_following(
        self, conn: AsyncConnection, incident_key: str
    ) -> set[tuple[str, str]]:
        """Channels that have (or are about to get) a card for this incident."""
        cards = schema.cards
        queued = schema.outbox
        result = await conn.execute(
            sa.select(cards.c.platform, cards.c.channel_id)
            .where(cards.c.incident_key == incident_key)
            .union(
                sa.select(queued.c.platform, queued.c.channel_id).where(
                    queued.c.incident_key == incident_key, queued.c.status.in_([PENDING, SENT])
                )
            )
        )
        return {(r[0], r[1]) for r in result}

    # --- subscriptions -------------------------------------------------------

    async def subscribe(self, sub: Subscription) -> Subscription:
        """Create or replace the channel's subscription to one provider (re-enabling it)."""
        table = schema.subscriptions
        values = {
            "workspace_id": sub.workspace_id,
            "components": list(sub.components),
            "min_severity": int(sub.min_severity),
            "reminder_minutes": sub.reminder_minutes,
            "enabled": True,
            "disabled_reason": None,
            "created_by": sub.created_by,
        }
        where = (
            (table.c.platform == sub.platform)
            & (table.c.channel_id == sub.channel_id)
            & (table.c.provider == sub.provider)
        )
        identity = {
            "platform": sub.platform,
            "channel_id": sub.channel_id,
            "provider": sub.provider,
            "created_at": sub.created_at,
        }
        async with self.engine.begin() as conn:
            await _upsert(conn, table, where, values, identity)
            row = (await conn.execute(sa.select(table).where(where))).one()
        return _subscription(row)

    async def unsubscribe(self, platform: str, channel_id: str, provider: str | None) -> int:
        table = schema.subscriptions
        where = (table.c.platform == platform) & (table.c.channel_id == channel_id)
        if provider is not None:
            where &= table.c.provider == provider
        async with self.engine.begin() as conn:
            result = await conn.execute(table.delete().where(where))
        return int(result.rowcount)

    async def channel_subscriptions(self, platform: str, channel_id: str) -> list[Subscription]:
        table = schema.subscriptions
        async with self.engine.connect() as conn:
            rows = (
                await conn.execute(
                    sa.select(table)
                    .where(table.c.platform == platform, table.c.channel_id == channel_id)
                    .order_by(table.c.provider)
                )
            ).all()
        return [_subscription(r) for r in rows]

    async def all_subscriptions(self) -> list[Subscription]:
        async with self.engine.connect() as conn:
            rows = (await conn.execute(sa.select(schema.subscriptions))).all()
        return [_subscription(r) for r in rows]

    async def disable_channel(
        self, platform: str, channel_id: str, reason: str, workspace_id: str | None = None
    ) -> None:
        """Stop delivering to a channel (or a whole workspace) that is gone or closed to us."""
        subs, queued = schema.subscriptions, schema.outbox
        if workspace_id is not None:
            sub_where = (subs.c.platform == platform) & (subs.c.workspace_id == workspace_id)
            row_where = (queued.c.platform == platform) & (queued.c.workspace_id == workspace_id)
        else:
            sub_where = (subs.c.platform == platform) & (subs.c.channel_id == channel_id)
            row_where = (queued.c.platform == platform) & (queued.c.channel_id == channel_id)
        async with self.engine.begin() as conn:
            await conn.execute(
                subs.update().where(sub_where).values(enabled=False, disabled_reason=reason)
            )
            await conn.execute(
                queued.update()
                .where(row_where, queued.c.status == PENDING)
                .values(status=DROPPED, last_error=reason)
            )

    # --- outbox -------------------------------------------------------------

    async def due_deliveries(self, now: datetime, limit: int = 500) -> list[Delivery]:
        """The head of each channel's queue, if due: rows go out in order per channel."""
        queued, cards = schema.outbox, schema.cards
        head = (
            sa.select(sa.func.min(queued.c.id).label("id"))
            .where(queued.c.status == PENDING)
            .group_by(queued.c.platform, queued.c.channel_id)
            .subquery()
        )
        query = (
            sa.select(queued, cards.c.message_id, cards.c.thread_id)
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
        return [_delivery(r) for r in rows]

    async def begin_attempt(
        self, delivery_id: int, now: datetime, lease: timedelta = timedelta(0)
    ) -> bool:
        """Claim a row and count the attempt before calling out.

        The count tells a retry after a crash that the outcome may be unknown. With a
        lease, a second worker on the same database skips the row until the lease ends;
        False means another worker holds it.
        """
        table = schema.outbox
        async with self.engine.begin() as conn:
            result = await conn.execute(
                table.update()
                .where(
                    table.c.id == delivery_id,
                    table.c.status == PENDING,
                    sa.or_(table.c.claimed_until.is_(None), table.c.claimed_until < now),
                )
                .values(
                    attempts=table.c.attempts + 1,
                    claimed_until=now + lease if lease else None,
                )
            )
        return bool(result.rowcount)

    async def save_card(self, delivery: Delivery, ref: CardRef, now: datetime) -> None:
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
        async with self.engine.begin() as conn:
            await _upsert(conn, table, where, values, identity)

    async def mark_delivered(self, delivery: Delivery, ref: CardRef | None, now: datetime) -> None:
        if ref is not None and ref != delivery.card:
            await self.save_card(delivery, ref, now)
        async with self.engine.begin() as conn:
            await conn.execute(
                schema.outbox.update()
                .where(schema.outbox.c.id == delivery.id)
                .values(status=SENT, sent_at=now, last_error=None, claimed_until=None)
            )
            if delivery.event.kind.value in CLOSING_KINDS:
                cards = schema.cards
                await conn.execute(
                    cards.update()
                    .where(
                        cards.c.platform == delivery.platform,
                        cards.c.channel_id == delivery.channel_id,
                        cards.c.incident_key == delivery.event.incident_key,
                    )
                    .values(closed=True)
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
        return [_outbox_row(r) for r in rows]

    async def outbox_depth(self) -> int:
        table = schema.outbox
        async with self.engine.connect() as conn:
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

    async def open_incidents(self, provider: str | None = None) -> list[Event]:
        """The latest event of every incident not yet restored."""
        table = schema.incidents
        query = sa.select(table.c.latest_event).where(table.c.ended_at.is_(None))
        if provider is not None:
            query = query.where(table.c.provider == provider)
        async with self.engine.connect() as conn:
            rows = (await conn.execute(query.order_by(table.c.started_at))).all()
        return [Event.from_json(r[0]) for r in rows]

    async def recent_events(self, limit: int = 50) -> list[Event]:
        table = schema.events
        async with self.engine.connect() as conn:
            rows = (
                await conn.execute(
                    sa.select(table.c.payload).order_by(table.c.id.desc()).limit(limit)
                )
            ).all()
        return [Event.from_json(r[0]) for r in reversed(rows)]


async def _upsert(
    conn: AsyncConnection,
    table: sa.Table,
    where: sa.ColumnElement[bool],
    values: dict[str, Any],
    identity: dict[str, Any],
) -> None:
    """Update the row `where` selects, or insert it with `identity` added."""
    updated = await conn.execute(table.update().where(where).values(**values))
    if updated.rowcount == 0:
        await conn.execute(table.insert().values(**identity, **values))


def _source_record(row: Any) -> SourceRecord:
    return SourceRecord(
        source_id=row.source_id,
        provider=row.provider,
        state=SourceState.from_json(row.state),
        validators=row.validators,
        last_attempt_at=as_utc(row.last_attempt_at),
        last_ok_at=as_utc(row.last_ok_at),
        last_error=row.last_error,
        version=row.version,
    )


def _subscription(row: Any) -> Subscription:
    created_at = as_utc(row.created_at)
    assert created_at is not None
    return Subscription(
        id=row.id,
        platform=row.platform,
        workspace_id=row.workspace_id,
        channel_id=row.channel_id,
        provider=row.provider,
        components=tuple(row.components or ()),
        min_severity=Severity(row.min_severity),
        reminder_minutes=row.reminder_minutes,
        enabled=bool(row.enabled),
        disabled_reason=row.disabled_reason,
        created_by=row.created_by,
        created_at=created_at,
    )


def _delivery(row: Any) -> Delivery:
    card = CardRef(row.message_id, row.thread_id) if row.message_id else None
    return Delivery(
        id=row.id,
        platform=row.platform,
        workspace_id=row.workspace_id,
        channel_id=row.channel_id,
        event=Event.from_json(row.payload),
        card=card,
        attempt=row.attempts + 1,
    )


def _outbox_row(row: Any) -> OutboxRow:
    next_at, created = as_utc(row.next_attempt_at), as_utc(row.created_at)
    assert next_at is not None
    assert created is not None
    return OutboxRow(
        id=row.id,
        platform=row.platform,
        channel_id=row.channel_id,
        incident_key=row.incident_key,
        kind=row.kind,
        status=row.status,
        attempts=row.attempts,
        next_attempt_at=next_at,
        last_error=row.last_error,
        created_at=created,
        sent_at=as_utc(row.sent_at),
    )
