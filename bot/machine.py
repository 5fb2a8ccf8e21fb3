"""The pure state machine: `transition(state, observation, settings) -> (state, events)`.

No I/O and no clock reads: time arrives with the observation. Flapping is absorbed by a
window: a component that returns to operational is only declared restored after it has
stayed operational for `flap_window_s`; a relapse inside the window continues the same
episode (same card) instead of opening a new one.
"""

from __future__ import annotations

import dataclasses
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

__all__ = ["ALL_OPERATIONAL", "MachineSettings", "SourceState", "transition"]

TOMBSTONE_TTL = timedelta(days=7)


def transition(
    state: SourceState, observation: Observation, settings: MachineSettings
) -> tuple[SourceState, list[Event]]:
    """Advance one source by one observation."""
    if isinstance(observation, FetchFailure):
        return _on_failure(state, observation, settings)
    return _on_snapshot(state, observation, settings)


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
    event = _source_event(new, EventKind.SOURCE_UNREACHABLE, failure.observed_at, settings)
    return new, [event.replace(text=f"Cannot reach the official status page: {failure.reason}")]


def _source_event(
    state: SourceState, kind: EventKind, at: datetime, settings: MachineSettings
) -> Event:
    since = state.unreachable_since or at
    return Event(
        kind=kind,
        provider=settings.provider,
        source_id=settings.source_id,
        page_name=state.page_name or settings.provider,
        incident_key=f"source:{settings.source_id}:{int(since.timestamp())}",
        title=f"{state.page_name or settings.provider} status page unreachable",
        severity=Severity.OPERATIONAL,
        at=at,
        started_at=since,
        url=state.page_url,
    )


def _on_snapshot(
    state: SourceState, snap: Snapshot, settings: MachineSettings
) -> tuple[SourceState, list[Event]]:
    events: list[Event] = []
    if state.unreachable_since is not None:
        recovered = _source_event(state, EventKind.SOURCE_RECOVERED, snap.observed_at, settings)
        duration = (snap.observed_at - state.unreachable_since).total_seconds()
        events.append(recovered.replace(duration_s=duration))
    state = dataclasses.replace(
        state,
        page_name=snap.page_name,
        page_url=snap.page_url,
        failures=0,
        failing_since=None,
        unreachable_since=None,
        last_error=None,
        last_ok_at=snap.observed_at,
    )
    step = _Step(state, snap, settings)
    if not state.baseline_done:
        return step.baseline(), events
    step.run()
    return step.result(), events + step.events


