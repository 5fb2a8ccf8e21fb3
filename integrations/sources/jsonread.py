"""Typed reads from untrusted JSON, shared by the parsers of JSON status formats.

Every read checks the type it gets: a wrong type is a PayloadError (the page is unreadable,
which is never evidence of an outage), an unknown enum value is a warning and a fallback.
"""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime
from typing import Any, TypeVar

from bot.errors import PayloadError, UndatedPayload

log = logging.getLogger(__name__)

T = TypeVar("T")


def load_json(raw: bytes) -> Any:
    """Decode bytes as JSON; HTML, XML and broken JSON are PayloadErrors."""
    if not isinstance(raw, bytes | bytearray | memoryview):
        raise PayloadError("expected bytes")
    head = bytes(raw[:64]).lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if head.startswith(b"<"):
        raise PayloadError("expected JSON, got HTML or XML")
    try:
        return json.loads(bytes(raw))
    except (ValueError, RecursionError):
        raise PayloadError("not valid JSON (truncated or corrupt)") from None


def to_utc(moment: datetime) -> datetime:
    """Aware UTC; a naive time is taken as UTC."""
    if moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    try:
        return moment.astimezone(UTC)
    except OverflowError:
        raise PayloadError("timestamp out of range") from None


def parse_iso(text: str) -> datetime:
    """ISO 8601 with or without fractions, `Z` or an offset; always aware UTC."""
    try:
        moment = datetime.fromisoformat(text.strip())
    except ValueError:
        raise PayloadError(f"bad timestamp {text[:40]!r}") from None
    return to_utc(moment)


class Reader:
    """Reads fields of one payload; collects warnings and the newest time seen."""

    def __init__(self, fmt: str) -> None:
        self.fmt = fmt
        self.warnings: list[str] = []
        self.newest: datetime | None = None

    def warn(self, message: str) -> None:
        log.warning("%s payload: %s", self.fmt, message)
        self.warnings.append(message)

    def obj(self, value: Any, where: str) -> dict[str, Any]:
        if not isinstance(value, dict):
            raise PayloadError(f"{where}: expected an object")
        return value

    def items(self, container: dict[str, Any], key: str, where: str) -> list[Any]:
        """A list under `key`; missing or null is empty."""
        value = container.get(key)
        if value is None:
            return []
        if not isinstance(value, list):
            raise PayloadError(f"{where}.{key}: expected a list")
        return value

    def text(self, obj: dict[str, Any], key: str, where: str) -> str | None:
        value = obj.get(key)
        if value is None:
            return None
        if not isinstance(value, str):
            raise PayloadError(f"{where}.{key}: expected a string")
        return value

    def ident(self, obj: dict[str, Any], key: str, where: str) -> str:
        """An id: a non-empty string, or an integer (Better Stack mixes both)."""
        value = obj.get(key)
        if isinstance(value, int) and not isinstance(value, bool):
            return str(value)
        if not isinstance(value, str) or not value:
            raise PayloadError(f"{where}: missing or empty {key!r}")
        return value

    def time(self, obj: dict[str, Any], key: str, where: str) -> datetime | None:
        text = self.text(obj, key, where)
        if not text:
            return None
        moment = parse_iso(text)
        self.seen(moment)
        return moment

    def seen(self, moment: datetime) -> None:
        if self.newest is None or moment > self.newest:
            self.newest = moment

    def enum(self, value: Any, table: dict[str, T], where: str, what: str, fallback: T) -> T:
        """`table[value]`, or the fallback with a warning: unknown is not an outage."""
        if isinstance(value, str) and value in table:
            return table[value]
        self.warn(f"{where}: unknown {what} {str(value)[:40]!r}")
        return fallback

    def date_snapshot(self, observed_at: datetime | None, *candidates: datetime | None) -> datetime:
        """The time a snapshot stands for: the caller's clock, else the payload's own."""
        for moment in (observed_at, *candidates, self.newest):
            if moment is not None:
                return to_utc(moment)
        raise UndatedPayload(f"{self.fmt} payload has no timestamp to date it")
