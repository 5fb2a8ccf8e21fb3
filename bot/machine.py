"""The pure state machine: `transition(state, observation, settings) -> (state, events)`.

No I/O and no clock reads: time arrives with the observation. The rules a channel relies on:

- a copy of the page older than the newest already seen (CDN caches) is ignored, and events
  are never dated before one already sent, so no duration is negative;
- flapping is absorbed by a window: a component back to operational is restored only after it
  stayed so for `flap_window_s`; a relapse inside the window continues the same card;
- an incident that names no components is tied to component trouble that began close to it
  (within `tie_window_s` before it, or while it is open), never to older trouble;
- one story, one card: an incident that covers open component cards continues the oldest and
  closes the others with a `merged` event pointing to it;
- a component missing from a snapshot is unknown: neither recovered nor new when it returns;
- a maintenance lasts from when the work began (not when it was announced) to its end.
"""

from __future__ import annotations

import dataclasses
from collections import Counter
from datetime import datetime, timedelta
from typing import Any

from bot.events import Event, EventKind
from bot.models import (
    COMPONENT_SEVERITY,
    IMPACT_SEVERITY,
    Component,
    ComponentStatus,
    FetchFailure,
    Incident,
    IncidentStatus,
    Observation,
    Severity,
    Snapshot,
)
from bot.state import (
    ALL_OPERATIONAL,
    ComponentState,
    EpisodeState,
    IncidentState,
    MachineSettings,
    MaintenanceState,
    SourceState,
)

__all__ = [
    "ALL_OPERATIONAL",
    "MachineSettings",
    "SourceState",
    "is_stale",
    "open_cards",
    "transition",
]

TOMBSTONE_TTL = timedelta(days=7)
# A page that serves only older copies for this long really went back: believe it.
STALE_BELIEVED_AFTER = timedelta(hours=1)
# A component absent from every snapshot for this long is gone from the page.
MISSING_FORGOTTEN_AFTER = timedelta(days=1)
WORK_STARTED = (IncidentStatus.IN_PROGRESS, IncidentStatus.VERIFYING)


def transition(
    state: SourceState, observation: Observation, settings: MachineSettings
) -> tuple[SourceState, list[Event]]:
    """Advance one source by one observation."""
    if isinstance(observation, FetchFailure):
        return _on_failure(state, observation, settings)
    return _on_snapshot(state, observation, settings)


def is_stale(state: SourceState, snap: Snapshot) -> bool:
    """Whether `snap` is an older copy than one already seen, to be ignored."""
    if snap.page_updated_at is None or state.page_updated_at is None:
        return False
    if snap.page_updated_at >= state.page_updated_at:
        return False
    if state.stale_since is None:
        return True
    return _moment(state, snap.observed_at) - state.stale_since < STALE_BELIEVED_AFTER


def _moment(state: SourceState, observed_at: datetime) -> datetime:
    """The time to date events by: never before an event already sent."""
    if state.last_at is not None and observed_at < state.last_at:
        return state.last_at
    return observed_at


def _seconds(end: datetime, start: datetime) -> float:
    return max(0.0, (end - start).total_seconds())


def _dated(state: SourceState, events: list[Event]) -> SourceState:
    if not events:
        return state
    return dataclasses.replace(state, last_at=max(e.at for e in events))


def _on_failure(
    state: SourceState, failure: FetchFailure, settings: MachineSettings
) -> tuple[SourceState, list[Event]]:
    failures = state.failures + 1
    failing_since = state.failing_since or failure.observed_at
    new = dataclasses.replace(
        state, failures=failures, failing_since=failing_since, last_error=failure.reason
    )
    if failures < settings.failure_threshold or state.unreachable_since is not None:
        return new, []
    new = dataclasses.replace(new, unreachable_since=failing_since)
    at = _moment(state, failure.observed_at)
    event = _source_event(new, EventKind.SOURCE_UNREACHABLE, at, settings)
    events = [event.replace(text=f"Cannot reach the official status page: {failure.reason}")]
    return _dated(new, events), events


