"""A probe's recent history and what it says now: up, slow, failing, inconclusive.

Pure, like the state machine: `record(window, sample, rules) -> window`, and `status()` reads
it. A probe counts as failing after `failing_after` failures in a row (a blip is not news)
and stops after as many successes in a row (intermittent errors are one failing episode, not
many); an inconclusive answer (bot challenge, rate limit) neither extends nor breaks a
streak. Slow means most recent answers took far longer than the probe's usual (rolling
median) latency.
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from pydantic import TypeAdapter

from integrations.probes.classify import ProbeOutcome

RECENT = 10  # samples kept for display and slowness
BASELINE = 30  # normal latencies the rolling median is taken over
MIN_BASELINE = 5  # fewer than this: too early to call anything slow
SLOW_OF_LAST = (3, 5)  # slow when 3 of the last 5 answers were slow
SLOW_FLOOR_MS = 500.0  # and at least this much above the median (fast APIs jitter)


class ProbeStatus(StrEnum):
    UNKNOWN = "unknown"  # no answer yet
    UP = "up"
    SLOW = "slow"
    FAILING = "failing"
    INCONCLUSIVE = "inconclusive"


@dataclass(frozen=True, slots=True)
class ProbeRules:
    failing_after: int = 3
    slow_factor: float = 4.0


@dataclass(frozen=True, slots=True)
class Sample:
    at: datetime
    outcome: ProbeOutcome
    reason: str
    latency_ms: float | None = None
    slow: bool = False


@dataclass(frozen=True, slots=True)
class ProbeWindow:
    """One probe's memory; stored as JSON so every replica reads the same."""

    probe_id: str
    provider: str
    name: str
    recent: tuple[Sample, ...] = ()
    baseline_ms: tuple[float, ...] = ()
    failures_in_row: int = 0
    successes_in_row: int = 0
    failing: bool = False  # in a failing episode
    failing_since: datetime | None = None  # first failure of the streak or episode
    last_failure_at: datetime | None = None
    last_up_at: datetime | None = None

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = _ADAPTER.dump_python(self, mode="json")
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> ProbeWindow:
        return _ADAPTER.validate_python(data)

    @property
    def last(self) -> Sample | None:
        return self.recent[-1] if self.recent else None

    def median_ms(self) -> float | None:
        return statistics.median(self.baseline_ms) if self.baseline_ms else None

    def status(self, rules: ProbeRules) -> ProbeStatus:
        """What this probe says now."""
        if self.failing:
            return ProbeStatus.FAILING
        last = self.last
        if last is None:
            return ProbeStatus.UNKNOWN
        if last.outcome is ProbeOutcome.INCONCLUSIVE:
            return ProbeStatus.INCONCLUSIVE
        wanted, of = SLOW_OF_LAST
        if sum(1 for s in self.recent[-of:] if s.slow) >= wanted:
            return ProbeStatus.SLOW
        return ProbeStatus.UP

    def since(self, rules: ProbeRules) -> datetime | None:
        """When the current status began, as far as the window knows."""
        status = self.status(rules)
        if status is ProbeStatus.FAILING:
            return self.failing_since
        if status is ProbeStatus.SLOW:
            return next((s.at for s in self.recent if s.slow), None)
        return self.last.at if self.last else None

    def failing_span_s(self) -> float:
        """How long failures have kept coming in this failing episode (0 outside one)."""
        if not self.failing or self.failing_since is None or self.last_failure_at is None:
            return 0.0
        return (self.last_failure_at - self.failing_since).total_seconds()

    def latency_ms(self) -> float | None:
        """The latest measured latency of an answer that meant "up"."""
        for sample in reversed(self.recent):
            if sample.outcome is ProbeOutcome.UP and sample.latency_ms is not None:
                return sample.latency_ms
        return None


def record(window: ProbeWindow, sample: Sample, rules: ProbeRules) -> ProbeWindow:
    """Add one answer to a probe's window."""
    failures, since, last_up = window.failures_in_row, window.failing_since, window.last_up_at
    baseline = window.baseline_ms
    successes, failing = window.successes_in_row, window.failing
    last_failure = window.last_failure_at
    latency = sample.latency_ms
    if sample.outcome is ProbeOutcome.FAILING:
        failures, successes, since = failures + 1, 0, since or sample.at
        last_failure = sample.at
        failing = failing or failures >= rules.failing_after
    elif sample.outcome is ProbeOutcome.UP:
        failures, successes, last_up = 0, successes + 1, sample.at
        if failing and successes >= rules.failing_after:
            failing = False
        if not failing:
            since, last_failure = None, None
        if latency is not None:
            slow = False
            if len(baseline) >= MIN_BASELINE:
                median = statistics.median(baseline)
                slow = latency > max(median * rules.slow_factor, median + SLOW_FLOOR_MS)
            if slow:
                sample = Sample(sample.at, sample.outcome, sample.reason, latency, True)
            else:
                # Slow answers stay out of the baseline, or a long slowness would become normal.
                baseline = (*baseline, latency)[-BASELINE:]
    return ProbeWindow(
        probe_id=window.probe_id,
        provider=window.provider,
        name=window.name,
        recent=(*window.recent, sample)[-RECENT:],
        baseline_ms=baseline,
        failures_in_row=failures,
        successes_in_row=successes,
        failing=failing,
        failing_since=since,
        last_failure_at=last_failure,
        last_up_at=last_up,
    )


_ADAPTER: TypeAdapter[ProbeWindow] = TypeAdapter(ProbeWindow)


def our_network_down(statuses: dict[str, list[ProbeStatus]]) -> bool:
    """When every provider's probes fail together (two providers at least), it is us.

    `statuses` maps each provider to its probes' statuses. Providers without probes, or whose
    probes have not answered yet, do not vote.
    """
    voting = [s for s in statuses.values() if any(x is not ProbeStatus.UNKNOWN for x in s)]
    return len(voting) >= 2 and all(ProbeStatus.FAILING in s for s in voting)
