"""Early warning in the store: each episode from our first signal to its end, its card, and
the official lag at both ends.

An episode's card starts under its own key (`early:<provider>:<time>`). When the page
confirms, the poll that brings the official incident re-keys that card to the incident in
the same transaction, before fanning the incident out: the official story then edits the
early card in place (same message, same thread) instead of posting a second one.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.events import Event, EventKind
from bot.fusion import Episode, hm, lag_words
from bot.routing import Recipient, Subscription, wants
from bot.store import cards, schema
from bot.store.engine import Database
from bot.store.eventlog import EventLog
from bot.store.outbox import OutboxRepository, QueueBatch
from bot.store.records import DROPPED, PENDING, as_utc

# Official events that tell an incident's story (and so may confirm an open suspicion).
_CONFIRMING = (EventKind.DEGRADED, EventKind.OUTAGE, EventKind.UPDATE)


@dataclass(frozen=True, slots=True)
class EpisodeRecord:
    """One stored episode: `statusbot lag`, /metrics and the cards read it."""

    provider: str
    episode_key: str
    incident_key: str | None = None
    title: str | None = None
    first_signal_at: datetime | None = None
    suspected_at: datetime | None = None
    confirmed_at: datetime | None = None
    probes_recovered_at: datetime | None = None
    resolved_at: datetime | None = None
    retracted_at: datetime | None = None
    signals_cleared_at: datetime | None = None
    reasons: tuple[str, ...] = ()

    @property
    def episode(self) -> Episode:
        return Episode(
            key=self.episode_key,
            first_signal_at=self.first_signal_at,
            suspected_at=self.suspected_at,
            confirmed_at=self.confirmed_at,
            probes_failed=self.probes_recovered_at is not None,
            probes_recovered_at=self.probes_recovered_at,
            ended_at=self.resolved_at,
        )

    @property
    def confirm_lag_s(self) -> float | None:
        """Seconds from our first signal to the page's confirmation (suspected first only)."""
        return self.episode.confirm_lag_s

    @property
    def recovery_lead_s(self) -> float | None:
        """Seconds our probes saw recovery before the page resolved."""
        return self.episode.recovery_lead_s()

    @property
    def never_confirmed(self) -> bool:
        return self.retracted_at is not None and self.confirmed_at is None


def lag_lines(name: str, record: EpisodeRecord) -> tuple[str, ...]:
    """What the official card says about the lag, as far as it is known now."""
    lines = lag_words(name, record.episode)
    if record.probes_recovered_at is not None and record.resolved_at is None:
        lines.append(
            f"our probes see it answering again since {hm(record.probes_recovered_at)}; "
            "the page does not say so yet"
        )
    return tuple(lines)


