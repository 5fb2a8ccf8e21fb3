"""The outbox worker: delivers queued chat side effects, in order per channel.

Each channel's queue is served head first, so a card is always posted before it is
edited; many channels are served in parallel. A delivery is counted as attempted before
the platform is called, so a retry after a crash knows the outcome may be unknown.

It never polls an idle queue: it hears of new rows when they commit (rows a poll queues
while nothing else waits arrive already claimed and start at once), and otherwise sleeps
until the next retry falls due, looking again at least every `MAX_SLEEP_S`.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import random
import time
from collections.abc import Callable, Iterable, Sequence
from datetime import UTC, datetime, timedelta
from typing import Protocol

from bot import metrics
from bot.config import DeliveryConfig
from bot.errors import PermanentDeliveryError, TransientDeliveryError
from bot.notify import CardRef, Delivery, Notifier
from bot.recorder import DeliveryLedger, DeliveryRecorder

log = logging.getLogger(__name__)

# A row is due but cannot start yet (its channel is busy): look again this soon.
BUSY_RETRY_S = 1.0
DEPTH_METRIC_EVERY_S = 5.0


class DeliveryQueue(DeliveryLedger, Protocol):
    """What the outbox worker needs from the store."""

    @property
    def shared(self) -> bool:
        """Other processes serve the same queue: claims need a lease."""
        ...

    async def listen(
        self,
        platforms: Iterable[str],
        lease: timedelta,
        on_queued: Callable[[Sequence[Delivery]], None],
        max_claimed: int = ...,
    ) -> None:
        """Call `on_queued` after each commit that queued rows, with (up to `max_claimed`)
        rows of `platforms` handed over already claimed."""
        ...

    async def unlisten(self) -> None: ...

    async def next_due_at(self, platforms: Iterable[str]) -> datetime | None: ...

    async def due_deliveries(
        self, now: datetime, limit: int = 500, platform: str | None = None
    ) -> list[Delivery]: ...

    async def begin_attempts(
        self, delivery_ids: Sequence[int], now: datetime, lease: timedelta = ...
    ) -> set[int]: ...

    async def mark_delivered(
        self, delivery: Delivery, now: datetime, new_card: CardRef | None = None
    ) -> None: ...

    async def mark_failed(
        self, delivery_id: int, error: str, retry_at: datetime | None
    ) -> None: ...

    async def disable_channel(
        self, platform: str, channel_id: str, reason: str, workspace_id: str | None = None
    ) -> None: ...

    async def outbox_depth(self) -> int: ...


def backoff_delay(attempt: int, settings: DeliveryConfig, retry_after_s: float | None) -> float:
    """Exponential backoff with jitter; the platform's Retry-After wins when longer."""
    exponential = min(settings.max_backoff, settings.base_backoff * 2.0 ** max(0, attempt - 1))
    delay = exponential * random.uniform(0.5, 1.0)
    if retry_after_s is not None:
        delay = max(delay, retry_after_s + random.uniform(0, 0.25))
    return delay


