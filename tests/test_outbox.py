"""The outbox worker: order per channel, retries, dead letters, disabled channels."""

from __future__ import annotations

import asyncio
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
from bot.store.store import DEAD, SENT, Store
from tests.test_store import commit, event, sub


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
        task.cancel()


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
