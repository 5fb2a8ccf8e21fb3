"""History in the store: a sample per source and minute, a record per incident, pruning.

Written in each poll's transaction (bot/store/polls.py), so history says exactly what the
committed states and events say; read by `/statusbot history`, the board and the
expectation line on cards.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any, Protocol

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.availability import (
    DOWN_FROM,
    Day,
    MinuteSample,
    Strip,
    Uptime,
    floor_minute,
    merge_minutes,
    minute_at,
    minute_number,
    worst_of,
)
from bot.events import Event, EventKind
from bot.history import EarlySignal, HistoryView, IncidentRecord, Period, with_early_signals
from bot.models import Severity
from bot.store import schema
from bot.store.engine import Database
from bot.store.records import PollCommit, as_utc

# A gap longer than this between two samples of a source is unknown time (the bot was
# down), not a copy of the last state.
MAX_FILL_MIN = 10
# Our probes' samples sit beside the official ones, under `probe:<probe id>`.
PROBE_PREFIX = "probe:"
MINUTES_PER_DAY = 24 * 60


class EarlyEpisodes(Protocol):
    """The early warning's episodes (bot.store.early.EarlyRepository)."""

    async def episodes(
        self, provider: str | None = None, since: datetime | None = None
    ) -> Sequence[EarlyEpisode]: ...


class EarlyEpisode(Protocol):
    @property
    def incident_key(self) -> str | None: ...
    @property
    def first_signal_at(self) -> datetime | None: ...
    @property
    def confirmed_at(self) -> datetime | None: ...
    @property
    def probes_recovered_at(self) -> datetime | None: ...


CARD_KINDS = (EventKind.DEGRADED, EventKind.OUTAGE, EventKind.UPDATE, EventKind.RESTORED)


