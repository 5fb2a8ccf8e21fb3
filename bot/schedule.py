"""The bot's clockwork: APScheduler 3 jobs, one per source, plus periodic chores.

Each source is an interval job (jitter centred on the interval, `max_instances=1`,
coalescing). A failing source backs off by moving its job's next run, never by ticks that
wake up only to return. With replicas sharing one database, a tick polls only a source this
replica leads (bot/leadership.py); gaining a source polls it at once.

Stop (`stop()`), in this order:
1. pause the scheduler: no job starts from now on;
2. close every poller, so a poll already handed to the executor does nothing (chores too);
3. wait (bounded) for the polls and chores in flight to commit their transaction;
4. shut the scheduler down; nothing is left running in its executor.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
from collections.abc import Awaitable, Callable, Sequence
from datetime import UTC, datetime, timedelta

from apscheduler.schedulers.asyncio import AsyncIOScheduler

from bot.leadership import Leadership
from bot.poller import SourcePoller

log = logging.getLogger(__name__)


class Schedule:
    """Runs the pollers and chores on an AsyncIOScheduler (started inside the loop)."""

    def __init__(
        self, pollers: Sequence[SourcePoller], leadership: Leadership | None = None
    ) -> None:
        self.pollers = list(pollers)
        self.leadership = leadership
        self._scheduler = AsyncIOScheduler(timezone=UTC)
        self._chores: list[tuple[Callable[[], Awaitable[None]], float, float, str]] = []
        # Chores in flight, so that stop lets them finish instead of cancelling them.
        self._running: set[asyncio.Task[object]] = set()
        self._stopping = False
        self._by_lease = {lease_name(p): p for p in self.pollers}
        self._led_chores: set[str] = set()
        if leadership is not None:
            leadership.listeners.append(self._lead_changed)
            self.add_chore(leadership.refresh, leadership.renew_every_s, 0, "leadership")

    def add_chore(
        self,
        func: Callable[[], Awaitable[None]],
        every_s: float,
        first_in_s: float,
        name: str,
        led: bool = False,
    ) -> None:
        """Run `func` every `every_s` seconds, the first time `first_in_s` after start.

        `led`: only while this replica holds the lease called `name` (a probe)."""
        if led and self.leadership is not None:
            func = functools.partial(self._led_chore, func, name)
            self._led_chores.add(name)
        self._chores.append((func, every_s, first_in_s, name))

    async def _led_chore(self, func: Callable[[], Awaitable[None]], lease: str) -> None:
        assert self.leadership is not None
        if self.leadership.holds(lease):
            await func()

    def start(self) -> None:
        now = datetime.now(UTC)
        for poller in self.pollers:
            interval = poller.source.interval
            jitter = min(interval * 0.1, 5.0)
            self._scheduler.add_job(
                self._poll,
                "interval",
                args=[poller],
                # APScheduler's jitter only delays: centre the gaps on the interval.
                seconds=interval - jitter / 2,
                jitter=jitter,
                max_instances=1,
                coalesce=True,
                misfire_grace_time=max(1, int(interval)),
                next_run_time=now,
                id=_job_id(poller),
            )
        for func, every_s, first_in_s, name in self._chores:
            self._scheduler.add_job(
                self._chore,
                "interval",
                args=[func],
                seconds=every_s,
                max_instances=1,
                coalesce=True,
                next_run_time=now + timedelta(seconds=first_in_s),
                id=name,
            )
        self._scheduler.start()

    async def _chore(self, func: Callable[[], Awaitable[None]]) -> None:
        task = asyncio.current_task()
        if self._stopping or task is None:
            return
        self._running.add(task)
        try:
            await func()
        finally:
            self._running.discard(task)

    async def _poll(self, poller: SourcePoller) -> None:
        if self.leadership is not None and not self.leadership.holds(lease_name(poller)):
            poller.forget_state()  # another replica commits it meanwhile
            return
        await poller.check_once()
        if poller.retry_in is not None and self._scheduler.running:
            # Back off: the job's next run moves; the interval resumes from that run.
            later = datetime.now(UTC) + timedelta(seconds=poller.retry_in)
            with contextlib.suppress(LookupError):  # the job is gone: we are stopping
                self._scheduler.modify_job(_job_id(poller), next_run_time=later)

    def _lead_changed(self, lease: str, held: bool) -> None:
        if held:
            self.poll_now(lease)

    def poll_now(self, lease: str) -> None:
        """This replica now leads the source (or probe): read its committed state, poll now."""
        if not self._scheduler.running:
            return
        poller = self._by_lease.get(lease)
        if poller is not None:
            poller.forget_state()
            job = _job_id(poller)
        elif lease in self._led_chores:
            job = lease
        else:
            return
        with contextlib.suppress(LookupError):
            self._scheduler.modify_job(job, next_run_time=datetime.now(UTC))

    def next_poll_at(self, poller: SourcePoller) -> datetime | None:
        """When the scheduler will next poll this source (None when not scheduled)."""
        job = self._scheduler.get_job(_job_id(poller))
        return job.next_run_time if job is not None else None

    async def stop(self, timeout: float) -> None:
        """The stop sequence in the module docstring; safe to call twice."""
        if self._scheduler.running:
            self._scheduler.pause()
        self._stopping = True
        for poller in self.pollers:
            poller.stopping = True
        if self.pollers:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(
                    asyncio.gather(*(p.wait_idle() for p in self.pollers)), timeout
                )
        if self._running:
            # Chores (probes, fusion, reminders) in flight finish; shutdown would cancel them.
            await asyncio.wait(set(self._running), timeout=timeout)
        if self._scheduler.running:
            self._scheduler.shutdown(wait=False)


def _job_id(poller: SourcePoller) -> str:
    return f"poll:{poller.source_id}"


def lease_name(poller: SourcePoller) -> str:
    """The lease a replica must hold to poll this source."""
    return f"poll:{poller.source_id}"
