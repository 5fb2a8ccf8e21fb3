"""The outbox worker's rules a user relies on: retry timing, idle sleeps, crash recovery,
stop, commit-first platforms and the delivery metrics an operator graphs."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import ClassVar

import pytest
from prometheus_client import REGISTRY

from bot import outbox
from bot.config import DeliveryConfig
from bot.errors import PermanentDeliveryError, TransientDeliveryError
from bot.events import EventKind
from bot.models import Severity
from bot.notify import CardRef, Delivery, SaveCard
from bot.outbox import BUSY_RETRY_S, OutboxWorker, backoff_delay
from bot.store.store import DEAD, PENDING, SENT, Store
from tests.test_outbox import Clock, ScriptedPlatform, cancelled, finished
from tests.test_store import commit, event, sub
from tests.waiting import until

# Without a wake an idle worker still looks at the queue once a minute.
IDLE_LOOK_S = 60.0


@pytest.fixture
def lowest_jitter(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(outbox.random, "uniform", lambda low, high: low)


@pytest.fixture
def highest_jitter(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(outbox.random, "uniform", lambda low, high: high)


SETTINGS = DeliveryConfig(base_backoff=2, max_backoff=100)


@pytest.mark.usefixtures("lowest_jitter")
def test_backoff_jitter_never_shortens_a_wait_below_half_the_doubling() -> None:
    assert [backoff_delay(n, SETTINGS, None) for n in (1, 2, 3, 4)] == [1.0, 2.0, 4.0, 8.0]
    assert backoff_delay(12, SETTINGS, None) == 50.0  # half the cap
    assert backoff_delay(1, SETTINGS, 30.0) == 30.0  # Retry-After is a floor
    assert backoff_delay(4, SETTINGS, 3.0) == 8.0  # a shorter Retry-After does not cut backoff


@pytest.mark.usefixtures("highest_jitter")
def test_backoff_doubles_per_attempt_up_to_the_cap() -> None:
    assert [backoff_delay(n, SETTINGS, None) for n in (1, 2, 3, 4)] == [2.0, 4.0, 8.0, 16.0]
    assert backoff_delay(6, SETTINGS, None) == 64.0
    assert backoff_delay(7, SETTINGS, None) == 100.0  # 128 capped
    assert backoff_delay(40, SETTINGS, None) == 100.0
    # Many clients retry at once after a Retry-After: a quarter second of spread.
    assert backoff_delay(1, SETTINGS, 30.0) == 30.25


class Held(ScriptedPlatform):
    """A platform whose calls hang until released."""

    def __init__(self) -> None:
        super().__init__()
        self.release = asyncio.Event()
        self.called = asyncio.Event()

    async def deliver(self, delivery: Delivery, save_card: SaveCard) -> CardRef:
        self.called.set()
        await self.release.wait()
        return await super().deliver(delivery, save_card)


@pytest.fixture
async def clocked(store: Store) -> tuple[Store, Clock]:
    await store.subscriptions.subscribe(sub("C1"))
    return store, Clock()


async def test_an_idle_worker_sleeps_until_the_retry_is_due_at_most_a_minute(clocked) -> None:
    store, clock = clocked
    platform = ScriptedPlatform()
    settings = DeliveryConfig(base_backoff=1, max_backoff=600, max_attempts=5)
    worker = OutboxWorker(store.outbox, {"slack": platform}, settings, clock=clock)
    assert await worker.next_wake_in() == IDLE_LOOK_S  # empty queue
    await commit(store, event(EventKind.DEGRADED, Severity.DEGRADED))
    platform.failures["C1"] = [TransientDeliveryError("ratelimited", retry_after_s=300)]
    assert await worker.dispatch_once() == 1
    await finished(worker)
    [row] = await store.outbox.outbox_rows()
    assert await worker.next_wake_in() == IDLE_LOOK_S  # five minutes away: look in one
    clock.now = row.next_attempt_at - timedelta(seconds=10)
    assert await worker.next_wake_in() == 10.0
    clock.now = row.next_attempt_at - timedelta(seconds=0.5)
    assert await worker.next_wake_in() == 0.5
    clock.now = row.next_attempt_at  # due this instant (its channel busy elsewhere)
    assert await worker.next_wake_in() == BUSY_RETRY_S == 1.0
    await worker.stop()


async def test_on_sqlite_a_delivery_cut_by_a_crash_is_retried_at_once_on_restart(
    clocked,
) -> None:
    """One process owns a SQLite file: no lease for a restarted worker to wait out."""
    store, clock = clocked
    if store.outbox.shared:
        pytest.skip("a shared database leases claims (see test_outbox)")
    held = Held()
    crashed = OutboxWorker(store.outbox, {"slack": held}, DeliveryConfig(), clock=clock)
    await commit(store, event(EventKind.DEGRADED, Severity.DEGRADED))
    assert await crashed.dispatch_once() == 1
    await held.called.wait()
    async with asyncio.timeout(10):
        await crashed.stop(timeout=0)  # the call never returned: cut
    [row] = await store.outbox.outbox_rows()
    assert (row.status, row.attempts) == (PENDING, 1)  # counted: it may have landed

    platform = ScriptedPlatform()
    restarted = OutboxWorker(store.outbox, {"slack": platform}, DeliveryConfig(), clock=clock)
    assert await restarted.dispatch_once() == 1
    await finished(restarted)
    assert [k for _, k, _ in platform.seen] == ["degraded"]
    [row] = await store.outbox.outbox_rows()
    assert (row.status, row.attempts) == (SENT, 2)
    await restarted.stop()


async def test_stop_lets_a_delivery_in_flight_finish_and_ends_the_run_loop(clocked) -> None:
    store, clock = clocked
    held = Held()
    worker = OutboxWorker(store.outbox, {"slack": held}, DeliveryConfig(), clock=clock)
    task = asyncio.create_task(worker.run())
    await until(lambda: store.outbox.listening, "the worker to listen")
    await commit(store, event(EventKind.DEGRADED, Severity.DEGRADED))
    await asyncio.wait_for(held.called.wait(), 20)
    stopping = asyncio.create_task(worker.stop(timeout=20))
    await asyncio.sleep(0.05)
    assert not stopping.done()  # waits for the call in flight
    held.release.set()
    await asyncio.wait_for(stopping, 20)
    await asyncio.wait_for(task, 1)  # the loop left on its own, not cancelled
    assert not store.outbox.listening
    [row] = await store.outbox.outbox_rows()
    assert row.status == SENT


async def test_rows_committed_after_stop_are_left_for_the_next_start(clocked) -> None:
    store, clock = clocked
    platform = ScriptedPlatform()
    worker = OutboxWorker(store.outbox, {"slack": platform}, DeliveryConfig(), clock=clock)
    task = asyncio.create_task(worker.run())
    await until(lambda: store.outbox.listening, "the worker to listen")
    await worker.stop()
    await asyncio.wait_for(task, 1)
    await commit(store, event(EventKind.DEGRADED, Severity.DEGRADED))
    await asyncio.sleep(0.1)
    assert platform.seen == []
    assert await store.outbox.outbox_depth() == 1


class CommitFirst(ScriptedPlatform):
    """A platform where a double post is worse than a lost one: the row is marked sent
    before the call, so a crash mid-call never posts twice."""

    commit_first: ClassVar[bool] = True

    def __init__(self, store: Store) -> None:
        super().__init__()
        self.store = store
        self.status_during_call: list[str] = []

    async def deliver(self, delivery: Delivery, save_card: SaveCard) -> CardRef:
        [row] = await self.store.outbox.outbox_rows()
        self.status_during_call.append(row.status)
        return await super().deliver(delivery, save_card)


async def test_a_commit_first_platform_has_its_row_marked_sent_before_the_call(clocked) -> None:
    store, clock = clocked
    platform = CommitFirst(store)
    worker = OutboxWorker(store.outbox, {"slack": platform}, DeliveryConfig(), clock=clock)
    await commit(store, event(EventKind.DEGRADED, Severity.DEGRADED))
    assert await worker.dispatch_once() == 1
    await finished(worker)
    assert platform.status_during_call == [SENT]
    assert [k for _, k, _ in platform.seen] == ["degraded"]
    await worker.stop()


async def test_a_lost_workspace_disables_all_its_channels(
    clocked, caplog: pytest.LogCaptureFixture
) -> None:
    store, clock = clocked
    platform = ScriptedPlatform()
    platform.failures["C1"] = [PermanentDeliveryError("token_revoked", workspace_wide=True)]
    worker = OutboxWorker(store.outbox, {"slack": platform}, DeliveryConfig(), clock=clock)
    await commit(store, event(EventKind.DEGRADED, Severity.DEGRADED))
    await store.subscriptions.subscribe(sub("C2"))
    await store.subscriptions.subscribe(sub("C-elsewhere", workspace_id="T2"))
    assert await worker.dispatch_once() == 1
    await finished(worker)
    for channel, enabled in (("C1", False), ("C2", False), ("C-elsewhere", True)):
        [one] = await store.subscriptions.channel_subscriptions("slack", channel)
        assert one.enabled is enabled, channel
    [gone] = await store.subscriptions.channel_subscriptions("slack", "C2")
    assert gone.disabled_reason == "token_revoked"
    assert "disabling workspace slack:T1: token_revoked" in caplog.messages
    await worker.stop()


def deliveries(outcome: str) -> float:
    value = REGISTRY.get_sample_value(
        "statusbot_deliveries_total", {"platform": "slack", "outcome": outcome}
    )
    return value or 0.0


@pytest.mark.usefixtures("lowest_jitter")
async def test_delivery_outcomes_are_counted_for_the_dashboard_and_logged(
    clocked, caplog: pytest.LogCaptureFixture
) -> None:
    store, clock = clocked
    await store.subscriptions.subscribe(sub("C2"))
    await store.subscriptions.subscribe(sub("C3"))
    platform = ScriptedPlatform()
    platform.failures["C1"] = [TransientDeliveryError("HTTP 500")] * 2
    platform.failures["C2"] = [PermanentDeliveryError("channel_not_found")]
    settings = DeliveryConfig(base_backoff=1, max_attempts=2)
    worker = OutboxWorker(store.outbox, {"slack": platform}, settings, clock=clock)
    before = {o: deliveries(o) for o in ("sent", "retry", "dead", "disabled")}
    await commit(store, event(EventKind.DEGRADED, Severity.DEGRADED))
    assert await worker.dispatch_once() == 3
    await finished(worker)
    clock.now += timedelta(seconds=5)
    assert await worker.dispatch_once() == 1
    await finished(worker)
    after = {o: deliveries(o) - before[o] for o in before}
    assert after == {"sent": 1, "retry": 1, "dead": 1, "disabled": 1}
    rows = {r.channel_id: r for r in await store.outbox.outbox_rows()}
    assert rows["C1"].status == DEAD
    c1 = rows["C1"].id
    assert [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING] == [
        f"delivery sb-{c1} to slack:C1 failed (HTTP 500); retry in 0.5s",
        "disabling channel slack:C2: channel_not_found",
        f"delivery sb-{c1} dead after 2 attempts: HTTP 500",
    ]
    await worker.stop()


@pytest.fixture
async def running(store: Store) -> AsyncIterator[tuple[Store, ScriptedPlatform, OutboxWorker]]:
    """A worker serving the queue in its run loop, as the bot runs it."""
    await store.subscriptions.subscribe(sub("C1"))
    platform = ScriptedPlatform()
    worker = OutboxWorker(store.outbox, {"slack": platform}, FAST_RETRY)
    task = asyncio.create_task(worker.run())
    yield store, platform, worker
    await worker.stop()
    await cancelled(task)


FAST_RETRY = DeliveryConfig(base_backoff=0.01, max_backoff=0.05, max_attempts=3, concurrency=1)
# A broken run loop never delivers; fail in seconds rather than the default minute.
SOON = 3.0


async def test_the_run_loop_serves_rows_queued_before_it_started_and_after(store: Store) -> None:
    await store.subscriptions.subscribe(sub("C1"))
    await commit(store, event(EventKind.DEGRADED, Severity.DEGRADED))
    platform = ScriptedPlatform()
    worker = OutboxWorker(store.outbox, {"slack": platform}, FAST_RETRY)
    task = asyncio.create_task(worker.run())
    try:
        await until(lambda: platform.seen, "the row queued before the start", within=SOON)
        await commit(store, event(EventKind.UPDATE, Severity.DEGRADED, 5), minute=5)
        await until(lambda: len(platform.seen) == 2, "the row queued after", within=SOON)
    finally:
        await worker.stop()
        await cancelled(task)


async def test_the_run_loop_retries_a_failed_delivery_without_being_woken(running) -> None:
    store, platform, worker = running
    await until(lambda: store.outbox.listening, "the worker to listen", within=SOON)
    platform.failures["C1"] = [TransientDeliveryError("HTTP 500")]
    await commit(store, event(EventKind.DEGRADED, Severity.DEGRADED))
    await until(lambda: platform.seen, "the retry", within=SOON)
    [row] = await store.outbox.outbox_rows()
    assert (row.status, row.attempts) == (SENT, 2)


async def test_a_worker_with_its_hands_full_still_hears_later_rows(store: Store) -> None:
    held = Held()
    worker = OutboxWorker(store.outbox, {"slack": held}, FAST_RETRY)  # reads again below 2
    for channel in ("C1", "C2"):
        await store.subscriptions.subscribe(sub(channel))
    await commit(store, event(EventKind.DEGRADED, Severity.DEGRADED))
    task = asyncio.create_task(worker.run())
    try:
        await until(lambda: len(worker._in_flight) == 2, "both channels in flight", within=SOON)
        await asyncio.sleep(0.05)  # the loop goes to sleep with its hands full
        held.release.set()
        await until(lambda: len(held.seen) == 2, "both cards", within=SOON)
        await commit(store, event(EventKind.UPDATE, Severity.DEGRADED, 5), minute=5)
        await until(lambda: len(held.seen) == 4, "the edits queued later", within=SOON)
    finally:
        await worker.stop()
        await cancelled(task)


class FlakyQueue:
    """The store's queue, whose first read fails (a dropped database connection)."""

    def __init__(self, queue: object) -> None:
        self._queue = queue
        self.failed = False

    def __getattr__(self, name: str) -> object:
        return getattr(self._queue, name)

    async def due_deliveries(self, *args: object, **kwargs: object) -> object:
        if not self.failed:
            self.failed = True
            raise ConnectionError("connection reset")
        return await self._queue.due_deliveries(*args, **kwargs)  # type: ignore[attr-defined]


