"""One poll of one source: fetch, parse, filter; the outside world can never crash it."""

from __future__ import annotations

import logging
from dataclasses import dataclass, replace
from datetime import datetime

from bot.config import SourceConfig
from bot.errors import PayloadError, SourceError
from bot.models import FetchFailure, Snapshot
from integrations.sources import PARSERS, feed, incidentio
from integrations.sources.http import FetchResult, StatusFetcher, Validators
from integrations.sources.statuspage import filter_components

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class PollOutcome:
    """`observation` is None when the page answered 304 Not Modified."""

    observation: Snapshot | FetchFailure | None
    validators: Validators | None
    bytes_received: int


async def poll_once(
    fetcher: StatusFetcher, source: SourceConfig, validators: Validators | None, now: datetime
) -> PollOutcome:
    """Fetch and parse `source` once; failures come back as FetchFailure, never raised."""
    # A 304 stands for the last snapshot only when that came from this one document.
    sent = validators if source.conditional_get and not source.components_url else None
    try:
        result = await fetcher.fetch(
            source.url, timeout=source.timeout, max_bytes=source.max_bytes, validators=sent
        )
    except SourceError as exc:
        return PollOutcome(_failure(now, exc), validators, 0)
    except Exception:
        log.exception("unexpected error fetching a %s source", source.kind)
        return PollOutcome(FetchFailure(now, "unexpected fetch error"), validators, 0)

    if result.not_modified:
        return PollOutcome(None, result.validators, result.bytes_received)
    components: bytes | None = None
    received = result.bytes_received
    if source.components_url:
        try:
            extra = await fetcher.fetch(
                source.components_url,
                timeout=source.timeout,
                max_bytes=source.max_bytes,
                validators=None,
            )
        except SourceError as exc:
            failure = FetchFailure(now, f"component list: {exc.reason}", exc.retry_after_s)
            return PollOutcome(failure, None, received)
        except Exception:
            log.exception("unexpected error fetching a component list (%s)", source.kind)
            return PollOutcome(FetchFailure(now, "unexpected fetch error"), None, received)
        components = extra.body
        received += extra.bytes_received
    try:
        snapshot = await _parse(source, result, components, now)
    except SourceError as exc:
        # Forget the validators: a 304 must never stand for a body we could not read.
        return PollOutcome(_failure(now, exc), None, received)
    except Exception:
        log.exception("unexpected error parsing a %s source", source.kind)
        return PollOutcome(FetchFailure(now, "could not parse the response"), None, received)
    if snapshot.warnings:
        log.warning(
            "source %s: %d payload warning(s)", source.id or source.kind, len(snapshot.warnings)
        )
    return PollOutcome(snapshot, result.validators, received)


async def _parse(
    source: SourceConfig, result: FetchResult, components: bytes | None, now: datetime
) -> Snapshot:
    content_type = (result.content_type or "").split(";")[0].strip().lower()
    if content_type == "text/html":
        expected = "a feed" if source.kind == "rss" else "JSON"
        raise PayloadError(f"expected {expected}, got text/html")
    if components is not None:
        snapshot = incidentio.parse_pair(result.body, components, now)
    elif source.kind == "rss":
        snapshot = await feed.parse_async(result.body, now)
    else:
        snapshot = PARSERS[source.kind](result.body, now)
    snapshot = filter_components(snapshot, source.include_components, source.exclude_components)
    return replace(snapshot, observed_at=now)


def _failure(now: datetime, exc: SourceError) -> FetchFailure:
    return FetchFailure(observed_at=now, reason=exc.reason, retry_after_s=exc.retry_after_s)
