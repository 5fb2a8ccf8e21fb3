"""Status sources: one module per wire format, each with a pure `parse(raw) -> Snapshot`.

Sources only parse. Fetching, 304s, filtering and the poll's time are the core's poll
step (bot/reading.py); this package imports nothing from `bot/` but the domain
vocabulary (bot.models, bot.errors).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import datetime
from typing import Any

from bot.errors import PayloadError
from bot.models import Snapshot
from integrations.sources import betterstack, feed, gcp, incidentio, instatus, statuspage
from integrations.sources.jsonread import load_json

Parser = Callable[[bytes, datetime | None], Snapshot]

PARSERS: dict[str, Parser] = {
    "statuspage": statuspage.parse,
    "incidentio": incidentio.parse,
    "rss": feed.parse,
    "gcp": gcp.parse,
    "betterstack": betterstack.parse,
    "instatus": instatus.parse,
}
FORMATS = tuple(PARSERS)
# Formats whose parser blocks long enough to stall the event loop (feedparser).
BLOCKING = frozenset({"rss"})


async def parse(
    kind: str, raw: bytes, observed_at: datetime, components: bytes | None = None
) -> Snapshot:
    """Parse the body of a `kind` source (in a worker thread when its parser blocks).

    `components` is a second document some sources are read with (incident.io's
    components.json, the full component list).
    """
    if components is not None:
        return incidentio.parse_pair(raw, components, observed_at)
    parser = PARSERS[kind]
    if kind in BLOCKING:
        return await asyncio.to_thread(parser, raw, observed_at)
    return parser(raw, observed_at)


def detect_format(raw: bytes) -> str:
    """Name the format of a payload from its content; anything unknown is a PayloadError.

    incident.io's summary is Statuspage-shaped and reads as "statuspage" (see
    `incidentio.served_by_incidentio` to tell them apart).
    """
    head = bytes(raw[:512]).lstrip(b"\xef\xbb\xbf \t\r\n")
    if head.startswith(b"<") and not head[:15].lower().startswith((b"<!doctype html", b"<html")):
        return "rss"
    if head.startswith(b"["):
        return "gcp"
    if head.startswith(b"{"):
        return _json_format(load_json(raw))
    raise PayloadError("neither JSON nor an XML feed")


def _json_format(doc: Any) -> str:
    if not isinstance(doc, dict):
        raise PayloadError(f"expected a JSON object, got {type(doc).__name__}")
    data = doc.get("data")
    if isinstance(data, dict) and ("included" in doc or data.get("type") == "status_page"):
        return "betterstack"
    page = doc.get("page")
    if "activeIncidents" in doc or "activeMaintenances" in doc:
        return "instatus"
    if isinstance(page, dict) and isinstance(page.get("status"), str) and "status" not in doc:
        return "instatus"  # Instatus puts the page status inside `page`
    return "statuspage"


def parse_any(raw: bytes, observed_at: datetime | None = None) -> Snapshot:
    """Parse bytes of any known format, for replay and tools that do not know the source kind."""
    return PARSERS[detect_format(raw)](raw, observed_at)


__all__ = ["BLOCKING", "FORMATS", "PARSERS", "Parser", "detect_format", "parse", "parse_any"]
