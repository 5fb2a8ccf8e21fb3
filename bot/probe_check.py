"""One probe: a GET through the shared fetcher, timed and classified; never raises.

The fetch lives in the core (like a status poll); `integrations.probes` only classifies.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass

from bot.errors import LocalResourceExhausted, SourceError
from bot.fetch import StatusFetcher
from integrations.probes.classify import Alive, Answer, ProbeOutcome, classify

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class ProbeResult:
    outcome: ProbeOutcome
    reason: str
    latency_ms: float | None  # None when no answer came back
    status: int | None = None


async def probe_once(
    fetcher: StatusFetcher,
    url: str,
    alive: Alive,
    *,
    timeout: float,  # noqa: ASYNC109 - the fetcher enforces it
    max_bytes: int = 65_536,
) -> ProbeResult:
    """GET `url` once; timeouts, TLS, DNS and connection errors are failures."""
    started = time.perf_counter()
    try:
        result = await fetcher.probe(url, timeout=timeout, max_bytes=max_bytes)
    except SourceError as exc:
        return ProbeResult(ProbeOutcome.FAILING, exc.reason, None)
    except LocalResourceExhausted as exc:
        # Our shortage, not the API's: says nothing either way.
        return ProbeResult(ProbeOutcome.INCONCLUSIVE, f"{exc} on our side", None)
    except Exception:
        log.exception("unexpected error while probing")
        return ProbeResult(ProbeOutcome.INCONCLUSIVE, "unexpected probe error", None)
    latency_ms = (time.perf_counter() - started) * 1000
    answer = Answer(
        status=result.status_code,
        body=result.body,
        content_type=result.content_type,
        cf_mitigated=result.header("cf-mitigated"),
    )
    outcome, reason = classify(answer, alive)
    return ProbeResult(outcome, reason, latency_ms, result.status_code)