class EarlyRepository:
    """Episodes, their cards' events, and the lag records (`hist` reads `episodes`)."""

    def __init__(self, db: Database, events: EventLog, outbox: OutboxRepository) -> None:
        self.db = db
        self.events = events
        self.outbox = outbox

    # --- the sink's side: a change of verdict -------------------------------------

    async def open_episode(self, event: Event, record: EpisodeRecord, now: datetime) -> int:
        """Store a new suspicion and queue its unconfirmed card; returns how many rows."""
        async with self.db.engine.begin() as conn:
            batch = await self.outbox.begin_batch(conn)
            existing = await self._by_key(conn, record.episode_key)
            if existing is not None:
                return 0  # told already (a replica or a retry got here first)
            await conn.execute(schema.early_episodes.insert().values(**_values(record, now)))
            queued = await self._announce(conn, event, now, batch)
        self.outbox.announce(batch)
        return queued

    async def false_alarm(self, event: Event, cleared_at: datetime | None, now: datetime) -> int:
        """The signals cleared without confirmation: record it, and say so on the same card."""
        async with self.db.engine.begin() as conn:
            batch = await self.outbox.begin_batch(conn)
            record = await self._by_key(conn, event.incident_key)
            if record is None or record.retracted_at is not None:
                return 0
            await self._update(
                conn, event.incident_key, now, retracted_at=now, signals_cleared_at=cleared_at
            )
            queued = await self._announce(conn, event, now, batch)
        self.outbox.announce(batch)
        return queued

    async def confirmed(self, record: EpisodeRecord, now: datetime) -> EpisodeRecord:
        """The page confirmed. A suspicion was linked to the incident by the poll already;
        an incident the page reported first is recorded here (linked to its open incident).
        Returns the stored record."""
        async with self.db.engine.begin() as conn:
            stored = await self._by_key(conn, record.episode_key)
            if stored is None:
                incident = await self._unlinked_open_incident(conn, record.provider)
                values = _values(record, now)
                values.update(confirmed_at=record.confirmed_at or now)
                if incident is not None:
                    values.update(incident_key=incident[0], title=incident[1])
                await conn.execute(schema.early_episodes.insert().values(**values))
            elif stored.confirmed_at is None:
                await self._update(conn, record.episode_key, now, confirmed_at=now)
            final = await self._by_key(conn, record.episode_key)
        assert final is not None
        return final

    async def probes_recovered(
        self, episode_key: str, name: str, now: datetime
    ) -> EpisodeRecord | None:
        """Our probes answer again while the page still reports the incident: record it, and
        add it to the incident's card (same card, a line in its thread)."""
        async with self.db.engine.begin() as conn:
            batch = await self.outbox.begin_batch(conn)
            record = await self._by_key(conn, episode_key)
            if record is None or record.probes_recovered_at is not None:
                return record
            await self._update(conn, episode_key, now, probes_recovered_at=now)
            record = await self._by_key(conn, episode_key)
            assert record is not None
            latest = await self._latest_official(conn, record)
            if latest is not None and record.resolved_at is None:
                event = latest.replace(
                    kind=EventKind.PROBES_RECOVERED,
                    at=now,
                    duration_s=None,
                    text=(
                        f"Our probes see {name} answering again since {hm(now)}; "
                        "the official page still reports the incident"
                    ),
                    lag=lag_lines(name, record),
                )
                await self._announce(conn, event, now, batch)
        self.outbox.announce(batch)
        return record

    async def resolved(self, episode_key: str, now: datetime) -> EpisodeRecord | None:
        """The page no longer reports it (the poll set the time already when it saw it)."""
        async with self.db.engine.begin() as conn:
            record = await self._by_key(conn, episode_key)
            if record is not None and record.resolved_at is None:
                await self._update(conn, episode_key, now, resolved_at=now)
                record = await self._by_key(conn, episode_key)
        return record

    async def late_card(self, sub: Subscription, now: datetime) -> Event | None:
        """Queue the open suspicion's card for a channel that opts in now; returns it (None
        when nothing is suspected, or the channel has it already)."""
        async with self.db.engine.begin() as conn:
            record = await self._open_suspicion(conn, sub.provider)
            if record is None:
                return None
            if (sub.platform, sub.channel_id) in await cards.following(conn, record.episode_key):
                return None
            events = schema.events
            row = (
                await conn.execute(
                    sa.select(events.c.id, events.c.payload)
                    .where(
                        events.c.incident_key == record.episode_key,
                        events.c.kind == EventKind.SUSPECTED.value,
                    )
                    .order_by(events.c.id)
                    .limit(1)
                )
            ).first()
            if row is None:
                return None
            event = Event.from_json(row.payload)
            if not wants(sub, event, has_card=False):
                return None
            batch = await self.outbox.begin_batch(conn)
            recipient = Recipient(sub.platform, sub.channel_id, sub.workspace_id, sub.id)
            await self.outbox.enqueue(conn, event, row.id, [recipient], now, batch)
        self.outbox.announce(batch)
        return event

    # --- the poll's side: inside commit_poll's transaction --------------------------

    async def annotate(self, conn: AsyncConnection, event: Event, now: datetime) -> Event:
        """The official event with the lag on it; the first one after a suspicion links the
        suspicion's card to its incident, so the official story lands on the same card."""
        if event.kind.is_source_health or event.kind.is_early:
            return event
        record = await self._by_incident(conn, event.provider, event.incident_key)
        if record is None and event.kind in _CONFIRMING:
            record = await self._open_suspicion(conn, event.provider)
            if record is not None:
                await self._link(conn, record, event, now)
                record = await self._by_key(conn, record.episode_key)
        if record is None:
            return event
        if event.kind is EventKind.RESTORED and record.resolved_at is None:
            await self._update(conn, record.episode_key, now, resolved_at=now)
            record = await self._by_key(conn, record.episode_key)
            assert record is not None
        lines = lag_lines(event.page_name, record)
        return event.replace(lag=lines) if lines else event

    async def _link(
        self, conn: AsyncConnection, record: EpisodeRecord, event: Event, now: datetime
    ) -> None:
        await self._update(
            conn,
            record.episode_key,
            now,
            incident_key=event.incident_key,
            title=event.title,
            confirmed_at=record.confirmed_at or now,
            signals_cleared_at=None,
        )
        card_rows = schema.cards
        other = card_rows.alias("official")
        has_official = (
            sa.select(other.c.id)
            .where(
                other.c.platform == card_rows.c.platform,
                other.c.channel_id == card_rows.c.channel_id,
                other.c.incident_key == event.incident_key,
            )
            .exists()
        )
        await conn.execute(
            card_rows.update()
            .where(card_rows.c.incident_key == record.episode_key, ~has_official)
            .values(incident_key=event.incident_key, closed=False)
        )
        # An early card still waiting to go out would arrive after the official one: the
        # official card (with the lag on it) tells the story instead.
        queued = schema.outbox
        await conn.execute(
            queued.update()
            .where(
                queued.c.incident_key == record.episode_key,
                queued.c.status == PENDING,
                sa.or_(queued.c.claimed_until.is_(None), queued.c.claimed_until < now),
                queued.c.attempts == 0,
            )
            .values(status=DROPPED, last_error="the page confirmed it before this card went out")
        )

    # --- reading ---------------------------------------------------------------------

    async def episodes(
        self, provider: str | None = None, since: datetime | None = None
    ) -> list[EpisodeRecord]:
        """Every recorded episode, oldest first (optionally one provider's, or recent ones)."""
        table = schema.early_episodes
        query = sa.select(table).order_by(table.c.id)
        if provider is not None:
            query = query.where(table.c.provider == provider)
        if since is not None:
            query = query.where(table.c.updated_at >= since)
        async with self.db.engine.connect() as conn:
            rows = (await conn.execute(query)).all()
        return [_record(r) for r in rows]

    async def open_episode_key(self, provider: str) -> str | None:
        """The key of the provider's suspicion not yet confirmed nor called off, if any."""
        async with self.db.engine.connect() as conn:
            record = await self._open_suspicion(conn, provider)
        return record.episode_key if record else None

    async def _announce(
        self, conn: AsyncConnection, event: Event, now: datetime, batch: QueueBatch | None
    ) -> int:
        # Early events are not incidents: /is-chatgpt-down and reminders never read them.
        event_id = await self.events.append(conn, event, now)
        return await self.outbox.fan_out(conn, event, event_id, now, batch)

    async def _by_key(self, conn: AsyncConnection, episode_key: str) -> EpisodeRecord | None:
        table = schema.early_episodes
        row = (
            await conn.execute(sa.select(table).where(table.c.episode_key == episode_key))
        ).first()
        return _record(row) if row is not None else None

    async def _by_incident(
        self, conn: AsyncConnection, provider: str, incident_key: str
    ) -> EpisodeRecord | None:
        table = schema.early_episodes
        row = (
            await conn.execute(
                sa.select(table)
                .where(table.c.provider == provider, table.c.incident_key == incident_key)
                .order_by(table.c.id.desc())
                .limit(1)
            )
        ).first()
        return _record(row) if row is not None else None

    async def _open_suspicion(self, conn: AsyncConnection, provider: str) -> EpisodeRecord | None:
        table = schema.early_episodes
        row = (
            await conn.execute(
                sa.select(table)
                .where(
                    table.c.provider == provider,
                    table.c.suspected_at.is_not(None),
                    table.c.incident_key.is_(None),
                    table.c.retracted_at.is_(None),
                    table.c.resolved_at.is_(None),
                )
                .order_by(table.c.id.desc())
                .limit(1)
            )
        ).first()
        return _record(row) if row is not None else None

    async def _unlinked_open_incident(
        self, conn: AsyncConnection, provider: str
    ) -> tuple[str, str] | None:
        incidents, episodes = schema.incidents, schema.early_episodes
        linked = sa.select(episodes.c.incident_key).where(
            episodes.c.provider == provider, episodes.c.incident_key.is_not(None)
        )
        row = (
            await conn.execute(
                sa.select(incidents.c.incident_key, incidents.c.title)
                .where(
                    incidents.c.provider == provider,
                    incidents.c.ended_at.is_(None),
                    incidents.c.incident_key.not_in(linked),
                )
                .order_by(incidents.c.started_at.desc())
                .limit(1)
            )
        ).first()
        return (row[0], row[1]) if row is not None else None

    async def _latest_official(self, conn: AsyncConnection, record: EpisodeRecord) -> Event | None:
        if record.incident_key is None:
            return None
        incidents, events = schema.incidents, schema.events
        row = (
            await conn.execute(
                sa.select(events.c.payload)
                .join(incidents, incidents.c.latest_event_id == events.c.id)
                .where(
                    incidents.c.provider == record.provider,
                    incidents.c.incident_key == record.incident_key,
                    incidents.c.ended_at.is_(None),
                )
                .limit(1)
            )
        ).first()
        return Event.from_json(row[0]) if row is not None else None

    async def _update(
        self, conn: AsyncConnection, episode_key: str, now: datetime, **values: Any
    ) -> None:
        table = schema.early_episodes
        await conn.execute(
            table.update()
            .where(table.c.episode_key == episode_key)
            .values(**values, updated_at=now)
        )


