"""Parse a Better Stack status page's `index.json` (JSON:API) into a Snapshot.

Docs: https://betterstack.com/docs/uptime/status-pages/subscribing-to-status-updates/subscribing-to-api
`data` is the page; `included[]` holds its sections, resources (the components), status
reports (incidents and maintenances, open and closed) and their status updates. Real pages
keep `ends_at: null` on manual reports after they are resolved, list a report's updates out
of order, and mix string and integer ids: a report is closed by its `aggregate_state` or by
its newest update, never by `ends_at` alone. Pure and total: bytes give a Snapshot or a
PayloadError.
"""

from __future__ import annotations

import re
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

_RESOURCE_STATUS = {
    "operational": ComponentStatus.OPERATIONAL,
    "not_monitored": ComponentStatus.OPERATIONAL,  # no data is not an outage
    "degraded": ComponentStatus.DEGRADED,
    "downtime": ComponentStatus.MAJOR_OUTAGE,
    "maintenance": ComponentStatus.MAINTENANCE,
}
# A report's state (documented: operational, maintenance, downtime, degraded; real pages
# also say "resolved") and the per-resource states of reports and updates.
_STATE_IMPACT = {
    "resolved": Impact.NONE,
    "operational": Impact.NONE,
    "maintenance": Impact.MAINTENANCE,
    "degraded": Impact.MINOR,
    "downtime": Impact.CRITICAL,
}
_CLOSED_STATES = frozenset({"resolved", "operational"})
_RANK = {
    Impact.NONE: 0,
    Impact.MAINTENANCE: 1,
    Impact.MINOR: 2,
    Impact.MAJOR: 3,
    Impact.CRITICAL: 4,
}
_HOST = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9-]{0,62}\.)*[A-Za-z0-9-]{1,63}$")


def parse(raw: bytes, observed_at: datetime | None = None) -> Snapshot:
    """Turn index.json bytes into a Snapshot listing open and closed reports."""
    doc = load_json(raw)
    if not isinstance(doc, dict) or "data" not in doc:
        raise PayloadError("not a Better Stack index.json: no 'data' object")
    reader = Reader("betterstack")
    page = reader.obj(doc["data"], "data")
    attrs = reader.obj(page.get("attributes") or {}, "data.attributes")
    page_name = (reader.text(attrs, "company_name", "data") or "").strip() or "status page"
    page_url = _page_url(reader, attrs)
    page_updated = reader.time(attrs, "updated_at", "data")
    reader.time(attrs, "created_at", "data")

    by_type: dict[str, dict[str, dict[str, Any]]] = {}
    for index, item in enumerate(reader.items(doc, "included", "")):
        where = f"included[{index}]"
        entry = reader.obj(item, where)
        kind = reader.text(entry, "type", where) or ""
        by_type.setdefault(kind, {})[reader.ident(entry, "id", where)] = entry

    sections = {
        sid: reader.text(_attributes(reader, s, "section"), "name", "section") or ""
        for sid, s in by_type.get("status_page_section", {}).items()
    }
    components = [
        _component(reader, rid, _attributes(reader, r, f"resource {rid}"), sections)
        for rid, r in by_type.get("status_page_resource", {}).items()
    ]
    when = reader.date_snapshot(observed_at, page_updated)
    updates = by_type.get("status_update", {})
    incidents: list[Incident] = []
    maintenances: list[Incident] = []
    for rid, report in by_type.get("status_report", {}).items():
        incident = _report(reader, rid, report, updates, page_url, when)
        (maintenances if incident.impact is Impact.MAINTENANCE else incidents).append(incident)
    aggregate = reader.text(attrs, "aggregate_state", "data")
    return Snapshot(
        page_name=page_name,
        page_url=page_url,
        page_updated_at=page_updated,
        observed_at=when,
        description=aggregate or "",
        components=tuple(components),
        incidents=tuple(incidents),
        maintenances=tuple(maintenances),
        warnings=tuple(reader.warnings),
    )


def _attributes(reader: Reader, entry: dict[str, Any], where: str) -> dict[str, Any]:
    return reader.obj(entry.get("attributes") or {}, f"{where}.attributes")


def _page_url(reader: Reader, attrs: dict[str, Any]) -> str | None:
    """The page's own address, built only from a plain host name."""
    domain = (reader.text(attrs, "custom_domain", "data") or "").strip().lower()
    if domain and _HOST.match(domain):
        return f"https://{domain}/"
    sub = (reader.text(attrs, "subdomain", "data") or "").strip().lower()
    if sub and _HOST.match(sub) and "." not in sub:
        return f"https://{sub}.betteruptime.com/"
    return None


