"""Split processing time in two using the bot's own JSON log line for each event.

`bot.poller` logs "<kind> <provider>: <title>" right after the poll's transaction commits
and before the outbox is woken, so: poll answered -> event committed (fetch, parse,
transition, commit) and event committed -> first chat call (outbox pick-up and delivery).
Log stamps are wall-clock; they are mapped onto the benchmark's monotonic clock.
"""

from __future__ import annotations

import json
import time
from collections import defaultdict
from datetime import datetime
from pathlib import Path

POLLER_LOGGER = "bot.poller"


def wall_to_monotonic_offset() -> float:
    """time.time() - time.monotonic(), to map wall stamps onto the monotonic clock."""
    return time.time() - time.monotonic()


def event_times(log_file: Path, offset: float) -> dict[tuple[str, str], list[float]]:
    """(provider key, event kind) -> monotonic times the bot logged that event."""
    found: dict[tuple[str, str], list[float]] = defaultdict(list)
    try:
        lines = log_file.read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError:
        return found
    for line in lines:
        if POLLER_LOGGER not in line:
            continue
        try:
            record = json.loads(line)
        except ValueError:
            continue
        if record.get("logger") != POLLER_LOGGER:
            continue
        kind, _, rest = str(record.get("msg", "")).partition(" ")
        provider = rest.split(":", 1)[0]
        try:
            wall = datetime.fromisoformat(record["ts"]).timestamp()
        except (KeyError, ValueError):
            continue
        found[(provider, kind)].append(wall - offset)
    return found


def committed_at(
    times: dict[tuple[str, str], list[float]],
    provider: str,
    kinds: tuple[str, ...],
    polled: float,
    chat: float,
) -> float | None:
    """The logged event between the poll that saw the flip and the first chat call."""
    slack_s = 0.002  # the two clocks are read separately; allow a little skew
    candidates = [
        t
        for kind in kinds
        for t in times.get((provider, kind), [])
        if polled - slack_s <= t <= chat + slack_s
    ]
    return min(candidates) if candidates else None
