"""Parse Statuspage v2 `summary.json` (Atlassian and incident.io) into a Snapshot.

API: https://developer.statuspage.io/ (public page endpoints under /api/v2/).
Pure and total: any bytes give a Snapshot or a PayloadError, never another exception,
because these bytes come from the outside world.
"""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any, TypeVar, cast

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
from integrations.sources.statuspage_types import (
    RawComponent,
    RawIncident,
    RawIncidentUpdate,
    RawPage,
    RawSummary,
)

log = logging.getLogger(__name__)


def parse(raw: bytes, observed_at: datetime | None = None) -> Snapshot:
    """Turn summary.json bytes into a Snapshot; `observed_at=None` dates it from the payload."""
    summary = _load(raw)
    reader = _Reader()
    page = cast(RawPage, _require_dict(summary.get("page"), "page"))
    page_name = reader.text(page, "name", "page") or "status page"
    page_url = reader.optional_text(page, "url", "page")

    status = summary.get("status")
    description = ""
    if isinstance(status, dict):
        description = reader.optional_text(status, "description", "status") or ""

    components = _components(reader, _list(summary, "components"))
    incidents = [
        _incident(reader, item, f"incidents[{i}]", page_url)
        for i, item in enumerate(_list(summary, "incidents"))
    ]
    maintenances = [
        _incident(reader, item, f"scheduled_maintenances[{i}]", page_url)
        for i, item in enumerate(_list(summary, "scheduled_maintenances"))
    ]
    page_updated = reader.optional_time(page, "updated_at", "page")
    when = observed_at or page_updated or reader.newest_time
    if when is None:
        raise PayloadError("summary has no timestamp to date it")
    # Closed incidents stay: a resolution listed on the page brings its official words.
    return Snapshot(
        page_name=page_name,
        page_url=page_url,
        observed_at=_utc(when),
        page_updated_at=_utc(page_updated) if page_updated else None,
        description=description,
        components=tuple(components),
        incidents=tuple(incidents),
        maintenances=tuple(maintenances),
        warnings=tuple(reader.warnings),
    )


# --- helpers -------------------------------------------------------------------------------


def _load(raw: bytes) -> RawSummary:
    if not isinstance(raw, bytes | bytearray | memoryview):
        raise PayloadError("expected bytes")
    head = bytes(raw[:64]).lstrip().lower()
    if head.startswith((b"<!doctype", b"<html", b"<")):
        raise PayloadError("expected JSON, got HTML or XML")
    try:
        data = json.loads(bytes(raw))
    except (ValueError, RecursionError):
        raise PayloadError("not valid JSON (truncated or corrupt)") from None
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


def _utc(moment: datetime) -> datetime:
    if moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    try:
        return moment.astimezone(UTC)
    except OverflowError:
        raise PayloadError("timestamp out of range") from None


def parse_timestamp(text: str) -> datetime:
    """ISO 8601 with or without milliseconds, `Z` or an offset; always aware UTC."""
    try:
        moment = datetime.fromisoformat(text.strip())
    except ValueError:
        raise PayloadError(f"bad timestamp {text[:40]!r}") from None
    return _utc(moment)


class _Reader:
    """Typed reads from untrusted dicts; collects warnings and the newest timestamp seen."""

    def __init__(self) -> None:
        self.warnings: list[str] = []
        self.newest_time: datetime | None = None

    def warn(self, message: str) -> None:
        log.warning("statuspage payload: %s", message)
        self.warnings.append(message)

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
        moment = parse_timestamp(text)
        if self.newest_time is None or moment > self.newest_time:
            self.newest_time = moment
        return moment


def _components(reader: _Reader, items: list[Any]) -> list[Component]:
    raws = [
        cast(RawComponent, _require_dict(item, f"components[{i}]")) for i, item in enumerate(items)
    ]
    group_names: dict[str, str] = {}
    child_group: dict[str, str] = {}
    for i, item in enumerate(raws):
        if item.get("group") is True:
            parent_id = reader.identifier(item, "id", f"components[{i}]")
            group_names[parent_id] = reader.text(item, "name", f"components[{i}]")
            children = item.get("components")
            if isinstance(children, list):
                for child in children:
                    if isinstance(child, str):
                        child_group[child] = parent_id
    by_id: dict[str, Component] = {}
    for i, item in enumerate(raws):
        where = f"components[{i}]"
        if item.get("group") is True:
            continue
        cid = reader.identifier(item, "id", where)
        reader.optional_time(item, "updated_at", where)
        raw_group_id = item.get("group_id")
        group_id: str | None = (
            raw_group_id if isinstance(raw_group_id, str) else child_group.get(cid)
        )
        by_id[cid] = Component(
            id=cid,
            name=reader.text(item, "name", where),
            # An unknown word is passed on: the machine keeps the last known status.
            status=_enum(
                reader, item.get("status"), where, "component status", ComponentStatus.UNKNOWN
            ),
            group=group_names.get(group_id) if group_id else None,
        )
    return list(by_id.values())


E = TypeVar("E", bound=StrEnum)


def _enum(reader: _Reader, value: Any, where: str, what: str, fallback: E) -> E:
    """A known value of `fallback`'s enum, or the fallback with a warning.

    Unknown is not evidence of an outage: keep quiet, but say so.
    """
    try:
        return type(fallback)(value)
    except ValueError:
        reader.warn(f"{where}: unknown {what} {str(value)[:40]!r}; treated as {fallback.value}")
        return fallback


def _incident(reader: _Reader, item: Any, where: str, page_url: str | None) -> Incident:
    raw = cast(RawIncident, _require_dict(item, where))
    incident_id = reader.identifier(raw, "id", where)
    created = reader.optional_time(raw, "created_at", where)
    started = reader.optional_time(raw, "started_at", where) or created
    reader.optional_time(raw, "updated_at", where)
    updates = [
        _update(reader, u, f"{where}.incident_updates[{j}]")
        for j, u in enumerate(_list(raw, "incident_updates"))
    ]
    updates.sort(key=lambda u: u.at, reverse=True)  # stable: ties keep wire order
    component_ids: tuple[str, ...] = ()
    components_known = isinstance(raw.get("components"), list)
    if components_known:
        component_ids = tuple(
            reader.identifier(_require_dict(c, f"{where}.components"), "id", f"{where}.components")
            for c in raw["components"]
        )
    return Incident(
        id=incident_id,
        title=reader.optional_text(raw, "name", where) or "(untitled incident)",
        status=_enum(
            reader, raw.get("status"), where, "incident status", IncidentStatus.INVESTIGATING
        ),
        impact=_enum(reader, raw.get("impact"), where, "impact", Impact.MINOR),
        started_at=started,
        url=reader.optional_text(raw, "shortlink", where) or page_url,
        component_ids=component_ids,
        updates=tuple(updates),
        components_known=components_known,
    )


def _update(reader: _Reader, item: Any, where: str) -> IncidentUpdate:
    raw = cast(RawIncidentUpdate, _require_dict(item, where))
    at = reader.optional_time(raw, "display_at", where) or reader.optional_time(
        raw, "created_at", where
    )
    if at is None:
        raise PayloadError(f"{where}: update has no time")
    return IncidentUpdate(
        id=reader.identifier(raw, "id", where),
        status=_enum(
            reader, raw.get("status"), where, "incident status", IncidentStatus.INVESTIGATING
        ),
        body=reader.optional_text(raw, "body", where) or "",
        at=at,
    )
