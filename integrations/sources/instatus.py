"""Parse an Instatus page's public `summary.json` into a Snapshot.

Docs: https://instatus.com/help/api/public-data . Only the documented example is known, so
this reader tolerates what it has not seen: `activeIncidents`/`activeMaintenances` may be
absent, times may be JavaScript `Date.toString()` text ("Sat Jun 11 2022 18:55:50 GMT+0000
(Coordinated Universal Time)"), ISO 8601 or epoch milliseconds, ids may be missing (the
incident's URL then names it). A field it cannot read is a warning, not a failed poll.
The summary names no components, so incidents cannot be tied to any. Pure and total.
"""

from __future__ import annotations

import hashlib
import re
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

from bot.errors import PayloadError
from bot.models import Impact, Incident, IncidentStatus, Snapshot
from integrations.sources.jsonread import Reader, load_json, parse_iso, to_utc

_IMPACT = {
    "OPERATIONAL": Impact.MINOR,  # an open incident is at least a degradation
    "UNDERMAINTENANCE": Impact.MINOR,
    "DEGRADEDPERFORMANCE": Impact.MINOR,
    "MINOROUTAGE": Impact.MINOR,
    "PARTIALOUTAGE": Impact.MAJOR,
    "MAJOROUTAGE": Impact.CRITICAL,
}
_INCIDENT_STATUS = {
    "INVESTIGATING": IncidentStatus.INVESTIGATING,
    "IDENTIFIED": IncidentStatus.IDENTIFIED,
    "MONITORING": IncidentStatus.MONITORING,
    "RESOLVED": IncidentStatus.RESOLVED,
}
_MAINTENANCE_STATUS = {
    "NOTSTARTEDYET": IncidentStatus.SCHEDULED,
    "INPROGRESS": IncidentStatus.IN_PROGRESS,
    "COMPLETED": IncidentStatus.COMPLETED,
}
_JS_DATE = re.compile(
    r"^(?:[A-Za-z]{3},?\s+)?(?P<mon>[A-Za-z]{3})\s+(?P<day>\d{1,2})\s+(?P<year>\d{4})\s+"
    r"(?P<h>\d{1,2}):(?P<m>\d{2})(?::(?P<s>\d{2}))?\s*(?:GMT|UTC)?(?P<off>[+-]\d{4})?"
)
_MONTH_NAMES = "Jan Feb Mar Apr May Jun Jul Aug Sep Oct Nov Dec".split()
_MONTHS = {name: number for number, name in enumerate(_MONTH_NAMES, 1)}
_URL = re.compile(r"^https?://[^\s<>\"']{1,500}$")


def parse(raw: bytes, observed_at: datetime | None = None) -> Snapshot:
    """Turn summary.json bytes into a Snapshot of the open incidents and maintenances."""
    doc = load_json(raw)
    if not isinstance(doc, dict) or not {"page", "activeIncidents", "activeMaintenances"} & set(
        doc
    ):
        raise PayloadError("not an Instatus summary: no 'page' or 'activeIncidents'")
    reader = Reader("instatus")
    page: dict[str, Any] = doc["page"] if isinstance(doc.get("page"), dict) else {}
    page_name = _text(reader, page, "name", "page") or "status page"
    page_url = _url(_text(reader, page, "url", "page"))
    status = _text(reader, page, "status", "page")
    page_updated = _time(reader, page, ("updatedAt", "updated_at"), "page")
    incidents = [
        _incident(reader, item, f"activeIncidents[{i}]", page_url, maintenance=False)
        for i, item in enumerate(_list(reader, doc, "activeIncidents"))
    ]
    maintenances = [
        _incident(reader, item, f"activeMaintenances[{i}]", page_url, maintenance=True)
        for i, item in enumerate(_list(reader, doc, "activeMaintenances"))
    ]
    return Snapshot(
        page_name=page_name,
        page_url=page_url,
        page_updated_at=page_updated,
        observed_at=reader.date_snapshot(observed_at, page_updated),
        description=status or "",
        incidents=tuple(i for i in incidents if i is not None and not i.status.is_closed),
        maintenances=tuple(m for m in maintenances if m is not None and not m.status.is_closed),
        warnings=tuple(reader.warnings),
    )


