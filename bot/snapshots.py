"""Operations on snapshots the poll step applies after parsing."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace

from bot.models import Component, Incident, Snapshot


def filter_components(
    snapshot: Snapshot, include: Iterable[str] = (), exclude: Iterable[str] = ()
) -> Snapshot:
    """Keep components named (or id'd) in `include` (all if empty), minus `exclude`.

    Case-insensitive on name or id. Incidents tied to components keep only the kept ids;
    an incident left with none of them is dropped. Incidents with unknown components stay.
    """
    wanted = {key.casefold() for key in include}
    unwanted = {key.casefold() for key in exclude}
    if not wanted and not unwanted:
        return snapshot

    def keep(component: Component) -> bool:
        keys = {component.id.casefold(), component.name.casefold()}
        return (not wanted or bool(keys & wanted)) and not keys & unwanted

    kept = tuple(c for c in snapshot.components if keep(c))
    kept_ids = {c.id for c in kept}
    dropped_ids = {c.id for c in snapshot.components} - kept_ids

    def narrowed(incidents: tuple[Incident, ...]) -> tuple[Incident, ...]:
        out = []
        for incident in incidents:
            if not incident.components_known or not incident.component_ids:
                out.append(incident)
                continue
            ids = tuple(
                cid
                for cid in incident.component_ids
                if cid in kept_ids or (cid not in dropped_ids and not wanted)
            )
            if ids:
                out.append(replace(incident, component_ids=ids))
        return tuple(out)

    return replace(
        snapshot,
        components=kept,
        incidents=narrowed(snapshot.incidents),
        maintenances=narrowed(snapshot.maintenances),
    )
