"""What the outbox's store calls cost with a full queue, timed in-process on SQLite.

The fan-out wave is bounded by how fast the outbox can pick and settle rows; this times
the store calls each delivery makes when 12,000 rows are pending, so a slow wave can be
pinned on a query rather than guessed at.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench.world import seed_subscriptions, store_url
from bot.events import Event, EventKind
from bot.machine import SourceState
from bot.models import IncidentStatus, Severity
from bot.notify import CardRef
from bot.store.store import PollCommit, Store

REPEAT = 20


def _event(provider: str) -> Event:
    now = datetime.now(UTC)
    return Event(
        kind=EventKind.OUTAGE,
        provider=provider,
        source_id=provider,
        page_name="Fanout AI",
        incident_key="inc-costs",
        title="Elevated error rates",
        severity=Severity.PARTIAL_OUTAGE,
        at=now,
        started_at=now,
        incident_id="inc-costs",
        status=IncidentStatus.INVESTIGATING,
        components=("API",),
        text="Investigating elevated errors.",
    )


async def run(workdir: Path, slack: int, discord: int, limit: int = 256) -> dict[str, Any]:
    """Milliseconds per call with `slack + discord` rows pending."""
    url = store_url(workdir, "store-costs")
    subs = [("slack", f"C{n:06d}", "costs", f"T{n // 10:05d}") for n in range(slack)]
    subs += [("discord", str(10**17 + n), "costs", "1") for n in range(discord)]
    await seed_subscriptions(url, subs)
    store = Store(url)
    try:
        started = time.perf_counter()
        await store.polls.commit_poll(
            PollCommit("costs", "costs", SourceState(), datetime.now(UTC), [_event("costs")])
        )
        fan_out_ms = (time.perf_counter() - started) * 1000
        costs = {"pending_rows": slack + discord, "commit_poll_fan_out_ms": round(fan_out_ms, 1)}
        now = datetime.now(UTC)
        costs["due_deliveries_ms"] = await _time(
            lambda: store.outbox.due_deliveries(now, limit=limit)
        )
        costs["outbox_depth_ms"] = await _time(store.outbox.outbox_depth)
        deliveries = await store.outbox.due_deliveries(now, limit=REPEAT)
        it = iter(deliveries)
        # One claim per dispatch for up to 4 x concurrency rows; timed here for one row.
        costs["begin_attempt_ms"] = await _time(
            lambda: store.outbox.begin_attempts([next(it).id], now)
        )
        it = iter(deliveries)
        ref = CardRef("1700000000.000100", "1700000000.000100")
        costs["save_card_ms"] = await _time(lambda: store.outbox.save_card(next(it), ref, now))
        it = iter(deliveries)
        costs["mark_delivered_ms"] = await _time(
            lambda: store.outbox.mark_delivered(next(it), now, new_card=ref)
        )
        costs["limit"] = limit
        return costs
    finally:
        await store.aclose()


async def _time(call: Any) -> float:
    """Median milliseconds of REPEAT awaited calls."""
    took = []
    for _ in range(REPEAT):
        started = time.perf_counter()
        await call()
        took.append((time.perf_counter() - started) * 1000)
    took.sort()
    return round(took[len(took) // 2], 2)
