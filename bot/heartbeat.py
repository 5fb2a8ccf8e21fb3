"""A heartbeat the scheduler keeps: when it goes stale, the loop or the scheduler is stuck."""

from __future__ import annotations

import time
from collections.abc import Callable


class Heartbeat:
    """Beaten by a scheduler job; /healthz reads it."""

    def __init__(self, timeout: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.timeout = timeout
        self._clock = clock
        # Counted from creation: the first beat is due at once, but not yet run.
        self._last = clock()

    @property
    def interval(self) -> float:
        """Beat several times per timeout, so one late beat is not a false alarm."""
        return min(max(self.timeout / 4, 0.1), 15.0)

    def beat(self) -> None:
        self._last = self._clock()

    def age(self) -> float:
        return self._clock() - self._last

    def alive(self) -> tuple[bool, dict[str, float]]:
        age = self.age()
        return age <= self.timeout, {"heartbeat_age_s": round(age, 3)}