def parse_js_date(value: Any) -> datetime | None:
    """A time as Instatus may send it: JS Date text, ISO 8601 or epoch ms; None if unusable."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        try:
            return datetime.fromtimestamp(value / 1000, UTC)
        except (OverflowError, OSError, ValueError):
            return None
    if not isinstance(value, str) or not value.strip():
        return None
    match = _JS_DATE.match(value.strip())
    if match:
        try:
            offset = match["off"] or "+0000"
            sign = -1 if offset[0] == "-" else 1
            tz = timezone(sign * timedelta(hours=int(offset[1:3]), minutes=int(offset[3:5])))
            moment = datetime(
                int(match["year"]),
                _MONTHS[match["mon"].title()],
                int(match["day"]),
                int(match["h"]),
                int(match["m"]),
                int(match["s"] or 0),
                tzinfo=tz,
            )
            return to_utc(moment)
        except (KeyError, ValueError, PayloadError):
            return None
    try:
        return parse_iso(value)
    except PayloadError:
        return None


def _text(reader: Reader, obj: dict[str, Any], key: str, where: str) -> str | None:
    value = obj.get(key)
    if value is None:
        return None
    if not isinstance(value, str):
        reader.warn(f"{where}.{key}: expected a string")
        return None
    return value.strip()


def _list(reader: Reader, doc: dict[str, Any], key: str) -> list[Any]:
    value = doc.get(key)
    if value is None:
        return []
    if not isinstance(value, list):
        reader.warn(f"{key}: expected a list; ignored")
        return []
    return value


def _time(
    reader: Reader, obj: dict[str, Any], keys: tuple[str, ...], where: str
) -> datetime | None:
    for key in keys:
        if obj.get(key) is None:
            continue
        moment = parse_js_date(obj[key])
        if moment is None:
            reader.warn(f"{where}.{key}: unreadable time {str(obj[key])[:40]!r}")
            continue
        reader.seen(moment)
        return moment
    return None


def _url(value: str | None) -> str | None:
    return value if value and _URL.match(value) else None


def _incident(
    reader: Reader, item: Any, where: str, page_url: str | None, *, maintenance: bool
) -> Incident | None:
    if not isinstance(item, dict):
        reader.warn(f"{where}: expected an object; ignored")
        return None
    name = _text(reader, item, "name", where) or "(untitled)"
    url = _url(_text(reader, item, "url", where))
    started = _time(reader, item, ("start", "started", "startedAt"), where)
    _time(reader, item, ("updatedAt", "updated_at"), where)
    status_text = _text(reader, item, "status", where)
    if maintenance:
        status = reader.enum(
            status_text, _MAINTENANCE_STATUS, where, "maintenance status", IncidentStatus.SCHEDULED
        )
        impact = Impact.MAINTENANCE
    else:
        status = reader.enum(
            status_text, _INCIDENT_STATUS, where, "status", IncidentStatus.INVESTIGATING
        )
        impact = reader.enum(
            _text(reader, item, "impact", where), _IMPACT, where, "impact", Impact.MINOR
        )
    return Incident(
        id=_identity(item, url, name, started),
        title=name,
        status=status,
        impact=impact,
        started_at=started,
        url=url or page_url,
        components_known=False,
    )


def _identity(item: dict[str, Any], url: str | None, name: str, started: datetime | None) -> str:
    """A stable id: the payload's own, else the last part of the incident URL, else a hash."""
    given = item.get("id")
    if isinstance(given, str) and given.strip():
        return given.strip()[:100]
    if isinstance(given, int) and not isinstance(given, bool):
        return str(given)
    if url:  # an http(s) URL: its last part is never empty
        return url.rstrip("/").rpartition("/")[2][:100]
    seed = f"{name}|{started.isoformat() if started else ''}"
    return hashlib.sha256(seed.encode()).hexdigest()[:24]
