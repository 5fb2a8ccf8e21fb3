"""The application lifecycle: initialize → start → (run) → stop → shutdown.

- initialize: open the store (migrating it), build the fetcher, command service, chat
  platforms, notifiers, pollers and the outbox worker. Nothing polls or connects yet.
- start: connect chat platforms, start the outbox worker, schedule one job per source
  (APScheduler, jitter, max_instances=1, coalesce), start the health server.
- stop: stop scheduling, let the poll in flight commit, let deliveries in flight finish,
  disconnect platforms. shutdown: close HTTP clients and the store.
`async with Application(config)` runs initialize+start and stop+shutdown, even when
start-up fails half way.
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib
import logging
import signal
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from types import TracebackType
from typing import TYPE_CHECKING

from apscheduler.schedulers.asyncio import AsyncIOScheduler

from bot.commands import CommandService
from bot.config import Config
from bot.console import ConsoleNotifier
from bot.notify import ChatPlatform, Notifier
from bot.outbox import OutboxWorker
from bot.poller import SourcePoller
from bot.store.store import Store
from integrations.sources.http import StatusFetcher

if TYPE_CHECKING:
    from bot.health import HealthServer

log = logging.getLogger(__name__)

STOP_TIMEOUT_S = 5.0
REMINDER_CHECK_S = 60


class Application:
    """One bot process."""

    def __init__(self, config: Config, clock: Callable[[], datetime] | None = None) -> None:
        self.config = config
        self.clock = clock or (lambda: datetime.now(UTC))
        self.store: Store | None = None
        self.fetcher: StatusFetcher | None = None
        self.commands: CommandService | None = None
        self.platforms: list[ChatPlatform] = []
        self.notifiers: dict[str, Notifier] = {}
        self.pollers: list[SourcePoller] = []
        self.worker: OutboxWorker | None = None
        self.health: HealthServer | None = None  # only when `health` is configured
        self._scheduler: AsyncIOScheduler | None = None
        self._worker_task: asyncio.Task[None] | None = None
        self._started = False

    async def __aenter__(self) -> Application:
        try:
            await self.initialize()
            await self.start()
        except BaseException:
            await self.stop()
            await self.shutdown()
            raise
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.stop()
        await self.shutdown()

    async def initialize(self) -> None:
        config = self.config
        sinks = ["console"] if config.console.enabled else []
        self.store = Store(config.store.url, local_sinks=sinks)
        await self.store.initialize()
        self.fetcher = StatusFetcher()
        self.commands = CommandService(config, self.store, clock=self.clock)
        if config.console.enabled:
            self.notifiers["console"] = ConsoleNotifier(json_lines=config.console.json_lines)
        for name in ("slack", "discord"):
            section = getattr(config, name)
            if section is None:
                continue
            module = importlib.import_module(f"integrations.{name}")
            platform: ChatPlatform = module.create(section, self.commands)
            self.platforms.append(platform)
            self.notifiers[platform.notifier.platform] = platform.notifier
        self.worker = OutboxWorker(self.store, self.notifiers, config.delivery, clock=self.clock)
        worker = self.worker
        self.pollers = [
            SourcePoller(
                provider,
                sid,
                source,
                self.fetcher,
                self.store,
                on_events=lambda _events: worker.wake(),
                clock=self.clock,
                display_name=config.providers[provider].name,
            )
            for provider, sid, source in config.source_ids()
        ]

    async def start(self) -> None:
        assert self.worker is not None
        assert self.store is not None
        for platform in self.platforms:
            await platform.start()
        self._worker_task = asyncio.create_task(self.worker.run(), name="outbox-worker")
        self._scheduler = AsyncIOScheduler(timezone=UTC)
        now = datetime.now(UTC)
        for poller in self.pollers:
            interval = poller.source.interval
            jitter = min(interval * 0.1, 5.0)
            self._scheduler.add_job(
                poller.check_once,
                "interval",
                # APScheduler's jitter only delays: centre the gaps on the interval.
                seconds=interval - jitter / 2,
                jitter=jitter,
                max_instances=1,
                coalesce=True,
                misfire_grace_time=max(1, int(interval)),
                next_run_time=now,
                id=f"poll:{poller.source_id}",
            )
        self._scheduler.add_job(
            self._enqueue_reminders,
            "interval",
            seconds=REMINDER_CHECK_S,
            max_instances=1,
            coalesce=True,
            next_run_time=now + timedelta(seconds=5),
            id="reminders",
        )
        self._scheduler.start()
        if self.config.health is not None:
            # Imported here: aiohttp costs ~20 MB, and a console-only bot never needs it.
            from bot.health import HealthServer

            self.health = HealthServer(
                self.config.health.host, self.config.health.port, self.readiness
            )
            await self.health.start()
        self._started = True
        log.info(
            "statusbot started: %d sources, channels: %s",
            len(self.pollers),
            ", ".join(self.notifiers) or "none",
        )

    async def stop(self) -> None:
        """Stop in the reverse order of start; safe to call twice or after a failed start."""
        # Let the poll in flight commit before the scheduler cancels its executor's tasks.
        if self._scheduler is not None:
            self._scheduler.pause()
        for poller in self.pollers:
            poller.stopping = True
        await self._wait_for_polls()
        if self._scheduler is not None:
            self._scheduler.shutdown(wait=False)
            self._scheduler = None
        if self.worker is not None:
            await self.worker.stop(timeout=STOP_TIMEOUT_S)
        if self._worker_task is not None:
            self._worker_task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._worker_task
            self._worker_task = None
        if self.health is not None:
            await self.health.stop()
            self.health = None
        for platform in reversed(self.platforms):
            try:
                await asyncio.wait_for(platform.stop(), timeout=STOP_TIMEOUT_S)
            except Exception:  # noqa: BLE001 - keep stopping the rest
                log.exception("stopping %s failed", type(platform).__name__)
        self._started = False

    async def shutdown(self) -> None:
        for notifier in self.notifiers.values():
            with contextlib.suppress(Exception):
                await notifier.aclose()
        if self.fetcher is not None:
            await self.fetcher.aclose()
            self.fetcher = None
        if self.store is not None:
            await self.store.aclose()
            self.store = None

    async def _wait_for_polls(self) -> None:
        """A poll in flight finishes its transaction (bounded) before we close the store."""

        if self.pollers:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(
                    asyncio.gather(*(p.wait_idle() for p in self.pollers)), STOP_TIMEOUT_S
                )

    async def _enqueue_reminders(self) -> None:
        assert self.store is not None
        assert self.worker is not None
        try:
            if await self.store.enqueue_reminders(self.clock()):
                self.worker.wake()
        except Exception:
            log.exception("queueing reminders failed")

    async def readiness(self) -> dict[str, bool]:
        """Store reachable, each source polled within 3 intervals, chat connected."""
        checks: dict[str, bool] = {"store": False}
        records = {}
        if self.store is not None and await self.store.ping():
            checks["store"] = True
            records = {r.source_id: r for r in await self.store.all_sources()}
        now = self.clock()
        for poller in self.pollers:
            record = records.get(poller.source_id)
            window = timedelta(seconds=poller.source.interval * 3 + poller.source.timeout)
            last = record.last_attempt_at if record is not None else None
            checks[f"source:{poller.source_id}"] = last is not None and now - last <= window
        for platform in self.platforms:
            checks[f"chat:{platform.notifier.platform}"] = bool(platform.connected)
        return checks

    async def run_until_signalled(self) -> None:
        """Run until SIGINT or SIGTERM, then stop cleanly."""
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            with contextlib.suppress(NotImplementedError):
                loop.add_signal_handler(sig, stop.set)
        async with self:
            await stop.wait()
            log.info("signal received; stopping")
