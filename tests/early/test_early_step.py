"""The early-warning step against the real store (SQLite and PostgreSQL): signals read from
the store, one sink call per verdict change, also across a crash and between replicas."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import pytest

from bot.crowd import CrowdReport, CrowdRules, ReportKind
from bot.early import EarlyRules, EarlyWarning, WatchedProvider
from bot.events import Event, EventKind
from bot.fusion import Change, FusionSettings, Level, Signals, Verdict
from bot.models import Severity
from bot.probe_window import ProbeRules, ProbeWindow, Sample, record
from bot.store.store import Store
from integrations.probes.classify import ProbeOutcome

T0 = datetime(2026, 2, 3, 20, 0, tzinfo=UTC)
PROVIDERS = (
    WatchedProvider("openai", "OpenAI", (("openai:API", "API"), ("openai:ChatGPT", "ChatGPT"))),
    WatchedProvider("anthropic", "Anthropic", (("anthropic:API", "API"),)),
)
RULES = EarlyRules(FusionSettings(hold_s=900), CrowdRules(3, 2, 600), ProbeRules(3))


@dataclass
class Clock:
    now: datetime = T0

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


@dataclass
class Page:
    """The official incidents, as the store would list them."""

    open: list[Event] = field(default_factory=list)

    async def open_incidents(self, provider: str | None = None) -> list[Event]:
        return [e for e in self.open if provider is None or e.provider == provider]


@dataclass
class Recorder:
    """A sink that records each change; can be told to fail once."""

    heard: list[tuple[str, Change | None, Level]] = field(default_factory=list)
    fail_next: bool = False

    async def verdict_changed(self, provider: str, verdict: Verdict, signals: Signals) -> None:
        if self.fail_next:
            self.fail_next = False
            raise RuntimeError("sink down")
        self.heard.append((provider, verdict.change, verdict.level))


def early(store: Store, clock: Clock, page: Page | None = None) -> tuple[EarlyWarning, Recorder]:
    warning = EarlyWarning(PROVIDERS, store.signals, page or Page(), RULES, clock)
    sink = Recorder()
    warning.add_sink(sink)
    return warning, sink


async def probe_answers(
    store: Store, probe_id: str, outcomes: list[ProbeOutcome], start: datetime
) -> None:
    """Feed a probe `outcomes`, one every 30 s from `start`, through the store."""
    windows = await store.signals.probe_windows()
    provider, name = probe_id.split(":")
    window = windows.get(probe_id) or ProbeWindow(probe_id, provider, name)
    for n, outcome in enumerate(outcomes):
        at = start + timedelta(seconds=30 * n)
        window = record(window, Sample(at, outcome, outcome.value, 200.0), RULES.probes)
    await store.signals.save_probe_window(window, start)


async def crowd_reports(store: Store, provider: str, people: int, channels: int) -> None:
    for n in range(people):
        await store.signals.add_report(
            CrowdReport(
                provider=provider,
                platform="slack",
                workspace_id=f"T{n % 2}",
                channel_id=f"C{n % channels}",
                user_id=f"U{n}",
                kind=ReportKind.DOWN,
                at=T0 + timedelta(seconds=n),
            )
        )


FAILING = [ProbeOutcome.FAILING] * 10  # five minutes of failures
UP = [ProbeOutcome.UP] * 10


async def test_probes_alone_or_the_crowd_alone_suspect_nothing(store: Store) -> None:
    clock = Clock(T0 + timedelta(minutes=5))
    warning, sink = early(store, clock)
    await probe_answers(store, "openai:API", FAILING, T0)
    await probe_answers(store, "anthropic:API", UP, T0)
    verdict = await warning.step("openai")
    assert verdict is not None
    assert verdict.level is Level.OPERATIONAL
    assert any("1 of 2 probes failing" in r for r in verdict.reasons)

    await probe_answers(store, "openai:API", UP, T0 + timedelta(minutes=5))
    clock.advance(300)
    await crowd_reports(store, "openai", people=8, channels=4)
    clock.now = T0 + timedelta(minutes=1)
    verdict = await warning.step("openai")
    assert verdict is not None
    assert verdict.level is Level.OPERATIONAL
    assert any("8 people in 4 channels" in r for r in verdict.reasons)
    assert sink.heard == []


async def test_probes_and_crowd_together_are_suspected_once(store: Store) -> None:
    clock = Clock(T0 + timedelta(minutes=5))
    warning, sink = early(store, clock)
    await probe_answers(store, "openai:API", FAILING, T0)
    await probe_answers(store, "anthropic:API", UP, T0)
    await crowd_reports(store, "openai", people=5, channels=3)
    verdict = await warning.step("openai")
    assert verdict is not None
    assert verdict.change is Change.SUSPECTED
    clock.advance(30)
    await warning.step("openai")
    await warning.step_all()
    assert sink.heard == [("openai", Change.SUSPECTED, Level.SUSPECTED)]
    # Stored: another process (or this one after a restart) reads the same story.
    stored = await store.signals.load_fusion("openai")
    assert stored.state.level is Level.SUSPECTED
    assert stored.pending is None


async def test_the_page_confirms_and_resolves(store: Store) -> None:
    clock = Clock(T0 + timedelta(minutes=5))
    page = Page()
    warning, sink = early(store, clock, page)
    await probe_answers(store, "openai:API", FAILING, T0)
    await probe_answers(store, "anthropic:API", UP, T0)
    await crowd_reports(store, "openai", people=5, channels=3)
    await warning.step("openai")
    clock.advance(14 * 60)
    page.open.append(incident(started=clock.now))
    verdict = await warning.step("openai")
    assert verdict is not None
    assert verdict.change is Change.CONFIRMED
    assert verdict.episode is not None
    assert verdict.episode.confirm_lag_s == pytest.approx(14 * 60 + 5 * 60, abs=60)
    page.open.clear()
    clock.advance(60)
    await warning.step("openai")
    assert [c for _, c, _ in sink.heard] == [Change.SUSPECTED, Change.CONFIRMED, Change.RESOLVED]


async def test_every_provider_failing_is_our_network(
    store: Store, caplog: pytest.LogCaptureFixture
) -> None:
    clock = Clock(T0 + timedelta(minutes=5))
    warning, sink = early(store, clock)
    for probe in ("openai:API", "openai:ChatGPT", "anthropic:API"):
        await probe_answers(store, probe, FAILING, T0)
    await crowd_reports(store, "openai", people=5, channels=3)
    await warning.step_all()
    await warning.step_all()
    assert warning.network_down
    assert sink.heard == []
    lines = [r for r in caplog.records if "our own network" in r.getMessage()]
    assert len(lines) == 1
    verdict = await warning.step("openai")
    assert verdict is not None
    assert any("fault is probably on our side" in r for r in verdict.reasons)
    # Back: one line says so.
    for probe in ("openai:API", "openai:ChatGPT", "anthropic:API"):
        await probe_answers(store, probe, UP, clock.now)
    await warning.step("openai")
    assert not warning.network_down


async def test_a_change_survives_a_failing_sink_and_a_restart(store: Store) -> None:
    clock = Clock(T0 + timedelta(minutes=5))
    warning, sink = early(store, clock)
    sink.fail_next = True
    await probe_answers(store, "openai:API", FAILING, T0)
    await probe_answers(store, "anthropic:API", UP, T0)
    await crowd_reports(store, "openai", people=5, channels=3)
    await warning.step("openai")
    assert sink.heard == []
    assert (await store.signals.load_fusion("openai")).pending is not None
    # A new process (a restart) hands the stored change over, once.
    again, new_sink = early(store, clock)
    await again.step("openai")
    assert new_sink.heard == []  # the first process may still be handing it over
    clock.advance(61)
    await again.step("openai")
    await again.step("openai")
    assert new_sink.heard == [("openai", Change.SUSPECTED, Level.SUSPECTED)]
    assert (await store.signals.load_fusion("openai")).pending is None


async def test_two_replicas_announce_a_change_once(store: Store) -> None:
    clock = Clock(T0 + timedelta(minutes=5))
    first, first_sink = early(store, clock)
    second, second_sink = early(store, clock)
    await probe_answers(store, "openai:API", FAILING, T0)
    await probe_answers(store, "anthropic:API", UP, T0)
    await crowd_reports(store, "openai", people=5, channels=3)
    await asyncio.gather(first.step("openai"), second.step("openai"))
    assert len(first_sink.heard) + len(second_sink.heard) == 1


def incident(started: datetime) -> Event:
    return Event(
        kind=EventKind.OUTAGE,
        provider="openai",
        source_id="openai",
        page_name="OpenAI",
        incident_key="openai:inc-1",
        title="Elevated error rates",
        severity=Severity.PARTIAL_OUTAGE,
        at=started,
        started_at=started,
    )


async def test_the_baseline_learns_whole_windows_only(store: Store) -> None:
    """A bot started mid-outage must not learn the first reports it sees as ordinary."""
    clock = Clock(T0 + timedelta(seconds=30))
    warning, _sink = early(store, clock)
    await crowd_reports(store, "openai", people=2, channels=1)
    await warning.step("openai")
    first = (await store.signals.load_fusion("openai")).baseline
    assert (first.mean, first.windows) == (0.0, 0)
    clock.advance(600)  # a whole window later, with nobody reporting
    await warning.step("openai")
    learned = (await store.signals.load_fusion("openai")).baseline
    assert (learned.mean, learned.windows) == (0.0, 1)