class _Step:
    """One snapshot applied to one state; collects events in a deterministic order."""

    def __init__(self, state: SourceState, snap: Snapshot, settings: MachineSettings) -> None:
        self.old = state
        self.snap = snap
        self.settings = settings
        self.at = snap.observed_at
        self.events: list[Event] = []
        self.components = _component_states(state.components, snap.components, self.at)
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

    def baseline(self) -> SourceState:
        """First poll ever: remember what is, announce nothing."""
        for inc in self.snap.incidents:
            if not inc.status.is_closed:
                self.incidents[inc.id] = self._incident_state(inc, inc.id, self._severity(inc))
            else:
                self.incidents[inc.id] = self._tombstone(inc)
        for mnt in self._active_maintenances():
            self.maintenances[mnt.id] = self._maintenance_state(mnt)
        for cid, comp in self.components.items():
            if _is_bad(comp.status) and not self._covered(cid):
                self.episodes[cid] = self._new_episode(cid, comp)
        return self.result()

    def _emit(self, kind: EventKind, **card: Any) -> None:
        """Append an event; `card` holds what differs between incidents, episodes, maintenances."""
        card.setdefault("url", self.snap.page_url)
        self.events.append(
            Event(
                kind=kind,
                provider=self.settings.provider,
                source_id=self.settings.source_id,
                page_name=self.snap.page_name,
                at=self.at,
                **card,
            )
        )

    def run(self) -> None:
        self._apply_incidents()
        self._apply_episodes()
        self._apply_maintenances()
        self._prune_tombstones()

    # --- official incidents -------------------------------------------------

    def _apply_incidents(self) -> None:
        seen: set[str] = set()
        for inc in self.snap.incidents:
            seen.add(inc.id)
            prev = self.incidents.get(inc.id)
            if inc.status.is_closed:
                self._close(inc.id, inc)
            elif prev is None or prev.restored_at is not None:
                self._open(inc, reopened=prev)
            else:
                self._progress(prev, inc)
        for inc_id, prev in list(self.incidents.items()):
            if inc_id in seen or prev.restored_at is not None:
                continue
            # summary.json drops resolved incidents: disappearance means resolution.
            self._close(inc_id, None)
        for prev in list(self.incidents.values()):
            if prev.resolved_at is not None and prev.restored_at is None:
                self._maybe_restore(prev)

    def _open(self, inc: Incident, reopened: IncidentState | None) -> None:
        key = reopened.key if reopened else self._adopt_episode_key(inc) or inc.id
        severity = self._severity(inc)
        new = self._incident_state(inc, key, severity)
        if reopened is not None:
            new = dataclasses.replace(new, started_at=reopened.started_at)
        self.incidents[inc.id] = new
        kind = EventKind.OUTAGE if severity >= Severity.PARTIAL_OUTAGE else EventKind.DEGRADED
        self._emit_incident(kind, new)

    def _progress(self, prev: IncidentState, inc: Incident) -> None:
        severity = self._severity(inc)
        new = self._incident_state(inc, prev.key, severity)
        new = dataclasses.replace(new, started_at=min(prev.started_at, new.started_at))
        self.incidents[inc.id] = new
        escalated = prev.severity < Severity.PARTIAL_OUTAGE <= severity
        changed = (
            new.last_update_id != prev.last_update_id
            or new.status != prev.status
            or severity != prev.severity
            or new.title != prev.title
        )
        if escalated:
            self._emit_incident(EventKind.OUTAGE, new)
        elif changed:
            self._emit_incident(EventKind.UPDATE, new)

    def _close(self, inc_id: str, inc: Incident | None) -> None:
        prev = self.incidents.get(inc_id)
        if prev is None:
            # A feed lists history: a closed incident never seen open is not news.
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
        if prev.components_known and any(
            _is_bad(self.components[c].status) for c in prev.component_ids if c in self.components
        ):
            return  # resolved on paper, but its components are not back yet
        restored = dataclasses.replace(prev, restored_at=self.at, severity=Severity.OPERATIONAL)
        self.incidents[prev.id] = restored
        duration = (self.at - prev.started_at).total_seconds()
        self._emit_incident(EventKind.RESTORED, restored, duration_s=duration)

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
            components=self._affected_names(inc),
            text=inc.text,
            url=inc.url or self.snap.page_url,
            started_at=inc.started_at,
            duration_s=duration_s,
        )

    def _incident_state(self, inc: Incident, key: str, severity: Severity) -> IncidentState:
        latest = inc.latest_update
        return IncidentState(
            key=key,
            id=inc.id,
            title=inc.title,
            status=inc.status,
            severity=severity,
            started_at=self._started_at(inc),
            url=inc.url,
            component_ids=inc.component_ids,
            components_known=inc.components_known,
            last_update_id=latest.id if latest else None,
            text=latest.body if latest else None,
        )

    def _tombstone(self, inc: Incident) -> IncidentState:
        state = self._incident_state(inc, inc.id, Severity.OPERATIONAL)
        return dataclasses.replace(state, resolved_at=self.at, restored_at=self.at)

    def _started_at(self, inc: Incident) -> datetime:
        candidates = [self.at]
        if inc.started_at is not None:
            candidates.append(inc.started_at)
        candidates.extend(u.at for u in inc.updates)
        for cid in self._covered_ids(inc):
            since = self.components[cid].bad_since
            if since is not None:
                candidates.append(since)
        return min(candidates)

    def _severity(self, inc: Incident) -> Severity:
        worst = IMPACT_SEVERITY[inc.impact]
        for cid in self._covered_ids(inc):
            worst = max(worst, COMPONENT_SEVERITY[self.components[cid].status])
        return worst

    def _covered_ids(self, inc: Incident | IncidentState) -> list[str]:
        """Components an incident speaks for; all unhealthy ones when links are unknown."""
        if inc.components_known:
            return [c for c in inc.component_ids if c in self.components]
        return [c for c, s in self.components.items() if _is_bad(s.status)]

    def _affected_names(self, inc: IncidentState) -> tuple[str, ...]:
        ids = self._covered_ids(inc)
        if not inc.components_known:
            ids = [c for c in ids if _is_bad(self.components[c].status)]
        return tuple(self.components[c].name for c in ids)

    def _adopt_episode_key(self, inc: Incident) -> str | None:
        """An incident that covers an open component episode continues its card."""
        covered = set(self._covered_ids(inc))
        candidates = [e for e in self.episodes.values() if e.component_id in covered]
        if not candidates:
            return None
        oldest = min(candidates, key=lambda e: e.started_at)
        del self.episodes[oldest.component_id]
        return oldest.key

    # --- component episodes (no incident) -----------------------------------

    def _covered(self, component_id: str) -> bool:
        for inc in self.incidents.values():
            if inc.restored_at is not None:
                continue
            if not inc.components_known or component_id in inc.component_ids:
                return True
        return False

    def _apply_episodes(self) -> None:
        for cid, comp in self.components.items():
            episode = self.episodes.get(cid)
            if _is_bad(comp.status):
                if episode is not None:
                    self._continue_episode(episode, comp)
                elif not self._covered(cid):
                    self._open_episode(cid, comp)
            elif episode is not None:
                self._settle_episode(episode)
        for cid, episode in list(self.episodes.items()):
            if cid not in self.components:
                self._restore_episode(episode, self.at)  # component removed from the page

    def _new_episode(self, cid: str, comp: ComponentState) -> EpisodeState:
        since = comp.bad_since or self.at
        return EpisodeState(
            key=f"component:{cid}:{int(since.timestamp())}",
            component_id=cid,
            name=comp.name,
            severity=COMPONENT_SEVERITY[comp.status],
            started_at=since,
        )

    def _open_episode(self, cid: str, comp: ComponentState) -> None:
        episode = self._new_episode(cid, comp)
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
        if (self.at - ok_since).total_seconds() >= self.settings.flap_window_s:
            self._restore_episode(episode, ok_since)
        else:
            self.episodes[episode.component_id] = dataclasses.replace(episode, ok_since=ok_since)

    def _restore_episode(self, episode: EpisodeState, ok_since: datetime) -> None:
        del self.episodes[episode.component_id]
        restored = dataclasses.replace(episode, severity=Severity.OPERATIONAL)
        duration = (ok_since - episode.started_at).total_seconds()
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
            title=f"{episode.name}: {label}",
            severity=episode.severity,
            components=(episode.name,),
            component=episode.name,
            started_at=episode.started_at,
            duration_s=duration_s,
        )

    # --- maintenance --------------------------------------------------------

    def _active_maintenances(self) -> list[Incident]:
        active = (IncidentStatus.IN_PROGRESS, IncidentStatus.VERIFYING)
        return [m for m in self.snap.maintenances if m.status in active]

    def _maintenance_state(self, mnt: Incident) -> MaintenanceState:
        return MaintenanceState(
            key=f"maintenance:{mnt.id}",
            id=mnt.id,
            title=mnt.title,
            status=mnt.status,
            started_at=mnt.started_at or self.at,
            url=mnt.url,
        )

    def _apply_maintenances(self) -> None:
        active = {m.id: m for m in self._active_maintenances()}
        for mid, mnt in active.items():
            if mid not in self.maintenances:
                self.maintenances[mid] = self._maintenance_state(mnt)
                self._emit_maintenance(EventKind.MAINTENANCE_STARTED, self.maintenances[mid], mnt)
        for mid, prev in list(self.maintenances.items()):
            if mid not in active:
                del self.maintenances[mid]
                self._emit_maintenance(EventKind.MAINTENANCE_ENDED, prev, None)

    def _emit_maintenance(
        self, kind: EventKind, mnt: MaintenanceState, official: Incident | None
    ) -> None:
        latest = official.latest_update if official else None
        ended = kind is EventKind.MAINTENANCE_ENDED
        self._emit(
            kind,
            incident_key=mnt.key,
            incident_id=mnt.id,
            title=mnt.title,
            severity=Severity.OPERATIONAL if ended else Severity.MAINTENANCE,
            status=IncidentStatus.COMPLETED if ended else mnt.status,
            components=tuple(
                self.components[c].name
                for c in (official.component_ids if official else ())
                if c in self.components
            ),
            text=latest.body if latest else None,
            url=mnt.url or self.snap.page_url,
            started_at=mnt.started_at,
            duration_s=(self.at - mnt.started_at).total_seconds() if ended else None,
        )

    def _prune_tombstones(self) -> None:
        listed = {i.id for i in self.snap.incidents}
        for inc_id, inc in list(self.incidents.items()):
            stale = inc.restored_at is not None and self.at - inc.restored_at > TOMBSTONE_TTL
            if stale and inc_id not in listed:
                del self.incidents[inc_id]


def _is_bad(status: ComponentStatus) -> bool:
    return status not in (ComponentStatus.OPERATIONAL, ComponentStatus.MAINTENANCE)


def _component_states(
    old: dict[str, ComponentState], components: tuple[Component, ...], at: datetime
) -> dict[str, ComponentState]:
    """Key on id (names repeat and positions shuffle); remember when trouble began."""
    states: dict[str, ComponentState] = {}
    for comp in components:
        prev = old.get(comp.id)
        bad_since = None
        if _is_bad(comp.status):
            bad_since = prev.bad_since if prev is not None and prev.bad_since else at
        states[comp.id] = ComponentState(name=comp.name, status=comp.status, bad_since=bad_since)
    return states
