"""The early-warning step: gather a provider's signals, fuse them, store the verdict, tell
the sinks.

After every probe answer, crowd report and official poll (and on a clock, so that time
alone can call off a suspicion), `EarlyWarning.step(provider)` reads the signals from the
store (probe windows, the crowd's reports in the window, the official incidents), runs the
pure `bot.fusion.fuse`, and writes the new FusionState. A verdict change is written with
the state as `pending`, then handed to every registered `VerdictSink`, then cleared: a
crash in between hands it over again on the next step, never skips it, and a replica that
fused the same moment loses the optimistic-version race instead of announcing it twice.
Sinks must take a change twice calmly (keyed by the episode and the change): after a crash
half way through the sinks, each hears it again.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any, Protocol

from pydantic import TypeAdapter

from bot import crowd as crowd_rules
from bot import metrics
from bot.crowd import CrowdBaseline, CrowdReport
from bot.errors import ConcurrentUpdate
from bot.fusion import FusionState, Level, Signals, Verdict, fuse
from bot.probe_window import ProbeWindow
from bot.signal_reader import (
    EarlyRules,
    Gathered,
    OfficialIncidents,
    SignalReader,
    WatchedProvider,
    rules_from_config,
)
from bot.status import EarlyView
from bot.store.signals import FusionRecord

__all__ = [
    "EarlyRules",
    "EarlyWarning",
    "VerdictSink",
    "WatchedProvider",
    "rules_from_config",
]

log = logging.getLogger(__name__)

# Optimistic-version retries when replicas fuse the same provider at the same moment.
MAX_RACES = 3
# A sink that keeps failing does not hold the provider's story back forever.
MAX_DELIVERIES = 3
# A stored change is handed over again only once it has waited this long: until then the
# process that stored it may still be handing it over.
PENDING_LEASE_S = 60.0
LEVEL_GAUGE = {Level.OPERATIONAL: 0, Level.SUSPECTED: 1, Level.CONFIRMED: 2}


class VerdictSink(Protocol):
    """Something that acts on a provider's verdict changes (the early cards)."""

    async def verdict_changed(self, provider: str, verdict: Verdict, signals: Signals) -> None: ...


class SignalStore(Protocol):
    """What the step reads and writes (bot.store.signals.SignalRepository)."""

    async def probe_windows(self) -> dict[str, ProbeWindow]: ...

    async def reports(self, provider: str, since: datetime) -> list[CrowdReport]: ...

    async def load_fusion(self, provider: str) -> FusionRecord: ...

    async def save_fusion(
        self,
        provider: str,
        state: FusionState,
        baseline: CrowdBaseline,
        pending: dict[str, Any] | None,
        expected_version: int,
        at: datetime,
    ) -> int: ...

    async def clear_pending(self, provider: str, version: int) -> bool: ...

    async def prune_reports(self, before: datetime) -> int: ...