def _source_event(
    state: SourceState, kind: EventKind, at: datetime, settings: MachineSettings
) -> Event:
    since = state.unreachable_since or at
    name = settings.display_name or state.page_name or settings.provider
    return Event(
        kind=kind,
        provider=settings.provider,
        source_id=settings.source_id,
        page_name=name,
        incident_key=f"source:{settings.source_id}:{int(since.timestamp())}",
        title=f"{name} status page unreachable",
        severity=Severity.OPERATIONAL,
        at=at,
        started_at=min(since, at),
        url=state.page_url,
    )


def _on_snapshot(
    state: SourceState, snap: Snapshot, settings: MachineSettings
) -> tuple[SourceState, list[Event]]:
    if is_stale(state, snap):
        if state.stale_since is None:
            return dataclasses.replace(state, stale_since=_moment(state, snap.observed_at)), []
        return state, []
    at = _moment(state, snap.observed_at)
    events: list[Event] = []
    if state.unreachable_since is not None:
        recovered = _source_event(state, EventKind.SOURCE_RECOVERED, at, settings)
        events.append(recovered.replace(duration_s=_seconds(at, state.unreachable_since)))
    state = dataclasses.replace(
        state,
        page_name=snap.page_name,
        page_url=snap.page_url,
        failures=0,
        failing_since=None,
        unreachable_since=None,
        last_error=None,
        last_ok_at=snap.observed_at,
        page_updated_at=snap.page_updated_at or state.page_updated_at,
        stale_since=None,
    )
    step = _Step(state, snap, settings, at)
    step.run()
    if not state.baseline_done:
        # First poll ever: remember what is, announce nothing.
        return step.result(), events
    events += step.events
    return _dated(step.result(), events), events