def _values(record: EpisodeRecord, now: datetime) -> dict[str, Any]:
    return {
        "provider": record.provider,
        "episode_key": record.episode_key,
        "incident_key": record.incident_key,
        "title": record.title,
        "first_signal_at": record.first_signal_at,
        "suspected_at": record.suspected_at,
        "confirmed_at": record.confirmed_at,
        "probes_recovered_at": record.probes_recovered_at,
        "resolved_at": record.resolved_at,
        "retracted_at": record.retracted_at,
        "signals_cleared_at": record.signals_cleared_at,
        "reasons": list(record.reasons),
        "updated_at": now,
    }


def _record(row: Any) -> EpisodeRecord:
    return EpisodeRecord(
        provider=row.provider,
        episode_key=row.episode_key,
        incident_key=row.incident_key,
        title=row.title,
        first_signal_at=as_utc(row.first_signal_at),
        suspected_at=as_utc(row.suspected_at),
        confirmed_at=as_utc(row.confirmed_at),
        probes_recovered_at=as_utc(row.probes_recovered_at),
        resolved_at=as_utc(row.resolved_at),
        retracted_at=as_utc(row.retracted_at),
        signals_cleared_at=as_utc(row.signals_cleared_at),
        reasons=tuple(row.reasons or ()),
    )