class OutboxWorker:
    """Serves the outbox until stopped."""

    # Without a wake, look at the queue at least this often (a retry queued by
    # `statusbot outbox retry` in another process, on SQLite where nobody tells us).
    MAX_SLEEP_S = 60.0

    def __init__(
        self,
        store: DeliveryQueue,
        notifiers: dict[str, Notifier],
        settings: DeliveryConfig,
        clock: Callable[[], datetime] | None = None,
    ) -> None:
        self.store = store
        self.notifiers = notifiers
        self.settings = settings
        self.clock = clock or (lambda: datetime.now(UTC))
        self._wake = asyncio.Event()
        self._in_flight: dict[tuple[str, str], asyncio.Task[None]] = {}
        # Rows finished while a dispatch was reading the queue: its read may be stale.
        self._finished_ids: set[int] = set()
        self._last_start: dict[tuple[str, str], float] = {}
        self._slots = asyncio.Semaphore(settings.concurrency)
        self._recorder = DeliveryRecorder(store, self.clock)
        self._stopping = False
        # Set once run() has left its loop: stop() waits for that, so a later cancel never
        # lands in the middle of a database call (its pooled connection would leak).
        self._running: asyncio.Event | None = None
        self._depth_measured = 0.0
        # Deliveries started but not finished; the queue is read again below this many.
        self._refill_below = settings.concurrency * 2

    def wake(self) -> None:
        """Rows changed: look at the queue now instead of when the sleep ends."""
        self._wake.set()

    def _lease(self) -> timedelta:
        # A SQLite file has one process: no other worker to keep out.
        return timedelta(seconds=self.settings.claim_lease if self.store.shared else 0)

    async def run(self) -> None:
        left = self._running = asyncio.Event()
        try:
            await self._run()
        finally:
            left.set()

    async def _run(self) -> None:
        await self.store.listen(
            self.notifiers, self._lease(), self._queued, max_claimed=self.settings.concurrency
        )
        try:
            while not self._stopping:
                # Cleared before looking, so a wake that comes while we look is not lost.
                self._wake.clear()
                if len(self._in_flight) >= self._refill_below:
                    # Plenty in memory: a finishing delivery wakes us to read more.
                    await self._sleep(self.MAX_SLEEP_S)
                    continue
                try:
                    if await self.dispatch_once():
                        continue
                    delay = await self.next_wake_in()
                except asyncio.CancelledError:
                    raise
                except Exception:
                    log.exception("outbox dispatch failed; retrying shortly")
                    delay = BUSY_RETRY_S
                await self._sleep(delay)
        finally:
            await self.store.unlisten()

    async def next_wake_in(self) -> float:
        """How long an idle worker sleeps: until the earliest channel head falls due, at
        most MAX_SLEEP_S (new rows wake it earlier)."""
        due = await self.store.next_due_at(self.notifiers)
        if due is None:
            return self.MAX_SLEEP_S
        wait = (due - self.clock()).total_seconds()
        if wait <= 0:
            return BUSY_RETRY_S  # due, but its channel is busy here or elsewhere
        return min(wait, self.MAX_SLEEP_S)

    def _queued(self, claimed: Sequence[Delivery]) -> None:
        """Rows were committed; those handed over claimed start now, without a read."""
        look = not claimed
        for delivery in claimed:
            if self._stopping or (delivery.platform, delivery.channel_id) in self._in_flight:
                look = True  # the queue read serves it (after its lease, if any)
                continue
            self._start(delivery)
        if look:
            self._wake.set()

    async def stop(self, timeout: float = 5.0) -> None:
        """Stop taking rows; give deliveries in flight a moment to finish."""
        self._stopping = True
        self._wake.set()
        pending = list(self._in_flight.values())
        if pending:
            await asyncio.wait(pending, timeout=timeout)
        for task in pending:
            task.cancel()
        # Let cancelled deliveries unwind, so their connections go back before the store closes.
        await asyncio.gather(*pending, return_exceptions=True)
        if self._running is not None:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._running.wait(), timeout)
        await self._recorder.aclose()
        await self.store.unlisten()

    async def dispatch_once(self) -> int:
        """Start a delivery for every channel whose queue head is due; returns how many."""
        now = self.clock()
        started = 0
        self._finished_ids.clear()
        due: list[Delivery] = []
        for platform in self.notifiers:  # rows of platforms not connected here wait
            due += await self.store.due_deliveries(
                now, limit=self.settings.concurrency * 4, platform=platform
            )
        ready = [
            d
            for d in due
            if (d.platform, d.channel_id) not in self._in_flight and d.id not in self._finished_ids
        ]
        claimed = await self.store.begin_attempts([d.id for d in ready], now, self._lease())
        for delivery in ready:
            if delivery.id not in claimed:
                continue  # another worker on the same database has it
            if (delivery.platform, delivery.channel_id) in self._in_flight:
                continue  # handed over by a commit while we were claiming
            self._start(delivery)
            started += 1
        if time.monotonic() - self._depth_measured > DEPTH_METRIC_EVERY_S:
            self._depth_measured = time.monotonic()
            metrics.OUTBOX_DEPTH.set(await self.store.outbox_depth())
        return started

    async def drain(self, timeout: float = 30.0) -> None:
        """Deliver until the queue is empty, waiting out retries (tests and one-shot tools)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            started = await self.dispatch_once()
            if self._in_flight:
                await asyncio.wait(list(self._in_flight.values()), timeout=1.0)
            elif not started:
                if not await self.store.outbox_depth():
                    return
                await asyncio.sleep(0.05)

    async def wait_in_flight(self) -> None:
        """Return once the deliveries started so far have finished (tests and tools)."""
        while self._in_flight:
            await asyncio.wait(list(self._in_flight.values()))

    def _start(self, delivery: Delivery) -> None:
        channel = (delivery.platform, delivery.channel_id)
        task = asyncio.create_task(self._deliver(delivery), name=f"deliver-{delivery.id}")
        self._in_flight[channel] = task
        task.add_done_callback(functools.partial(self._finished, channel, delivery.id))

    def _finished(self, channel: tuple[str, str], delivery_id: int, _task: object) -> None:
        self._in_flight.pop(channel, None)
        self._finished_ids.add(delivery_id)
        self._wake.set()

    async def _sleep(self, seconds: float) -> None:
        try:
            await asyncio.wait_for(self._wake.wait(), timeout=seconds)
        except TimeoutError:
            pass

    async def _pace(self, delivery: Delivery, notifier: Notifier) -> None:
        channel = (delivery.platform, delivery.channel_id)
        interval = notifier.per_channel_interval_s
        wait = self._last_start.get(channel, 0.0) + interval - time.monotonic()
        if wait > 0:
            await asyncio.sleep(wait)
        self._last_start[channel] = time.monotonic()

    async def _deliver(self, delivery: Delivery) -> None:
        notifier = self.notifiers[delivery.platform]
        claimed = time.monotonic()
        async with self._slots:
            await self._pace(delivery, notifier)
            if self.store.shared and time.monotonic() - claimed > self.settings.claim_lease / 2:
                # Waited for a slot so long that the lease may run out mid-call, and another
                # replica could send it too: hand the row back, to whoever is free first.
                await self.store.mark_failed(
                    delivery.id, "waited past half its lease for a free slot", self.clock()
                )
                return

            saved = [delivery.card]

            async def save_card(ref: CardRef) -> None:
                await self._recorder.save_card(delivery, ref)
                saved.append(ref)

            started = time.monotonic()
            try:
                if notifier.commit_first:
                    await self.store.mark_delivered(delivery, self.clock())
                    await notifier.deliver(delivery, save_card)
                else:
                    ref = await notifier.deliver(delivery, save_card)
                    await self._recorder.record(delivery, ref if ref != saved[-1] else None)
            except asyncio.CancelledError:
                raise
            except PermanentDeliveryError as exc:
                await self._give_up_on_channel(delivery, exc)
            except TransientDeliveryError as exc:
                await self._retry_later(delivery, exc.reason, exc.retry_after_s)
            except Exception as exc:  # noqa: BLE001 - a notifier bug must not stop the queue
                log.exception("delivery %s failed unexpectedly", delivery.key)
                await self._retry_later(delivery, f"{type(exc).__name__}", None)
            else:
                metrics.DELIVERIES.labels(delivery.platform, "sent").inc()
                metrics.DELIVERY_LATENCY.labels(delivery.platform).observe(
                    max(0.0, (self.clock() - delivery.event.at).total_seconds())
                )
                log.debug(
                    "delivered %s to %s:%s in %.3fs",
                    delivery.key,
                    delivery.platform,
                    delivery.channel_id,
                    time.monotonic() - started,
                    extra={"delivery_id": delivery.key, "incident": delivery.event.incident_key},
                )

    async def _retry_later(
        self, delivery: Delivery, reason: str, retry_after_s: float | None
    ) -> None:
        if delivery.attempt >= self.settings.max_attempts:
            log.error(
                "delivery %s dead after %d attempts: %s", delivery.key, delivery.attempt, reason
            )
            metrics.DELIVERIES.labels(delivery.platform, "dead").inc()
            await self.store.mark_failed(delivery.id, reason, None)
            return
        delay = backoff_delay(delivery.attempt, self.settings, retry_after_s)
        log.warning(
            "delivery %s to %s:%s failed (%s); retry in %.1fs",
            delivery.key,
            delivery.platform,
            delivery.channel_id,
            reason,
            delay,
        )
        metrics.DELIVERIES.labels(delivery.platform, "retry").inc()
        await self.store.mark_failed(delivery.id, reason, self.clock() + timedelta(seconds=delay))

    async def _give_up_on_channel(self, delivery: Delivery, exc: PermanentDeliveryError) -> None:
        scope = "workspace" if exc.workspace_wide else "channel"
        log.warning(
            "disabling %s %s:%s: %s",
            scope,
            delivery.platform,
            delivery.workspace_id if exc.workspace_wide else delivery.channel_id,
            exc.reason,
        )
        metrics.DELIVERIES.labels(delivery.platform, "disabled").inc()
        await self.store.disable_channel(
            delivery.platform,
            delivery.channel_id,
            exc.reason,
            workspace_id=delivery.workspace_id if exc.workspace_wide else None,
        )
