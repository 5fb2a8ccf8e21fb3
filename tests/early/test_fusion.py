"""Fusion as a table of scenarios (signals over time -> levels and changes), and hysteresis as
a property: a provider never flips between suspected and clear twice within the hold."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.fusion import (
    Change,
    CrowdView,
    FusionSettings,
    FusionState,
    Level,
    OfficialView,
    ProbeView,
    Signals,
    fuse,
    lag_words,
)
from bot.probe_window import ProbeStatus

T0 = datetime(2026, 2, 3, 20, 0, tzinfo=UTC)
SETTINGS = FusionSettings(hold_s=900)
U, F, S, INC, N = (
    ProbeStatus.UP,
    ProbeStatus.FAILING,
    ProbeStatus.SLOW,
    ProbeStatus.INCONCLUSIVE,
    ProbeStatus.UNKNOWN,
)
SPIKE = CrowdView(users=23, channels=9, workspaces=4, spike=True, since=T0)
CHATTER = CrowdView(users=2, channels=1, workspaces=1, spike=False)
QUIET = CrowdView()
PAGE = OfficialView(confirmed=True, title="Elevated error rates", since=T0)


def at(minutes: float) -> datetime:
    return T0 + timedelta(minutes=minutes)


def probes(*statuses: ProbeStatus, since: float = -5, span: float = 300) -> tuple[ProbeView, ...]:
    """Probe views; failing ones have failed since `since` (minutes) for `span` seconds."""
    return tuple(
        ProbeView(
            name=f"P{n}",
            status=s,
            since=at(since),
            latency_ms=2400 if s is S else 180,
            usual_ms=180,
            failing_span_s=span if s is F else 0.0,
        )
        for n, s in enumerate(statuses)
    )


@dataclass
class Tick:
    minute: float
    probes: tuple[ProbeView, ...] = ()
    crowd: CrowdView = QUIET
    official: OfficialView = field(default_factory=OfficialView)
    network_down: bool = False


def play(ticks: list[Tick]) -> list[tuple[float, Level, Change | None]]:
    state = FusionState()
    out = []
    for tick in ticks:
        signals = Signals(
            "openai", "OpenAI", tick.official, tick.probes, tick.crowd, tick.network_down
        )
        verdict = fuse(state, signals, at(tick.minute), SETTINGS)
        state = verdict.state
        out.append((tick.minute, verdict.level, verdict.change))
    return out


def changes(ticks: list[Tick]) -> list[tuple[float, Change]]:
    return [(m, c) for m, _, c in play(ticks) if c is not None]


OP, SUS, CON = Level.OPERATIONAL, Level.SUSPECTED, Level.CONFIRMED

SCENARIOS = {
    "all quiet": ([Tick(0, probes(U, U)), Tick(1, probes(U, U))], []),
    "one probe failing alone never suspects": (
        [Tick(m, probes(F, U)) for m in range(30)],
        [],
    ),
    "the crowd alone never suspects": (
        [Tick(m, probes(U, U), SPIKE) for m in range(30)],
        [],
    ),
    "the crowd alone without probes never suspects": (
        [Tick(m, (), SPIKE) for m in range(30)],
        [],
    ),
    "probe failing while the crowd spikes": (
        [Tick(0, probes(U, U)), Tick(1, probes(F, U), SPIKE)],
        [(1, Change.SUSPECTED)],
    ),
    "slow probe while the crowd spikes": (
        [Tick(0, probes(U, U)), Tick(1, probes(S, U), SPIKE)],
        [(1, Change.SUSPECTED)],
    ),
    "slow probes alone never suspect": (
        [Tick(m, probes(S, S, S)) for m in range(30)],
        [],
    ),
    "several probes failing hard": (
        [Tick(0, probes(U, U)), Tick(1, probes(F, F))],
        [(1, Change.SUSPECTED)],
    ),
    "two of six failing is not several": (
        [Tick(m, probes(F, F, U, U, U, U)) for m in range(30)],
        [],
    ),
    "challenged probes do not dilute the failing ones": (
        [Tick(0, probes(F, F, INC, INC))],
        [(0, Change.SUSPECTED)],
    ),
    "our own network down: no suspicion even with a crowd": (
        [Tick(m, probes(F, F), SPIKE, network_down=True) for m in range(30)],
        [],
    ),
    "suspected then confirmed by the page": (
        [Tick(0, probes(F, F)), Tick(5, probes(F, F), SPIKE), Tick(14, probes(F, F), SPIKE, PAGE)],
        [(0, Change.SUSPECTED), (14, Change.CONFIRMED)],
    ),
    "confirmed, probes recover, then the page resolves": (
        [
            Tick(0, probes(F, F)),
            Tick(14, probes(F, F), official=PAGE),
            Tick(30, probes(U, U), official=PAGE),
            Tick(31, probes(U, U), official=PAGE),
            Tick(39, probes(U, U)),
        ],
        [
            (0, Change.SUSPECTED),
            (14, Change.CONFIRMED),
            (30, Change.PROBES_RECOVERED),
            (39, Change.RESOLVED),
        ],
    ),
    "the page alone confirms (no early signal)": (
        [Tick(0, probes(U, U)), Tick(3, probes(U, U), official=PAGE), Tick(20, probes(U, U))],
        [(3, Change.CONFIRMED), (20, Change.RESOLVED)],
    ),
    "a false alarm is retracted once the hold has passed and signals stayed away": (
        [
            Tick(0, probes(F, F)),
            Tick(4, probes(U, U)),
            Tick(10, probes(U, U)),
            Tick(14, probes(U, U)),
            Tick(15, probes(U, U)),
        ],
        [(0, Change.SUSPECTED), (15, Change.RETRACTED)],
    ),
    "a short calm after a long suspicion is not yet a false alarm": (
        [
            Tick(0, probes(F, F)),
            Tick(20, probes(F, F)),
            Tick(21, probes(U, U)),
            Tick(30, probes(U, U)),
            Tick(31, probes(U, U)),
        ],
        [(0, Change.SUSPECTED), (31, Change.RETRACTED)],
    ),
    "signals back during the hold keep the suspicion": (
        [
            Tick(0, probes(F, F)),
            Tick(4, probes(U, U)),
            Tick(15, probes(F, F)),
            Tick(16, probes(F, F)),
            Tick(40, probes(U, U)),
            Tick(50, probes(U, U)),
        ],
        [(0, Change.SUSPECTED), (50, Change.RETRACTED)],
    ),
    "intermittent failures keep a suspicion standing": (
        [Tick(0, probes(F, F))]
        + [Tick(m, probes(F, U) if m % 2 else probes(U, U, since=m)) for m in range(1, 40)],
        [(0, Change.SUSPECTED)],
    ),
    "a blip of a minute or two is not a suspicion": (
        [Tick(0, probes(F, F, since=-1.5, span=90)), Tick(0.5, probes(U, U))],
        [],
    ),
    "no new suspicion right after a false alarm": (
        [
            Tick(0, probes(F, F)),
            Tick(15, probes(U, U)),
            Tick(25, probes(U, U)),
            Tick(26, probes(F, F)),
            Tick(39, probes(F, F)),
            Tick(40, probes(F, F)),
        ],
        [(0, Change.SUSPECTED), (25, Change.RETRACTED), (40, Change.SUSPECTED)],
    ),
    "the page confirms even inside the hold": (
        [
            Tick(0, probes(F, F)),
            Tick(15, probes(U, U)),
            Tick(25, probes(U, U)),
            Tick(26, probes(U, U), official=PAGE),
        ],
        [(0, Change.SUSPECTED), (25, Change.RETRACTED), (26, Change.CONFIRMED)],
    ),
}


@pytest.mark.parametrize(("ticks", "expected"), SCENARIOS.values(), ids=SCENARIOS.keys())
def test_scenarios(ticks: list[Tick], expected: list[tuple[float, Change]]) -> None:
    assert changes(ticks) == expected


def test_levels_follow_the_story() -> None:
    ticks = [Tick(0, probes(F, F)), Tick(14, probes(F, F), official=PAGE), Tick(30, probes(U, U))]
    assert [level for _, level, _ in play(ticks)] == [SUS, CON, OP]


def verdict_after(ticks: list[Tick]):  # noqa: ANN201 - a Verdict
    state = FusionState()
    verdict = None
    for tick in ticks:
        signals = Signals(
            "openai", "OpenAI", tick.official, tick.probes, tick.crowd, tick.network_down
        )
        verdict = fuse(state, signals, at(tick.minute), SETTINGS)
        state = verdict.state
    assert verdict is not None
    return verdict


def test_reasons_say_it_in_words() -> None:
    five_of_six = probes(F, F, F, F, F, U, since=2)
    verdict = verdict_after([Tick(5, five_of_six, SPIKE)])
    assert verdict.level is SUS
    assert "5 of 6 probes failing since 20:02 UTC" in verdict.reasons
    assert "23 people in 9 channels across 4 workspaces report it" in verdict.reasons


def test_our_network_is_named_as_the_reason() -> None:
    verdict = verdict_after([Tick(0, probes(F, F), SPIKE, network_down=True)])
    assert verdict.level is OP
    assert verdict.network_down
    assert any("our side" in r for r in verdict.reasons)


def test_the_lag_at_both_ends() -> None:
    """First signal 20:00, page confirms 20:14, probes back 20:30, page resolves 20:39."""
    ticks = [
        Tick(2, probes(F, F, since=0)),
        Tick(14, probes(F, F, since=0), official=PAGE),
        Tick(30, probes(U, U), official=PAGE),
        Tick(39, probes(U, U)),
    ]
    verdict = verdict_after(ticks)
    assert verdict.change is Change.RESOLVED
    episode = verdict.episode
    assert episode is not None
    assert (episode.first_signal_at, episode.confirmed_at) == (at(0), at(14))
    assert (episode.probes_recovered_at, episode.ended_at) == (at(30), at(39))
    assert lag_words("OpenAI", episode) == [
        "OpenAI confirmed this 14 min after our first signal",
        "our probes saw recovery 9 min before the page",
    ]


def test_first_signal_is_when_the_evidence_began_not_when_we_decided() -> None:
    """Probes failing since 19:55, crowd spiking since 20:00: the first signal is 19:55."""
    failing = probes(F, U, since=-5)
    crowd = CrowdView(users=5, channels=3, workspaces=2, spike=True, since=at(0))
    verdict = verdict_after([Tick(1, failing, crowd)])
    assert verdict.episode is not None
    assert verdict.episode.first_signal_at == at(-5)


def test_a_false_alarm_says_how_long_the_signals_lasted() -> None:
    verdict = verdict_after([Tick(0, probes(F, F)), Tick(4, probes(U, U)), Tick(15, probes(U, U))])
    assert verdict.change is Change.RETRACTED
    episode = verdict.episode
    assert episode is not None
    assert episode.signals_cleared_at == at(4)
    assert episode.confirmed_at is None


def test_state_survives_json() -> None:
    verdict = verdict_after([Tick(0, probes(F, F)), Tick(4, probes(U, U))])
    assert FusionState.from_json(verdict.state.to_json()) == verdict.state


# --- hysteresis, as a property ----------------------------------------------------------------

probe_sets = st.sampled_from(
    [probes(U, U), probes(F, U), probes(F, F), probes(S, U), probes(INC, INC), probes(N, N), ()]
)
crowds = st.sampled_from([QUIET, CHATTER, SPIKE])
ticks = st.lists(
    st.tuples(st.floats(min_value=0.1, max_value=10), probe_sets, crowds, st.booleans()),
    max_size=80,
)


@settings(max_examples=150, deadline=None)
@given(ticks)
def test_no_flip_between_suspected_and_clear_more_than_once_per_hold(
    steps: list[tuple[float, tuple[ProbeView, ...], CrowdView, bool]],
) -> None:
    minute = 0.0
    story = []
    for gap, probe_set, crowd, net in steps:
        minute += gap
        story.append(Tick(minute, probe_set, crowd, network_down=net))
    flips = [m for m, c in changes(story) if c in (Change.SUSPECTED, Change.RETRACTED)]
    for earlier, later in zip(flips, flips[1:], strict=False):
        assert later - earlier >= 15 - 1e-9
    # Without the page, nothing is ever confirmed.
    assert all(level is not CON for _, level, _ in play(story))


@settings(max_examples=100, deadline=None)
@given(ticks)
def test_one_signal_alone_never_suspects(
    steps: list[tuple[float, tuple[ProbeView, ...], CrowdView, bool]],
) -> None:
    """With at most one probe failing and no crowd spike, or a spike and every probe up."""
    minute = 0.0
    story = []
    for gap, probe_set, crowd, _ in steps:
        minute += gap
        lone = [p for p in probe_set if p.status is F][:1]
        rest = tuple(ProbeView(p.name, U) for p in probe_set[len(lone) :])
        story.append(Tick(minute, (*lone, *rest), QUIET if lone else crowd))
    assert all(level is OP for _, level, _ in play(story))
