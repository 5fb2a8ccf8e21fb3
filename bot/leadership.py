"""Which sources this replica polls, when several replicas share one PostgreSQL database.

Every replica schedules every source, but polls only those it leads. Leadership is a lease
per source in the database (bot/store/leases.py), renewed every third of its time to live;
the work is divided evenly among the live replicas. A replica that dies or hangs stops
renewing: its sources pass to the others once its leases expire, and the new leader polls
at once. A replica that wakes from a pause trusts a lease only as long as it could still be
valid (measured from before the renewal was sent), so two replicas never both believe they
lead; a poll already under way when that happens is fenced by the source's version anyway
(bot/store/sources.py).

On SQLite (one process) there is nobody to share with: the process leads everything.
"""

from __future__ import annotations

import asyncio
import logging
import os
import socket
import time
import uuid
from collections.abc import Callable, Iterable
from typing import Protocol

log = logging.getLogger(__name__)


class LeaseStore(Protocol):
    """What leadership needs from the store (bot.store.leases.LeaseRepository)."""

    async def keep(
        self, holder: str, work: Iterable[str], ttl_s: float, share: int | None = None
    ) -> tuple[set[str], int]: ...

    async def release(self, holder: str, names: Iterable[str] = ()) -> None: ...


def replica_name() -> str:
    """Host (a pod's name under Kubernetes), process id and a random tail."""
    return f"{socket.gethostname()}-{os.getpid()}-{uuid.uuid4().hex[:6]}"


class Leadership:
    """The work (lease names) this replica leads; `leases=None`: it leads all of it."""

    def __init__(
        self,
        work: Iterable[str],
        leases: LeaseStore | None,
        ttl_s: float,
        name: str | None = None,
    ) -> None:
        self.work = sorted(set(work))
        self.leases = leases
        self.ttl_s = ttl_s
        self.name = name or replica_name()
        # Told of every change: (lease name, now held).
        self.listeners: list[Callable[[str, bool], None]] = []
        self.members = 1
        self._held: set[str] = set(self.work) if leases is None else set()
        self._valid_until = float("inf") if leases is None else 0.0
        self.last_error: str | None = None
        self._lock = asyncio.Lock()  # one renewal at a time; the release waits for it
        self._stopped = False

    @property
    def renew_every_s(self) -> float:
        return self.ttl_s / 3

    def holds(self, name: str) -> bool:
        return name in self._held and time.monotonic() < self._valid_until

    @property
    def leading(self) -> list[str]:
        """What this replica leads right now, sorted."""
        return sorted(n for n in self._held if self.holds(n))

    async def refresh(self) -> None:
        """Renew and rebalance (a chore every `renew_every_s`); never raises."""
        async with self._lock:
            if self.leases is not None and not self._stopped:
                await self._refresh(self.leases)

    async def _refresh(self, leases: LeaseStore) -> None:
        sent = time.monotonic()
        before = set(self.leading)
        try:
            held, self.members = await leases.keep(self.name, self.work, self.ttl_s)
        except Exception as exc:  # noqa: BLE001 - the leases run out on their own
            if self.last_error is None:
                log.warning("cannot renew leadership leases: %s", type(exc).__name__)
            self.last_error = type(exc).__name__
            if self._held and time.monotonic() >= self._valid_until:
                # Another replica may hold them by now: let go here too.
                lapsed, self._held = sorted(self._held), set()
                for name in lapsed:
                    self._tell(name, False)
            return
        self.last_error = None
        self._held = held
        self._valid_until = sent + self.ttl_s
        gained = sorted(held - before)
        lost = sorted(before - held)
        if gained or lost:
            log.info(
                "replica %s leads %s (of %d, %d replicas)%s",
                self.name,
                ", ".join(self.leading) or "nothing",
                len(self.work),
                self.members,
                f"; handed over {', '.join(lost)}" if lost else "",
            )
        for name in lost:
            self._tell(name, False)
        for name in gained:
            self._tell(name, True)

    def _tell(self, name: str, held: bool) -> None:
        for listener in self.listeners:
            try:
                listener(name, held)
            except Exception:  # noqa: BLE001 - one listener's bug must not stop the others
                log.exception("a leadership listener failed for %s", name)

    async def stop_renewing(self) -> None:
        """Let a renewal under way finish, and start none after it (the stop sequence)."""
        async with self._lock:
            self._stopped = True

    async def release(self) -> None:
        """Hand everything back at a clean stop, so the others take over at once."""
        if self.leases is None:
            return
        await self.stop_renewing()
        self._held = set()
        try:
            await self.leases.release(self.name)
        except Exception:  # noqa: BLE001 - they expire anyway
            log.warning("could not hand back leadership leases; they expire on their own")