def _component(
    reader: Reader, rid: str, attrs: dict[str, Any], sections: dict[str, str]
) -> Component:
    where = f"resource {rid}"
    name = (reader.text(attrs, "public_name", where) or "").strip() or rid
    section = attrs.get("status_page_section_id")
    group = sections.get(str(section))  # ids come as strings or integers
    status = reader.enum(
        attrs.get("status"), _RESOURCE_STATUS, where, "status", ComponentStatus.OPERATIONAL
    )
    return Component(id=rid, name=name, status=status, group=group or None)


def _report(
    reader: Reader,
    rid: str,
    entry: dict[str, Any],
    all_updates: dict[str, dict[str, Any]],
    page_url: str | None,
    when: datetime,
) -> Incident:
    where = f"report {rid}"
    attrs = _attributes(reader, entry, where)
    starts = reader.time(attrs, "starts_at", where)
    ends = reader.time(attrs, "ends_at", where)
    maintenance = reader.text(attrs, "report_type", where) == "maintenance"
    updates = sorted(
        (_update(reader, uid, all_updates[uid]) for uid in _update_ids(reader, entry, where)
         if uid in all_updates),
        key=lambda pair: pair[0].at,
        reverse=True,
    )  # fmt: skip
    state = reader.text(attrs, "aggregate_state", where)
    newest_states = updates[0][1] if updates else []
    report_states = _states(reader, attrs, where)
    closed = state in _CLOSED_STATES or (
        state not in _STATE_IMPACT
        and bool(newest_states)
        and all(s in _CLOSED_STATES for s in newest_states)
    )
    if maintenance and ends is not None and ends <= when:
        closed = True  # a maintenance window that is over
    if maintenance:
        impact = Impact.MAINTENANCE
        if closed:
            status = IncidentStatus.COMPLETED
        elif starts is not None and starts > when:
            status = IncidentStatus.SCHEDULED
        else:
            status = IncidentStatus.IN_PROGRESS
    else:
        status = IncidentStatus.RESOLVED if closed else IncidentStatus.INVESTIGATING
        impact = _worst([state, *(newest_states or report_states)])
    return Incident(
        id=rid,
        title=(reader.text(attrs, "title", where) or "").strip() or "(untitled report)",
        status=status,
        impact=impact,
        started_at=starts,
        url=page_url,
        component_ids=tuple(
            dict.fromkeys(
                reader.ident(reader.obj(a, where), "status_page_resource_id", where)
                for a in reader.items(attrs, "affected_resources", where)
            )
        ),
        updates=tuple(update for update, _ in updates),
    )


def _update_ids(reader: Reader, entry: dict[str, Any], where: str) -> list[str]:
    relationships = reader.obj(entry.get("relationships") or {}, f"{where}.relationships")
    linked = reader.obj(relationships.get("status_updates") or {}, f"{where}.status_updates")
    return [
        reader.ident(reader.obj(ref, where), "id", f"{where}.status_updates")
        for ref in reader.items(linked, "data", where)
    ]


def _update(reader: Reader, uid: str, entry: dict[str, Any]) -> tuple[IncidentUpdate, list[str]]:
    where = f"update {uid}"
    attrs = _attributes(reader, entry, where)
    at = reader.time(attrs, "published_at", where)
    if at is None:
        raise PayloadError(f"{where}: no published_at")
    states = _states(reader, attrs, where)
    closed = bool(states) and all(s in _CLOSED_STATES for s in states)
    update = IncidentUpdate(
        id=uid,
        status=IncidentStatus.RESOLVED if closed else IncidentStatus.INVESTIGATING,
        body=reader.text(attrs, "message", where) or "",
        at=at,
    )
    return update, states


def _states(reader: Reader, attrs: dict[str, Any], where: str) -> list[str]:
    """The per-resource states an update or report declares."""
    out = []
    for item in reader.items(attrs, "affected_resources", where):
        value = reader.obj(item, where).get("status")
        if isinstance(value, str):
            out.append(value)
    return out


def _worst(states: list[str | None]) -> Impact:
    impacts = [_STATE_IMPACT[s] for s in states if s in _STATE_IMPACT]
    # An open report is at least a degradation, whatever its resources say.
    return max([*impacts, Impact.MINOR], key=_RANK.__getitem__)
