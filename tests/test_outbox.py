"""The outbox worker: order per channel, retries, dead letters, disabled channels."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import ClassVar

import pytest

from bot.config import DeliveryConfig
from bot.errors import PermanentDeliveryError, TransientDeliveryError
from bot.events import EventKind
from bot.models import Severity
from bot.notify import CardRef, Delivery, SaveCard
from bot.outbox import OutboxWorker, backoff_delay
from bot.store.records import OutboxRow
from bot.store.store import DEAD, PENDING, SENT, Store
from tests.conftest import fresh_pg_database
from tests.test_store import commit, event, sub
from tests.waiting import until


class ScriptedPlatform:
    """A chat platform in memory: records what it was asked, fails when told to."""

    platform: ClassVar[str] = "slack"
    per_channel_interval_s: ClassVar[float] = 0.0
    commit_first: ClassVar[bool] = False

    def __init__(self) -> None:
        self.seen: list[tuple[str, str, str | None]] = []  # channel, kind, card
        self.failures: dict[str, list[Exception]] = {}

    async def deliver(self, delivery: Delivery, save_card: SaveCard) -> CardRef:
        queue = self.failures.get(delivery.channel_id)
        if queue:
            raise queue.pop(0)
        card = delivery.card or CardRef(f"msg-{delivery.channel_id}")
        if delivery.card is None:
            await save_card(card)
        self.seen.append((delivery.channel_id, delivery.event.kind.value, card.message_id))
        return card

    async def aclose(self) -> None:
        return None


FAST = DeliveryConfig(base_backoff=0.01, max_backoff=0.05, max_attempts=3)


async def finished(worker: OutboxWorker, within: float = 20.0) -> None:
    """Wait for the deliveries in flight; a worker that loses track of them fails the test
    instead of spinning forever."""
    async with asyncio.timeout(within):
        await worker.wait_in_flight()


async def cancelled(task: asyncio.Task[None]) -> None:
    """Cancel the run loop and wait for it, so it returns its connection before the store
    closes (an abandoned task's pooled connection would be garbage-collected)."""
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task


@pytest.fixture
async def parts(store: Store) -> AsyncIterator[tuple[Store, ScriptedPlatform, OutboxWorker]]:
    platform = ScriptedPlatform()
    worker = OutboxWorker(store.outbox, {"slack": platform}, FAST, clock=lambda: datetime.now(UTC))
    yield store, platform, worker
    await worker.stop()


async def incident_story(store: Store) -> None:
    await commit(store, event(EventKind.DEGRADED, Severity.DEGRADED))
    await commit(store, event(EventKind.UPDATE, Severity.DEGRADED, 5), minute=5)
    await commit(store, event(EventKind.RESTORED, Severity.OPERATIONAL, 9, duration_s=540.0))


async def test_each_channel_gets_its_card_then_edits_in_order(parts) -> None:
    store, platform, worker = parts
    for channel in ("C1", "C2", "C3"):
        await store.subscriptions.subscribe(sub(channel))
    await incident_story(store)
    await worker.drain()
    for channel in ("C1", "C2", "C3"):
        mine = [(k, c) for ch, k, c in platform.seen if ch == channel]
        assert mine == [
            ("degraded", f"msg-{channel}"),
            ("update", f"msg-{channel}"),
            ("restored", f"msg-{channel}"),
        ]
    assert {r.status for r in await store.outbox.outbox_rows()} == {SENT}


async def test_a_rate_limited_delivery_waits_and_nothing_is_lost_or_doubled(parts) -> None:
    store, platform, worker = parts
    await store.subscriptions.subscribe(sub("C1"))
    platform.failures["C1"] = [TransientDeliveryError("ratelimited", retry_after_s=0.2)]
    await incident_story(store)
    await worker.drain()
    assert [k for _, k, _ in platform.seen] == ["degraded", "update", "restored"]


async def test_repeated_failures_end_in_the_dead_letters_and_the_queue_moves_on(parts) -> None:
    store, platform, worker = parts
    await store.subscriptions.subscribe(sub("C1"))
    platform.failures["C1"] = [TransientDeliveryError("HTTP 500")] * 3
    await incident_story(store)
    await worker.drain()
    rows = await store.outbox.outbox_rows()
    assert [r.status for r in rows] == [DEAD, SENT, SENT]
    assert rows[0].attempts == 3
    assert rows[0].last_error == "HTTP 500"


async def test_a_channel_that_is_gone_is_disabled_others_continue(parts) -> None:
    store, platform, worker = parts
    await store.subscriptions.subscribe(sub("C-gone"))
    await store.subscriptions.subscribe(sub("C-ok"))
    platform.failures["C-gone"] = [PermanentDeliveryError("channel_not_found")]
    await incident_story(store)
    await worker.drain()
    assert {ch for ch, _, _ in platform.seen} == {"C-ok"}
    [gone] = await store.subscriptions.channel_subscriptions("slack", "C-gone")
    assert not gone.enabled
    assert gone.disabled_reason == "channel_not_found"


async def test_an_unexpected_notifier_bug_is_retried_not_fatal(parts) -> None:
    store, platform, worker = parts
    await store.subscriptions.subscribe(sub("C1"))
    platform.failures["C1"] = [KeyError("surprise")]
    await commit(store, event(EventKind.DEGRADED, Severity.DEGRADED))
    await worker.drain()
    assert [k for _, k, _ in platform.seen] == ["degraded"]


async def test_rows_for_a_platform_not_connected_here_wait(store: Store) -> None:
    await store.subscriptions.subscribe(sub("C1", platform="discord"))
    await commit(store, event(EventKind.DEGRADED, Severity.DEGRADED))
    worker = OutboxWorker(store.outbox, {}, FAST)
    await worker.drain(timeout=1)
    assert await store.outbox.outbox_depth() == 1


async def test_the_run_loop_delivers_when_woken(parts) -> None:
    store, platform, worker = parts
    await store.subscriptions.subscribe(sub("C1"))
    task = asyncio.create_task(worker.run())
    try:
        await commit(store, event(EventKind.DEGRADED, Severity.DEGRADED))
        worker.wake()
        for _ in range(100):
            if platform.seen:
                break
            await asyncio.sleep(0.02)
        assert [k for _, k, _ in platform.seen] == ["degraded"]
    finally:
        await worker.stop()
        await cancelled(task)


def test_backoff_grows_and_honours_retry_after() -> None:
    settings = DeliveryConfig(base_backoff=1, max_backoff=60)
    assert 0.5 <= backoff_delay(1, settings, None) <= 1
    assert 4 <= backoff_delay(4, settings, None) <= 8
    assert backoff_delay(20, settings, None) <= 60
    assert backoff_delay(1, settings, 30) >= 30


async def test_pacing_spaces_deliveries_to_one_channel(store: Store) -> None:
    class Paced(ScriptedPlatform):
        per_channel_interval_s: ClassVar[float] = 0.2

    platform = Paced()
    stamps: list[float] = []
    original = platform.deliver

    async def timed(delivery: Delivery, save_card: SaveCard) -> CardRef:
        stamps.append(asyncio.get_running_loop().time())
        return await original(delivery, save_card)

    platform.deliver = timed  # type: ignore[method-assign]
    worker = OutboxWorker(store.outbox, {"slack": platform}, FAST)
    await store.subscriptions.subscribe(sub("C1"))
    await incident_story(store)
    await worker.drain()
    gaps = [b - a for a, b in zip(stamps, stamps[1:], strict=False)]
    assert len(gaps) == 2
    assert min(gaps) >= 0.15  # unpaced deliveries follow each other within milliseconds


async def test_dispatch_never_restarts_a_row_that_just_finished(store: Store) -> None:
    """A row finishing while the queue is being read must not be delivered twice."""
    platform = ScriptedPlatform()
    worker = OutboxWorker(store.outbox, {"slack": platform}, FAST)
    for n in range(20):
        await store.subscriptions.subscribe(sub(f"C{n}"))
    await commit(store, event(EventKind.DEGRADED, Severity.DEGRADED))
    deadline = datetime.now(UTC) + timedelta(seconds=10)
    while await store.outbox.outbox_depth() and datetime.now(UTC) < deadline:
        await worker.dispatch_once()
        await asyncio.sleep(0)
    await worker.drain()
    assert sorted(ch for ch, _, _ in platform.seen) == sorted(f"C{n}" for n in range(20))


class ScriptedDiscord(ScriptedPlatform):
    platform: ClassVar[str] = "discord"


class Counting:
    """A DeliveryQueue that counts the calls the worker makes to it."""

    def __init__(self, queue: object) -> None:
        self._queue = queue
        self.calls: dict[str, int] = {}

    def __getattr__(self, name: str) -> object:
        attr = getattr(self._queue, name)
        if not callable(attr):
            return attr

        def counted(*args: object, **kwargs: object) -> object:
            self.calls[name] = self.calls.get(name, 0) + 1
            return attr(*args, **kwargs)

        return counted


class Clock:
    def __init__(self) -> None:
        self.now = datetime.now(UTC).replace(microsecond=0)

    def __call__(self) -> datetime:
        return self.now


async def test_with_slack_and_discord_connected_both_get_their_rows(store: Store) -> None:
    slack, discord = ScriptedPlatform(), ScriptedDiscord()
    worker = OutboxWorker(store.outbox, {"slack": slack, "discord": discord}, FAST)
    await store.subscriptions.subscribe(sub("C1"))
    await store.subscriptions.subscribe(sub("9001", platform="discord", workspace_id="G1"))
    await incident_story(store)
    await worker.drain()
    story = ["degraded", "update", "restored"]
    assert [k for _, k, _ in slack.seen] == story
    assert [k for _, k, _ in discord.seen] == story


async def test_the_run_loop_serves_both_platforms_from_a_poll_without_reading_the_queue(
    store: Store,
) -> None:
    slack, discord = ScriptedPlatform(), ScriptedDiscord()
    queue = Counting(store.outbox)
    worker = OutboxWorker(queue, {"slack": slack, "discord": discord}, FAST)  # type: ignore[arg-type]
    await store.subscriptions.subscribe(sub("C1"))
    await store.subscriptions.subscribe(sub("9001", platform="discord", workspace_id="G1"))
    reads_before_call: list[int] = []
    for platform in (slack, discord):
        original = platform.deliver

        async def deliver(delivery: Delivery, save_card: SaveCard, original=original) -> CardRef:
            reads_before_call.append(
                queue.calls.get("due_deliveries", 0) + queue.calls.get("begin_attempts", 0)
            )
            return await original(delivery, save_card)

        platform.deliver = deliver  # type: ignore[method-assign]
    task = asyncio.create_task(worker.run())
    try:
        await until(lambda: queue.calls.get("next_due_at"), "the worker to go idle")
        queue.calls.clear()
        await commit(store, event(EventKind.DEGRADED, Severity.DEGRADED))
        await until(lambda: slack.seen and discord.seen, "both cards")
        # Handed over by the commit, already claimed: no read of the queue before the call.
        assert reads_before_call == [0, 0]
    finally:
        await worker.stop()
        await cancelled(task)
    rows = await store.outbox.outbox_rows()
    assert [(r.platform, r.status, r.attempts) for r in rows] == [
        ("slack", SENT, 1),
        ("discord", SENT, 1),
    ]


async def test_failed_attempts_are_recorded_with_reason_retry_time_and_retry_after(
    store: Store,
) -> None:
    clock = Clock()
    platform = ScriptedPlatform()
    attempts: list[int] = []
    original = platform.deliver

    async def deliver(delivery: Delivery, save_card: SaveCard) -> CardRef:
        attempts.append(delivery.attempt)
        return await original(delivery, save_card)

    platform.deliver = deliver  # type: ignore[method-assign]
    settings = DeliveryConfig(base_backoff=1, max_backoff=300, max_attempts=3)
    worker = OutboxWorker(store.outbox, {"slack": platform}, settings, clock=clock)
    await store.subscriptions.subscribe(sub("C1"))
    await commit(store, event(EventKind.DEGRADED, Severity.DEGRADED))
    platform.failures["C1"] = [
        TransientDeliveryError("slack: rate limited", retry_after_s=30),
        TransientDeliveryError("slack: HTTP 500"),
        TransientDeliveryError("slack: HTTP 503"),
    ]

    async def attempt() -> OutboxRow:
        assert await worker.dispatch_once() == 1
        await finished(worker)
        [row] = await store.outbox.outbox_rows()
        return row

    first = await attempt()
    assert (first.status, first.attempts, first.last_error) == (PENDING, 1, "slack: rate limited")
    wait = (first.next_attempt_at - clock.now).total_seconds()
    assert 30 <= wait <= 30.25  # the platform's Retry-After, not our 1 s backoff
    assert 29 < await worker.next_wake_in() <= 30.25  # an idle worker sleeps until then
    assert await worker.dispatch_once() == 0  # not before

    clock.now = first.next_attempt_at
    second = await attempt()
    assert (second.status, second.attempts, second.last_error) == (PENDING, 2, "slack: HTTP 500")
    wait = (second.next_attempt_at - clock.now).total_seconds()
    assert 1 <= wait <= 2  # base 1 s doubled once, jittered down by at most half

    clock.now = second.next_attempt_at
    third = await attempt()
    assert (third.status, third.attempts, third.last_error) == (DEAD, 3, "slack: HTTP 503")
    assert attempts == [1, 2, 3]  # each try knows whether an earlier one may have landed
    assert platform.seen == []
    assert await worker.next_wake_in() == worker.MAX_SLEEP_S  # nothing left to wait for


async def test_a_replica_hears_rows_another_process_queued() -> None:
    async with fresh_pg_database() as url:
        queuing, serving = Store(url), Store(url)
        await queuing.initialize()
        await serving.initialize()
        platform = ScriptedPlatform()
        worker = OutboxWorker(serving.outbox, {"slack": platform}, FAST)
        worker.MAX_SLEEP_S = 3600  # only a notification can wake it in time
        task = asyncio.create_task(worker.run())
        try:
            await until(lambda: serving.outbox.listening, "the worker to listen")
            await queuing.subscriptions.subscribe(sub("C1"))
            await commit(queuing, event(EventKind.DEGRADED, Severity.DEGRADED))
            await until(lambda: platform.seen, "the other replica's row")
        finally:
            await worker.stop()
            await cancelled(task)
            await queuing.aclose()
            await serving.aclose()


async def test_on_a_shared_database_a_claimed_row_is_leased_to_one_worker() -> None:
    class Held(ScriptedPlatform):
        def __init__(self) -> None:
            super().__init__()
            self.release = asyncio.Event()

        async def deliver(self, delivery: Delivery, save_card: SaveCard) -> CardRef:
            await self.release.wait()
            return await super().deliver(delivery, save_card)

    async with fresh_pg_database() as url:
        first, second = Store(url), Store(url)
        await first.initialize()
        await second.initialize()
        settings = DeliveryConfig(claim_lease=60)
        held, other = Held(), ScriptedPlatform()
        worker_a = OutboxWorker(first.outbox, {"slack": held}, settings)
        worker_b = OutboxWorker(second.outbox, {"slack": other}, settings)
        try:
            await first.subscriptions.subscribe(sub("C1"))
            await commit(first, event(EventKind.DEGRADED, Severity.DEGRADED))
            assert await worker_a.dispatch_once() == 1
            assert await worker_b.dispatch_once() == 0  # leased to the first worker
            assert 55 < await worker_b.next_wake_in() <= 60  # it sleeps until the lease ends
            held.release.set()
            await finished(worker_a)
            assert [k for _, k, _ in held.seen] == ["degraded"]
            assert await worker_b.dispatch_once() == 0
            assert other.seen == []
        finally:
            await worker_a.stop()
            await worker_b.stop()
            await first.aclose()
            await second.aclose()


async def test_a_row_that_waited_past_half_its_lease_is_handed_back_not_sent_twice() -> None:
    class Slow(ScriptedPlatform):
        async def deliver(self, delivery: Delivery, save_card: SaveCard) -> CardRef:
            await asyncio.sleep(1.5)  # longer than half the lease below
            return await super().deliver(delivery, save_card)

    async with fresh_pg_database() as url:
        first, second = Store(url), Store(url)
        await first.initialize()
        await second.initialize()
        # One slot: the second channel's row waits behind the first one's slow call.
        busy = DeliveryConfig(claim_lease=2, concurrency=1)
        slow, other = Slow(), ScriptedPlatform()
        worker_a = OutboxWorker(first.outbox, {"slack": slow}, busy)
        worker_b = OutboxWorker(second.outbox, {"slack": other}, DeliveryConfig(claim_lease=2))
        try:
            for channel in ("C1", "C2"):
                await first.subscriptions.subscribe(sub(channel))
            await commit(first, event(EventKind.DEGRADED, Severity.DEGRADED))
            assert await worker_a.dispatch_once() == 2  # both claimed, one slot
            await finished(worker_a)
            assert [c for c, _, _ in slow.seen] == ["C1"]  # C2 was handed back, not sent
            assert await worker_b.dispatch_once() == 1  # free at once for the next worker
            await finished(worker_b)
            assert [c for c, _, _ in other.seen] == ["C2"]
        finally:
            await worker_a.stop()
            await worker_b.stop()
            await first.aclose()
            await second.aclose()
