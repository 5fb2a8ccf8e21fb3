"""Probes in the running bot: one keyless GET per probe on its interval, its answer added to
the probe's window in the store, then the provider's signals fused again.

`ProbeRunner.check_once()` is one tick (tests call it directly); the schedule runs it every
`interval` seconds. The outside world can never crash it (bot.probe_check never raises).
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Protocol

from bot import metrics
from bot.config import ProbeConfig
from bot.fetch import StatusFetcher
from bot.models import Severity
from bot.probe_check import probe_once
from bot.probe_window import ProbeRules, ProbeStatus, ProbeWindow, Sample, record
from integrations.probes.classify import Alive, ProbeOutcome

log = logging.getLogger(__name__)

OUTCOME_GAUGE = {ProbeOutcome.UP: 1, ProbeOutcome.FAILING: 0, ProbeOutcome.INCONCLUSIVE: -1}


class ProbeLog(Protocol):
    """Where probe windows live (bot.store.signals.SignalRepository)."""

    async def probe_window(self, probe_id: str) -> ProbeWindow | None: ...

    async def save_probe_window(self, window: ProbeWindow, at: datetime) -> None: ...


class ProbeHistory(Protocol):
    """Where a probe's minute goes into history (bot.store.history.HistoryRepository)."""

    async def record_probe(
        self, provider: str, probe_id: str, severity: Severity | None, at: datetime
    ) -> None: ...


# A probe's state as a strip of the history chart: failing draws as an outage.
PROBE_SEVERITY = {
    ProbeStatus.UP: Severity.OPERATIONAL,
    ProbeStatus.SLOW: Severity.DEGRADED,
    ProbeStatus.FAILING: Severity.MAJOR_OUTAGE,
}


class ProbeRunner:
    """Runs one probe and records what it says."""

    def __init__(
        self,
        provider: str,
        probe_id: str,
        probe: ProbeConfig,
        fetcher: StatusFetcher,
        store: ProbeLog,
        rules: ProbeRules,
        after: Callable[[str], Awaitable[object]] | None = None,
        clock: Callable[[], datetime] | None = None,
        history: ProbeHistory | None = None,
    ) -> None:
        self.provider = provider
        self.probe_id = probe_id
        self.probe = probe
        self.fetcher = fetcher
        self.store = store
        self.rules = rules
        self.after = after
        self.clock = clock or (lambda: datetime.now(UTC))
        self.history = history
        self.alive = Alive(
            frozenset(probe.alive.status), probe.alive.json_key, probe.alive.json_value
        )

    async def tick(self) -> None:
        """One scheduled run; a store fault is logged, and the next run comes."""
        try:
            await self.check_once()
        except Exception:
            log.exception("probe %s could not be recorded", self.probe_id)

    async def check_once(self) -> ProbeWindow:
        """Probe once, record the answer, fuse the provider's signals again."""
        now = self.clock()
        result = await probe_once(
            self.fetcher,
            self.probe.url,
            self.alive,
            timeout=self.probe.timeout,
            max_bytes=self.probe.max_bytes,
        )
        window = await self.store.probe_window(self.probe_id) or ProbeWindow(
            self.probe_id, self.provider, self.probe.name
        )
        was = window.status(self.rules)
        sample = Sample(now, result.outcome, result.reason, result.latency_ms)
        window = record(window, sample, self.rules)
        await self.store.save_probe_window(window, now)
        if self.history is not None:
            status = window.status(self.rules)
            await self.history.record_probe(
                self.provider, self.probe_id, PROBE_SEVERITY.get(status), now
            )
        self._observe(result.outcome, result.latency_ms, was, window)
        if self.after is not None:
            await self.after(self.provider)
        return window

    def _observe(
        self, outcome: ProbeOutcome, latency_ms: float | None, was: ProbeStatus, window: ProbeWindow
    ) -> None:
        metrics.PROBE_STATUS.labels(self.probe_id).set(OUTCOME_GAUGE[outcome])
        if latency_ms is not None:
            metrics.PROBE_LATENCY.labels(self.probe_id).observe(latency_ms / 1000)
        now = window.status(self.rules)
        if now == was or (was is ProbeStatus.UNKNOWN and now is ProbeStatus.UP):
            return
        last = window.last
        if now is ProbeStatus.FAILING:
            detail = f"failing ({last.reason if last else 'no answer'})"
        elif now is ProbeStatus.SLOW:
            usual = window.median_ms()
            detail = f"slow ({latency_ms or 0:.0f} ms, usually {usual or 0:.0f} ms)"
        elif now is ProbeStatus.INCONCLUSIVE:
            detail = f"inconclusive ({last.reason if last else ''})"
        else:
            detail = "answers normally again"
        # DEBUG: what matters is the fused verdict (logged by bot.early), and when our own
        # network is down every probe fails at once: that is one line there, not one each.
        log.debug("probe %s: %s", self.probe_id, detail, extra={"probe": self.probe_id})
