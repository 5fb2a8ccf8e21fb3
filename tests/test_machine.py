"""The pure state machine, as a table of scenarios: polls in, events out."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import pytest

from bot.events import Event, EventKind
from bot.machine import (
    ALL_OPERATIONAL,
    MachineSettings,
    SourceState,
    is_stale,
    open_cards,
    transition,
)
from bot.models import (
    COMPONENT_SEVERITY,
    IMPACT_SEVERITY,
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
    start: float = 0,
) -> Incident:
    """An official incident that began at minute `start`, with `updates` updates after it."""
    ups = tuple(
        IncidentUpdate(id=f"{iid}-u{n}", status=status, body=f"update {n}", at=at(start + n))
        for n in range(updates, 0, -1)
    )
    return Incident(
        id=iid,
        title=title,
        status=status,
        impact=impact,
        started_at=at(start),
        component_ids=components or (),
        components_known=components is not None,
        updates=ups,
    )


UNLINKED = None  # incident.io: incidents carry no components at all


def snap(
    minute: float,
    components: tuple[Component, ...] = (),
    incidents: tuple[Incident, ...] = (),
    page: float | None | str = "same",
    maintenances: tuple[Incident, ...] = (),
) -> Snapshot:
    """A poll at `minute`; the page's own clock is the same minute unless `page` says."""
    page_clock = at(minute) if page == "same" else (None if page is None else at(float(page)))
    return Snapshot(
        page_name="OpenAI",
        page_url="https://status.openai.com",
        observed_at=at(minute),
        page_updated_at=page_clock,
        components=components or comps(chat=OK, api=OK),
        incidents=incidents,
        maintenances=maintenances,
    )


def fail(minute: float) -> FetchFailure:
    return FetchFailure(observed_at=at(minute), reason="HTTP 503")


@dataclass
class Scenario:
    name: str
    polls: list[Observation]
    expected: list[tuple[str, str]]  # (kind, incident key) in order
    start: SourceState = field(default_factory=lambda: ALL_OPERATIONAL)
    settings: MachineSettings = SETTINGS


def run(scenario: Scenario) -> list[Event]:
    state = scenario.start
    events = []
    for poll in scenario.polls:
        state, new = transition(state, poll, scenario.settings)
        events.extend(new)
    return events


def chat_key(minute: float) -> str:
    return f"component:chat:{int(at(minute).timestamp())}"


