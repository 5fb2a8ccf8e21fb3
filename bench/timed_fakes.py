"""The shared fakes, plus a monotonic timestamp on every request they answer.

Detection latency is "flip -> first chat call" and processing is "poll answered -> first
chat call"; both ends are stamped here, in the benchmark process, with one clock.
"""

from __future__ import annotations

import time
from collections import defaultdict
from typing import Any

from aiohttp import web

from fakes.discord import FakeDiscord
from fakes.statuspage import FakeStatusPage


class TimedStatusPage(FakeStatusPage):
    """FakeStatusPage that also keeps, per path, when each request was answered."""

    def __init__(self, host: str = "127.0.0.1", port: int = 0) -> None:
        super().__init__(host, port)
        self.times: dict[str, list[float]] = defaultdict(list)
        self.keep_requests = True

    def _record_raw(self, request: web.Request, status: int, bytes_sent: int) -> None:
        self.times[request.path].append(time.monotonic())
        if self.keep_requests:
            super()._record_raw(request, status, bytes_sent)

    def first_poll_after(self, path: str, at: float) -> float | None:
        """When the first request at or after `at` was answered (it saw the new payload)."""
        found = None
        for stamp in reversed(self.times.get(path, [])):
            if stamp < at:
                break
            found = stamp
        return found

    def polls(self, path: str) -> int:
        return len(self.times.get(path, []))


class TimedDiscord(FakeDiscord):
    """FakeDiscord that keeps when each channel was first called after a given moment."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.channel_times: dict[int, list[float]] = defaultdict(list)

    def _answer(
        self, request: web.Request, route: str, params: dict[str, int], body: Any
    ) -> tuple[int, Any, dict[str, str]]:
        channel = params.get("channel")
        if channel is not None and "/messages" in route:
            self.channel_times[int(channel)].append(time.monotonic())
        return super()._answer(request, route, params, body)

    def first_call_after(self, channel: int, at: float) -> float | None:
        return next((t for t in self.channel_times.get(channel, []) if t >= at), None)
