"""Say once what a parser skipped: a page serving the same broken element every poll is one line.

Parsers keep every skip in `Snapshot.warnings` (what this payload lacked); the log only hears
about a skip the first time this process sees it, so a bad update does not flood the log.
"""

from __future__ import annotations

import logging
import threading
from collections import OrderedDict

# Enough for every broken element of every configured page; the oldest are forgotten first.
REMEMBERED = 4096


class OnceLog:
    """Log each distinct (page, message) at WARNING the first time, at DEBUG afterwards."""

    def __init__(self, logger: logging.Logger, remembered: int = REMEMBERED) -> None:
        self._logger = logger
        self._remembered = remembered
        self._seen: OrderedDict[tuple[str, str], None] = OrderedDict()
        self._lock = threading.Lock()  # feed parsing runs in worker threads

    def warn(self, page: str, message: str) -> bool:
        """Log `message` about `page`; True when it was news (logged at WARNING)."""
        key = (page, message)
        with self._lock:
            known = key in self._seen
            self._seen[key] = None
            self._seen.move_to_end(key)
            while len(self._seen) > self._remembered:
                self._seen.popitem(last=False)
        if known:
            self._logger.debug("%r: %s (again)", page, message)
            return False
        self._logger.warning("%r: %s", page, message)
        return True

    def forget(self) -> None:
        """Forget every reported skip (tests; a reload)."""
        with self._lock:
            self._seen.clear()
