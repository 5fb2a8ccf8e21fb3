"""Fusion, pure like the state machine: official state + probes + crowd + time -> verdict.

Levels: operational; suspected when two independent signals agree (probes failing or slow
on the provider while the chat crowd spikes, or several of its probes failing hard) and
never on one signal alone; confirmed when the official page says so. Every verdict carries
its reasons in words. Hysteresis: a provider flips between suspected and clear at most once
per `hold_s` (a suspicion stands at least that long; after a false alarm, so does the calm).
When every provider's probes fail at once the fault is ours: probes are ignored.

An episode is one story from the first signal to its end (retracted, or resolved by the
page); it records the official lag at both ends.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from pydantic import TypeAdapter

from bot.probe_window import ProbeStatus
from bot.render import human_duration

SIGNAL_STATUSES = (ProbeStatus.FAILING, ProbeStatus.SLOW)
KNOWN_STATUSES = (ProbeStatus.UP, ProbeStatus.SLOW, ProbeStatus.FAILING)


class Level(StrEnum):
    OPERATIONAL = "operational"
    SUSPECTED = "suspected"
    CONFIRMED = "confirmed"


class Change(StrEnum):
    SUSPECTED = "suspected"  # clear -> suspected: the early card
    CONFIRMED = "confirmed"  # the page confirmed (after a suspicion or not)
    RETRACTED = "retracted"  # suspected -> clear, never confirmed: a false alarm
    PROBES_RECOVERED = "probes_recovered"  # confirmed, and every probe answers again
    RESOLVED = "resolved"  # the page no longer reports the incident


@dataclass(frozen=True, slots=True)
class FusionSettings:
    # Minimum time between two flips of suspected/clear.
    hold_s: float = 900.0
    # A suspicion is called off only after every signal has been gone this long.
    clear_after_s: float = 600.0
    # A failing probe counts toward a suspicion once failures have kept coming this long: a
    # blip of a minute or two on our side of the network is not an outage.
    sustain_s: float = 120.0


@dataclass(frozen=True, slots=True)
class OfficialView:
    confirmed: bool = False
    title: str | None = None
    since: datetime | None = None


@dataclass(frozen=True, slots=True)
class ProbeView:
    name: str
    status: ProbeStatus
    since: datetime | None = None
    reason: str = ""
    latency_ms: float | None = None
    usual_ms: float | None = None
    # How long failures have kept coming (first to latest failure of the episode).
    failing_span_s: float = 0.0


@dataclass(frozen=True, slots=True)
class CrowdView:
    users: int = 0
    channels: int = 0
    workspaces: int = 0
    works: int = 0
    spike: bool = False
    since: datetime | None = None  # when the spike began


@dataclass(frozen=True, slots=True)
class Signals:
    """Everything fusion looks at for one provider at one moment."""

    provider: str
    name: str  # "OpenAI"
    official: OfficialView = OfficialView()
    probes: tuple[ProbeView, ...] = ()
    crowd: CrowdView = CrowdView()
    network_down: bool = False


@dataclass(frozen=True, slots=True)
class Episode:
    """One story from its first signal to its end, with the official lag at both ends."""

    key: str
    first_signal_at: datetime | None = None
    suspected_at: datetime | None = None
    signals_cleared_at: datetime | None = None
    confirmed_at: datetime | None = None
    probes_failed: bool = False
    probes_recovered_at: datetime | None = None
    ended_at: datetime | None = None

    @property
    def confirm_lag_s(self) -> float | None:
        """Seconds from our first signal to the page's confirmation."""
        if self.first_signal_at is None or self.confirmed_at is None:
            return None
        return max(0.0, (self.confirmed_at - self.first_signal_at).total_seconds())

    def recovery_lead_s(self) -> float | None:
        """Seconds our probes saw recovery before the page resolved."""
        if self.probes_recovered_at is None or self.ended_at is None or not self.confirmed_at:
            return None
        return (self.ended_at - self.probes_recovered_at).total_seconds()


@dataclass(frozen=True, slots=True)
class FusionState:
    level: Level = Level.OPERATIONAL
    since: datetime | None = None
    last_flip_at: datetime | None = None
    episode: Episode | None = None

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = _STATE.dump_python(self, mode="json")
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> FusionState:
        return _STATE.validate_python(data)


@dataclass(frozen=True, slots=True)
class Verdict:
    level: Level
    reasons: tuple[str, ...]
    state: FusionState
    change: Change | None = None
    # The current episode, or the one that just ended with this verdict.
    episode: Episode | None = None
    network_down: bool = False


