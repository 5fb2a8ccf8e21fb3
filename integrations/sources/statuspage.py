"""Parse Statuspage v2 `summary.json` (Atlassian and incident.io) into a Snapshot.

API: https://developer.statuspage.io/ (public page endpoints under /api/v2/).
Pure and total: any bytes give a Snapshot or a PayloadError, never another exception,
because these bytes come from the outside world. A broken element (an update without a time,
a component without a status, a malformed incident) is skipped, not the page: partial garbage
costs only itself.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import replace
from datetime import datetime
from enum import StrEnum
from functools import partial
from typing import Any, TypeVar, cast

from bot.errors import PayloadError, UndatedPayload
from bot.models import (
    Component,
    ComponentStatus,
    Impact,
    Incident,
    IncidentStatus,
    IncidentUpdate,
    Snapshot,
)
from integrations.sources.jsonread import load_json, parse_iso, to_utc
from integrations.sources.skipped import OnceLog
from integrations.sources.statuspage_types import (
    RawComponent,
    RawIncident,
    RawIncidentUpdate,
    RawPage,
    RawSummary,
)

log = logging.getLogger(__name__)
report = OnceLog(log)


def parse(raw: bytes, observed_at: datetime | None = None) -> Snapshot:
    """Turn summary.json bytes into a Snapshot; `observed_at=None` dates it from the payload."""
    summary = _load(raw)
    reader = _Reader()
    page = cast(RawPage, _require_dict(summary.get("page"), "page"))
    page_name = reader.text(page, "name", "page") or "status page"
    reader.page = page_name
    page_url = reader.optional_text(page, "url", "page")

    status = summary.get("status")
    description = ""
    if isinstance(status, dict):
        # The page's own summary line is a hint, not evidence: garbage there costs nothing.
        description = reader.lenient_text(status, "description", "status") or ""

    components = _components(reader, _list(summary, "components"))
    incidents = _incidents(reader, _list(summary, "incidents"), "incident", page_url)
    maintenances = _incidents(
        reader, _list(summary, "scheduled_maintenances"), "maintenance", page_url
    )
    page_updated = reader.optional_time(page, "updated_at", "page")
    when = observed_at or page_updated or reader.newest_time
    if when is None:
        raise UndatedPayload("summary has no timestamp to date it")
    # Closed incidents stay: a resolution listed on the page brings its official words.
    return Snapshot(
        page_name=page_name,
        page_url=page_url,
        observed_at=to_utc(when),
        page_updated_at=to_utc(page_updated) if page_updated else None,
        description=description,
        components=tuple(components),
        incidents=tuple(incidents),
        maintenances=tuple(maintenances),
        warnings=tuple(reader.warnings),
    )


# --- helpers -------------------------------------------------------------------------------


def _load(raw: bytes) -> RawSummary:
    data = load_json(raw)
    if not isinstance(data, dict):
        raise PayloadError(f"expected a JSON object, got {type(data).__name__}")
    if "page" not in data:
        raise PayloadError("not a Statuspage summary: no 'page' key")
    return cast(RawSummary, data)


def _require_dict(value: Any, where: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise PayloadError(f"{where}: expected an object")
    return value


def _list(container: Any, key: str) -> list[Any]:
    """A list under `key`; missing or null means empty (incident.io omits keys)."""
    value = container.get(key)
    if value is None:
        return []
    if not isinstance(value, list):
        raise PayloadError(f"{key}: expected a list")
    return value


T = TypeVar("T")
E = TypeVar("E", bound=StrEnum)


class _Reader:
    """Typed reads from untrusted dicts; collects warnings and the newest timestamp seen."""

    def __init__(self) -> None:
        self.page = "status page"
        self.warnings: list[str] = []
        self.newest_time: datetime | None = None

    def warn(self, message: str) -> None:
        """Keep the warning with this snapshot; log it only the first time it is seen."""
        report.warn(self.page, message)
        self.warnings.append(message)

    def element(self, label: str, read: Callable[[], T]) -> T | None:
        """`read()`, or None with a warning when the element is broken (the page is not)."""
        newest = self.newest_time
        try:
            return read()
        except PayloadError as exc:
            self.newest_time = newest  # a skipped element does not date the page
            self.warn(f"{label} skipped: {exc.reason.removeprefix(f'{label}: ')}")
            return None

    def lenient_text(self, obj: Any, key: str, where: str) -> str | None:
        """An optional string; anything else is ignored with a warning."""
        value = obj.get(key)
        if value is None or isinstance(value, str):
            return value
        self.warn(f"{where}.{key} ignored: expected a string")
        return None

    def lenient_time(self, obj: Any, key: str, where: str) -> datetime | None:
        """An optional timestamp; a garbled one is ignored with a warning."""
        try:
            return self.optional_time(obj, key, where)
        except PayloadError as exc:
            self.warn(f"{where}: {key} ignored: {exc.reason.removeprefix(f'{where}.{key}: ')}")
            return None

    def optional_text(self, obj: Any, key: str, where: str) -> str | None:
        value = obj.get(key)
        if value is None:
            return None
        if not isinstance(value, str):
            raise PayloadError(f"{where}.{key}: expected a string")
        return value

    def text(self, obj: Any, key: str, where: str) -> str:
        value = self.optional_text(obj, key, where)
        if value is None:
            raise PayloadError(f"{where}: missing {key!r}")
        return value

    def identifier(self, obj: Any, key: str, where: str) -> str:
        value = obj.get(key)
        if isinstance(value, int) and not isinstance(value, bool):
            return str(value)
        text = self.text(obj, key, where)
        if not text:
            raise PayloadError(f"{where}: empty {key!r}")
        return text

    def optional_time(self, obj: Any, key: str, where: str) -> datetime | None:
        text = self.optional_text(obj, key, where)
        if not text:
            return None
        moment = parse_iso(text)
        if self.newest_time is None or moment > self.newest_time:
            self.newest_time = moment
        return moment


def _label(kind: str, item: Any, index: int) -> str:
    """Name an element by its id when it has one (stable across polls), else by position."""
    ident = item.get("id") if isinstance(item, dict) else None
    if isinstance(ident, str | int) and not isinstance(ident, bool) and str(ident):
        return f"{kind} {str(ident)[:40]!r}"
    return f"{kind} #{index + 1}"


def _components(reader: _Reader, items: list[Any]) -> list[Component]:
    group_names: dict[str, str] = {}
    child_group: dict[str, str] = {}
    for i, item in enumerate(items):
        if isinstance(item, dict) and item.get("group") is True:
            label = _label("component group", item, i)
            reader.element(label, partial(_group, reader, item, label, group_names, child_group))
    by_id: dict[str, Component] = {}
    for i, item in enumerate(items):
        if isinstance(item, dict) and item.get("group") is True:
            continue
        label = _label("component", item, i)
        component = reader.element(label, partial(_component, reader, item, label, child_group))
        if component is not None:
            by_id[component.id] = replace(
                component, group=group_names.get(component.group) if component.group else None
            )
    return list(by_id.values())


def _group(
    reader: _Reader,
    item: Any,
    where: str,
    group_names: dict[str, str],
    child_group: dict[str, str],
) -> None:
    group = cast(RawComponent, item)
    parent_id = reader.identifier(group, "id", where)
    group_names[parent_id] = reader.text(group, "name", where)
    children = group.get("components")
    if isinstance(children, list):
        for child in children:
            if isinstance(child, str):
                child_group[child] = parent_id


def _component(reader: _Reader, item: Any, where: str, child_group: dict[str, str]) -> Component:
    """A component; `group` holds its group's id until the caller names it."""
    raw = cast(RawComponent, _require_dict(item, where))
    cid = reader.identifier(raw, "id", where)
    name = reader.text(raw, "name", where)
    if raw.get("status") is None:
        raise PayloadError("no status")
    reader.lenient_time(raw, "updated_at", where)
    raw_group_id = raw.get("group_id")
    group_id = raw_group_id if isinstance(raw_group_id, str) else child_group.get(cid)
    return Component(
        id=cid,
        name=name,
        # An unknown word is passed on: the machine keeps the last known status.
        status=_enum(reader, raw.get("status"), where, "component status", ComponentStatus.UNKNOWN),
        group=group_id,
    )


