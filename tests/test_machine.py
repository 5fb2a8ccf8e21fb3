"""The pure state machine, as a table of scenarios: polls in, events out."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import pytest

from bot.events import EventKind
from bot.machine import ALL_OPERATIONAL, MachineSettings, SourceState, transition
from bot.models import (
    Component,
    ComponentStatus,
    FetchFailure,
    Impact,
    Incident,
    IncidentStatus,
    IncidentUpdate,
    Observation,
    Severity,
    Snapshot,
)

T0 = datetime(2026, 2, 3, 14, 0, tzinfo=UTC)
SETTINGS = MachineSettings(provider="openai", source_id="openai", flap_window_s=120)
OK = ComponentStatus.OPERATIONAL
DEG = ComponentStatus.DEGRADED
PART = ComponentStatus.PARTIAL_OUTAGE
MAJOR = ComponentStatus.MAJOR_OUTAGE


def at(minutes: float) -> datetime:
    return T0 + timedelta(minutes=minutes)


def comps(**statuses: ComponentStatus) -> tuple[Component, ...]:
    return tuple(Component(id=name, name=name.title(), status=s) for name, s in statuses.items())


def incident(
    iid: str = "inc1",
    status: IncidentStatus = IncidentStatus.INVESTIGATING,
    impact: Impact = Impact.MINOR,
    components: tuple[str, ...] | None = ("chat",),
    updates: int = 1,
    title: str = "Elevated errors",
) -> Incident:
    ups = tuple(
        IncidentUpdate(id=f"{iid}-u{n}", status=status, body=f"update {n}", at=at(n))
        for n in range(updates, 0, -1)
    )
    return Incident(
        id=iid,
        title=title,
        status=status,
        impact=impact,
        started_at=at(0),
        component_ids=components or (),
        components_known=components is not None,
        updates=ups,
    )


def snap(
    minute: float, components: tuple[Component, ...] = (), incidents: tuple[Incident, ...] = ()
) -> Snapshot:
    return Snapshot(
        page_name="OpenAI",
        page_url="https://status.openai.com",
        observed_at=at(minute),
        components=components or comps(chat=OK, api=OK),
        incidents=incidents,
    )


def fail(minute: float) -> FetchFailure:
    return FetchFailure(observed_at=at(minute), reason="HTTP 503")


@dataclass
class Scenario:
    name: str
    polls: list[Observation]
    expected: list[tuple[str, str]]  # (kind, incident key) in order
    start: SourceState = field(default_factory=lambda: ALL_OPERATIONAL)


def run(scenario: Scenario) -> list:
    state = scenario.start
    events = []
    for poll in scenario.polls:
        state, new = transition(state, poll, SETTINGS)
        events.extend(new)
    return events


SCENARIOS = [
    Scenario(
        "first poll ever is a silent baseline, even with an incident open",
        [
            snap(0, comps(chat=MAJOR, api=OK), (incident(impact=Impact.MAJOR),)),
            snap(1, comps(chat=MAJOR, api=OK), (incident(impact=Impact.MAJOR),)),
        ],
        [],
        start=SourceState(),
    ),
    Scenario(
        "incident with no component change",
        [snap(0), snap(1, incidents=(incident(components=None),))],
        [("degraded", "inc1")],
    ),
    Scenario(
        "major incident is an outage",
        [snap(1, incidents=(incident(impact=Impact.MAJOR),))],
        [("outage", "inc1")],
    ),
    Scenario(
        "component change with no incident, restored after the flap window",
        [
            snap(0, comps(chat=DEG, api=OK)),
            snap(5, comps(chat=OK, api=OK)),
            snap(6, comps(chat=OK, api=OK)),
            snap(8, comps(chat=OK, api=OK)),
        ],
        [("degraded", "component:chat:1770127200"), ("restored", "component:chat:1770127200")],
    ),
    Scenario(
        "a flap inside the window continues the same card",
        [
            snap(0, comps(chat=DEG, api=OK)),
            snap(1, comps(chat=OK, api=OK)),
            snap(2, comps(chat=DEG, api=OK)),
            snap(3, comps(chat=OK, api=OK)),
            snap(6, comps(chat=OK, api=OK)),
        ],
        [("degraded", "component:chat:1770127200"), ("restored", "component:chat:1770127200")],
    ),
    Scenario(
        "escalation from degraded to outage on the same card",
        [snap(0, comps(chat=DEG, api=OK)), snap(1, comps(chat=MAJOR, api=OK))],
        [("degraded", "component:chat:1770127200"), ("outage", "component:chat:1770127200")],
    ),
    Scenario(
        "new official update, then resolution",
        [
            snap(1, comps(chat=DEG), (incident(),)),
            snap(2, comps(chat=DEG), (incident(updates=2, status=IncidentStatus.IDENTIFIED),)),
            snap(3, comps(chat=DEG), (incident(updates=2, status=IncidentStatus.IDENTIFIED),)),
            snap(4, comps(chat=OK)),
        ],
        [("degraded", "inc1"), ("update", "inc1"), ("restored", "inc1")],
    ),
    Scenario(
        "resolved on paper, restored only when the component is back",
        [
            snap(1, comps(chat=MAJOR), (incident(impact=Impact.MAJOR),)),
            snap(2, comps(chat=MAJOR)),
            snap(3, comps(chat=MAJOR)),
            snap(4, comps(chat=OK)),
        ],
        [("outage", "inc1"), ("restored", "inc1")],
    ),
    Scenario(
        "two overlapping incidents keep two cards",
        [
            snap(1, comps(chat=DEG, api=OK), (incident("a"),)),
            snap(
                2,
                comps(chat=DEG, api=MAJOR),
                (incident("a"), incident("b", impact=Impact.MAJOR, components=("api",))),
            ),
            snap(
                3,
                comps(chat=OK, api=MAJOR),
                (incident("b", impact=Impact.MAJOR, components=("api",)),),
            ),
            snap(4, comps(chat=OK, api=OK)),
        ],
        [("degraded", "a"), ("outage", "b"), ("restored", "a"), ("restored", "b")],
    ),
    Scenario(
        "resolved then reopened continues the same card",
        [
            snap(1, incidents=(incident(components=None),)),
            snap(2),
            snap(3, incidents=(incident(components=None, updates=2),)),
            snap(4),
        ],
        [("degraded", "inc1"), ("restored", "inc1"), ("degraded", "inc1"), ("restored", "inc1")],
    ),
    Scenario(
        "a component removed from the page ends its episode",
        [snap(0, comps(chat=MAJOR, api=OK)), snap(1, comps(api=OK))],
        [("outage", "component:chat:1770127200"), ("restored", "component:chat:1770127200")],
    ),
    Scenario(
        "a renamed component is the same component (keyed by id)",
        [
            snap(0, (Component("chat", "ChatGPT", DEG),)),
            snap(1, (Component("chat", "ChatGPT Web", DEG),)),
        ],
        [("degraded", "component:chat:1770127200")],
    ),
    Scenario(
        "an incident that covers an open episode adopts its card",
        [
            snap(0, comps(chat=DEG)),
            snap(1, comps(chat=MAJOR), (incident(impact=Impact.MAJOR),)),
            snap(2, comps(chat=OK)),
        ],
        [
            ("degraded", "component:chat:1770127200"),
            ("outage", "component:chat:1770127200"),
            ("restored", "component:chat:1770127200"),
        ],
    ),
    Scenario(
        "fetch failures never become outages; unreachable after the threshold, then recovered",
        [snap(0), fail(1), fail(2), fail(3), fail(4), snap(5)],
        [
            ("source_unreachable", "source:openai:1770127260"),
            ("source_recovered", "source:openai:1770127260"),
        ],
    ),
    Scenario(
        "failures below the threshold are silent",
        [snap(0, comps(chat=DEG)), fail(1), fail(2), snap(3, comps(chat=DEG))],
        [("degraded", "component:chat:1770127200")],
    ),
    Scenario(
        "a closed incident never seen open (feed history) is not news",
        [snap(1, incidents=(incident(status=IncidentStatus.RESOLVED),))],
        [],
    ),
    Scenario(
        "an open incident later listed as resolved (feeds) is restored",
        [
            snap(1, incidents=(incident(components=None),)),
            snap(
                2, incidents=(incident(components=None, status=IncidentStatus.RESOLVED, updates=2),)
            ),
            snap(
                3, incidents=(incident(components=None, status=IncidentStatus.RESOLVED, updates=2),)
            ),
        ],
        [("degraded", "inc1"), ("restored", "inc1")],
    ),
]


@pytest.mark.parametrize("scenario", SCENARIOS, ids=lambda s: s.name)
def test_scenario(scenario: Scenario) -> None:
    events = run(scenario)
    assert [(e.kind.value, e.incident_key) for e in events] == scenario.expected


def test_restored_carries_duration_since_first_bad_moment() -> None:
    events = run(
        Scenario(
            "",
            [
                snap(0, comps(chat=DEG)),
                snap(10, comps(chat=MAJOR), (incident(impact=Impact.MAJOR),)),
                snap(47, comps(chat=OK)),
            ],
            [],
        )
    )
    restored = events[-1]
    assert restored.kind is EventKind.RESTORED
    assert restored.duration_s == 47 * 60
    assert restored.severity is Severity.OPERATIONAL


def test_component_restoration_duration_ends_when_it_came_back() -> None:
    events = run(
        Scenario(
            "", [snap(0, comps(chat=DEG)), snap(30, comps(chat=OK)), snap(33, comps(chat=OK))], []
        )
    )
    assert events[-1].duration_s == 30 * 60


def test_baseline_then_restart_does_not_reannounce() -> None:
    open_page = snap(0, comps(chat=MAJOR), (incident(impact=Impact.MAJOR),))
    state, events = transition(SourceState(), open_page, SETTINGS)
    assert events == []
    restarted = SourceState.from_json(state.to_json())
    state, events = transition(
        restarted, snap(1, comps(chat=MAJOR), (incident(impact=Impact.MAJOR),)), SETTINGS
    )
    assert events == []
    _, events = transition(state, snap(2, comps(chat=OK)), SETTINGS)
    assert [e.kind for e in events] == [EventKind.RESTORED]


def test_failures_leave_component_state_alone() -> None:
    state, _ = transition(ALL_OPERATIONAL, snap(0, comps(chat=DEG)), SETTINGS)
    for minute in range(1, 10):
        state, events = transition(state, fail(minute), SETTINGS)
        assert all(e.kind.is_source_health for e in events)
    assert state.components["chat"].status is DEG
    assert "chat" in state.episodes


def test_update_event_carries_the_full_card() -> None:
    events = run(
        Scenario(
            "",
            [
                snap(1, comps(chat=DEG), (incident(),)),
                snap(2, comps(chat=DEG), (incident(updates=2, status=IncidentStatus.IDENTIFIED),)),
            ],
            [],
        )
    )
    update = events[-1]
    assert update.kind is EventKind.UPDATE
    assert update.title == "Elevated errors"
    assert update.status is IncidentStatus.IDENTIFIED
    assert update.text == "update 2"
    assert update.components == ("Chat",)
    assert update.started_at == at(0)


def test_maintenance_started_and_ended() -> None:
    mnt = Incident(
        id="m1",
        title="Database upgrade",
        status=IncidentStatus.IN_PROGRESS,
        impact=Impact.MAINTENANCE,
        started_at=at(0),
    )
    base = snap(0)
    state, events = transition(ALL_OPERATIONAL, base, SETTINGS)
    with_mnt = Snapshot(**{**_fields(snap(1)), "maintenances": (mnt,)})
    state, started = transition(state, with_mnt, SETTINGS)
    state, ended = transition(state, snap(30), SETTINGS)
    assert [e.kind for e in started] == [EventKind.MAINTENANCE_STARTED]
    assert [e.kind for e in ended] == [EventKind.MAINTENANCE_ENDED]
    assert ended[0].duration_s == 30 * 60


def test_state_round_trips_through_json() -> None:
    state, _ = transition(ALL_OPERATIONAL, snap(0, comps(chat=DEG), (incident(),)), SETTINGS)
    assert SourceState.from_json(state.to_json()) == state


def _fields(s: Snapshot) -> dict:
    return {name: getattr(s, name) for name in s.__slots__}