class _Step:
    """One snapshot applied to one state; collects events in a deterministic order."""

    def __init__(
        self, state: SourceState, snap: Snapshot, settings: MachineSettings, at: datetime
    ) -> None:
        self.old = state
        self.snap = snap
        self.settings = settings
        self.at = at
        self.events: list[Event] = []
        self.components = _component_states(state.components, snap.components, at)
        self.incidents = dict(state.incidents)
        self.episodes = dict(state.episodes)
        self.maintenances = dict(state.maintenances)

    def result(self) -> SourceState:
        return dataclasses.replace(
            self.old,
            baseline_done=True,
            components=self.components,
            incidents=self.incidents,
            episodes=self.episodes,
            maintenances=self.maintenances,
        )

    def run(self) -> None:
        self._apply_incidents()
        self._apply_episodes()
        self._forget_missing()
        self._apply_maintenances()
        self._prune_tombstones()

    def _emit(self, kind: EventKind, **card: Any) -> None:
        """Append an event; `card` holds what differs between incidents, episodes, maintenances."""
        card.setdefault("url", self.snap.page_url)
        self.events.append(
            Event(
                kind=kind,
                provider=self.settings.provider,
                source_id=self.settings.source_id,
                page_name=self.settings.display_name or self.snap.page_name,
                at=self.at,
                **card,
            )
        )

    # --- official incidents -------------------------------------------------

    def _apply_incidents(self) -> None:
        listed: set[str] = set()
        for inc in self.snap.incidents:
            listed.add(inc.id)
            prev = self.incidents.get(inc.id)
            if inc.status.is_closed:
                self._close(inc.id, inc)
            elif prev is None or prev.restored_at is not None:
                self._open(inc, reopened=prev)
            else:
                self._progress(prev, inc)
        for inc_id in list(self.incidents):
            if inc_id not in listed:
                # summary.json drops resolved incidents: disappearance means resolution.
                self._close(inc_id, None)
        for prev in list(self.incidents.values()):
            if prev.resolved_at is not None and prev.restored_at is None:
                self._maybe_restore(prev)

    def _open(self, inc: Incident, reopened: IncidentState | None) -> None:
        start = _official_start(inc, self.at)
        if _names_components(inc):
            covers = tuple(c for c in inc.component_ids if c in self.components)
            tied: tuple[str, ...] = ()
        else:
            covers = tied = self._tie_candidates(start)
        absorbed = sorted(
            (e for e in self.episodes.values() if e.component_id in covers),
            key=lambda e: (e.started_at, e.key),
        )
        key = inc.id
        if reopened is not None:
            key = reopened.key
        elif absorbed:
            key = absorbed[0].key
        started = min([start, *self._bad_since(covers), *(e.started_at for e in absorbed)])
        if reopened is not None:
            started = reopened.started_at
        new = self._incident_state(inc, key, covers, started, tied)
        self.incidents[inc.id] = new
        kind = EventKind.OUTAGE if new.severity >= Severity.PARTIAL_OUTAGE else EventKind.DEGRADED
        self._emit_incident(kind, new)
        self._absorb(absorbed, new)

    def _progress(self, prev: IncidentState, inc: Incident) -> None:
        covers = prev.tied
        if _names_components(inc):
            covers = tuple(c for c in inc.component_ids if c in self.components)
        start = min([_official_start(inc, self.at), *self._bad_since(covers)])
        new = self._incident_state(inc, prev.key, covers, min(prev.started_at, start), prev.tied)
        self.incidents[inc.id] = new
        escalated = prev.severity < Severity.PARTIAL_OUTAGE <= new.severity
        changed = (
            new.last_update_id != prev.last_update_id
            or new.status != prev.status
            or new.severity != prev.severity
            or new.title != prev.title
        )
        if escalated:
            self._emit_incident(EventKind.OUTAGE, new)
        elif changed:
            self._emit_incident(EventKind.UPDATE, new)
        absorbed = [e for e in self.episodes.values() if e.component_id in new.covers]
        self._absorb(sorted(absorbed, key=lambda e: (e.started_at, e.key)), new)

    def _absorb(self, episodes: list[EpisodeState], into: IncidentState) -> None:
        """Component cards now told on `into`'s card: each other card gets one closing line."""
        for episode in episodes:
            del self.episodes[episode.component_id]
            if episode.key == into.key:
                continue
            self._emit(
                EventKind.MERGED,
                incident_key=episode.key,
                title=_episode_title(episode, episode.severity.label.replace("_", " ")),
                severity=episode.severity,
                components=(episode.name,),
                component=episode.name,
                started_at=episode.started_at,
                merged_into=into.key,
                merged_into_title=into.title,
            )

    def _tie_candidates(self, start: datetime) -> tuple[str, ...]:
        """Components whose trouble began close to an incident that names none."""
        earliest = start - timedelta(seconds=self.settings.tie_window_s)
        tied = []
        for cid, comp in self.components.items():
            episode = self.episodes.get(cid)
            if episode is not None:
                since: datetime | None = episode.started_at
            elif comp.missing_since is None and not self._covered(cid):
                since = comp.bad_since
            else:
                since = None
            if since is not None and since >= earliest:
                tied.append(cid)
        return tuple(tied)

    def _bad_since(self, covers: tuple[str, ...]) -> list[datetime]:
        found = [self.components[c].bad_since for c in covers if c in self.components]
        return [since for since in found if since is not None]

    def _close(self, inc_id: str, inc: Incident | None) -> None:
        prev = self.incidents.get(inc_id)
        if prev is None:
            # A closed incident never seen open (history, a first poll) is not news.
            if inc is not None:
                self.incidents[inc_id] = self._tombstone(inc)
            return
        if prev.resolved_at is not None:
            return
        latest = inc.latest_update if inc else None
        self.incidents[inc_id] = dataclasses.replace(
            prev,
            status=inc.status if inc else IncidentStatus.RESOLVED,
            resolved_at=self.at,
            last_update_id=latest.id if latest else prev.last_update_id,
            text=latest.body if latest else prev.text,
        )

    def _maybe_restore(self, prev: IncidentState) -> None:
        if any(self._still_bad(c) for c in prev.covers):
            return  # resolved on paper, but its components are not back yet
        restored = dataclasses.replace(prev, restored_at=self.at, severity=Severity.OPERATIONAL)
        self.incidents[prev.id] = restored
        duration = _seconds(self.at, prev.started_at)
        self._emit_incident(EventKind.RESTORED, restored, duration_s=duration)

    def _still_bad(self, cid: str) -> bool:
        """Known to be unhealthy now; a component missing from the page is not evidence."""
        comp = self.components.get(cid)
        return comp is not None and comp.missing_since is None and _is_bad(comp.status)

    def _emit_incident(
        self, kind: EventKind, inc: IncidentState, duration_s: float | None = None
    ) -> None:
        self._emit(
            kind,
            incident_key=inc.key,
            incident_id=inc.id,
            title=inc.title,
            severity=inc.severity,
            status=inc.status,
            components=tuple(self.components[c].name for c in inc.covers if c in self.components),
            text=inc.text,
            url=inc.url or self.snap.page_url,
            started_at=inc.started_at,
            duration_s=duration_s,
        )

    def _incident_state(
        self,
        inc: Incident,
        key: str,
        covers: tuple[str, ...],
        started_at: datetime,
        tied: tuple[str, ...],
    ) -> IncidentState:
        latest = inc.latest_update
        severity = IMPACT_SEVERITY[inc.impact]
        for cid in covers:
            if cid in self.components:
                severity = max(severity, COMPONENT_SEVERITY[self.components[cid].status])
        return IncidentState(
            key=key,
            id=inc.id,
            title=inc.title,
            status=inc.status,
            severity=severity,
            started_at=started_at,
            url=inc.url,
            component_ids=inc.component_ids,
            components_known=inc.components_known,
            last_update_id=latest.id if latest else None,
            text=latest.body if latest else None,
            tied=tied,
        )

    def _tombstone(self, inc: Incident) -> IncidentState:
        state = self._incident_state(inc, inc.id, (), _official_start(inc, self.at), ())
        return dataclasses.replace(
            state, severity=Severity.OPERATIONAL, resolved_at=self.at, restored_at=self.at
        )

    def _covered(self, cid: str) -> bool:
        return any(cid in i.covers for i in self.incidents.values() if i.restored_at is None)

    def _tie_host(self) -> IncidentState | None:
        """The open incident naming no components that new trouble is taken to belong to."""
        hosts = [
            i for i in self.incidents.values() if i.resolved_at is None and not i.names_components
        ]
        return max(hosts, key=lambda i: (i.started_at, i.id), default=None)

    def _tie(self, host: IncidentState, cid: str, comp: ComponentState) -> None:
        severity = max(host.severity, COMPONENT_SEVERITY[comp.status])
        new = dataclasses.replace(host, tied=(*host.tied, cid), severity=severity)
        self.incidents[host.id] = new
        escalated = host.severity < Severity.PARTIAL_OUTAGE <= severity
        self._emit_incident(EventKind.OUTAGE if escalated else EventKind.UPDATE, new)

    # --- component episodes (no incident) -----------------------------------

    def _apply_episodes(self) -> None:
        for cid, comp in self.components.items():
            if comp.missing_since is not None:
                continue  # unknown: no news either way
            episode = self.episodes.get(cid)
            if _is_bad(comp.status):
                if episode is not None:
                    self._continue_episode(episode, comp)
                elif not self._covered(cid):
                    host = self._tie_host()
                    if host is not None:
                        self._tie(host, cid, comp)
                    else:
                        self._open_episode(cid, comp)
            elif episode is not None:
                self._settle_episode(episode)

    def _forget_missing(self) -> None:
        for cid, comp in list(self.components.items()):
            since = comp.missing_since
            if since is None or self.at - since < MISSING_FORGOTTEN_AFTER:
                continue
            del self.components[cid]
            episode = self.episodes.get(cid)
            if episode is not None:
                self._restore_episode(episode, since)

    def _open_episode(self, cid: str, comp: ComponentState) -> None:
        since = comp.bad_since or self.at
        key = _fresh_key(f"component:{cid}:{int(since.timestamp())}", comp.last_card)
        self.components[cid] = dataclasses.replace(comp, last_card=key)
        episode = EpisodeState(
            key=key,
            component_id=cid,
            name=comp.name,
            severity=COMPONENT_SEVERITY[comp.status],
            started_at=since,
        )
        self.episodes[cid] = episode
        kind = (
            EventKind.OUTAGE if episode.severity >= Severity.PARTIAL_OUTAGE else EventKind.DEGRADED
        )
        self._emit_episode(kind, episode)

    def _continue_episode(self, episode: EpisodeState, comp: ComponentState) -> None:
        severity = COMPONENT_SEVERITY[comp.status]
        new = dataclasses.replace(episode, severity=severity, ok_since=None, name=comp.name)
        self.episodes[episode.component_id] = new
        if episode.severity < Severity.PARTIAL_OUTAGE <= severity:
            self._emit_episode(EventKind.OUTAGE, new)
        elif severity != episode.severity:
            self._emit_episode(EventKind.UPDATE, new)

    def _settle_episode(self, episode: EpisodeState) -> None:
        ok_since = episode.ok_since or self.at
        if _seconds(self.at, ok_since) >= self.settings.flap_window_s:
            self._restore_episode(episode, ok_since)
        else:
            self.episodes[episode.component_id] = dataclasses.replace(episode, ok_since=ok_since)

    def _restore_episode(self, episode: EpisodeState, ok_since: datetime) -> None:
        del self.episodes[episode.component_id]
        restored = dataclasses.replace(episode, severity=Severity.OPERATIONAL)
        duration = _seconds(ok_since, episode.started_at)
        self._emit_episode(EventKind.RESTORED, restored, duration_s=duration)

    def _emit_episode(
        self, kind: EventKind, episode: EpisodeState, duration_s: float | None = None
    ) -> None:
        label = (
            "restored" if kind is EventKind.RESTORED else episode.severity.label.replace("_", " ")
        )
        self._emit(
            kind,
            incident_key=episode.key,
            title=_episode_title(episode, label),
            severity=episode.severity,
            components=(episode.name,),
            component=episode.name,
            started_at=episode.started_at,
            duration_s=duration_s,
        )

    # --- maintenance --------------------------------------------------------

    def _apply_maintenances(self) -> None:
        listed = {m.id: m for m in self.snap.maintenances}
        active = {mid: m for mid, m in listed.items() if m.status in WORK_STARTED}
        for mid, mnt in active.items():
            prev = self.maintenances.get(mid)
            new = self._maintenance_state(mnt, prev)
            self.maintenances[mid] = new
            if prev is None:
                self._emit_maintenance(EventKind.MAINTENANCE_STARTED, new)
        for mid, prev in list(self.maintenances.items()):
            if mid in active:
                continue
            del self.maintenances[mid]
            official = listed.get(mid)
            latest = official.latest_update if official else None
            ended = prev if latest is None else dataclasses.replace(prev, text=latest.body)
            self._emit_maintenance(EventKind.MAINTENANCE_ENDED, ended)

    def _maintenance_state(self, mnt: Incident, prev: MaintenanceState | None) -> MaintenanceState:
        """Its work began at the first in-progress update, else when first seen in progress.

        Statuspage's `started_at` is when the maintenance was announced, often days before.
        """
        began = [u.at for u in mnt.updates if u.status in WORK_STARTED]
        started = min([*began, self.at])
        if prev is not None:
            started = min(prev.started_at, started)
        latest = mnt.latest_update
        return MaintenanceState(
            key=f"maintenance:{mnt.id}",
            id=mnt.id,
            title=mnt.title,
            status=mnt.status,
            started_at=started,
            url=mnt.url,
            component_ids=tuple(c for c in mnt.component_ids if c in self.components),
            text=latest.body if latest else None,
        )

    def _emit_maintenance(self, kind: EventKind, mnt: MaintenanceState) -> None:
        ended = kind is EventKind.MAINTENANCE_ENDED
        self._emit(
            kind,
            incident_key=mnt.key,
            incident_id=mnt.id,
            title=mnt.title,
            severity=Severity.OPERATIONAL if ended else Severity.MAINTENANCE,
            status=IncidentStatus.COMPLETED if ended else mnt.status,
            components=tuple(
                self.components[c].name for c in mnt.component_ids if c in self.components
            ),
            text=mnt.text,
            url=mnt.url or self.snap.page_url,
            started_at=mnt.started_at,
            duration_s=_seconds(self.at, mnt.started_at) if ended else None,
        )

    def _prune_tombstones(self) -> None:
        listed = {i.id for i in self.snap.incidents}
        for inc_id, inc in list(self.incidents.items()):
            stale = inc.restored_at is not None and self.at - inc.restored_at > TOMBSTONE_TTL
            if stale and inc_id not in listed:
                del self.incidents[inc_id]