def _enum(reader: _Reader, value: Any, where: str, what: str, fallback: E) -> E:
    """A known value of `fallback`'s enum, or the fallback with a warning.

    Unknown is not evidence of an outage: keep quiet, but say so.
    """
    try:
        return type(fallback)(value)
    except ValueError:
        reader.warn(f"{where}: unknown {what} {str(value)[:40]!r}; treated as {fallback.value}")
        return fallback


def _incidents(
    reader: _Reader, items: list[Any], kind: str, page_url: str | None
) -> list[Incident]:
    out = []
    for i, item in enumerate(items):
        label = _label(kind, item, i)
        incident = reader.element(label, partial(_incident, reader, item, label, page_url))
        if incident is not None:
            out.append(incident)
    return out


def _incident(reader: _Reader, item: Any, where: str, page_url: str | None) -> Incident:
    raw = cast(RawIncident, _require_dict(item, where))
    incident_id = reader.identifier(raw, "id", where)
    created = reader.lenient_time(raw, "created_at", where)
    started = reader.lenient_time(raw, "started_at", where) or created
    reader.lenient_time(raw, "updated_at", where)
    raw_updates = raw.get("incident_updates")
    if raw_updates is not None and not isinstance(raw_updates, list):
        reader.warn(f"{where}: incident_updates is not a list; read as none")
        raw_updates = None
    updates = []
    for j, item_update in enumerate(raw_updates or []):
        label = f"{where} {_label('update', item_update, j)}"
        update = reader.element(label, partial(_update, reader, item_update, label))
        if update is not None:
            updates.append(update)
    updates.sort(key=lambda u: u.at, reverse=True)  # stable: ties keep wire order
    if started is None and updates:
        started = updates[-1].at
    if raw.get("status") is None:
        if not updates:
            raise PayloadError("no status")
        status = updates[0].status  # the latest official update says where it stands
    else:
        status = _enum(
            reader, raw.get("status"), where, "incident status", IncidentStatus.INVESTIGATING
        )
    component_ids: tuple[str, ...] = ()
    components_known = isinstance(raw.get("components"), list)
    if components_known:
        links = []
        for j, link in enumerate(raw["components"]):
            link_label = f"{where} {_label('component link', link, j)}"
            links.append(reader.element(link_label, partial(_link, reader, link, link_label)))
        component_ids = tuple(cid for cid in links if cid is not None)
    return Incident(
        id=incident_id,
        title=reader.optional_text(raw, "name", where) or "(untitled incident)",
        status=status,
        impact=_enum(reader, raw.get("impact"), where, "impact", Impact.MINOR),
        started_at=started,
        url=reader.optional_text(raw, "shortlink", where) or page_url,
        component_ids=component_ids,
        updates=tuple(updates),
        components_known=components_known,
    )


def _link(reader: _Reader, item: Any, where: str) -> str:
    return reader.identifier(_require_dict(item, where), "id", where)


def _update(reader: _Reader, item: Any, where: str) -> IncidentUpdate:
    raw = cast(RawIncidentUpdate, _require_dict(item, where))
    at = reader.lenient_time(raw, "display_at", where) or reader.lenient_time(
        raw, "created_at", where
    )
    if at is None:
        raise PayloadError("update has no time")
    return IncidentUpdate(
        id=reader.identifier(raw, "id", where),
        status=_enum(
            reader, raw.get("status"), where, "incident status", IncidentStatus.INVESTIGATING
        ),
        body=reader.optional_text(raw, "body", where) or "",
        at=at,
    )
