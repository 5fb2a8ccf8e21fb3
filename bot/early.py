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

import logging
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

from pydantic import TypeAdapter

from bot import crowd as crowd_rules
from bot import metrics
from bot.config import EarlyWarningConfig
from bot.crowd import CrowdBaseline, CrowdReport, CrowdRules
from bot.errors import ConcurrentUpdate
from bot.events import Event
from bot.fusion import (
    SIGNAL_STATUSES,
    CrowdView,
    FusionSettings,
    FusionState,
    OfficialView,
    ProbeView,
    Signals,
    Verdict,
    fuse,
)
from bot.models import Severity
from bot.probe_window import ProbeRules, ProbeStatus, ProbeWindow, our_network_down
from bot.status import EarlyView
from bot.store.signals import FusionRecord

log = logging.getLogger(__name__)

# Optimistic-version retries when replicas fuse the same provider at the same moment.
MAX_RACES = 3
# A sink that keeps failing does not hold the provider's story back forever.
MAX_DELIVERIES = 3
# A stored change is handed over again only once it has waited this long: until then the
# process that stored it may still be handing it over.
PENDING_LEASE_S = 60.0


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


class OfficialIncidents(Protocol):
    async def open_incidents(self, provider: str | None = None) -> list[Event]: ...


@dataclass(frozen=True, slots=True)
class WatchedProvider:
    key: str
    name: str  # "OpenAI"
    probes: tuple[tuple[str, str], ...] = ()  # (probe id, probe name)


@dataclass(frozen=True, slots=True)
class EarlyRules:
    fusion: FusionSettings = FusionSettings()
    crowd: CrowdRules = CrowdRules()
    probes: ProbeRules = ProbeRules()


@dataclass(slots=True)
class Gathered:
    """A provider's signals at one moment, and what the crowd baseline learns from them."""

    signals: Signals
    count: crowd_rules.CrowdCount
    windows: dict[str, ProbeWindow] = field(default_factory=dict)


