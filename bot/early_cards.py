"""Early cards: each change of a provider's fused verdict becomes a step of one card's story.

suspected        → the unconfirmed card ("⚠️ ChatGPT may be down — not confirmed by OpenAI
                   yet", with the reasons), for `early` subscriptions only;
confirmed        → the poll that brought the official incident already moved that card to
                   it (bot.store.early); here the episode is completed in the lag records;
retracted        → "False alarm: signals cleared after 4 min; OpenAI never confirmed it" on
                   the same card;
probes_recovered → a line on the official card: our probes see the service again;
resolved         → the recovery lead is recorded (the restoration card says it).

Everything goes through the store and the outbox, like the official story.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Protocol

from bot import metrics
from bot.config import Config
from bot.events import Event, EventKind
from bot.fusion import Change, Episode, Signals, Verdict
from bot.models import Severity
from bot.names import name_key
from bot.render import human_duration
from bot.store.early import EpisodeRecord

log = logging.getLogger(__name__)


class EarlyStory(Protocol):
    """What the early cards keep in the store (bot.store.early.EarlyRepository)."""

    async def open_episode(self, event: Event, record: EpisodeRecord, now: datetime) -> int: ...

    async def false_alarm(
        self, event: Event, cleared_at: datetime | None, now: datetime
    ) -> int: ...

    async def confirmed(self, record: EpisodeRecord, now: datetime) -> EpisodeRecord: ...

    async def probes_recovered(
        self, episode_key: str, name: str, now: datetime
    ) -> EpisodeRecord | None: ...

    async def resolved(self, episode_key: str, now: datetime) -> EpisodeRecord | None: ...


def product_name(config: Config, provider: str) -> str:
    """What people call the thing that is down: a probe named like one of the provider's
    aliases ("ChatGPT" for OpenAI), else the provider's name."""
    watched = config.providers[provider]
    aliases = {name_key(a) for a in watched.aliases}
    for probe in watched.probes:
        if name_key(probe.name) in aliases:
            return probe.name
    return watched.name


def false_alarm_text(name: str, episode: Episode) -> str:
    """'False alarm: signals cleared after 4 min; OpenAI never confirmed it'."""
    began = episode.first_signal_at or episode.suspected_at
    cleared = episode.signals_cleared_at or episode.ended_at
    after = ""
    if began and cleared:
        after = f" after {human_duration((cleared - began).total_seconds())}"
    return f"False alarm: signals cleared{after}; {name} never confirmed it"


class EarlyCards:
    """A verdict sink (bot.early.VerdictSink): the early card story, told through the outbox."""

    def __init__(
        self, config: Config, story: EarlyStory, clock: Callable[[], datetime] | None = None
    ) -> None:
        self.config = config
        self.story = story
        self.clock = clock or (lambda: datetime.now(UTC))

    async def verdict_changed(self, provider: str, verdict: Verdict, signals: Signals) -> None:
        episode = verdict.episode
        if verdict.change is None or episode is None or provider not in self.config.providers:
            return
        change = verdict.change
        if change is Change.SUSPECTED:
            await self._suspected(provider, verdict, signals, episode)
        elif change is Change.RETRACTED:
            await self._false_alarm(provider, signals, episode)
        elif change is Change.CONFIRMED:
            await self._confirmed(provider, verdict, episode)
        elif change is Change.PROBES_RECOVERED:
            at = episode.probes_recovered_at or self.clock()
            await self.story.probes_recovered(episode.key, signals.name, at)
        elif change is Change.RESOLVED:
            record = await self.story.resolved(episode.key, episode.ended_at or self.clock())
            lead = record.recovery_lead_s if record is not None else None
            if lead is not None:
                metrics.PROBE_RECOVERY_LEAD.labels(provider).observe(lead)

    async def _suspected(
        self, provider: str, verdict: Verdict, signals: Signals, episode: Episode
    ) -> None:
        now = episode.suspected_at or self.clock()
        event = self._event(provider, signals, episode, now).replace(
            kind=EventKind.SUSPECTED, reasons=verdict.reasons
        )
        record = EpisodeRecord(
            provider=provider,
            episode_key=episode.key,
            first_signal_at=episode.first_signal_at,
            suspected_at=now,
            reasons=verdict.reasons,
        )
        queued = await self.story.open_episode(event, record, now)
        metrics.EARLY_EPISODES.labels(provider, "suspected").inc()
        log.info("%s suspected down (%s); early card to %d channels", provider, event.title, queued)

    async def _false_alarm(self, provider: str, signals: Signals, episode: Episode) -> None:
        now = episode.ended_at or self.clock()
        text = false_alarm_text(signals.name, episode)
        event = self._event(provider, signals, episode, now).replace(
            kind=EventKind.FALSE_ALARM, severity=Severity.OPERATIONAL, text=text
        )
        await self.story.false_alarm(event, episode.signals_cleared_at, now)
        metrics.EARLY_EPISODES.labels(provider, "false_alarm").inc()
        log.info("%s: %s", provider, text)

    async def _confirmed(self, provider: str, verdict: Verdict, episode: Episode) -> None:
        now = episode.confirmed_at or self.clock()
        record = await self.story.confirmed(
            EpisodeRecord(
                provider=provider,
                episode_key=episode.key,
                first_signal_at=episode.first_signal_at,
                suspected_at=episode.suspected_at,
                confirmed_at=now,
                reasons=verdict.reasons,
            ),
            now,
        )
        outcome = "confirmed" if record.suspected_at is not None else "page_first"
        metrics.EARLY_EPISODES.labels(provider, outcome).inc()
        lag = record.confirm_lag_s
        if lag is not None and record.suspected_at is not None:
            metrics.PAGE_CONFIRM_LAG.labels(provider).observe(lag)

    def _event(self, provider: str, signals: Signals, episode: Episode, now: datetime) -> Event:
        started = episode.first_signal_at or episode.suspected_at or now
        entry = self.config.catalog.entries.get(provider)
        return Event(
            kind=EventKind.SUSPECTED,
            provider=provider,
            source_id=f"early:{provider}",
            page_name=signals.name,
            incident_key=episode.key,
            title=f"{product_name(self.config, provider)} may be down",
            severity=Severity.DEGRADED,
            at=now,
            started_at=started,
            url=entry.status_page if entry is not None else None,
        )
