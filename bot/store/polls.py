"""Polls: source state, events, incidents and the fan-out to the outbox, in one transaction."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.errors import ConcurrentUpdate
from bot.events import Event, EventKind
from bot.machine import SourceState
from bot.store import schema
from bot.store.engine import StoreBase
from bot.store.records import (
    CLOSING_KINDS,
    PENDING,
    SENT,
    SourceRecord,
)
from bot.store.rows import source_from_row, subscription_from_row, upsert


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


class PollStore(StoreBase):
    """Everything a poll reads and writes."""

    async def load_source(self, source_id: str) -> SourceRecord | None:
        async with self.engine.connect() as conn:
            row = (
                await conn.execute(
                    sa.select(schema.sources).where(schema.sources.c.source_id == source_id)
                )
            ).first()
        return source_from_row(row) if row else None

    async def all_sources(self) -> list[SourceRecord]:
        async with self.engine.connect() as conn:
            rows = (await conn.execute(sa.select(schema.sources))).all()
        return [source_from_row(r) for r in rows]

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
        identity = {"source_id": event.source_id, "incident_key": event.incident_key}
        await upsert(conn, table, key, values, identity)
        if event.kind in (EventKind.DEGRADED, EventKind.OUTAGE):
            # A reopened incident brings its cards back to life (reminders included).
            cards = schema.cards
            await conn.execute(
                cards.update()
                .where(cards.c.incident_key == event.incident_key, cards.c.closed.is_(True))
                .values(closed=False)
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
            sub = subscription_from_row(sub_row)
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