def _is_bad(status: ComponentStatus) -> bool:
    return status not in (ComponentStatus.OPERATIONAL, ComponentStatus.MAINTENANCE)


def _names_components(inc: Incident) -> bool:
    return inc.components_known and bool(inc.component_ids)


def _official_start(inc: Incident, at: datetime) -> datetime:
    """The earliest moment the official record gives, never later than now."""
    return min([at, *([inc.started_at] if inc.started_at else []), *(u.at for u in inc.updates)])


def _fresh_key(key: str, last: str | None) -> str:
    """`key`, or `key#n` when the previous card of the same component began in the same second."""
    if last is None or last.split("#")[0] != key:
        return key
    number = int(last.split("#")[1]) if "#" in last else 1
    return f"{key}#{number + 1}"


def _episode_title(episode: EpisodeState, label: str) -> str:
    return f"{episode.name}: {label}"


def _component_states(
    old: dict[str, ComponentState], components: tuple[Component, ...], at: datetime
) -> dict[str, ComponentState]:
    """Key on id (names repeat and positions shuffle); remember when trouble began.

    A status word the parser did not know keeps the last known status (degraded if none);
    a component the snapshot leaves out keeps its state, marked missing.
    """
    names = Counter(c.name.casefold() for c in components)
    states: dict[str, ComponentState] = {}
    for comp in components:
        prev = old.get(comp.id)
        status = comp.status
        if status is ComponentStatus.UNKNOWN:
            status = prev.status if prev is not None else ComponentStatus.DEGRADED
        bad_since = None
        if _is_bad(status):
            bad_since = prev.bad_since if prev is not None and prev.bad_since else at
        name = comp.name
        if comp.group and names[comp.name.casefold()] > 1:
            name = f"{comp.name} ({comp.group})"  # "Messages (EU)" beside "Messages (US)"
        last_card = prev.last_card if prev is not None else None
        states[comp.id] = ComponentState(name, status, bad_since, last_card=last_card)
    for cid, prev in old.items():
        if cid not in states:
            states[cid] = dataclasses.replace(prev, missing_since=prev.missing_since or at)
    return states


