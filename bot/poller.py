"""The coordinator of one source: read (the poll step), transition, commit.

`check_once()` is one tick (tests call it directly); the scheduler calls it on an
interval. One bad poll never escapes: it is logged and counted, and the next tick runs.
After a tick, `retry_in` says how long to wait when failures call for more than the
interval; the scheduler moves the job's next run accordingly (bot/schedule.py).
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from typing import Protocol

from bot import metrics
from bot.config import SourceConfig
from bot.errors import ConcurrentUpdate, LocalResourceExhausted
from bot.events import Event
from bot.machine import MachineSettings, SourceState, is_stale, transition
from bot.models import FetchFailure, Observation, Snapshot
from bot.reading import Fetcher, Parse, SourceReader
from bot.store.records import PollCommit, SourceRecord

log = logging.getLogger(__name__)

MAX_BACKOFF_S = 600.0


class PollLog(Protocol):
    """What a poller needs from the store."""

    async def load_source(self, source_id: str) -> SourceRecord | None: ...

    async def commit_poll(self, commit: PollCommit) -> list[int]: ...


class SourcePoller:
    """Polls one source and records what changed."""

    def __init__(
        self,
        provider: str,
        source_id: str,
        source: SourceConfig,
        fetcher: Fetcher,
        parse: Parse,
        store: PollLog,
        on_events: Callable[[Sequence[Event]], None] = lambda events: None,
        clock: Callable[[], datetime] | None = None,
        display_name: str | None = None,
    ) -> None:
        self.provider = provider
        self.source_id = source_id
        self.reader = SourceReader(source, fetcher, parse)
        self.store = store
        self.on_events = on_events
        self.clock = clock or (lambda: datetime.now(UTC))
        self.settings = MachineSettings(
            provider=provider,
            source_id=source_id,
            flap_window_s=source.flap_window,
            failure_threshold=source.failure_threshold,
            tie_window_s=source.tie_window,
            display_name=display_name,
        )
        # Seconds to the next poll when failures call for a longer wait than the interval.
        self.retry_in: float | None = None
        self._lock = asyncio.Lock()
        self.stopping = False
        # The state as last committed, and its version: read from the store once, then kept.
        self._state: SourceState | None = None
        self._version = 0
        self._recorded_at: datetime | None = None
        self._record_every = timedelta(seconds=min(2 * source.interval, 60.0))

    @property
    def source(self) -> SourceConfig:
        return self.reader.source

    async def check_once(self) -> list[Event]:
        """One tick; never raises except on cancellation."""
        if self.stopping:
            return []
        async with self._lock:
            if self.stopping:
                return []
            try:
                return await self._check()
            except asyncio.CancelledError:
                raise
            except LocalResourceExhausted as exc:
                # Never "the page is unreachable": nothing about it was learnt this time.
                log.warning(
                    "poll of %s skipped: %s on our side, not the page's", self.source_id, exc
                )
                metrics.POLLS.labels(self.source_id, "skipped").inc()
                return []
            except Exception:
                log.exception("poll of %s failed unexpectedly", self.source_id)
                metrics.POLLS.labels(self.source_id, "crash").inc()
                return []

    async def _check(self) -> list[Event]:
        now = self.clock()  # the poll's one time: the observation carries it
        started = time.perf_counter()
        reading = await self.reader.read(now)
        observation = reading.observation
        state = await self._current_state()
        if isinstance(observation, Snapshot) and is_stale(state, observation):
            # An older copy (a CDN cache): as if this poll never happened.
            metrics.STALE_SNAPSHOTS.labels(self.source_id).inc()
            metrics.POLLS.labels(self.source_id, "stale").inc()
            log.debug(
                "%s served a copy older than one already seen (%s < %s); ignored",
                self.source_id,
                observation.page_updated_at,
                state.page_updated_at,
            )
        elif isinstance(observation, Snapshot):
            metrics.POLLS.labels(self.source_id, "ok" if reading.changed else "not_modified").inc()
        new_state, events = transition(state, observation, self.settings)
        self.retry_in = self._retry_in(new_state, observation)
        if self._nothing_to_record(state, new_state, events, now):
            self._state = new_state
            self._observe(observation, events, started)
            return []
        error = observation.reason if isinstance(observation, FetchFailure) else None
        try:
            await self.store.commit_poll(
                PollCommit(
                    source_id=self.source_id,
                    provider=self.provider,
                    state=new_state,
                    at=now,
                    events=events,
                    error=error,
                    expected_version=self._version,
                )
            )
        except ConcurrentUpdate:
            log.debug("another process recorded %s first; dropping this poll", self.source_id)
            self._state = None  # read what the other process wrote before the next poll
            return []
        self._state, self._version = new_state, self._version + 1
        self._recorded_at = now
        self._observe(observation, events, started)
        if events:
            self.on_events(events)
        return events

    def _nothing_to_record(
        self, old: SourceState, new: SourceState, events: Sequence[Event], now: datetime
    ) -> bool:
        """An unchanged page need not be written on every poll, only often enough for the
        store's "last checked" to stay well inside the staleness limits (3 intervals)."""
        if events or self._recorded_at is None or now - self._recorded_at >= self._record_every:
            return False
        return dataclasses.replace(new, last_ok_at=old.last_ok_at) == old

    def forget_state(self) -> None:
        """Read the committed state before the next poll (another replica may have moved it)."""
        if not self._lock.locked():
            self._state = None

    async def wait_idle(self) -> None:
        """Return once no poll is in flight (the one running, if any, has committed)."""
        async with self._lock:
            return

    async def _current_state(self) -> SourceState:
        if self._state is None:
            record = await self.store.load_source(self.source_id)
            self._state = record.state if record else SourceState()
            self._version = record.version if record else 0
        return self._state

    def _retry_in(self, state: SourceState, observation: Observation) -> float | None:
        """After the failure threshold, back off exponentially; a Retry-After longer than
        that wins. None while the interval itself is long enough."""
        if not isinstance(observation, FetchFailure):
            return None
        metrics.POLLS.labels(self.source_id, "failure").inc()
        delay = 0.0
        excess = state.failures - self.settings.failure_threshold
        if excess >= 0:
            delay = min(MAX_BACKOFF_S, self.source.interval * 2 ** min(excess, 10))
        if observation.retry_after_s:
            delay = max(delay, min(observation.retry_after_s, MAX_BACKOFF_S))
        return delay if delay > self.source.interval else None

    def _observe(self, observation: object, events: Sequence[Event], started: float) -> None:
        metrics.POLL_DURATION.labels(self.source_id).observe(time.perf_counter() - started)
        failed = isinstance(observation, FetchFailure)
        metrics.SOURCE_UP.labels(self.source_id).set(0 if failed else 1)
        streak = self._state.failures if self._state is not None else 0
        if isinstance(observation, FetchFailure) and streak == 1:
            # The first failure of a streak is worth a line; the rest would be noise.
            log.warning(
                "cannot read %s: %s (retrying; an alert only after %d failures in a row)",
                self.source_id,
                observation.reason,
                self.settings.failure_threshold,
                extra={"source": self.source_id},
            )
        for event in events:
            metrics.EVENTS.labels(event.kind.value).inc()
            log.info(
                "%s %s: %s",
                event.kind.value,
                event.provider,
                event.title,
                extra={"incident": event.incident_key, "source": self.source_id},
            )
        if isinstance(observation, Snapshot):
            self._observe_official_lag(observation, events)

    def _observe_official_lag(self, snapshot: Snapshot, events: Sequence[Event]) -> None:
        """How long after an official update's own timestamp we announced it."""
        announced = {e.incident_id for e in events if e.incident_id and e.text}
        for incident in snapshot.incidents:
            latest = incident.latest_update
            if incident.id in announced and latest is not None:
                lag = (snapshot.observed_at - latest.at).total_seconds()
                if 0 <= lag < 86400:
                    metrics.OFFICIAL_LAG.labels(self.source_id).observe(lag)
