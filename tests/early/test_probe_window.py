"""A probe's window: failing after N in a row, slow against its own median, and "it is us"."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bot.probe_window import (
    ProbeRules,
    ProbeStatus,
    ProbeWindow,
    Sample,
    our_network_down,
    record,
)
from integrations.probes import ProbeOutcome

T0 = datetime(2026, 2, 3, 20, 0, tzinfo=UTC)
RULES = ProbeRules(failing_after=3, slow_factor=4.0)
UP, FAIL, INC = ProbeOutcome.UP, ProbeOutcome.FAILING, ProbeOutcome.INCONCLUSIVE


def run(*samples: tuple[ProbeOutcome, float | None]) -> ProbeWindow:
    window = ProbeWindow("openai:API", "openai", "API")
    for n, (outcome, latency) in enumerate(samples):
        at = T0 + timedelta(seconds=30 * n)
        window = record(window, Sample(at, outcome, outcome.value, latency), RULES)
    return window


def status(*samples: tuple[ProbeOutcome, float | None]) -> ProbeStatus:
    return run(*samples).status(RULES)


NORMAL = [(UP, 180.0)] * 10


def test_no_answer_yet_is_unknown() -> None:
    assert status() is ProbeStatus.UNKNOWN


def test_failing_only_after_three_in_a_row() -> None:
    assert status(*NORMAL, (FAIL, None), (FAIL, None)) is ProbeStatus.UP
    assert status(*NORMAL, (FAIL, None), (FAIL, None), (FAIL, None)) is ProbeStatus.FAILING


def test_one_success_breaks_the_streak() -> None:
    assert status(*NORMAL, (FAIL, None), (FAIL, None), (UP, 180.0), (FAIL, None)) is (
        ProbeStatus.UP
    )


def test_failing_since_is_the_first_failure_of_the_streak() -> None:
    window = run(*NORMAL, (FAIL, None), (FAIL, None), (FAIL, None), (FAIL, None))
    assert window.since(RULES) == T0 + timedelta(seconds=30 * 10)


def test_inconclusive_neither_counts_nor_breaks_a_streak() -> None:
    assert status(*NORMAL, (FAIL, None), (INC, None)) is ProbeStatus.INCONCLUSIVE
    assert status(*NORMAL, (FAIL, None), (INC, None), (FAIL, None)) is ProbeStatus.UP
    assert status(*NORMAL, (FAIL, None), (INC, None), (FAIL, None), (FAIL, None)) is (
        ProbeStatus.FAILING
    )


def test_slow_on_most_recent_samples() -> None:
    slow = [(UP, 2500.0)] * 3
    assert status(*NORMAL, *slow) is ProbeStatus.SLOW
    assert status(*NORMAL, (UP, 2500.0), (UP, 180.0), (UP, 2500.0)) is ProbeStatus.UP


def test_slow_needs_a_baseline_first() -> None:
    assert status((UP, 180.0), (UP, 2500.0), (UP, 2500.0), (UP, 2500.0)) is ProbeStatus.UP


def test_a_long_slowness_does_not_become_the_usual() -> None:
    window = run(*NORMAL, *[(UP, 2500.0)] * 40)
    assert window.status(RULES) is ProbeStatus.SLOW
    assert window.median_ms() == 180.0


def test_fast_apis_jitter_is_not_slowness() -> None:
    """4x a 20 ms median is 80 ms: still nothing anyone would notice."""
    assert status(*[(UP, 20.0)] * 10, *[(UP, 120.0)] * 5) is ProbeStatus.UP


def test_window_survives_json() -> None:
    window = run(*NORMAL, (FAIL, None), (FAIL, None), (FAIL, None))
    assert ProbeWindow.from_json(window.to_json()) == window


F, U, N = ProbeStatus.FAILING, ProbeStatus.UP, ProbeStatus.UNKNOWN


def test_every_provider_failing_together_is_our_network() -> None:
    assert our_network_down({"openai": [F, F], "anthropic": [F], "google": [F]})
    assert our_network_down({"openai": [F, U], "anthropic": [F], "google": [F]})


def test_one_provider_failing_is_theirs() -> None:
    assert not our_network_down({"openai": [F, F], "anthropic": [U], "google": [U]})
    assert not our_network_down({"openai": [F, F], "anthropic": [F], "google": [U]})


def test_a_lone_provider_cannot_tell() -> None:
    assert not our_network_down({"openai": [F, F]})
    assert not our_network_down({"openai": [F, F], "anthropic": [N], "google": []})


def test_intermittent_errors_are_one_failing_episode() -> None:
    """Once failing, one good answer among errors does not make the probe look healthy."""
    window = run(*NORMAL, *[(FAIL, None)] * 3, (UP, 180.0), (FAIL, None), (UP, 180.0))
    assert window.status(RULES) is ProbeStatus.FAILING
    assert window.failing_since == T0 + timedelta(seconds=30 * 10)
    assert window.failing_span_s() == 30 * 4


def test_as_many_successes_in_a_row_end_the_episode() -> None:
    window = run(*NORMAL, *[(FAIL, None)] * 3, *[(UP, 180.0)] * 3)
    assert window.status(RULES) is ProbeStatus.UP
    assert window.failing_span_s() == 0


def test_a_blip_spans_only_its_own_failures() -> None:
    """Four failed checks, then answers again: the span is 90 s, whatever comes after."""
    window = run(*NORMAL, *[(FAIL, None)] * 4, (UP, 180.0), (UP, 180.0))
    assert window.status(RULES) is ProbeStatus.FAILING
    assert window.failing_span_s() == 90
