"""The application lifecycle: initialize → start → (run) → stop → shutdown.

This is the composition root: the only core module that wires in the integrations
(the source parsers, and Slack and Discord, imported only when configured).

- initialize: open the store (migrating it, unless told only to check it), build the
  fetcher, command service, chat platforms, notifiers, pollers and the outbox worker.
  Nothing polls or connects yet.
- start: connect chat platforms, start the outbox worker, start the schedule (one job
  per source, reminders, early-warning fusion (bot/early.py), releasing alerts held in
  quiet hours, and the heartbeat /healthz reads; bot/schedule.py), start the health server.
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
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from types import TracebackType
from typing import TYPE_CHECKING

from bot import metrics
from bot.commands import CommandService
from bot.config import Config, WebConfig
from bot.console import ConsoleNotifier
from bot.crowd_desk import CrowdDesk
from bot.early import EarlyWarning, WatchedProvider, rules_from_config
from bot.early_cards import EarlyCards
from bot.events import Event
from bot.fetch import StatusFetcher
from bot.heartbeat import Heartbeat
from bot.lag import summarize
from bot.leadership import Leadership
from bot.models import Severity
from bot.notify import ChatPlatform, Notifier, OneConnection
from bot.outbox import OutboxWorker
from bot.poller import SourcePoller
from bot.probing import ProbeRunner
from bot.reminders import send_due_reminders
from bot.routing import Router, Subscription
from bot.schedule import Schedule, lease_name
from bot.store.store import DEAD, Store
from integrations import sources

if TYPE_CHECKING:
    from bot.boardserver import BoardServer
    from bot.health import HealthServer

log = logging.getLogger(__name__)

STOP_TIMEOUT_S = 5.0
REMINDER_CHECK_S = 60
# The `kind`s of configured outputs, which are also their platforms in the outbox.
OUTPUT_KINDS = ("webhook", "slack_webhook", "teams", "telegram")
# How often held alerts are looked at: quiet hours end on the minute.
QUIET_CHECK_S = 30
PRUNE_EVERY_S = 3600
# Fusion also runs on a clock: time alone calls off a suspicion, and the crowd baseline learns.
FUSION_EVERY_S = 30


class Application:
    """One bot process."""

    def __init__(
        self,
        config: Config,
        clock: Callable[[], datetime] | None = None,
        migrate: bool = True,
    ) -> None:
        self.config = config
        self.clock = clock or (lambda: datetime.now(UTC))
        # False when `statusbot migrate` is a deployment step of its own: only check.
        self.migrate = migrate
        self.store: Store | None = None
        self.fetcher: StatusFetcher | None = None
        self.commands: CommandService | None = None
        self.platforms: list[ChatPlatform] = []
        self.notifiers: dict[str, Notifier] = {}
        self.pollers: list[SourcePoller] = []
        self.probes: list[ProbeRunner] = []
        self.worker: OutboxWorker | None = None
        # Early warning: sinks (the early cards) are added with `early.add_sink`.
        self.early: EarlyWarning | None = None
        self._fusing: set[asyncio.Task[None]] = set()
        self.health: HealthServer | None = None  # only when `health` is configured
        self.board: BoardServer | None = None  # only when `web` is configured
        timeout = config.health.heartbeat_timeout if config.health else 60.0
        self.heartbeat = Heartbeat(timeout)
        self.leadership: Leadership | None = None
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
        await self.store.initialize(migrate=self.migrate)
        self.fetcher = StatusFetcher()
        self.commands = CommandService(config, self.store, clock=self.clock)
        probes: dict[str, list[tuple[str, str]]] = {}
        for key, probe_id, probe in config.probe_ids():
            probes.setdefault(key, []).append((probe_id, probe.name))
        self.early = EarlyWarning(
            [
                WatchedProvider(key, provider.name, tuple(probes.get(key, ())))
                for key, provider in config.providers.items()
            ],
            self.store.signals,
            self.store.incidents,
            rules_from_config(config.early_warning),
            clock=self.clock,
        )
        self.commands.early = self.early
        self.commands.crowd = CrowdDesk(
            {key: provider.name for key, provider in config.providers.items()},
            self.store.signals,
            self.early,
            window_s=config.early_warning.crowd.window,
            click_every_s=config.early_warning.crowd.click_every,
            clock=self.clock,
        )
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
        await self._configure_outputs()
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
                on_events=self._official_events,
            )
            for provider, sid, source in config.source_ids()
        ]
        self.probes = [
            ProbeRunner(
                key,
                probe_id,
                probe,
                self.fetcher,
                self.store.signals,
                self.early.rules.probes,
                after=self.early.step,
                clock=self.clock,
                history=self.store.history,
            )
            for key, probe_id, probe in config.probe_ids()
        ]
        # Replicas on one server database divide the sources and probes; a SQLite file has
        # one process.
        # A platform whose every connection hears every event (Discord's gateway) connects
        # on one replica only; the others deliver without it.
        single: dict[str, OneConnection] = {}
        for platform in self.platforms if self.store.db.shared else ():
            if isinstance(platform, OneConnection) and platform.connection_lease:
                platform.share_connection()
                single[platform.connection_lease] = platform
        self.leadership = Leadership(
            [lease_name(p) for p in self.pollers]
            + [_probe_lease(r) for r in self.probes]
            + list(single),
            self.store.leases if self.store.db.shared else None,
            config.store.leader_lease,
        )

        def connection_lead(name: str, held: bool) -> None:
            if name in single:
                single[name].hold_connection(held)

        self.leadership.listeners.append(connection_lead)
        # Each change of a verdict becomes a step of the early card story.
        self.early.add_sink(EarlyCards(config, self.store.early, clock=self.clock))

    async def start(self) -> None:
        assert self.worker is not None
        assert self.store is not None
        for platform in self.platforms:
            await platform.start()
        self._worker_task = asyncio.create_task(self.worker.run(), name="outbox-worker")
        self._schedule = Schedule(self.pollers, self.leadership)
        self._schedule.add_chore(self._enqueue_reminders, REMINDER_CHECK_S, 5, "reminders")
        self._schedule.add_chore(self._release_held, QUIET_CHECK_S, 1, "quiet-hours", led=True)
        # A job like the polls: if the scheduler or the loop under it stops running jobs,
        # the beats stop and /healthz says so.
        self._schedule.add_chore(self._beat, self.heartbeat.interval, 0, "heartbeat")
        self._schedule.add_chore(self._prune_history, PRUNE_EVERY_S, 60, "history-retention")
        self._schedule.add_chore(self._fuse_all, FUSION_EVERY_S, FUSION_EVERY_S, "fusion")
        for runner in self.probes:
            interval = runner.probe.interval
            self._schedule.add_chore(runner.tick, interval, 0, _probe_lease(runner), led=True)
        self._schedule.start()
        if self.config.health is not None:
            # Imported here: aiohttp costs ~20 MB, and a console-only bot never needs it.
            from bot.health import HealthServer

            metrics.set_build_info()
            self.health = HealthServer(
                self.config.health.host,
                self.config.health.port,
                self.readiness,
                liveness=self.heartbeat.alive,
                refresh_metrics=self.refresh_metrics,
                describe=self.describe,
            )
            await self.health.start()
        if self.config.web is not None:
            await self._serve_board(self.config.web)
        self._started = True
        log.info(
            "statusbot started: %d sources, %d probes, channels: %s",
            len(self.pollers),
            len(self.probes),
            ", ".join(self.notifiers) or "none",
        )

    async def stop(self) -> None:
        """Stop in the reverse order of start; safe to call twice or after a failed start."""
        if self._schedule is not None:
            await self._schedule.stop(timeout=STOP_TIMEOUT_S)
            self._schedule = None
            if self.leadership is not None:
                # The others take over at once instead of waiting for the leases to expire.
                await self.leadership.release()
        for task in list(self._fusing):
            task.cancel()
        if self._fusing:
            await asyncio.gather(*self._fusing, return_exceptions=True)
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
        if self.board is not None:
            await self.board.stop()
            self.board = None
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

    async def _serve_board(self, web: WebConfig) -> None:
        """The status board page (read-only), when `web` is configured."""
        from bot.boardserver import BoardServer  # aiohttp and jinja2 only when it is on

        assert self.store is not None
        self.board = BoardServer(
            self.config,
            web.host,
            web.port,
            sources=self.store.sources.all_sources,
            open_incidents=self.store.incidents.open_incidents,
            history=self.store.history,
            clock=self.clock,
            refresh_s=web.refresh,
        )
        await self.board.start()
        log.info("status board: %s", self.board.url)

    async def _configure_outputs(self) -> None:
        """Notifiers for the `outputs:` section, and their subscriptions as configured."""
        assert self.store is not None
        config = self.config
        if config.outputs:
            module = importlib.import_module("integrations.outputs")
            for notifier in module.create(config.outputs):
                self.notifiers[notifier.platform] = notifier
        subs = [
            Subscription(
                platform=output.kind,
                channel_id=output.name,
                provider=key,
                components=tuple(output.components),
                min_severity=Severity.parse(output.min_severity),
                created_by="config",
                created_at=self.clock(),
                mention=getattr(output, "mention", None),
            )
            for output in config.outputs
            for key in (output.providers or config.default_providers)
        ]
        await self.store.subscriptions.replace_configured(set(OUTPUT_KINDS), subs)

    async def _release_held(self) -> None:
        """Quiet hours that ended: each held card goes out, up to date."""
        assert self.store is not None
        try:
            await self.store.outbox.release_held(self.clock())
        except Exception:
            log.exception("releasing held alerts failed")

    async def _prune_history(self) -> None:
        """Forget history older than `history.retention_days` (in the background, hourly)."""
        assert self.store is not None
        before = self.clock() - timedelta(days=self.config.history.retention_days)
        try:
            gone = await self.store.history.prune(before)
        except Exception:
            log.exception("pruning history failed")
            return
        if gone:
            log.info("history: pruned %d rows older than %s", gone, before.date())

    async def _fuse_all(self) -> None:
        if self.early is not None:
            await self.early.step_all()
            try:
                await self.early.forget_old_reports()
            except Exception:
                log.exception("old crowd reports could not be deleted")

    def _official_events(self, events: Sequence[Event]) -> None:
        """An official poll changed something: fuse its providers now, not on the clock."""
        if self.early is None or not self._started:
            return
        task = asyncio.create_task(self.early.step_all({e.provider for e in events}))
        self._fusing.add(task)
        task.add_done_callback(self._fusing.discard)

    async def _beat(self) -> None:
        self.heartbeat.beat()

    async def readiness(self) -> dict[str, bool]:
        """The dependencies: the store answers, each chat platform is connected, and (with
        probes) our own network reaches the providers.

        A status page that cannot be read is the world's problem, not ours: it shows in
        /metrics (statusbot_source_up, statusbot_source_last_success_timestamp_seconds).
        """
        checks: dict[str, bool] = {
            "store": self.store is not None and await self.store.ping(),
        }
        for platform in self.platforms:
            checks[f"chat:{platform.notifier.platform}"] = bool(platform.connected)
        if self.probes and self.early is not None:
            # Every provider's probes failing at once: our own network is down.
            checks["network"] = not self.early.network_down
        return checks

    def describe(self) -> dict[str, object]:
        """What /readyz adds to its checks: this replica and the sources it polls."""
        lead = self.leadership
        if lead is None:
            return {}
        # Sources by their id, probes as probe:<id>.
        leads = [name.removeprefix("poll:") for name in lead.leading]
        if lead.leases is None:
            return {"leads": leads}  # one process on SQLite
        return {"replica": lead.name, "replicas": lead.members, "leads": leads}

    async def refresh_metrics(self) -> None:
        """Gauges read from the store and the platforms when /metrics is scraped."""
        for platform in self.platforms:
            metrics.CHAT_CONNECTED.labels(platform.notifier.platform).set(
                1 if platform.connected else 0
            )
        if self.store is None:
            return
        try:
            counts = await self.store.outbox.count_by_status()
            records = await self.store.sources.all_sources()
        except Exception:  # noqa: BLE001 - a scrape reports what it can; /readyz says why
            log.warning("metrics: the store cannot be read", exc_info=True)
            return
        metrics.DEAD_LETTERS.set(counts.get(DEAD, 0))
        for record in records:
            if record.last_ok_at is not None:
                metrics.SOURCE_LAST_SUCCESS.labels(record.source_id).set(
                    record.last_ok_at.timestamp()
                )
        await self._refresh_lag_metrics()

    async def _refresh_lag_metrics(self) -> None:
        """The official lag per provider, from the stored early-warning episodes."""
        assert self.store is not None
        try:
            episodes = await self.store.early.episodes()
        except Exception:  # noqa: BLE001 - a scrape reports what it can
            log.warning("metrics: the early-warning episodes cannot be read", exc_info=True)
            return
        names = {key: p.name for key, p in self.config.providers.items()}
        for summary in summarize(episodes, names, list(self.config.providers)):
            lag, lead = summary.median_confirm_lag_s, summary.median_recovery_lead_s
            if lag is not None:
                metrics.PAGE_LAG_MEDIAN.labels(summary.provider).set(lag)
            if lead is not None:
                metrics.RECOVERY_LEAD_MEDIAN.labels(summary.provider).set(lead)
            metrics.NEVER_ACKNOWLEDGED.labels(summary.provider).set(len(summary.never_acknowledged))

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


def _probe_lease(runner: ProbeRunner) -> str:
    """The lease a replica must hold to run this probe (the name of its chore)."""
    return f"probe:{runner.probe_id}"
