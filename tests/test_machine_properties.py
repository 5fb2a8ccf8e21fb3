"""Properties of the state machine over random page histories with stale copies interleaved.

Whatever a page does (components flapping, disappearing, saying words nobody knows,
incidents with or without components opening, resolving and reopening) and however a CDN
serves older copies in between, a channel never sees time run backwards, a negative
duration, a restoration before the incident is resolved, or a card taken over by another story.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.events import Event, EventKind
from bot.machine import ALL_OPERATIONAL, MachineSettings, transition
from bot.models import (
    Component,
    ComponentStatus,
    FetchFailure,
    Impact,
    Incident,
    IncidentStatus,
    IncidentUpdate,
    Snapshot,
)

T0 = datetime(2026, 9, 29, 17, 0, tzinfo=UTC)
COMPONENTS = ("chat", "api", "login")
INCIDENTS = ("a", "b", "c")
SETTINGS = MachineSettings(provider="openai", source_id="openai", flap_window_s=120)
STATUSES = [*ComponentStatus, None]  # None: left out of this snapshot
OPEN = [IncidentStatus.INVESTIGATING, IncidentStatus.IDENTIFIED, IncidentStatus.MONITORING]


@dataclass(frozen=True)
class IncidentPlan:
    id: str
    status: IncidentStatus | None  # None: not listed
    linked: tuple[str, ...] | None  # None: names no components (incident.io)
    impact: Impact
    updates: int


@dataclass(frozen=True)
class Poll:
    gap_minutes: int
    components: tuple[ComponentStatus | None, ...]
    incidents: tuple[IncidentPlan, ...]
    kind: str  # "fresh", "stale" (an older copy again), "failure", "no_clock"
    stale_pick: int


incident_plans = st.builds(
    IncidentPlan,
    id=st.sampled_from(INCIDENTS),
    status=st.sampled_from([*OPEN, IncidentStatus.RESOLVED, None]),
    linked=st.one_of(st.none(), st.lists(st.sampled_from(COMPONENTS), max_size=2).map(tuple)),
    impact=st.sampled_from([Impact.NONE, Impact.MINOR, Impact.MAJOR, Impact.CRITICAL]),
    updates=st.integers(1, 3),
)
polls = st.builds(
    Poll,
    gap_minutes=st.integers(0, 90),
    components=st.tuples(*[st.sampled_from(STATUSES) for _ in COMPONENTS]),
    incidents=st.lists(incident_plans, max_size=3, unique_by=lambda p: p.id).map(tuple),
    kind=st.sampled_from(["fresh", "fresh", "fresh", "stale", "failure", "no_clock"]),
    stale_pick=st.integers(0, 1000),
)


def incident(plan: IncidentPlan, status: IncidentStatus, now: datetime) -> Incident:
    updates = tuple(
        IncidentUpdate(id=f"{plan.id}-{n}", status=status, body=f"{plan.id} {n}", at=now)
        for n in range(plan.updates, 0, -1)
    )
    return Incident(
        id=plan.id,
        title=f"Incident {plan.id}",
        status=status,
        impact=plan.impact,
        started_at=now - timedelta(minutes=5),
        component_ids=plan.linked or (),
        components_known=plan.linked is not None,
        updates=updates,
    )


def snapshot(poll: Poll, now: datetime, clock: datetime | None) -> Snapshot:
    components = tuple(
        Component(id=cid, name=cid.title(), status=status)
        for cid, status in zip(COMPONENTS, poll.components, strict=True)
        if status is not None
    )
    incidents = tuple(
        incident(plan, plan.status, now) for plan in poll.incidents if plan.status is not None
    )
    return Snapshot(
        page_name="OpenAI",
        page_url=None,
        observed_at=now,
        page_updated_at=clock,
        components=components,
        incidents=incidents,
    )


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(polls, min_size=1, max_size=25))
def test_random_histories_keep_the_promises_a_channel_relies_on(history: list[Poll]) -> None:
    state = ALL_OPERATIONAL
    now = T0
    served: list[Snapshot] = []
    events: list[Event] = []
    open_now: set[str] = set()  # incidents open on the newest copy the machine accepted
    page = PageClock()
    for poll in history:
        now += timedelta(minutes=poll.gap_minutes)
        if poll.kind == "failure":
            state, new = transition(state, FetchFailure(now, "HTTP 503"), SETTINGS)
        elif poll.kind == "stale" and served:
            older = served[poll.stale_pick % len(served)]
            copy = Snapshot(**{**_fields(older), "observed_at": now})
            state, new = transition(state, copy, SETTINGS)
            if page.ignores(copy, now):
                assert new == [], "a stale copy was announced"
            else:
                open_now = _open_ids(copy)
        else:
            clock = None if poll.kind == "no_clock" else now
            snap = snapshot(poll, now, clock)
            if clock is not None:
                served.append(snap)
            state, new = transition(state, snap, SETTINGS)
            assert not page.ignores(snap, now)
            open_now = _open_ids(snap)
        for event in new:
            if event.kind is EventKind.RESTORED and event.incident_id is not None:
                assert event.incident_id not in open_now, "restored while still open"
        events.extend(new)
        state = type(state).from_json(state.to_json())  # what a restart reads back

    ats = [e.at for e in events]
    assert ats == sorted(ats), "an event went back in time"
    assert all(e.duration_s is None or e.duration_s >= 0 for e in events)
    assert all(e.started_at <= e.at for e in events)
    _assert_one_story_per_card(events)


class PageClock:
    """The rule, stated apart from the machine: a copy older than the newest accepted one is
    ignored, unless only older copies have been served for an hour (the page went back)."""

    def __init__(self) -> None:
        self.newest: datetime | None = None
        self.stale_since: datetime | None = None

    def ignores(self, snap: Snapshot, now: datetime) -> bool:
        clock = snap.page_updated_at
        older = clock is not None and self.newest is not None and clock < self.newest
        if older and (self.stale_since is None or now - self.stale_since < timedelta(hours=1)):
            self.stale_since = self.stale_since or now
            return True
        self.newest = clock or self.newest
        self.stale_since = None
        return False


def _assert_one_story_per_card(events: list[Event]) -> None:
    story: dict[str, str] = {}
    closed: dict[str, Event] = {}
    for event in events:
        key = event.incident_key
        if event.incident_id is not None and event.kind is not EventKind.MERGED:
            assert story.setdefault(key, event.incident_id) == event.incident_id, (
                f"card {key} re-used by another story"
            )
        ended = closed.get(key)
        if ended is not None:
            assert ended.kind is not EventKind.MERGED, f"merged card {key} spoke again"
            assert ended.incident_id is not None, f"closed card {key} re-opened"
            assert ended.incident_id == event.incident_id, f"{key} re-opened by another story"
            del closed[key]
        if event.kind in (EventKind.RESTORED, EventKind.MERGED):
            closed[key] = event


def _open_ids(snap: Snapshot) -> set[str]:
    return {i.id for i in snap.incidents if not i.status.is_closed}


def _fields(s: Snapshot) -> dict[str, object]:
    return {name: getattr(s, name) for name in s.__slots__}
