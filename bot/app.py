"""The application lifecycle: initialize → start → (run) → stop → shutdown.

This is the composition root: the only core module that wires in the integrations
(the source parsers, and Slack and Discord, imported only when configured).

- initialize: open the store (migrating it), build the fetcher, command service, chat
  platforms, notifiers, pollers and the outbox worker. Nothing polls or connects yet.
- start: connect chat platforms, start the outbox worker, start the schedule (one job
  per source, and reminders; bot/schedule.py), start the health server.
- stop: the schedule's stop sequence (no new polls, the polls in flight commit), then the
  outbox (deliveries in flight finish, bounded), the health server, the platforms.
  shutdown: close the notifiers, the HTTP client and the store.
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

from bot.commands import CommandService
from bot.config import Config
from bot.console import ConsoleNotifier
from bot.fetch import StatusFetcher
from bot.notify import ChatPlatform, Notifier
from bot.outbox import OutboxWorker
from bot.poller import SourcePoller
from bot.reminders import send_due_reminders
from bot.routing import Router
from bot.schedule import Schedule
from bot.store.store import Store
from integrations import sources

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
        self._schedule: Schedule | None = None
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
        sinks = ("console",) if config.console.enabled else ()
        self.store = Store(config.store.url, Router(local_sinks=sinks))
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
        self.worker = OutboxWorker(
            self.store.outbox, self.notifiers, config.delivery, clock=self.clock
        )
        self.pollers = [
            SourcePoller(
                provider,
                sid,
                source,
                self.fetcher,
                sources.parse,
                self.store.polls,
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
        self._schedule = Schedule(self.pollers)
        self._schedule.add_chore(self._enqueue_reminders, REMINDER_CHECK_S, 5, "reminders")
        self._schedule.start()
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
        if self._schedule is not None:
            await self._schedule.stop(timeout=STOP_TIMEOUT_S)
            self._schedule = None
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

    async def _enqueue_reminders(self) -> None:
        assert self.store is not None
        try:
            # Queued reminders wake the outbox when they commit.
            await send_due_reminders(self.store.reminders, self.clock())
        except Exception:
            log.exception("queueing reminders failed")

    async def readiness(self) -> dict[str, bool]:
        """Store reachable, each source polled within 3 intervals, chat connected."""
        checks: dict[str, bool] = {"store": False}
        records = {}
        if self.store is not None and await self.store.ping():
            checks["store"] = True
            records = {r.source_id: r for r in await self.store.sources.all_sources()}
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