class HistoryRepository:
    """The `availability` and `incident_history` tables."""

    def __init__(self, db: Database, early: EarlyEpisodes | None = None) -> None:
        self.db = db
        # The early warning's episodes: our first signal before the page's, when there was one.
        self.early = early

    # --- writing (inside a poll's transaction) --------------------------------------

    async def record_sample(
        self, conn: AsyncConnection, commit: PollCommit, sample: MinuteSample | None
    ) -> None:
        """A poll's sample of its source (in the poll's transaction)."""
        if sample is not None:
            await _record(conn, commit.source_id, commit.provider, sample)

    async def record_probe(
        self, provider: str, probe_id: str, severity: Severity | None, at: datetime
    ) -> None:
        """What one of our probes saw this minute (None: nothing conclusive)."""
        if severity is None:
            return
        sample = MinuteSample(floor_minute(at), severity)
        async with self.db.engine.begin() as conn:
            await _record(conn, PROBE_PREFIX + probe_id, provider, sample)

    async def record_event(self, conn: AsyncConnection, event: Event) -> None:
        """Keep the incident's record up to date with one of its card's events."""
        if event.kind == EventKind.MERGED:
            await self._update(conn, event, {"merged_into": event.merged_into})
            return
        if event.kind not in CARD_KINDS:
            return
        table = schema.incident_history
        found = (
            await conn.execute(
                sa.select(table.c.severity, table.c.components, table.c.official_at).where(
                    _key(event)
                )
            )
        ).first()
        official = event.at if event.incident_id else None
        if found is None:
            await conn.execute(
                table.insert().values(
                    source_id=event.source_id,
                    incident_key=event.incident_key,
                    provider=event.provider,
                    title=event.title,
                    url=event.url,
                    severity=int(event.severity),
                    components=list(event.components),
                    first_signal_at=event.started_at,
                    official_at=official,
                    resolved_at=event.at if event.kind == EventKind.RESTORED else None,
                )
            )
            return
        values: dict[str, Any] = {
            "title": event.title,
            "components": sorted(set(found.components) | set(event.components)),
        }
        if event.kind != EventKind.RESTORED:
            values["severity"] = max(found.severity, int(event.severity))
        if event.url:
            values["url"] = event.url
        if found.official_at is None and official is not None:
            values["official_at"] = official
        if event.kind == EventKind.RESTORED:
            values["resolved_at"] = event.at
        await self._update(conn, event, values)

    async def _update(self, conn: AsyncConnection, event: Event, values: dict[str, Any]) -> None:
        await conn.execute(schema.incident_history.update().where(_key(event)).values(**values))

    # --- reading ----------------------------------------------------------------------

    async def view(self, provider: str, name: str, period: Period, end: datetime) -> HistoryView:
        """Everything the chart and the summary of `provider` over `period` need."""
        end = floor_minute(end) + timedelta(minutes=1)
        start = end - period.span
        async with self.db.engine.connect() as conn:
            official = await _strip(conn, provider, start, end, probes=False)
            probes = await _strip(conn, provider, start, end, probes=True)
        return HistoryView(
            provider=provider,
            name=name,
            period=period,
            start=start,
            end=end,
            uptime=official.uptime,
            samples=official.samples,
            gaps=official.gaps,
            incidents=await self.incidents(provider, start, end),
            probes=probes if probes.uptime.observed_min else None,
        )

    async def days(self, provider: str, end: datetime, count: int = 90) -> list[Day]:
        """The last `count` UTC days up to `end`, oldest first (the board's uptime bars)."""
        last_day = minute_number(end) // MINUTES_PER_DAY
        first_day = last_day - count + 1
        table = schema.availability
        minutes = (
            sa.select(table.c.minute, sa.func.max(table.c.severity).label("severity"))
            .where(table.c.provider == provider, _official())
            .where(table.c.minute >= first_day * MINUTES_PER_DAY)
            .where(table.c.minute < (last_day + 1) * MINUTES_PER_DAY)
            .group_by(table.c.minute)
            .subquery()
        )
        day = (minutes.c.minute // MINUTES_PER_DAY).label("day")
        down = sa.func.sum(sa.case((minutes.c.severity >= int(DOWN_FROM), 1), else_=0))
        query = sa.select(day, sa.func.count(), down, sa.func.max(minutes.c.severity)).group_by(day)
        async with self.db.engine.connect() as conn:
            rows = {int(r[0]): r for r in (await conn.execute(query)).all()}
        out = []
        for number in range(first_day, last_day + 1):
            row = rows.get(number)
            start = minute_at(number * MINUTES_PER_DAY)
            if row is None:
                out.append(Day(start, 0, 0, None))
            else:
                out.append(Day(start, int(row[1]), int(row[2] or 0), Severity(int(row[3]))))
        return out

    async def timeline(self, provider: str, incident_key: str, limit: int = 12) -> list[Event]:
        """An incident's events, oldest first (the newest `limit`; reminders left out)."""
        table = schema.events
        query = (
            sa.select(table.c.payload)
            .where(table.c.provider == provider, table.c.incident_key == incident_key)
            .where(table.c.kind != EventKind.REMINDER.value)
            .order_by(table.c.id.desc())
            .limit(limit)
        )
        async with self.db.engine.connect() as conn:
            rows = (await conn.execute(query)).all()
        return [Event.from_json(r[0]) for r in reversed(rows)]

    async def incidents(
        self, provider: str, since: datetime, until: datetime | None = None
    ) -> list[IncidentRecord]:
        """The provider's incidents that overlap the period, oldest first. A component card
        merged into an official incident is folded into it: its start is the incident's
        first signal."""
        table = schema.incident_history
        query = (
            sa.select(table)
            .where(table.c.provider == provider)
            .where(sa.or_(table.c.resolved_at.is_(None), table.c.resolved_at >= since))
            .order_by(table.c.first_signal_at)
        )
        if until is not None:
            query = query.where(table.c.first_signal_at <= until)
        async with self.db.engine.connect() as conn:
            rows = (await conn.execute(query)).all()
        records = _fold(rows)
        if self.early is None or not records:
            return records
        episodes = await self.early.episodes(provider, since)
        signals = [
            EarlySignal(e.incident_key, e.first_signal_at, e.confirmed_at, e.probes_recovered_at)
            for e in episodes
            if e.incident_key is not None
        ]
        return with_early_signals(records, signals)

    async def past_durations(
        self, provider: str, severity: Severity, before: datetime, limit: int = 10
    ) -> list[float]:
        """Durations of the provider's ended incidents of `severity`, newest first."""
        async with self.db.engine.connect() as conn:
            return await self.durations_in(conn, provider, severity, before, limit)

    async def durations_in(
        self,
        conn: AsyncConnection,
        provider: str,
        severity: Severity,
        before: datetime,
        limit: int = 10,
    ) -> list[float]:
        table = schema.incident_history
        query = (
            sa.select(table.c.first_signal_at, table.c.resolved_at)
            .where(table.c.provider == provider, table.c.severity == int(severity))
            .where(table.c.merged_into.is_(None), table.c.resolved_at.is_not(None))
            .where(table.c.resolved_at <= before)
            .order_by(table.c.resolved_at.desc())
            .limit(limit)
        )
        out = []
        for row in (await conn.execute(query)).all():
            start, end = as_utc(row.first_signal_at), as_utc(row.resolved_at)
            assert start is not None
            assert end is not None
            out.append(max(0.0, (end - start).total_seconds()))
        return out

    # --- retention ----------------------------------------------------------------------

    async def prune(self, before: datetime) -> int:
        """Forget samples older than `before`, and incidents that ended before it."""
        samples, records = schema.availability, schema.incident_history
        async with self.db.engine.begin() as conn:
            gone = await conn.execute(
                samples.delete().where(samples.c.minute < minute_number(before))
            )
            ended = await conn.execute(
                records.delete().where(
                    records.c.resolved_at.is_not(None), records.c.resolved_at < before
                )
            )
        return int(gone.rowcount or 0) + int(ended.rowcount or 0)


def _official() -> sa.ColumnElement[bool]:
    return ~schema.availability.c.source_id.startswith(PROBE_PREFIX, autoescape=True)


async def _record(
    conn: AsyncConnection, source_id: str, provider: str, sample: MinuteSample
) -> None:
    """The source's state since its last sample: the minutes in between kept the last
    sample's state (nothing changed, or the poll would have committed), this one is the
    worst of what it saw."""
    table = schema.availability
    number = minute_number(sample.minute)
    this = (table.c.source_id == source_id) & (table.c.minute == number)
    last = (
        await conn.execute(
            sa.select(table.c.minute, table.c.severity, table.c.components)
            .where(table.c.source_id == source_id)
            .where(table.c.minute > number - MAX_FILL_MIN, table.c.minute <= number)
            .order_by(table.c.minute.desc())
            .limit(1)
        )
    ).first()
    row = {"source_id": source_id, "provider": provider}
    if last is not None:
        last_sample = _sample(last)
        if last.minute == number:
            merged = worst_of(last_sample, sample)
            await conn.execute(table.update().where(this).values(**_values(merged)))
            return
        gap = [{**row, "minute": n, **_values(last_sample)} for n in range(last.minute + 1, number)]
        if gap:
            await conn.execute(table.insert(), gap)
    await conn.execute(table.insert().values(**row, minute=number, **_values(sample)))


async def _strip(
    conn: AsyncConnection, provider: str, start: datetime, end: datetime, probes: bool
) -> Strip:
    """The provider's official availability (its sources folded, worst first), or our
    probes' (likewise), over [start, end): counted in SQL, only the bad minutes read."""
    first, last = minute_number(start), minute_number(end)
    table = schema.availability
    which = ~_official() if probes else _official()
    in_period = (
        (table.c.provider == provider) & which & (table.c.minute >= first) & (table.c.minute < last)
    )
    minutes = (
        sa.select(table.c.minute, sa.func.max(table.c.severity).label("severity"))
        .where(in_period)
        .group_by(table.c.minute)
        .subquery()
    )
    down = sa.func.sum(sa.case((minutes.c.severity >= int(DOWN_FROM), 1), else_=0))
    previous = sa.func.lag(minutes.c.minute).over(order_by=minutes.c.minute)
    steps = sa.select(minutes.c.minute, previous.label("previous")).subquery()
    counted = (
        await conn.execute(
            sa.select(
                sa.func.count(), down, sa.func.min(minutes.c.minute), sa.func.max(minutes.c.minute)
            )
        )
    ).one()
    bounds = (counted[2], counted[3])
    jumps = (
        await conn.execute(
            sa.select(steps.c.previous, steps.c.minute).where(steps.c.minute - steps.c.previous > 1)
        )
    ).all()
    bad = (
        await conn.execute(
            sa.select(table.c.minute, table.c.severity, table.c.components)
            .where(in_period & (table.c.severity > 0))
            .order_by(table.c.minute)
        )
    ).all()
    gaps: list[tuple[datetime, datetime]] = []
    if bounds[0] is None:
        gaps.append((start, end))
    else:
        if bounds[0] > first:
            gaps.append((start, minute_at(bounds[0])))
        gaps += [(minute_at(a + 1), minute_at(b)) for a, b in jumps]
        if bounds[1] + 1 < last:
            gaps.append((minute_at(bounds[1] + 1), end))
    return Strip(
        Uptime(int(counted[0] or 0), int(counted[1] or 0)),
        merge_minutes(_sample(r) for r in bad),
        gaps,
    )


def _key(event: Event) -> sa.ColumnElement[bool]:
    table = schema.incident_history
    return (table.c.source_id == event.source_id) & (table.c.incident_key == event.incident_key)


def _values(sample: MinuteSample) -> dict[str, Any]:
    return {
        "severity": int(sample.severity),
        "components": {name: int(s) for name, s in sorted(sample.components.items())},
    }


def _sample(row: Any) -> MinuteSample:
    components = {str(n): Severity(int(s)) for n, s in (row.components or {}).items()}
    return MinuteSample(minute_at(row.minute), Severity(row.severity), components)


def _fold(rows: Sequence[Any]) -> list[IncidentRecord]:
    first_signal: dict[tuple[str, str], datetime] = {}
    for row in rows:
        if row.merged_into:
            key = (row.source_id, row.merged_into)
            start = as_utc(row.first_signal_at)
            assert start is not None
            first_signal[key] = min(first_signal.get(key, start), start)
    out = []
    for row in rows:
        if row.merged_into:
            continue
        start = as_utc(row.first_signal_at)
        assert start is not None
        start = min(start, first_signal.get((row.source_id, row.incident_key), start))
        out.append(
            IncidentRecord(
                provider=row.provider,
                incident_key=row.incident_key,
                title=row.title,
                severity=Severity(row.severity),
                components=tuple(row.components or ()),
                first_signal_at=start,
                official_at=as_utc(row.official_at),
                recovered_at=as_utc(row.recovered_at),
                resolved_at=as_utc(row.resolved_at),
                url=row.url,
            )
        )
    return out