def fuse(state: FusionState, signals: Signals, now: datetime, settings: FusionSettings) -> Verdict:
    """One step: what to believe about a provider now, and what changed."""
    step = _Step(state, signals, now, settings)
    if signals.official.confirmed:
        return step.confirmed()
    if state.level is Level.CONFIRMED:
        return step.resolved()
    if state.level is Level.SUSPECTED:
        return step.suspected()
    return step.operational()


class _Step:
    def __init__(
        self, state: FusionState, signals: Signals, now: datetime, settings: FusionSettings
    ) -> None:
        self.state = state
        self.signals = signals
        self.now = now
        self.hold = timedelta(seconds=settings.hold_s)
        self.clear_after = timedelta(seconds=settings.clear_after_s)
        usable = () if signals.network_down else signals.probes
        self.any_probe_signal = [p for p in usable if p.status in SIGNAL_STATUSES]
        self.signal_probes = [
            p
            for p in self.any_probe_signal
            if p.status is ProbeStatus.SLOW or p.failing_span_s >= settings.sustain_s
        ]
        self.hard = [p for p in self.signal_probes if p.status is ProbeStatus.FAILING]
        self.known = [p for p in usable if p.status in KNOWN_STATUSES]
        crowd = signals.crowd
        several_hard = len(self.hard) >= 2 and 2 * len(self.hard) >= len(self.known)
        self.agree = bool(self.signal_probes) and crowd.spike
        self.signal_now = self.agree or several_hard
        # Once suspected, any one signal keeps it standing (intermittent errors flicker).
        self.any_signal = self.signal_now or bool(self.any_probe_signal) or crowd.spike
        times = [p.since for p in self.signal_probes if p.since is not None]
        if crowd.spike and crowd.since is not None:
            times.append(crowd.since)
        self.evidence_since = min(times, default=None)

    # --- levels -----------------------------------------------------------------------------

    def confirmed(self) -> Verdict:
        state, now = self.state, self.now
        if state.level is not Level.CONFIRMED:
            episode = state.episode if state.level is Level.SUSPECTED else None
            if episode is None:
                episode = Episode(key=self._key(), first_signal_at=self.evidence_since)
            episode = dataclasses.replace(
                episode,
                confirmed_at=now,
                signals_cleared_at=None,
                probes_failed=episode.probes_failed or bool(self.signal_probes),
            )
            new = FusionState(Level.CONFIRMED, now, state.last_flip_at, episode)
            return self._verdict(new, Change.CONFIRMED)
        episode = state.episode or Episode(key=self._key(), confirmed_at=state.since)
        change = None
        if self.signal_probes:
            episode = dataclasses.replace(episode, probes_failed=True, probes_recovered_at=None)
        elif episode.probes_failed and self._all_up() and episode.probes_recovered_at is None:
            episode = dataclasses.replace(episode, probes_recovered_at=now)
            change = Change.PROBES_RECOVERED
        return self._verdict(dataclasses.replace(state, episode=episode), change)

    def resolved(self) -> Verdict:
        episode = self.state.episode
        ended = dataclasses.replace(episode, ended_at=self.now) if episode else None
        new = FusionState(Level.OPERATIONAL, self.now, self.now, None)
        return self._verdict(new, Change.RESOLVED, episode=ended)

    def suspected(self) -> Verdict:
        state, now = self.state, self.now
        episode = state.episode or Episode(key=self._key(), suspected_at=state.since)
        if self.any_signal:
            episode = dataclasses.replace(
                episode,
                signals_cleared_at=None,
                probes_failed=episode.probes_failed or bool(self.signal_probes),
            )
            return self._verdict(dataclasses.replace(state, episode=episode))
        cleared = episode.signals_cleared_at or now
        episode = dataclasses.replace(episode, signals_cleared_at=cleared)
        if self._may_flip() and now - cleared >= self.clear_after:
            ended = dataclasses.replace(episode, ended_at=now)
            new = FusionState(Level.OPERATIONAL, now, now, None)
            return self._verdict(new, Change.RETRACTED, episode=ended)
        return self._verdict(dataclasses.replace(state, episode=episode))

    def operational(self) -> Verdict:
        state, now = self.state, self.now
        if self.signal_now and self._may_flip():
            episode = Episode(
                key=self._key(),
                first_signal_at=self.evidence_since or now,
                suspected_at=now,
                probes_failed=bool(self.signal_probes),
            )
            return self._verdict(FusionState(Level.SUSPECTED, now, now, episode), Change.SUSPECTED)
        return self._verdict(state)

    # --- helpers ----------------------------------------------------------------------------

    def _may_flip(self) -> bool:
        last = self.state.last_flip_at
        return last is None or self.now - last >= self.hold

    def _all_up(self) -> bool:
        return bool(self.known) and all(p.status is ProbeStatus.UP for p in self.known)

    def _key(self) -> str:
        return f"early:{self.signals.provider}:{int(self.now.timestamp())}"

    def _verdict(
        self, state: FusionState, change: Change | None = None, episode: Episode | None = None
    ) -> Verdict:
        episode = episode if episode is not None else state.episode
        return Verdict(
            level=state.level,
            reasons=tuple(self._reasons(state, change, episode)),
            state=state,
            change=change,
            episode=episode,
            network_down=self.signals.network_down,
        )

    def _reasons(
        self, state: FusionState, change: Change | None, episode: Episode | None
    ) -> list[str]:
        signals, out = self.signals, []
        official = signals.official
        if official.confirmed:
            title = f": {official.title}" if official.title else ""
            out.append(f"{signals.name}'s status page reports it{title}")
        if signals.network_down:
            out.append(
                "every provider's probes fail at once, so the fault is probably on our side: "
                "probes are left out"
            )
        elif signals.probes:
            out.extend(self._probe_reasons())
        crowd = signals.crowd
        if crowd.users:
            out.append(crowd_words(crowd))
        if crowd.works:
            people = "person says" if crowd.works == 1 else "people say"
            out.append(f"{crowd.works} {people} it works for them")
        if state.level is Level.SUSPECTED and episode and episode.signals_cleared_at:
            until = max(
                (state.last_flip_at or self.now) + self.hold,
                episode.signals_cleared_at + self.clear_after,
            )
            out.append(
                f"signals cleared at {hm(episode.signals_cleared_at)}; "
                f"not called a false alarm before {hm(until)}"
            )
        if state.level is Level.OPERATIONAL and change is None and self.signal_now:
            until = (state.last_flip_at or self.now) + self.hold
            out.append(f"signals again after a recent all-clear; held until {hm(until)}")
        return out

    def _probe_reasons(self) -> list[str]:
        probes = self.signals.probes
        out = []
        failing = [p for p in self.any_probe_signal if p.status is ProbeStatus.FAILING]
        if failing:
            since = min((p.since for p in failing if p.since), default=None)
            when = f" since {hm(since)}" if since else ""
            out.append(f"{len(failing)} of {len(probes)} probes failing{when}")
        for probe in probes:
            if probe.status is ProbeStatus.SLOW and probe.latency_ms and probe.usual_ms:
                out.append(
                    f"{probe.name} slow: {probe.latency_ms:.0f} ms against a usual "
                    f"{probe.usual_ms:.0f} ms"
                )
        if not self.any_probe_signal and self.known:
            up = sum(1 for p in self.known if p.status is ProbeStatus.UP)
            out.append(f"{up} of {len(probes)} probes answer normally")
        return out


def crowd_words(crowd: CrowdView) -> str:
    """'23 people in 9 channels report it' (workspaces named when more than one)."""
    people = "1 person" if crowd.users == 1 else f"{crowd.users} people"
    channels = "1 channel" if crowd.channels == 1 else f"{crowd.channels} channels"
    spaces = f" across {crowd.workspaces} workspaces" if crowd.workspaces > 1 else ""
    verb = "reports" if crowd.users == 1 else "report"
    return f"{people} in {channels}{spaces} {verb} it"


def hm(at: datetime) -> str:
    return at.strftime("%H:%M UTC")


def lag_words(name: str, episode: Episode) -> list[str]:
    """The official lag in words, for cards: both ends when known."""
    out = []
    lag = episode.confirm_lag_s
    if lag is not None:
        if lag >= 60:
            out.append(f"{name} confirmed this {human_duration(lag)} after our first signal")
        else:
            out.append(f"{name} confirmed this within a minute of our first signal")
    lead = episode.recovery_lead_s()
    if lead is not None and lead >= 60:
        out.append(f"our probes saw recovery {human_duration(lead)} before the page")
    return out


_STATE: TypeAdapter[FusionState] = TypeAdapter(FusionState)