def open_cards(state: SourceState, settings: MachineSettings) -> list[Event]:
    """The living card of everything open now, as a channel that subscribes late should see it.

    Incidents (resolved ones still waiting for their components too), component episodes and
    maintenances in progress, oldest first; each keyed like the events that will follow it.
    """
    at = state.last_ok_at or state.last_at
    if at is None:
        return []
    page_name = settings.display_name or state.page_name or settings.provider

    def card(**fields: Any) -> Event:
        return Event(
            provider=settings.provider,
            source_id=settings.source_id,
            page_name=page_name,
            at=at,
            **fields,
        )

    def names(ids: tuple[str, ...]) -> tuple[str, ...]:
        return tuple(state.components[c].name for c in ids if c in state.components)

    cards = [
        card(
            kind=_opening_kind(inc.severity),
            incident_key=inc.key,
            incident_id=inc.id,
            title=inc.title,
            severity=inc.severity,
            status=inc.status,
            components=names(inc.covers),
            text=inc.text,
            url=inc.url or state.page_url,
            started_at=inc.started_at,
        )
        for inc in state.incidents.values()
        if inc.restored_at is None
    ]
    cards += [
        card(
            kind=_opening_kind(episode.severity),
            incident_key=episode.key,
            title=_episode_title(episode, episode.severity.label.replace("_", " ")),
            severity=episode.severity,
            components=(episode.name,),
            component=episode.name,
            url=state.page_url,
            started_at=episode.started_at,
        )
        for episode in state.episodes.values()
    ]
    cards += [
        card(
            kind=EventKind.MAINTENANCE_STARTED,
            incident_key=mnt.key,
            incident_id=mnt.id,
            title=mnt.title,
            severity=Severity.MAINTENANCE,
            status=mnt.status,
            components=names(mnt.component_ids),
            text=mnt.text,
            url=mnt.url or state.page_url,
            started_at=mnt.started_at,
        )
        for mnt in state.maintenances.values()
    ]
    return sorted(cards, key=lambda e: (e.started_at, e.incident_key))


def _opening_kind(severity: Severity) -> EventKind:
    return EventKind.OUTAGE if severity >= Severity.PARTIAL_OUTAGE else EventKind.DEGRADED