class EarlyWarning:
    """Fuses each provider's signals and hands verdict changes to the sinks."""

    def __init__(
        self,
        providers: Sequence[WatchedProvider],
        store: SignalStore,
        incidents: OfficialIncidents,
        rules: EarlyRules = EarlyRules(),
        clock: Callable[[], datetime] | None = None,
    ) -> None:
        self.providers = {p.key: p for p in providers}
        self.store = store
        self.incidents = incidents
        self.rules = rules
        self.clock = clock or (lambda: datetime.now(UTC))
        self.sinks: list[VerdictSink] = []
        # What this process last concluded about our own network (for /readyz and one log
        # line per change).
        self.network_down = False
        self._network_back_at: datetime | None = None

    def add_sink(self, sink: VerdictSink) -> None:
        self.sinks.append(sink)

    # --- gathering ----------------------------------------------------------------------------

    async def gather(
        self, provider: str, now: datetime, baseline: CrowdBaseline | None = None
    ) -> Gathered:
        """Everything fusion looks at for `provider` at `now`, read from the store."""
        watched = self.providers[provider]
        windows = await self.store.probe_windows()
        network_down = self._network_verdict(windows)
        if baseline is None:
            baseline = (await self.store.load_fusion(provider)).baseline
        rules = self.rules.crowd
        since = now - timedelta(seconds=rules.window_s)
        reports = await self.store.reports(provider, since)
        count = crowd_rules.count(reports, provider, now, rules.window_s)
        spike = crowd_rules.is_spike(count, baseline, rules)
        crowd = CrowdView(
            users=count.users,
            channels=count.channels,
            workspaces=count.workspaces,
            works=count.works,
            spike=spike,
            since=crowd_rules.spike_since(count, baseline, rules) if spike else None,
        )
        signals = Signals(
            provider=provider,
            name=watched.name,
            official=await self._official(provider),
            probes=tuple(self._probe_view(name, windows.get(pid)) for pid, name in watched.probes),
            crowd=crowd,
            network_down=network_down,
        )
        return Gathered(signals, count, windows)

    def probe_statuses(self, windows: Mapping[str, ProbeWindow]) -> dict[str, list[ProbeStatus]]:
        rules = self.rules.probes
        return {
            key: [
                windows[pid].status(rules) if pid in windows else ProbeStatus.UNKNOWN
                for pid, _name in p.probes
            ]
            for key, p in self.providers.items()
            if p.probes
        }

    def _network_verdict(self, windows: Mapping[str, ProbeWindow]) -> bool:
        down = our_network_down(self.probe_statuses(windows))
        if down != self.network_down:
            if down:
                log.warning(
                    "every provider's probes are failing at once: our own network is probably "
                    "down; probes are left out of every verdict until they answer again"
                )
            else:
                log.info("probes answer again: our own network is back")
                self._network_back_at = self.clock()
            self.network_down = down
            metrics.NETWORK_DOWN.set(1 if down else 0)
        return down

    def _probe_view(self, name: str, window: ProbeWindow | None) -> ProbeView:
        if window is None:
            return ProbeView(name=name, status=ProbeStatus.UNKNOWN)
        rules = self.rules.probes
        last = window.last
        status = window.status(rules)
        back = self._network_back_at
        if status is ProbeStatus.FAILING and back and (window.failing_since or back) < back:
            # Failing since our own network was down: it proves nothing until it answers
            # again (the first provider back would otherwise make the rest look down).
            status = ProbeStatus.INCONCLUSIVE
        return ProbeView(
            name=name,
            status=status,
            since=window.since(rules),
            reason=last.reason if last else "",
            latency_ms=window.latency_ms(),
            usual_ms=window.median_ms(),
            failing_span_s=window.failing_span_s(),
        )

    async def _official(self, provider: str) -> OfficialView:
        """Confirmed when the page has an open incident that degrades the service."""
        open_now = [
            e
            for e in await self.incidents.open_incidents(provider)
            if e.severity >= Severity.DEGRADED
        ]
        if not open_now:
            return OfficialView()
        first = min(open_now, key=lambda e: e.started_at)
        return OfficialView(confirmed=True, title=first.title, since=first.started_at)

    async def overview(self, asked: str, fresh: Verdict | None = None) -> dict[str, EarlyView]:
        """What our own signals say of every provider (for `/is-chatgpt-down` about
        `asked`): each stored level with probe latencies, and the reasons for `asked` (the
        `fresh` verdict just fused, or the signals read again without storing anything)."""
        windows = await self.store.probe_windows()
        network_down = self._network_verdict(windows)
        out = {}
        for key, watched in self.providers.items():
            views = [self._probe_view(name, windows.get(pid)) for pid, name in watched.probes]
            known = [v for v in views if v.status in (ProbeStatus.UP, *SIGNAL_STATUSES)]
            probes_up = None
            if known and not network_down:
                probes_up = all(v.status is ProbeStatus.UP for v in known)
            latencies = [
                v.latency_ms
                for v in views
                if v.status is ProbeStatus.UP and v.latency_ms is not None
            ]
            reasons: tuple[str, ...] = ()
            if key == asked and fresh is not None:
                level, reasons = fresh.level, fresh.reasons
            else:
                record = await self.store.load_fusion(key)
                level = record.state.level
                if key == asked:
                    reasons = await self._reasons(key, record)
            out[key] = EarlyView(level, reasons, probes_up, min(latencies, default=None))
        return out

    async def _reasons(self, provider: str, record: FusionRecord) -> tuple[str, ...]:
        """The reasons fusion would give now, from the stored state (nothing is stored)."""
        now = self.clock()
        gathered = await self.gather(provider, now, record.baseline)
        return fuse(record.state, gathered.signals, now, self.rules.fusion).reasons

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
        """Fold in a window's count once per window (a provider's usual chatter)."""
        rules = self.rules.crowd
        last = baseline.updated_at
        if last is not None and (count.at - last).total_seconds() < rules.window_s:
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


def rules_from_config(early_warning: EarlyWarningConfig) -> EarlyRules:
    """EarlyRules from the config's `early_warning` section."""
    return EarlyRules(
        fusion=FusionSettings(
            hold_s=early_warning.hold,
            clear_after_s=early_warning.clear_after,
            sustain_s=early_warning.sustain,
        ),
        crowd=CrowdRules(
            min_users=early_warning.crowd.min_users,
            min_channels=early_warning.crowd.min_channels,
            window_s=early_warning.crowd.window,
        ),
        probes=ProbeRules(
            failing_after=early_warning.probes.failing_after,
            slow_factor=early_warning.probes.slow_factor,
        ),
    )