async def test_a_failed_queue_read_is_logged_and_tried_again_shortly(
    store: Store, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setattr(outbox, "BUSY_RETRY_S", 0.05)
    await store.subscriptions.subscribe(sub("C1"))
    await commit(store, event(EventKind.DEGRADED, Severity.DEGRADED))
    queue = FlakyQueue(store.outbox)
    platform = ScriptedPlatform()
    worker = OutboxWorker(queue, {"slack": platform}, FAST_RETRY)  # type: ignore[arg-type]
    task = asyncio.create_task(worker.run())
    try:
        await until(lambda: platform.seen, "the row after the failed read", within=SOON)
    finally:
        await worker.stop()
        await cancelled(task)
    assert queue.failed
    [record] = [r for r in caplog.records if r.levelno == logging.ERROR]
    assert record.getMessage() == "outbox dispatch failed; retrying shortly"


class HeldCommitFirst(CommitFirst):
    """Calls to channel C1 hang until released; other channels answer at once."""

    def __init__(self, store: Store) -> None:
        super().__init__(store)
        self.release = asyncio.Event()
        self.calls_at_once = 0
        self.most_at_once = 0

    async def deliver(self, delivery: Delivery, save_card: SaveCard) -> CardRef:
        if delivery.channel_id != "C1":
            self.seen.append((delivery.channel_id, delivery.event.kind.value, None))
            return CardRef(f"msg-{delivery.channel_id}")
        self.calls_at_once += 1
        self.most_at_once = max(self.most_at_once, self.calls_at_once)
        try:
            await self.release.wait()
            self.seen.append((delivery.channel_id, delivery.event.kind.value, None))
            return CardRef(f"msg-{delivery.channel_id}")
        finally:
            self.calls_at_once -= 1


async def test_a_row_handed_over_while_its_channel_is_busy_waits_its_turn(store: Store) -> None:
    """A commit-first row is sent before its call ends, so the next row of the channel can
    be handed over by a commit while the call is still in flight."""
    for channel in ("C1", "C2"):
        await store.subscriptions.subscribe(sub(channel))
    platform = HeldCommitFirst(store)
    two_slots = DeliveryConfig(base_backoff=0.01, max_backoff=0.05, concurrency=2)
    worker = OutboxWorker(store.outbox, {"slack": platform}, two_slots)
    task = asyncio.create_task(worker.run())
    try:
        await until(lambda: store.outbox.listening, "the worker to listen", within=SOON)
        await commit(store, event(EventKind.DEGRADED, Severity.DEGRADED))
        await until(lambda: platform.calls_at_once, "the first call to C1", within=SOON)
        await until(lambda: len(platform.seen) == 1, "the card in C2", within=SOON)
        await commit(store, event(EventKind.UPDATE, Severity.DEGRADED, 5), minute=5)
        await until(lambda: len(platform.seen) == 2, "the edit in C2", within=SOON)
        assert platform.most_at_once == 1  # C1's edit waits although a slot is free
        platform.release.set()
        await until(lambda: len(platform.seen) == 4, "both edits", within=SOON)
        assert [k for c, k, _ in platform.seen if c == "C1"] == ["degraded", "update"]
        assert platform.most_at_once == 1
    finally:
        await worker.stop()
        await cancelled(task)
    attempts = {(r.channel_id, r.kind): r.attempts for r in await store.outbox.outbox_rows()}
    # C2's edit was handed over by the commit and started at once, not claimed twice.
    assert attempts[("C2", "update")] == 1


async def test_drain_gives_up_at_its_deadline_when_a_call_hangs(clocked) -> None:
    """One-shot tools drain the queue; a platform that never answers must not hang them."""
    store, clock = clocked
    held = Held()
    worker = OutboxWorker(store.outbox, {"slack": held}, DeliveryConfig(), clock=clock)
    await commit(store, event(EventKind.DEGRADED, Severity.DEGRADED))
    async with asyncio.timeout(10):
        await worker.drain(timeout=0.2)
    [row] = await store.outbox.outbox_rows()
    # A stuck call shows in a task dump under its row.
    assert f"deliver-{row.id}" in {task.get_name() for task in asyncio.all_tasks()}
    held.release.set()
    await finished(worker)
    await worker.stop()


class SharedQueue:
    """The store's queue as several bot processes see it: claims are leased."""

    shared = True

    def __init__(self, queue: object) -> None:
        self._queue = queue

    def __getattr__(self, name: str) -> object:
        return getattr(self._queue, name)


async def test_a_leased_row_that_waited_past_half_its_lease_is_handed_back(clocked) -> None:
    class Slow(ScriptedPlatform):
        async def deliver(self, delivery: Delivery, save_card: SaveCard) -> CardRef:
            await asyncio.sleep(0.3)  # longer than half the lease below
            return await super().deliver(delivery, save_card)

    store, clock = clocked
    await store.subscriptions.subscribe(sub("C2"))
    slow = Slow()
    one_slot = DeliveryConfig(claim_lease=0.4, concurrency=1)
    queue = SharedQueue(store.outbox)
    worker = OutboxWorker(queue, {"slack": slow}, one_slot, clock=clock)  # type: ignore[arg-type]
    await commit(store, event(EventKind.DEGRADED, Severity.DEGRADED))
    assert await worker.dispatch_once() == 2  # both claimed, one slot
    await finished(worker)
    assert [c for c, _, _ in slow.seen] == ["C1"]
    rows = {r.channel_id: r for r in await store.outbox.outbox_rows()}
    assert (rows["C1"].status, rows["C2"].status) == (SENT, PENDING)
    assert rows["C2"].last_error == "waited past half its lease for a free slot"
    assert rows["C2"].next_attempt_at == clock.now  # free again at once, not after a backoff
    await worker.stop()


async def test_one_read_starts_a_bounded_batch_and_reports_the_queue_depth(store: Store) -> None:
    for n in range(10):
        await store.subscriptions.subscribe(sub(f"C{n}"))
    await commit(store, event(EventKind.DEGRADED, Severity.DEGRADED))
    held = Held()
    worker = OutboxWorker(store.outbox, {"slack": held}, DeliveryConfig(concurrency=1))
    assert await worker.dispatch_once() == 4  # four rows per slot, the rest wait in the queue
    assert REGISTRY.get_sample_value("statusbot_outbox_depth") == 10
    held.release.set()
    await finished(worker)
    await worker.stop()


class Reposting(ScriptedPlatform):
    """Edits fail on a deleted message: the platform posts a new card instead and returns
    it, without saving it on the way."""

    async def deliver(self, delivery: Delivery, save_card: SaveCard) -> CardRef:
        if delivery.event.kind is EventKind.UPDATE:
            self.seen.append((delivery.channel_id, "update", "reposted"))
            return CardRef("reposted")
        return await super().deliver(delivery, save_card)


async def test_a_card_posted_anew_is_the_one_later_edits_update(clocked) -> None:
    store, clock = clocked
    platform = Reposting()
    worker = OutboxWorker(store.outbox, {"slack": platform}, DeliveryConfig(), clock=clock)
    await commit(store, event(EventKind.DEGRADED, Severity.DEGRADED))
    await commit(store, event(EventKind.UPDATE, Severity.DEGRADED, 5), minute=5)
    await commit(store, event(EventKind.RESTORED, Severity.OPERATIONAL, 9, duration_s=540.0))
    for _ in range(3):
        assert await worker.dispatch_once() == 1
        await finished(worker)
    assert platform.seen == [
        ("C1", "degraded", "msg-C1"),
        ("C1", "update", "reposted"),
        ("C1", "restored", "reposted"),
    ]
    await worker.stop()


async def test_a_sent_delivery_is_timed_from_the_observation_and_logged_with_its_ids(
    clocked, caplog: pytest.LogCaptureFixture
) -> None:
    store, clock = clocked
    caplog.set_level(logging.DEBUG, logger="bot.outbox")
    platform = ScriptedPlatform()
    worker = OutboxWorker(store.outbox, {"slack": platform}, DeliveryConfig(), clock=clock)
    latency = "statusbot_delivery_latency_seconds_sum"
    before = REGISTRY.get_sample_value(latency, {"platform": "slack"}) or 0.0
    degraded = event(EventKind.DEGRADED, Severity.DEGRADED)
    await commit(store, degraded)
    assert await worker.dispatch_once() == 1
    await finished(worker)
    after = REGISTRY.get_sample_value(latency, {"platform": "slack"})
    assert after - before == pytest.approx((clock.now - degraded.at).total_seconds())
    [row] = await store.outbox.outbox_rows()
    [sent] = [r for r in caplog.records if r.getMessage().startswith("delivered")]
    assert sent.getMessage().startswith(f"delivered sb-{row.id} to slack:C1 in ")
    assert (sent.delivery_id, sent.incident) == (f"sb-{row.id}", "inc1")  # type: ignore[attr-defined]
    await worker.stop()


async def test_a_notifier_bug_is_logged_and_recorded_by_its_exception_type(
    clocked, caplog: pytest.LogCaptureFixture
) -> None:
    store, clock = clocked
    platform = ScriptedPlatform()
    platform.failures["C1"] = [KeyError("surprise")]
    worker = OutboxWorker(store.outbox, {"slack": platform}, DeliveryConfig(), clock=clock)
    await commit(store, event(EventKind.DEGRADED, Severity.DEGRADED))
    assert await worker.dispatch_once() == 1
    await finished(worker)
    [row] = await store.outbox.outbox_rows()
    assert (row.status, row.attempts, row.last_error) == (PENDING, 1, "KeyError")
    assert f"delivery sb-{row.id} failed unexpectedly" in caplog.messages
    await worker.stop()


class Paced(ScriptedPlatform):
    """A platform that allows one message per channel every `per_channel_interval_s`."""

    def __init__(self, interval: float) -> None:
        super().__init__()
        self.per_channel_interval_s = interval  # type: ignore[misc]


async def test_pacing_holds_back_only_the_channel_just_served(clocked) -> None:
    store, clock = clocked
    await store.subscriptions.subscribe(sub("C2"))
    platform = Paced(interval=30)
    worker = OutboxWorker(store.outbox, {"slack": platform}, DeliveryConfig(), clock=clock)
    await commit(store, event(EventKind.DEGRADED, Severity.DEGRADED))
    async with asyncio.timeout(10):  # nobody waits out another channel's 30 s
        await worker.drain()
    assert sorted(c for c, _, _ in platform.seen) == ["C1", "C2"]
    await worker.stop()


async def test_waiting_for_the_pace_costs_no_attempt(clocked) -> None:
    store, clock = clocked
    platform = Paced(interval=0.2)
    worker = OutboxWorker(store.outbox, {"slack": platform}, DeliveryConfig(), clock=clock)
    await commit(store, event(EventKind.DEGRADED, Severity.DEGRADED))
    await commit(store, event(EventKind.UPDATE, Severity.DEGRADED, 5), minute=5)
    await worker.drain(timeout=10)
    rows = await store.outbox.outbox_rows()
    assert [(r.status, r.attempts) for r in rows] == [(SENT, 1), (SENT, 1)]
    await worker.stop()
