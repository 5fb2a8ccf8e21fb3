"""One warning line for a flood of junk requests, instead of one traceback per request."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable


class JunkLog:
    """Counts refused requests per server and logs at most one WARNING per interval.

    A scanner sending thousands of malformed requests must not fill the disk or bury the
    lines that matter; the count keeps what was refused visible.
    """

    INTERVAL_S = 60.0

    def __init__(
        self, log: logging.Logger, server: str, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.log = log
        self.server = server
        self.clock = clock
        self._next_at = 0.0
        self._held = 0

    def refused(self, status: int, reason: str) -> None:
        """Note one refused request; log now if the last line is old enough."""
        self._held += 1
        now = self.clock()
        if now < self._next_at:
            return
        count, self._held = self._held, 0
        self._next_at = now + self.INTERVAL_S
        self.log.warning(
            "%s refused %d malformed request%s (latest: %d, %s); "
            "further ones are counted for %.0f s",
            self.server,
            count,
            "" if count == 1 else "s",
            status,
            reason,
            self.INTERVAL_S,
        )