class EarlyWarning:
    """Fuses each provider's signals and hands verdict changes to the sinks."""

    def __init__(
        self,
        providers: Sequence[WatchedProvider],
        store: SignalStore,
        incidents: OfficialIncidents,
        rules: EarlyRules | None = None,
        clock: Callable[[], datetime] | None = None,
    ) -> None:
        rules = rules or EarlyRules()
        self.reader = SignalReader(providers, store, incidents, rules, clock)
        self.providers = self.reader.providers
        self.store = store
        self.rules = rules
        self.clock = self.reader.clock
        self.sinks: list[VerdictSink] = []

    def add_sink(self, sink: VerdictSink) -> None:
        self.sinks.append(sink)

    @property
    def network_down(self) -> bool:
        """Every provider's probes fail at once: the fault is probably ours (/readyz)."""
        return self.reader.network_down

    async def gather(
        self, provider: str, now: datetime, baseline: CrowdBaseline | None = None
    ) -> Gathered:
        return await self.reader.gather(provider, now, baseline)

    async def overview(self, asked: str, fresh: Verdict | None = None) -> dict[str, EarlyView]:
        return await self.reader.overview(asked, fresh)

    # --- the step -----------------------------------------------------------------------------

    async def step(self, provider: str) -> Verdict | None:
        """Fuse `provider` now; store the new state; tell the sinks of a change.

        Returns the verdict; None when another step (here or in another process) is
        handing over a change right now, or when replicas kept racing.
        """
        for _ in range(MAX_RACES):
            record = await self.store.load_fusion(provider)
            now = self.clock()
            if record.pending is not None:
                stored = record.updated_at or now
                if (now - stored).total_seconds() < PENDING_LEASE_S:
                    return None  # being handed over (by us or another process) right now
                await self._redeliver(record)
                continue
            gathered = await self.gather(provider, now, record.baseline)
            verdict = fuse(record.state, gathered.signals, now, self.rules.fusion)
            metrics.FUSED_LEVEL.labels(provider).set(LEVEL_GAUGE[verdict.level])
            baseline = self._learn(record.baseline, gathered.count)
            if verdict.state == record.state and baseline == record.baseline:
                return verdict
            pending = _encode(verdict, gathered.signals) if verdict.change else None
            try:
                version = await self.store.save_fusion(
                    provider, verdict.state, baseline, pending, record.version, now
                )
            except ConcurrentUpdate:
                continue
            if pending is not None:
                log.info(
                    "%s %s: %s",
                    provider,
                    verdict.change,
                    "; ".join(verdict.reasons),
                    extra={"provider": provider},
                )
                await self._deliver(provider, verdict, gathered.signals, version, pending)
            return verdict
        log.debug("fusion of %s kept racing another process; it announces", provider)
        return None

    async def step_all(self, providers: Iterable[str] | None = None) -> None:
        """One step per provider; one failing provider does not stop the rest."""
        for provider in list(providers if providers is not None else self.providers):
            try:
                await self.step(provider)
            except Exception:
                log.exception("fusing the signals of %s failed", provider)

    async def forget_old_reports(self) -> int:
        """Reports older than two windows are never counted again: delete them."""
        before = self.clock() - timedelta(seconds=2 * self.rules.crowd.window_s)
        return await self.store.prune_reports(before)

    def _learn(self, baseline: CrowdBaseline, count: crowd_rules.CrowdCount) -> CrowdBaseline:
        """Fold in a window's count once per window (a provider's usual chatter).

        The first window starts when the provider is first fused: a window the bot saw only
        the end of (started mid-outage, say) is not an ordinary day.
        """
        rules = self.rules.crowd
        last = baseline.updated_at
        if last is None:
            return dataclasses.replace(baseline, updated_at=count.at)
        if (count.at - last).total_seconds() < rules.window_s:
            return baseline
        return crowd_rules.learn(baseline, count, rules)

    async def _deliver(
        self,
        provider: str,
        verdict: Verdict,
        signals: Signals,
        version: int,
        pending: dict[str, Any],
    ) -> None:
        failed = False
        for sink in self.sinks:
            try:
                await sink.verdict_changed(provider, verdict, signals)
            except Exception:
                failed = True
                log.exception("a verdict sink failed on %s %s", provider, verdict.change)
        attempts = int(pending.get("attempts", 0)) + 1
        if failed and attempts < MAX_DELIVERIES:
            # Keep it pending: the next step hands it over again.
            retry = {**pending, "attempts": attempts}
            record = await self.store.load_fusion(provider)
            if record.version == version:
                await self.store.save_fusion(
                    provider, record.state, record.baseline, retry, version, self.clock()
                )
            return
        await self.store.clear_pending(provider, version)

    async def _redeliver(self, record: FusionRecord) -> None:
        """A change stored but maybe not heard (a crash, a failing sink): hand it over."""
        assert record.pending is not None
        verdict, signals = _decode(record.pending)
        log.info("%s %s: handing over a stored change", record.provider, verdict.change)
        await self._deliver(record.provider, verdict, signals, record.version, record.pending)


_VERDICT: TypeAdapter[Verdict] = TypeAdapter(Verdict)
_SIGNALS: TypeAdapter[Signals] = TypeAdapter(Signals)


def _encode(verdict: Verdict, signals: Signals) -> dict[str, Any]:
    return {
        "verdict": _VERDICT.dump_python(verdict, mode="json"),
        "signals": _SIGNALS.dump_python(signals, mode="json"),
        "attempts": 0,
    }


def _decode(data: Mapping[str, Any]) -> tuple[Verdict, Signals]:
    return _VERDICT.validate_python(data["verdict"]), _SIGNALS.validate_python(data["signals"])
