"""`check-source URL [--kind K]`: fetch a status source once and say what the bot understood.

For an operator adding a page: which format it is, the page's name, its components, open
incidents and maintenance, and the config lines that watch it. Exit 1 with the reason when
it cannot be read. Page text is shown without control characters (it is hostile input).
"""

from __future__ import annotations

import sys
import unicodedata
from collections.abc import Sequence
from datetime import UTC, datetime

from pydantic import ValidationError

from bot.config import SourceConfig
from bot.errors import SourceError, UndatedPayload
from bot.fetch import FetchResult, StatusFetcher
from bot.models import ComponentStatus, Incident, Snapshot
from bot.untrusted import one_line_safe
from integrations.sources import PARSERS, detect_format, incidentio

TIMEOUT_S = 15.0
MAX_BYTES = 5_000_000
SHOWN = 15


def clean(text: str, limit: int = 160) -> str:
    """One line of page text, safe for a terminal."""
    text = "".join(" " if unicodedata.category(ch)[0] in "CZ" and ch != " " else ch for ch in text)
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


async def check_source(url: str, kind: str | None = None, components_url: str | None = None) -> int:
    """Fetch, detect, parse and print; 0 when the source is readable, 1 when it is not."""
    try:
        async with StatusFetcher() as fetcher:
            body = await _fetch(fetcher, url)
            fmt = kind or _detect(body, url)
            source = _source(fmt, url, components_url)
            components = None
            if source.components_url:
                components = await _fetch(fetcher, source.components_url, "component list: ")
            snapshot, dated = _parse(source, body, components)
    except SourceError as exc:
        print(f"cannot read {clean(url)}: {exc.reason}", file=sys.stderr)
        return 1
    except ValidationError as exc:
        reason = exc.errors(include_input=False, include_url=False)[0]["msg"]
        print(f"cannot read {clean(url)}: {reason}", file=sys.stderr)
        return 1
    # Page text, one line each: escape sequences and line breaks in it show escaped.
    lines = report(source, snapshot, detected=kind is None, dated=dated)
    print("\n".join(one_line_safe(line) for line in lines))
    return 0


def _detect(body: bytes, url: str) -> str:
    """The format; an incident.io summary is read with its component list when its URL says
    where that is."""
    fmt = detect_format(body)
    if fmt == "statuspage" and incidentio.served_by_incidentio(body):
        if url.partition("?")[0].endswith("/summary.json"):
            return "incidentio"
    return fmt


def _parse(source: SourceConfig, body: bytes, components: bytes | None) -> tuple[Snapshot, bool]:
    """The snapshot, and whether the payload dated it (a quiet Instatus page does not)."""
    try:
        if components is not None:
            return incidentio.parse_pair(body, components), True
        return PARSERS[source.kind](body, None), True
    except UndatedPayload:
        now = datetime.now(UTC)
        if components is not None:
            return incidentio.parse_pair(body, components, now), False
        return PARSERS[source.kind](body, now), False


async def _fetch(fetcher: StatusFetcher, url: str, what: str = "") -> bytes:
    try:
        result: FetchResult = await fetcher.fetch(
            url, timeout=TIMEOUT_S, max_bytes=MAX_BYTES, validators=None
        )
    except SourceError as exc:
        raise type(exc)(what + exc.reason) from None
    content_type = (result.content_type or "").split(";")[0].strip().lower()
    if content_type == "text/html":
        raise SourceError(
            f"{what}the server sent an HTML page, not a status format "
            "(a page's JSON or feed is usually at /api/v2/summary.json, /index.json, "
            "/summary.json, /incidents.json or /feed.xml)"
        )
    return result.body


def _source(fmt: str, url: str, components_url: str | None) -> SourceConfig:
    fields = {"kind": fmt, "url": url}
    if components_url:
        fields["components_url"] = components_url
    return SourceConfig.model_validate(fields)


def report(source: SourceConfig, snap: Snapshot, detected: bool, dated: bool = True) -> list[str]:
    """What the bot understood, as an operator reads it."""
    how = "detected from the content" if detected else "as given"
    when = "from the payload" if dated else "fetched; the payload carries no time"
    lines = [
        f"format: {source.kind} ({how})",
        f"page: {clean(snap.page_name)}" + (f" — {clean(snap.page_url)}" if snap.page_url else ""),
        f"as of: {snap.observed_at:%Y-%m-%d %H:%M:%S} UTC ({when})",
    ]
    if source.components_url:
        lines.append(f"component list: {clean(source.components_url)}")
    bad = [c for c in snap.components if c.status is not ComponentStatus.OPERATIONAL]
    lines.append(f"components: {len(snap.components)}, not operational: {len(bad)}")
    for component in (bad or list(snap.components))[:SHOWN]:
        group = f"{clean(component.group, 40)} / " if component.group else ""
        lines.append(
            f"  - {group}{clean(component.name, 80)} [{component.id}]: {component.status.value}"
        )
    if len(bad or snap.components) > SHOWN:
        lines.append(f"  … and {len(bad or snap.components) - SHOWN} more")
    open_incidents = [i for i in snap.incidents if not i.status.is_closed]
    closed = len(snap.incidents) - len(open_incidents)
    history = f" (and {closed} closed, listed as history)" if closed else ""
    lines.append(f"open incidents: {len(open_incidents)}{history}")
    lines.extend(_incident_lines(open_incidents))
    active = [m for m in snap.maintenances if not m.status.is_closed]
    lines.append(f"maintenance: {len(active)}")
    lines.extend(_incident_lines(active))
    if snap.warnings:
        lines.append(f"warnings: {len(snap.warnings)}")
        lines.extend(f"  - {clean(w)}" for w in snap.warnings[:SHOWN])
    lines.append("config:")
    lines.extend(_yaml(source))
    return lines


def _incident_lines(incidents: Sequence[Incident]) -> list[str]:
    out = []
    for incident in incidents[:SHOWN]:
        since = f", since {incident.started_at:%Y-%m-%d %H:%M} UTC" if incident.started_at else ""
        out.append(
            f"  - {clean(incident.title, 100)} [{incident.status.value}, "
            f"impact {incident.impact.value}{since}]"
        )
    return out


def _yaml(source: SourceConfig) -> list[str]:
    lines = ["  sources:", f"    - kind: {source.kind}", f"      url: {source.url}"]
    if source.components_url and source.kind != "incidentio":
        lines.append(f"      components_url: {source.components_url}")
    return lines
