"""Status sources: one module per wire format, each with a pure `parse(raw) -> Snapshot`.

Sources only parse. Fetching, 304s, filtering and the poll's time are the core's poll
step (bot/reading.py); this package imports nothing from `bot/` but the domain
vocabulary (bot.models, bot.errors).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import datetime

from bot.errors import PayloadError
from bot.models import Snapshot
from integrations.sources import feed, statuspage

Parser = Callable[[bytes, datetime | None], Snapshot]

PARSERS: dict[str, Parser] = {"statuspage": statuspage.parse, "rss": feed.parse}
# Formats whose parser blocks long enough to stall the event loop (feedparser).
BLOCKING = frozenset({"rss"})


async def parse(kind: str, raw: bytes, observed_at: datetime) -> Snapshot:
    """Parse the body of a `kind` source, in a worker thread when its parser blocks."""
    parser = PARSERS[kind]
    if kind in BLOCKING:
        return await asyncio.to_thread(parser, raw, observed_at)
    return parser(raw, observed_at)


def detect_format(raw: bytes) -> str:
    """ "statuspage" for a JSON object, "rss" for XML; anything else is a PayloadError."""
    head = bytes(raw[:512]).lstrip(b"\xef\xbb\xbf \t\r\n")
    if head.startswith(b"{"):
        return "statuspage"
    if head.startswith(b"<") and not head[:15].lower().startswith((b"<!doctype html", b"<html")):
        return "rss"
    raise PayloadError("neither a JSON object nor an XML feed")


def parse_any(raw: bytes, observed_at: datetime | None = None) -> Snapshot:
    """Parse bytes of either format, for replay and tools that do not know the source kind."""
    return PARSERS[detect_format(raw)](raw, observed_at)


__all__ = ["BLOCKING", "PARSERS", "Parser", "detect_format", "parse", "parse_any"]
