"""The poll step: what one source says now, as one Observation.

Fetch (conditional GET; a second document for sources read with one, such as incident.io's
component list), a 304 answered with the snapshot held from last time, parse, filter
components; the poll's time is taken once, by the caller, and is the snapshot's
`observed_at`. The outside world can never crash it: every fault is a FetchFailure.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from bot.config import SourceConfig
from bot.errors import LocalResourceExhausted, PayloadError, SourceError
from bot.fetch import FetchResult, Validators
from bot.models import FetchFailure, Observation, Snapshot
from bot.snapshots import filter_components

log = logging.getLogger(__name__)

# (source kind, body, the poll's time, second document or None) -> Snapshot;
# raises SourceError on a bad body (integrations.sources.parse).
Parse = Callable[[str, bytes, datetime, bytes | None], Awaitable[Snapshot]]


class Fetcher(Protocol):
    """What the poll step needs from an HTTP client (bot.fetch.StatusFetcher)."""

    async def fetch(
        self, url: str, *, timeout: float, max_bytes: int, validators: Validators | None
    ) -> FetchResult: ...


@dataclass(frozen=True, slots=True)
class Reading:
    """One poll's observation; `changed` is False when the page answered 304."""

    observation: Observation
    changed: bool = True
    bytes_received: int = 0


class SourceReader:
    """Reads one source; holds the last snapshot so that a 304 can stand for it."""

    def __init__(self, source: SourceConfig, fetcher: Fetcher, parse: Parse) -> None:
        self.source = source
        self.fetcher = fetcher
        self.parse = parse
        self._last: Snapshot | None = None
        self._validators: Validators | None = None

    async def read(self, now: datetime) -> Reading:
        """Fetch and parse once at `now`; raises only on cancellation, or LocalResourceExhausted
        when our side ran out (descriptors, memory)."""
        source = self.source
        # Validators only while we hold the snapshot they stand for, and only when that
        # snapshot came from this one document.
        conditional = source.conditional_get and not source.components_url
        sent = self._validators if conditional and self._last is not None else None
        try:
            result = await self.fetcher.fetch(
                source.url, timeout=source.timeout, max_bytes=source.max_bytes, validators=sent
            )
        except SourceError as exc:
            return Reading(_failure(now, exc))
        except LocalResourceExhausted:
            raise  # the poller skips this poll: it says nothing about the page
        except Exception:
            log.exception("unexpected error fetching a %s source", source.kind)
            return Reading(FetchFailure(now, "unexpected fetch error"))
        if result.not_modified:
            if self._last is None:
                return Reading(FetchFailure(now, "HTTP 304 without an earlier answer"))
            self._validators = result.validators
            last = dataclasses.replace(self._last, observed_at=now)
            return Reading(last, changed=False, bytes_received=result.bytes_received)
        received = result.bytes_received
        components: bytes | None = None
        if source.components_url:
            try:
                extra = await self.fetcher.fetch(
                    source.components_url,
                    timeout=source.timeout,
                    max_bytes=source.max_bytes,
                    validators=None,
                )
            except SourceError as exc:
                failure = FetchFailure(now, f"component list: {exc.reason}", exc.retry_after_s)
                return Reading(failure, bytes_received=received)
            except LocalResourceExhausted:
                raise
            except Exception:
                log.exception("unexpected error fetching a component list (%s)", source.kind)
                return Reading(FetchFailure(now, "unexpected fetch error"), bytes_received=received)
            components = extra.body
            received += extra.bytes_received
        try:
            snapshot = await self._parse(result, components, now)
        except SourceError as exc:
            # Forget the last answer: a 304 must never stand for a body we could not read.
            self._last = self._validators = None
            return Reading(_failure(now, exc), bytes_received=received)
        except Exception:
            log.exception("unexpected error parsing a %s source", source.kind)
            self._last = self._validators = None
            failure = FetchFailure(now, "could not parse the response")
            return Reading(failure, bytes_received=received)
        if snapshot.warnings:
            # DEBUG: the parsers log each skipped element once, the first time they see it.
            log.debug(
                "source %s: %d payload warning(s)", source.id or source.kind, len(snapshot.warnings)
            )
        self._last, self._validators = snapshot, result.validators
        return Reading(snapshot, bytes_received=received)

    async def _parse(
        self, result: FetchResult, components: bytes | None, now: datetime
    ) -> Snapshot:
        source = self.source
        content_type = (result.content_type or "").split(";")[0].strip().lower()
        if content_type == "text/html":
            expected = "a feed" if source.kind == "rss" else "JSON"
            raise PayloadError(f"expected {expected}, got text/html")
        snapshot = await self.parse(source.kind, result.body, now, components)
        return filter_components(snapshot, source.include_components, source.exclude_components)


def _failure(now: datetime, exc: SourceError) -> FetchFailure:
    return FetchFailure(observed_at=now, reason=exc.reason, retry_after_s=exc.retry_after_s)
