"""Parse Google Cloud's `status.cloud.google.com/incidents.json` into a Snapshot.

The feed is a bare JSON array of incidents, open and closed, over a short rolling window.
An incident is open while it has no `end` and its newest update is not `AVAILABLE`;
`updates[]` are newest first. Products are the components: keyed on their id, because
titles change ("Vertex Gemini API" is now "Gemini on Agent Platform", same id), so a source
narrows the feed with `include_components: [<product id>]`. An incident posted after it
ended (`created` after `end`) is closed on arrival: history, never an alert.
Pure and total: any bytes give a Snapshot or a PayloadError.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from bot.errors import PayloadError
from bot.models import (
    Component,
    ComponentStatus,
    Impact,
    Incident,
    IncidentStatus,
    IncidentUpdate,
    Snapshot,
)
from integrations.sources.jsonread import Reader, load_json

PAGE_NAME = "Google Cloud"
PAGE_URL = "https://status.cloud.google.com/"
RESOLVED = "AVAILABLE"
OPEN = IncidentStatus.INVESTIGATING  # the feed does not say investigating from identified

# status_impact and update status: how bad it is for a user.
_STATUS_IMPACT = {
    "SERVICE_INFORMATION": Impact.MINOR,
    "SERVICE_DISRUPTION": Impact.MINOR,
    "SERVICE_OUTAGE": Impact.MAJOR,
    RESOLVED: Impact.NONE,
}
_SEVERITY = {"low": Impact.MINOR, "medium": Impact.MINOR, "high": Impact.MAJOR}
_RANK = {Impact.NONE: 0, Impact.MINOR: 1, Impact.MAJOR: 2, Impact.CRITICAL: 3}
_PRODUCT_STATUS = {
    Impact.NONE: ComponentStatus.DEGRADED,
    Impact.MINOR: ComponentStatus.DEGRADED,
    Impact.MAJOR: ComponentStatus.PARTIAL_OUTAGE,
    Impact.CRITICAL: ComponentStatus.MAJOR_OUTAGE,
}
# `uri` is relative to the dashboard; only this shape is turned into a link.
_URI = re.compile(r"^incidents/[A-Za-z0-9_-]{1,64}$")


@dataclass(frozen=True, slots=True)
class _Product:
    id: str
    name: str


@dataclass(frozen=True, slots=True)
class _Update:
    at: datetime
    status: str | None
    body: str


def parse(raw: bytes, observed_at: datetime | None = None) -> Snapshot:
    """Turn incidents.json bytes into a Snapshot listing open and closed incidents."""
    data = load_json(raw)
    if not isinstance(data, list):
        raise PayloadError("expected a JSON array of incidents (Google Cloud incidents.json)")
    reader = Reader("gcp")
    products: dict[str, str] = {}
    incidents: list[Incident] = []
    # The page has no clock of its own: its newest `modified` tells an older copy apart.
    modified: list[datetime] = []
    for index, item in enumerate(data):
        raw_incident = reader.obj(item, f"[{index}]")
        incident, affected = _incident(reader, raw_incident, f"[{index}]")
        incidents.append(incident)
        when = reader.time(raw_incident, "modified", f"[{index}]")
        if when is not None:
            modified.append(when)
        for product in affected:
            products.setdefault(product.id, product.name)
    worst: dict[str, Impact] = {}
    for incident in incidents:
        if incident.status.is_closed:
            continue
        for pid in incident.component_ids:
            if _RANK[incident.impact] >= _RANK[worst.get(pid, Impact.NONE)]:
                worst[pid] = incident.impact
    components = tuple(
        Component(
            id=pid,
            name=name,
            status=_PRODUCT_STATUS[worst[pid]] if pid in worst else ComponentStatus.OPERATIONAL,
        )
        for pid, name in products.items()
    )
    return Snapshot(
        page_name=PAGE_NAME,
        page_url=PAGE_URL,
        observed_at=reader.date_snapshot(observed_at),
        page_updated_at=max(modified, default=None),
        components=components,
        incidents=tuple(incidents),
        warnings=tuple(reader.warnings),
    )


def _incident(reader: Reader, raw: dict[str, Any], where: str) -> tuple[Incident, list[_Product]]:
    incident_id = reader.ident(raw, "id", where)
    begin = reader.time(raw, "begin", where)
    created = reader.time(raw, "created", where)
    end = reader.time(raw, "end", where)
    updates = [
        _update(reader, reader.obj(u, f"{where}.updates[{j}]"), f"{where}.updates[{j}]")
        for j, u in enumerate(reader.items(raw, "updates", where))
    ]
    updates.sort(key=lambda u: u.at, reverse=True)  # stable: ties keep wire order
    latest_status = updates[0].status if updates else None
    # Open while no `end` and the newest update is not AVAILABLE; a retroactive post
    # (created after its end) already has an `end`, so it lands here as history.
    closed = end is not None or latest_status == RESOLVED
    impact = _impact(reader, raw, latest_status, where)
    products = [
        _product(reader, reader.obj(p, f"{where}.affected_products"), f"{where}.affected_products")
        for p in reader.items(raw, "affected_products", where)
    ]
    uri = reader.text(raw, "uri", where)
    title = (reader.text(raw, "external_desc", where) or "").strip()
    incident = Incident(
        id=incident_id,
        title=title or reader.text(raw, "service_name", where) or "(untitled incident)",
        status=IncidentStatus.RESOLVED if closed else IncidentStatus.INVESTIGATING,
        impact=impact,
        started_at=begin or created,
        url=PAGE_URL + uri if uri and _URI.match(uri) else PAGE_URL,
        component_ids=tuple(dict.fromkeys(p.id for p in products)),
        updates=tuple(
            IncidentUpdate(
                id=f"{incident_id}/{u.at.isoformat()}",
                status=(
                    IncidentStatus.RESOLVED
                    if u.status == RESOLVED
                    else IncidentStatus.INVESTIGATING
                ),
                body=u.body,
                at=u.at,
            )
            for u in updates
        ),
    )
    return incident, products


def _update(reader: Reader, raw: dict[str, Any], where: str) -> _Update:
    # `when` is the moment the update speaks for; an older update's `modified` moves
    # when it is superseded, so it is not the update's time.
    at = reader.time(raw, "when", where) or reader.time(raw, "created", where)
    reader.time(raw, "modified", where)
    if at is None:
        raise PayloadError(f"{where}: update has no time")
    return _Update(at, reader.text(raw, "status", where), reader.text(raw, "text", where) or "")


def _impact(reader: Reader, raw: dict[str, Any], latest: str | None, where: str) -> Impact:
    """The worse of status_impact (or the newest update's status) and severity."""
    declared = reader.text(raw, "status_impact", where)
    impact = reader.enum(declared, _STATUS_IMPACT, where, "status_impact", Impact.MINOR)
    if latest is not None and latest != RESOLVED:
        current = reader.enum(latest, _STATUS_IMPACT, where, "update status", Impact.MINOR)
        impact = max(impact, current, key=_RANK.__getitem__)
    severity = reader.text(raw, "severity", where)
    if severity is not None:
        rated = reader.enum(severity, _SEVERITY, where, "severity", Impact.MINOR)
        if impact is Impact.MAJOR and rated is Impact.MAJOR:
            return Impact.CRITICAL  # an outage Google itself rates high
        impact = max(impact, rated, key=_RANK.__getitem__)
    if impact is Impact.NONE:
        impact = Impact.MINOR  # an open incident is at least a disruption
    return impact


def _product(reader: Reader, raw: dict[str, Any], where: str) -> _Product:
    pid = reader.ident(raw, "id", where)
    name = reader.text(raw, "current_title", where) or reader.text(raw, "title", where) or pid
    return _Product(pid, name)
