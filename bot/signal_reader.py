"""What the early warning looks at: each provider's signals read from the store.

Probe windows (and whether our own network is down: every provider's probes failing at
once), the chat crowd's reports in the window against the provider's learned baseline, and
the official page's open incidents, as one `bot.fusion.Signals`; and, for `/is-chatgpt-down`,
what the signals say of every provider with its probes' latency.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Protocol

from bot import crowd as crowd_rules
from bot import metrics
from bot.config import EarlyWarningConfig
from bot.crowd import CrowdBaseline, CrowdReport, CrowdRules
from bot.events import Event
from bot.fusion import (
    SIGNAL_STATUSES,
    CrowdView,
    FusionSettings,
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


class SignalSource(Protocol):
    """The stored signals (bot.store.signals.SignalRepository)."""

    async def probe_windows(self) -> dict[str, ProbeWindow]: ...

    async def reports(self, provider: str, since: datetime) -> list[CrowdReport]: ...

    async def load_fusion(self, provider: str) -> FusionRecord: ...


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


class SignalReader:
    """Reads each provider's signals; remembers what it concluded about our own network."""

    def __init__(
        self,
        providers: Sequence[WatchedProvider],
        store: SignalSource,
        incidents: OfficialIncidents,
        rules: EarlyRules = EarlyRules(),
        clock: Callable[[], datetime] | None = None,
    ) -> None:
        self.providers = {p.key: p for p in providers}
        self.store = store
        self.incidents = incidents
        self.rules = rules
        self.clock = clock or (lambda: datetime.now(UTC))
        # What this process last concluded about our own network (for /readyz and one log
        # line per change), and when it came back.
        self.network_down = False
        self._network_back_at: datetime | None = None

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
        return Gathered(signals, count)

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
