"""Polls: a source's state, its events, their incidents and outbox rows, in one transaction."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncConnection

from bot.availability import floor_minute, sample_of
from bot.events import Event, EventKind
from bot.history import expectation
from bot.store.early import EarlyRepository
from bot.store.engine import Database
from bot.store.eventlog import EventLog
from bot.store.history import HistoryRepository
from bot.store.incidents import IncidentRepository
from bot.store.outbox import OutboxRepository
from bot.store.records import PollCommit, SourceRecord
from bot.store.sources import SourceRepository


class PollRepository:
    """Everything a poll reads and writes (implements bot.poller.PollLog)."""

    def __init__(
        self,
        db: Database,
        sources: SourceRepository,
        events: EventLog,
        incidents: IncidentRepository,
        outbox: OutboxRepository,
        history: HistoryRepository,
        early: EarlyRepository | None = None,
    ) -> None:
        self.db = db
        self.history = history
        self.sources = sources
        self.events = events
        self.incidents = incidents
        self.outbox = outbox
        self.early = early

    async def load_source(self, source_id: str) -> SourceRecord | None:
        return await self.sources.load_source(source_id)

    async def commit_poll(self, commit: PollCommit) -> list[int]:
        """Persist one poll: state, events, incidents, history and outbox rows, atomically.

        Each event is stored once; its incident and its outbox rows refer to it. An open
        early-warning episode is linked to the incident first (see bot.store.early). A card
        that opens or changes carries what the provider's past incidents of its severity
        suggest (history, not a promise). Raises
        ConcurrentUpdate when another process committed this source since we loaded it.
        """
        event_ids = []
        batch = None
        async with self.db.engine.begin() as conn:
            await self.sources.save(conn, commit)
            sample = sample_of(commit.state, floor_minute(commit.at))
            await self.history.record_sample(conn, commit, sample)
            if commit.events:
                batch = await self.outbox.begin_batch(conn)
            for event in commit.events:
                if self.early is not None:
                    # The lag on the card; a suspicion's card becomes this incident's.
                    event = await self.early.annotate(conn, event, commit.at)
                event = await self._with_expectation(conn, event)
                await self.history.record_event(conn, event)
                event_id = await self.events.append(conn, event, commit.at)
                await self.incidents.record(conn, event, event_id, commit.at)
                await self.outbox.fan_out(conn, event, event_id, commit.at, batch)
                event_ids.append(event_id)
        if batch is not None:
            self.outbox.announce(batch)  # committed: the worker may start what it was handed
        return event_ids

    async def _with_expectation(self, conn: AsyncConnection, event: Event) -> Event:
        if event.kind not in (EventKind.DEGRADED, EventKind.OUTAGE, EventKind.UPDATE):
            return event
        durations = await self.history.durations_in(
            conn, event.provider, event.severity, before=event.at
        )
        return event.replace(expectation=expectation(event.page_name, event.severity, durations))