def api_key(minute: float) -> str:
    return f"component:api:{int(at(minute).timestamp())}"


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
        "a component gone from the page for a day ends its card",
        [snap(0, comps(chat=MAJOR, api=OK)), snap(1, comps(api=OK)), snap(1442, comps(api=OK))],
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
    # --- stale copies ----------------------------------------------------------------
    Scenario(
        "a stale copy is ignored: no false restored, no second alert",
        [
            snap(0, comps(chat=MAJOR), (incident(impact=Impact.MAJOR),)),
            snap(1, comps(chat=OK), page=-5),  # a CDN serves the page as it was before
            snap(2, comps(chat=MAJOR), (incident(impact=Impact.MAJOR),)),
            snap(3, comps(chat=OK)),
        ],
        [("outage", "inc1"), ("restored", "inc1")],
    ),
    Scenario(
        "a stale copy never posts an older update again",
        [
            snap(2, comps(chat=DEG), (incident(updates=2),)),
            snap(3, comps(chat=DEG), (incident(updates=1),), page=1),
            snap(4, comps(chat=DEG), (incident(updates=2),)),
        ],
        [("degraded", "inc1")],
    ),
    Scenario(
        "a page that went back in time for good is believed after an hour",
        [
            snap(100, comps(chat=DEG)),
            snap(101, comps(chat=OK), page=50),
            snap(130, comps(chat=OK), page=50),
            snap(161, comps(chat=OK), page=50),
            snap(165, comps(chat=OK), page=50),
        ],
        [("degraded", chat_key(100)), ("restored", chat_key(100))],
    ),
    Scenario(
        "a copy with the same page clock is not stale",
        [snap(1, comps(chat=DEG)), snap(2, comps(chat=MAJOR), page=1)],
        [("degraded", chat_key(1)), ("outage", chat_key(1))],
    ),
    # --- incidents that name no components ------------------------------------------
    Scenario(
        "(a) resolved while its component is still degraded: one card, one restored",
        [
            snap(1, comps(chat=DEG), (incident(components=UNLINKED),)),
            snap(2, comps(chat=DEG)),
            snap(3, comps(chat=DEG)),
            snap(4, comps(chat=OK)),
            snap(8, comps(chat=OK)),
        ],
        [("degraded", "inc1"), ("restored", "inc1")],
    ),
    Scenario(
        "(b) an episode two days old is not adopted by a new incident",
        [
            snap(0, comps(chat=DEG)),
            snap(2880, comps(chat=DEG), (incident(components=UNLINKED, start=2879),)),
            snap(2925, comps(chat=DEG)),
            snap(2950, comps(chat=OK)),
            snap(2953, comps(chat=OK)),
        ],
        [
            ("degraded", chat_key(0)),
            ("degraded", "inc1"),
            ("restored", "inc1"),
            ("restored", chat_key(0)),
        ],
    ),
    Scenario(
        "(c) an incident in the same poll as a component going bad opens one card",
        [snap(1, comps(chat=DEG, api=OK), (incident(components=UNLINKED),))],
        [("degraded", "inc1")],
    ),
    Scenario(
        "Atlassian components: [] is an incident that names no components",
        [
            snap(1, comps(chat=DEG), (incident(components=()),)),
            snap(2, comps(chat=DEG)),
            snap(3, comps(chat=OK)),
        ],
        [("degraded", "inc1"), ("restored", "inc1")],
    ),
    Scenario(
        "an episode that began within the window before the incident becomes its card",
        [
            snap(0, comps(chat=DEG)),
            snap(20, comps(chat=DEG), (incident(components=UNLINKED, start=15),)),
            snap(30, comps(chat=OK)),
        ],
        [("degraded", chat_key(0)), ("degraded", chat_key(0)), ("restored", chat_key(0))],
    ),
    Scenario(
        "with a zero tie window the same episode keeps its own card",
        [
            snap(0, comps(chat=DEG)),
            snap(20, comps(chat=DEG), (incident(components=UNLINKED, start=15),)),
            snap(30, comps(chat=OK)),
            snap(33, comps(chat=OK)),
        ],
        [("degraded", chat_key(0)), ("degraded", "inc1"), ("restored", "inc1")]
        + [("restored", chat_key(0))],
        settings=MachineSettings(
            provider="openai", source_id="openai", flap_window_s=120, tie_window_s=0
        ),
    ),
    Scenario(
        "a component going bad while the incident is open joins its card",
        [
            snap(1, comps(chat=OK, api=OK), (incident(components=UNLINKED),)),
            snap(2, comps(chat=OK, api=MAJOR), (incident(components=UNLINKED),)),
            snap(3, comps(chat=OK, api=MAJOR)),
            snap(4, comps(chat=OK, api=OK)),
        ],
        [("degraded", "inc1"), ("outage", "inc1"), ("restored", "inc1")],
    ),
    Scenario(
        "a component going bad after the incident resolved gets its own card",
        [
            snap(1, comps(chat=DEG), (incident(components=UNLINKED),)),
            snap(2, comps(chat=DEG, api=OK)),
            snap(3, comps(chat=DEG, api=DEG)),
        ],
        [("degraded", "inc1"), ("degraded", api_key(3))],
    ),
    # --- one story, one card ----------------------------------------------------------
    Scenario(
        "an incident over two open component cards continues the oldest, closes the other",
        [
            snap(0, comps(chat=DEG, api=OK)),
            snap(1, comps(chat=DEG, api=DEG)),
            snap(
                2,
                comps(chat=MAJOR, api=MAJOR),
                (incident(impact=Impact.MAJOR, components=("chat", "api")),),
            ),
            snap(3, comps(chat=MAJOR, api=MAJOR)),
            snap(4, comps(chat=OK, api=OK)),
        ],
        [
            ("degraded", chat_key(0)),
            ("degraded", api_key(1)),
            ("outage", chat_key(0)),
            ("merged", api_key(1)),
            ("restored", chat_key(0)),
        ],
    ),
    Scenario(
        "an unlinked incident over two fresh component cards makes one story",
        [
            snap(0, comps(chat=DEG, api=OK)),
            snap(1, comps(chat=DEG, api=DEG)),
            snap(2, comps(chat=DEG, api=DEG), (incident(components=UNLINKED, start=2),)),
            snap(3, comps(chat=OK, api=OK)),
        ],
        [
            ("degraded", chat_key(0)),
            ("degraded", api_key(1)),
            ("degraded", chat_key(0)),
            ("merged", api_key(1)),
            ("restored", chat_key(0)),
        ],
    ),
    Scenario(
        "an incident that names one more component later absorbs its card",
        [
            snap(1, comps(chat=DEG, api=OK), (incident(),)),
            snap(2, comps(chat=DEG, api=DEG), (incident(),)),
            snap(3, comps(chat=DEG, api=DEG), (incident(components=("chat", "api")),)),
            snap(4, comps(chat=OK, api=OK)),
        ],
        [("degraded", "inc1"), ("degraded", api_key(2)), ("merged", api_key(2))]
        + [("restored", "inc1")],
    ),
    # --- components that come and go ------------------------------------------------
    Scenario(
        "a component missing from a snapshot is neither recovered nor new when it returns",
        [
            snap(0, comps(chat=MAJOR, api=OK)),
            snap(1, comps(api=OK)),
            snap(5, comps(api=OK)),
            snap(6, comps(chat=MAJOR, api=OK)),
            snap(7, comps(chat=OK, api=OK)),
            snap(10, comps(chat=OK, api=OK)),
        ],
        [("outage", chat_key(0)), ("restored", chat_key(0))],
    ),
    Scenario(
        "a component that was missing does not hold back its incident's restoration",
        [
            snap(1, comps(chat=DEG, api=OK), (incident(),)),
            snap(2, comps(api=OK)),
        ],
        [("degraded", "inc1"), ("restored", "inc1")],
    ),
    Scenario(
        "an unknown status word keeps the last known severity: no restored, no second card",
        [
            snap(0, comps(chat=MAJOR)),
            snap(1, comps(chat=ComponentStatus.UNKNOWN)),
            snap(5, comps(chat=MAJOR)),
        ],
        [("outage", chat_key(0))],
    ),
    Scenario(
        "an unknown status word on a healthy component raises nothing",
        [snap(0, comps(chat=OK)), snap(1, comps(chat=ComponentStatus.UNKNOWN))],
        [],
    ),
    Scenario(
        "an unknown status word on a new component counts as degraded",
        [snap(0, comps(api=OK)), snap(1, comps(api=OK, chat=ComponentStatus.UNKNOWN))],
        [("degraded", chat_key(1))],
    ),
    Scenario(
        "a new card in the same second as the last one of a component gets its own key",
        [snap(1, comps(chat=DEG)), snap(1, comps(chat=OK)), snap(1, comps(chat=DEG))],
        [("degraded", chat_key(1)), ("restored", chat_key(1)), ("degraded", chat_key(1) + "#2")],
        settings=MachineSettings(provider="openai", source_id="openai", flap_window_s=0),
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


def maintenance(
    status: IncidentStatus,
    timeline: tuple[tuple[IncidentStatus, float], ...],
    components: tuple[str, ...] = ("chat",),
    announced: float = -2880,
) -> Incident:
    """A scheduled maintenance announced days before; `timeline` is (status, minute), oldest first.

    Like Atlassian's, its `started_at` is when it was announced, not when the work began.
    """
    updates = tuple(
        IncidentUpdate(id=f"m1-u{n}", status=st, body=f"{st.value} words", at=at(minute))
        for n, (st, minute) in reversed(list(enumerate(timeline)))
    )
    return Incident(
        id="m1",
        title="Database upgrade",
        status=status,
        impact=Impact.MAINTENANCE,
        started_at=at(announced),
        component_ids=components,
        updates=updates,
    )


SCHEDULED = ((IncidentStatus.SCHEDULED, -2880),)
WORKING = (*SCHEDULED, (IncidentStatus.IN_PROGRESS, 0))


def run_polls(*polls: Observation, settings: MachineSettings = SETTINGS) -> list[Event]:
    return run(Scenario("", list(polls), [], settings=settings))


def test_maintenance_lasts_from_the_work_not_from_the_announcement() -> None:
    events = run_polls(
        snap(-60, maintenances=(maintenance(IncidentStatus.SCHEDULED, SCHEDULED),)),
        snap(
            2,
            comps(chat=ComponentStatus.MAINTENANCE),
            maintenances=(maintenance(IncidentStatus.IN_PROGRESS, WORKING),),
        ),
        snap(91, comps(chat=OK)),
    )
    assert [e.kind for e in events] == [
        EventKind.MAINTENANCE_STARTED,
        EventKind.MAINTENANCE_ENDED,
    ]
    started, ended = events
    assert started.started_at == at(0)  # the in_progress update, not the announcement
    assert ended.duration_s == 91 * 60  # 1.5 hours, not 2 days
    for event in events:
        assert event.components == ("Chat",)
    assert started.text == "in_progress words"
    assert ended.text == "in_progress words"


def test_maintenance_without_an_in_progress_update_runs_from_when_first_seen_so() -> None:
    events = run_polls(
        snap(0),
        snap(10, maintenances=(maintenance(IncidentStatus.IN_PROGRESS, SCHEDULED),)),
        snap(40),
    )
    assert events[-1].kind is EventKind.MAINTENANCE_ENDED
    assert events[-1].started_at == at(10)
    assert events[-1].duration_s == 30 * 60


def test_maintenance_listed_as_completed_carries_the_official_closing_words() -> None:
    done = (*WORKING, (IncidentStatus.COMPLETED, 60))
    events = run_polls(
        snap(1, maintenances=(maintenance(IncidentStatus.IN_PROGRESS, WORKING),)),
        snap(61, maintenances=(maintenance(IncidentStatus.COMPLETED, done),)),
    )
    ended = events[-1]
    assert ended.kind is EventKind.MAINTENANCE_ENDED
    assert ended.text == "completed words"
    assert ended.severity is Severity.OPERATIONAL
    assert ended.status is IncidentStatus.COMPLETED


def test_verifying_continues_the_maintenance_without_a_second_start() -> None:
    verifying = (*WORKING, (IncidentStatus.VERIFYING, 30))
    events = run_polls(
        snap(1, maintenances=(maintenance(IncidentStatus.IN_PROGRESS, WORKING),)),
        snap(31, maintenances=(maintenance(IncidentStatus.VERIFYING, verifying),)),
        snap(45),
    )
    assert [e.kind for e in events] == [
        EventKind.MAINTENANCE_STARTED,
        EventKind.MAINTENANCE_ENDED,
    ]
    assert events[-1].text == "verifying words"
    assert events[-1].duration_s == 45 * 60


def test_a_component_under_maintenance_in_a_window_is_no_outage() -> None:
    window = (maintenance(IncidentStatus.IN_PROGRESS, WORKING),)
    events = run_polls(
        snap(1, comps(chat=ComponentStatus.MAINTENANCE, api=OK), maintenances=window),
        snap(2, comps(chat=ComponentStatus.MAINTENANCE, api=OK), maintenances=window),
    )
    assert [e.kind for e in events] == [EventKind.MAINTENANCE_STARTED]
    assert events[0].severity is Severity.MAINTENANCE


def test_a_component_worse_than_its_window_declares_is_an_outage() -> None:
    window = (maintenance(IncidentStatus.IN_PROGRESS, WORKING),)
    events = run_polls(
        snap(1, comps(chat=ComponentStatus.MAINTENANCE, api=OK), maintenances=window),
        snap(2, comps(chat=MAJOR, api=OK), maintenances=window),
    )
    assert [(e.kind, e.incident_key) for e in events] == [
        (EventKind.MAINTENANCE_STARTED, "maintenance:m1"),
        (EventKind.OUTAGE, chat_key(2)),
    ]


def test_a_stale_copy_changes_nothing_but_its_own_bookkeeping() -> None:
    state, _ = transition(ALL_OPERATIONAL, snap(10, comps(chat=DEG)), SETTINGS)
    stale, events = transition(state, snap(11, comps(chat=OK), page=5), SETTINGS)
    assert events == []
    assert stale.stale_since == at(11)
    assert dataclasses.replace(stale, stale_since=None) == state
    again, events = transition(stale, snap(12, comps(chat=OK), page=5), SETTINGS)
    assert (again, events) == (stale, [])
    assert is_stale(again, snap(12, comps(chat=OK), page=5))
    assert not is_stale(again, snap(12, comps(chat=OK), page=10))
    assert not is_stale(again, snap(12, comps(chat=OK), page=None))


def test_events_never_go_back_in_time_and_durations_are_never_negative() -> None:
    events = run_polls(
        snap(10, comps(chat=DEG), page=None),
        snap(5, comps(chat=OK), page=None),  # a poll dated before the last one
        snap(4, comps(chat=OK), page=None),
        snap(20, comps(chat=OK), page=None),
    )
    assert [e.kind for e in events] == [EventKind.DEGRADED, EventKind.RESTORED]
    assert events[1].at == at(20)
    assert events[1].duration_s == 0  # back at "10" (clamped): no negative duration


def test_an_old_episode_keeps_its_own_duration_beside_a_new_incident() -> None:
    events = run_polls(
        snap(0, comps(chat=DEG)),
        snap(2880, comps(chat=DEG), (incident(components=UNLINKED, start=2879),)),
        snap(2925, comps(chat=DEG)),
        snap(2950, comps(chat=OK)),
        snap(2953, comps(chat=OK)),
    )
    incident_restored = events[2]
    assert incident_restored.incident_key == "inc1"
    assert incident_restored.duration_s == 46 * 60
    assert incident_restored.components == ()  # (d): nothing on the page was tied to it
    assert events[3].incident_key == chat_key(0)
    assert events[3].duration_s == 2950 * 60


def test_an_unlinked_incident_shows_only_the_components_tied_to_it() -> None:
    events = run_polls(
        snap(0, comps(chat=OK, api=DEG, search=OK)),
        snap(100, comps(chat=DEG, api=DEG, search=OK), (incident(components=UNLINKED, start=99),)),
    )
    opened = events[-1]
    assert opened.incident_key == "inc1"
    assert opened.components == ("Chat",)
    assert opened.started_at == at(99)


def test_an_unlinked_incident_with_nothing_tied_speaks_in_its_own_words() -> None:
    events = run_polls(snap(1, comps(chat=OK), (incident(components=UNLINKED),)))
    assert events[0].components == ()
    assert events[0].text == "update 1"
    assert events[0].severity is Severity.DEGRADED


def test_a_merged_card_points_to_the_card_that_tells_the_story() -> None:
    events = run_polls(
        snap(0, comps(chat=DEG, api=OK)),
        snap(1, comps(chat=DEG, api=DEG)),
        snap(2, comps(chat=DEG, api=DEG), (incident(components=("chat", "api"), title="Outage"),)),
        snap(3, comps(chat=DEG, api=DEG), (incident(components=("chat", "api"), title="Outage"),)),
    )
    merged = [e for e in events if e.kind is EventKind.MERGED]
    assert len(merged) == 1
    assert merged[0].incident_key == api_key(1)
    assert merged[0].merged_into == chat_key(0)
    assert merged[0].merged_into_title == "Outage"
    assert merged[0].title == "Api: degraded"
    story = [e for e in events if e.incident_key == chat_key(0)]
    assert story[-1].components == ("Chat", "Api")
    assert story[-1].started_at == at(0)


def test_components_with_one_name_in_two_groups_are_named_with_their_group() -> None:
    page = (
        Component("eu", "Messages", MAJOR, group="EU"),
        Component("us", "Messages", OK, group="US"),
        Component("web", "Web", MAJOR, group="EU"),
    )
    events = run_polls(snap(1, page))
    assert [e.components for e in events] == [("Messages (EU)",), ("Web",)]


def test_events_carry_the_configured_provider_name() -> None:
    named = MachineSettings(provider="anthropic", source_id="atom", display_name="Anthropic")
    events = run_polls(snap(0, comps(chat=DEG)), fail(1), fail(2), fail(3), snap(4), settings=named)
    assert {e.page_name for e in events} == {"Anthropic"}
    assert len(events) == 3


def test_a_restoration_listed_on_the_page_carries_its_official_words() -> None:
    resolved = incident(status=IncidentStatus.RESOLVED, updates=2)
    resolved = dataclasses.replace(
        resolved,
        updates=(dataclasses.replace(resolved.updates[0], body="All systems recovered."),),
    )
    events = run_polls(
        snap(1, comps(chat=DEG), (incident(),)),
        snap(2, comps(chat=DEG), (resolved,)),
        snap(3, comps(chat=OK), (resolved,)),
    )
    assert [e.kind for e in events] == [EventKind.DEGRADED, EventKind.RESTORED]
    assert events[-1].text == "All systems recovered."
    assert events[-1].at == at(3)


def test_state_round_trips_through_json() -> None:
    state, _ = transition(ALL_OPERATIONAL, snap(0, comps(chat=DEG), (incident(),)), SETTINGS)
    assert SourceState.from_json(state.to_json()) == state


def _fields(s: Snapshot) -> dict:
    return {name: getattr(s, name) for name in s.__slots__}


def test_open_cards_show_every_open_card_as_its_events_left_it() -> None:
    window = (maintenance(IncidentStatus.IN_PROGRESS, WORKING, components=("api",)),)
    open_i1 = (incident("i1", components=("api",), start=1, updates=2),)
    state = ALL_OPERATIONAL
    events: list[Event] = []
    for poll in (
        snap(0, comps(chat=DEG, api=OK)),
        snap(2, comps(chat=DEG, api=OK), (incident("i1", components=("api",), start=1),)),
        snap(3, comps(chat=MAJOR, api=ComponentStatus.MAINTENANCE), open_i1, maintenances=window),
        snap(4, comps(chat=MAJOR, api=ComponentStatus.MAINTENANCE), open_i1, maintenances=window),
    ):
        state, new = transition(state, poll, SETTINGS)
        events += new
    cards = open_cards(state, SETTINGS)
    latest = {e.incident_key: e for e in events}
    assert [c.incident_key for c in cards] == [chat_key(0), "maintenance:m1", "i1"]
    for card in cards:
        last = latest[card.incident_key]
        assert (card.title, card.severity, card.components, card.started_at) == (
            last.title,
            last.severity,
            last.components,
            last.started_at,
        )
        assert (card.text, card.status, card.incident_id) == (
            last.text,
            last.status,
            last.incident_id,
        )
        assert card.at == at(4)
        assert card.page_name == "OpenAI"
    assert [c.kind for c in cards] == [
        EventKind.OUTAGE,
        EventKind.MAINTENANCE_STARTED,
        EventKind.DEGRADED,
    ]
    assert cards[0].component == "Chat"
    assert open_cards(SourceState(), SETTINGS) == []


def test_source_health_events_say_what_and_since_when() -> None:
    named = MachineSettings(provider="openai", source_id="openai-2", failure_threshold=2)
    state, _ = transition(ALL_OPERATIONAL, snap(0), named)
    state, first = transition(state, fail(1), named)
    assert first == []
    assert (state.failures, state.failing_since, state.last_error) == (1, at(1), "HTTP 503")
    state, [down] = transition(state, fail(3), named)
    assert state.last_at == at(3)
    assert (down.kind, down.provider, down.source_id) == (
        EventKind.SOURCE_UNREACHABLE,
        "openai",
        "openai-2",
    )
    assert (down.title, down.page_name) == ("OpenAI status page unreachable", "OpenAI")
    assert (down.at, down.started_at, down.severity) == (at(3), at(1), Severity.OPERATIONAL)
    assert down.text == "Cannot reach the official status page: HTTP 503"
    assert down.url == "https://status.openai.com"
    assert down.incident_key == f"source:openai-2:{int(at(1).timestamp())}"
    state, [up] = transition(state, snap(10), named)
    assert (up.kind, up.incident_key, up.duration_s) == (
        EventKind.SOURCE_RECOVERED,
        down.incident_key,
        9 * 60,
    )
    assert (state.failures, state.last_error, state.unreachable_since) == (0, None, None)


def test_a_page_never_read_is_named_after_its_provider() -> None:
    named = MachineSettings(provider="openai", source_id="openai", failure_threshold=1)
    _, [down] = transition(SourceState(), fail(1), named)
    assert down.page_name == "openai"
    assert down.title == "openai status page unreachable"


@pytest.mark.parametrize(
    ("before", "after", "kind"),
    [
        (DEG, PART, EventKind.OUTAGE),  # degraded -> partial outage is news, not an update
        (PART, MAJOR, EventKind.UPDATE),
        (MAJOR, DEG, EventKind.UPDATE),
    ],
)
def test_an_incident_that_gets_worse_is_an_outage_once(
    before: ComponentStatus, after: ComponentStatus, kind: EventKind
) -> None:
    events = run_polls(
        snap(1, comps(chat=before), (incident(impact=Impact.NONE),)),
        snap(2, comps(chat=after), (incident(impact=Impact.NONE),)),
    )
    assert [e.kind for e in events[1:]] == [kind]
    assert events[-1].severity.label == COMPONENT_SEVERITY_LABEL[after]


COMPONENT_SEVERITY_LABEL = {
    DEG: "degraded",
    PART: "partial_outage",
    MAJOR: "major_outage",
}


@pytest.mark.parametrize(
    "change",
    [
        {"title": "Elevated errors for all users"},
        {"status": IncidentStatus.IDENTIFIED},
        {"impact": Impact.MAJOR},
    ],
)
def test_any_change_of_title_status_or_severity_is_an_update(change: dict) -> None:
    first = incident(impact=Impact.MINOR, components=UNLINKED)
    events = run_polls(
        snap(1, comps(chat=OK), (first,)),
        snap(2, comps(chat=OK), (dataclasses.replace(first, **change),)),
        snap(3, comps(chat=OK), (dataclasses.replace(first, **change),)),
    )
    assert len(events) == 2
    assert events[1].kind in (EventKind.UPDATE, EventKind.OUTAGE)


def test_a_card_settling_inside_the_flap_window_joins_the_incident_posted_just_after() -> None:
    events = run_polls(
        snap(0, comps(chat=DEG)),
        snap(1, comps(chat=OK)),
        snap(2, comps(chat=OK), (incident(components=UNLINKED, start=2),)),
        snap(3, comps(chat=OK)),
    )
    assert [(e.kind, e.incident_key) for e in events] == [
        (EventKind.DEGRADED, chat_key(0)),
        (EventKind.DEGRADED, chat_key(0)),
        (EventKind.RESTORED, chat_key(0)),
    ]
    assert events[1].components == ("Chat",)


def test_two_incidents_naming_no_components_do_not_share_the_same_trouble() -> None:
    events = run_polls(
        snap(
            1,
            comps(chat=DEG, api=OK),
            (
                incident("a", components=UNLINKED),
                incident("b", components=UNLINKED, title="Support chat down"),
            ),
        )
    )
    assert [(e.incident_key, e.components) for e in events] == [("a", ("Chat",)), ("b", ())]


def test_trouble_that_began_exactly_one_window_before_is_tied() -> None:
    window = MachineSettings(provider="openai", source_id="openai", tie_window_s=600)
    events = run_polls(
        snap(0, comps(chat=DEG)),
        snap(10, comps(chat=DEG), (incident(components=UNLINKED, start=10),)),
        snap(11, comps(chat=DEG), (incident(components=UNLINKED, start=10, updates=2),)),
        settings=window,
    )
    assert {e.incident_key for e in events} == {chat_key(0)}


@pytest.mark.parametrize(
    ("impact", "component", "kind"),
    [
        (Impact.NONE, DEG, EventKind.UPDATE),
        (Impact.NONE, PART, EventKind.OUTAGE),
        (Impact.MAJOR, MAJOR, EventKind.UPDATE),
    ],
)
def test_trouble_joining_an_open_incident_raises_its_card_once(
    impact: Impact, component: ComponentStatus, kind: EventKind
) -> None:
    open_incident = (incident(components=UNLINKED, impact=impact),)
    events = run_polls(
        snap(1, comps(chat=OK), open_incident),
        snap(2, comps(chat=component), open_incident),
    )
    joined = events[-1]
    assert (joined.kind, joined.incident_key, joined.components) == (kind, "inc1", ("Chat",))
    assert joined.severity == max(IMPACT_SEVERITY[impact], COMPONENT_SEVERITY[component])


@pytest.mark.parametrize(
    ("before", "after", "kind"),
    [
        (DEG, PART, EventKind.OUTAGE),
        (PART, MAJOR, EventKind.UPDATE),
        (MAJOR, DEG, EventKind.UPDATE),
    ],
)
def test_a_component_card_that_gets_worse_is_an_outage_once(
    before: ComponentStatus, after: ComponentStatus, kind: EventKind
) -> None:
    events = run_polls(snap(0, comps(chat=before)), snap(1, comps(chat=after)))
    assert [e.kind for e in events[1:]] == [kind]
    assert events[-1].severity == COMPONENT_SEVERITY[after]


def test_a_relapse_restarts_the_flap_window_and_a_rename_follows_the_card() -> None:
    events = run_polls(
        snap(0, comps(chat=DEG)),
        snap(1, comps(chat=OK)),
        snap(2, (Component("chat", "ChatGPT", MAJOR),)),
        snap(3, (Component("chat", "ChatGPT", OK),)),
        snap(4.5, (Component("chat", "ChatGPT", OK),)),  # 1.5 min since the relapse ended
        snap(5, (Component("chat", "ChatGPT", OK),)),
    )
    assert [(e.kind, e.title) for e in events] == [
        (EventKind.DEGRADED, "Chat: degraded"),
        (EventKind.OUTAGE, "ChatGPT: major outage"),
        (EventKind.RESTORED, "ChatGPT: restored"),
    ]
    assert events[-1].severity is Severity.OPERATIONAL
    assert events[-1].duration_s == 3 * 60


def test_a_resolution_keeps_the_official_closing_status() -> None:
    closed = incident(status=IncidentStatus.POSTMORTEM, components=UNLINKED, updates=2)
    events = run_polls(
        snap(1, incidents=(incident(components=UNLINKED),)),
        snap(2, incidents=(closed,)),
        snap(3),
    )
    assert [(e.kind, e.status) for e in events] == [
        (EventKind.DEGRADED, IncidentStatus.INVESTIGATING),
        (EventKind.RESTORED, IncidentStatus.POSTMORTEM),
    ]
    vanished = run_polls(snap(1, incidents=(incident(components=UNLINKED),)), snap(2))
    assert vanished[-1].status is IncidentStatus.RESOLVED


def test_maintenance_events_carry_the_official_record() -> None:
    linked = dataclasses.replace(
        maintenance(IncidentStatus.IN_PROGRESS, WORKING), url="https://stspg.io/m1"
    )
    bare = Incident(
        id="m2", title="Quiet work", status=IncidentStatus.IN_PROGRESS, impact=Impact.MAINTENANCE
    )
    events = run_polls(snap(1, maintenances=(linked, bare)), snap(2))
    started, quiet, ended, quiet_ended = events
    assert (started.incident_id, started.title, started.status) == (
        "m1",
        "Database upgrade",
        IncidentStatus.IN_PROGRESS,
    )
    assert (started.url, started.duration_s, started.severity) == (
        "https://stspg.io/m1",
        None,
        Severity.MAINTENANCE,
    )
    assert (quiet.url, quiet.text, quiet.components) == ("https://status.openai.com", None, ())
    assert ended.url == "https://stspg.io/m1"
    assert quiet_ended.url == "https://status.openai.com"


def test_open_cards_name_their_source_and_link() -> None:
    linked = dataclasses.replace(
        incident(impact=Impact.MAJOR, components=UNLINKED), url="https://stspg.io/x"
    )
    window = (maintenance(IncidentStatus.IN_PROGRESS, WORKING),)
    state = ALL_OPERATIONAL
    for poll in (
        snap(
            1,
            comps(chat=OK, api=DEG),
            (linked, incident("b", components=("chat",))),
            maintenances=window,
        ),
    ):
        state, _ = transition(state, poll, SETTINGS)
    cards = {c.incident_key: c for c in open_cards(state, SETTINGS)}
    assert {(c.provider, c.source_id) for c in cards.values()} == {("openai", "openai")}
    assert cards["inc1"].url == "https://stspg.io/x"
    assert cards["inc1"].kind is EventKind.OUTAGE  # a partial outage opens as an outage
    assert cards["b"].url == "https://status.openai.com"
    assert cards["maintenance:m1"].url == "https://status.openai.com"
