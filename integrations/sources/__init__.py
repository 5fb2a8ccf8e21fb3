"""Status sources: one module per wire format, each with a pure `parse(raw) -> Snapshot`."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from bot.errors import PayloadError
from bot.models import Snapshot
from integrations.sources import feed, statuspage

Parser = Callable[[bytes, datetime | None], Snapshot]

PARSERS: dict[str, Parser] = {"statuspage": statuspage.parse, "rss": feed.parse}


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


__all__ = ["PARSERS", "Parser", "detect_format", "parse_any"]
