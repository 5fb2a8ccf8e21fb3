"""Quiet hours, mutes and mentions in the store (SQLite and PostgreSQL): which rows a poll
queues, which it holds, and what the end of quiet time sends."""

from __future__ import annotations

from datetime import timedelta

from bot.events import EventKind
from bot.models import Severity
from bot.notify import CardRef
from bot.quiet import QuietHours
from bot.reminders import send_due_reminders
from bot.store.store import Store
from tests.test_store import NOW, commit, event, sub

QUIET_UNTIL = NOW.replace(hour=16)  # NOW is 14:00 UTC


async def pending(store: Store, minutes: float = 1) -> list[tuple[str, str, int, str | None]]:
    due = await store.outbox.due_deliveries(NOW + timedelta(minutes=minutes))
    return sorted((d.channel_id, d.event.kind.value, d.held, d.mention) for d in due)


async def test_quiet_hours_hold_each_card_and_release_its_newest_state(store: Store) -> None:
    await store.subscriptions.subscribe(sub("C-loud"))
    await store.subscriptions.subscribe(sub("C-night", reminder_minutes=30))
    await store.hush.set_quiet("slack", "C-night", QuietHours.parse("13:00-16:00"))

    await commit(store, event(EventKind.DEGRADED, Severity.DEGRADED))
    await commit(store, event(EventKind.UPDATE, Severity.PARTIAL_OUTAGE, 5), minute=5)
    assert await pending(store, 6) == [("C-loud", "degraded", 0, None)]
    assert await store.outbox.release_held(NOW + timedelta(minutes=10)) == 0  # still quiet

    assert await store.outbox.release_held(QUIET_UNTIL) == 1
    due = await store.outbox.due_deliveries(QUIET_UNTIL)
    night = [d for d in due if d.channel_id == "C-night"]
    assert [(d.event.kind, d.held) for d in night] == [(EventKind.UPDATE, 1)]
    counts = await store.outbox.count_by_status()
    assert counts["superseded"] == 1


async def test_a_new_update_after_quiet_time_supersedes_what_was_held(store: Store) -> None:
    await store.subscriptions.subscribe(sub("C-night"))
    await store.hush.set_quiet("slack", "C-night", QuietHours.parse("13:00-14:10"))
    await commit(store, event(EventKind.DEGRADED, Severity.DEGRADED))
    # Quiet time is over before the release job ran: the new row stands for both.
    await commit(store, event(EventKind.UPDATE, Severity.DEGRADED, 15), minute=15)
    assert await pending(store, 16) == [("C-night", "update", 1, None)]
    assert await store.outbox.release_held(NOW + timedelta(minutes=16)) == 0


async def test_a_major_outage_wakes_a_channel_that_asked_and_pings_once_per_card(
    store: Store,
) -> None:
    await store.subscriptions.subscribe(sub("C-wake", wake_on_major=True, mention="here"))
    await store.subscriptions.subscribe(sub("C-sleep", mention="here"))
    for channel in ("C-wake", "C-sleep"):
        await store.hush.set_quiet("slack", channel, QuietHours.parse("13:00-16:00"))

    await commit(store, event(EventKind.DEGRADED, Severity.DEGRADED))
    await commit(store, event(EventKind.UPDATE, Severity.MAJOR_OUTAGE, 5), minute=5)
    # Woken: the major update goes now (summing up the held degraded one), pinging @here.
    assert await pending(store, 6) == [("C-wake", "update", 1, "here")]
    [woken] = await store.outbox.due_deliveries(NOW + timedelta(minutes=6))
    await store.outbox.mark_delivered(woken, NOW, new_card=CardRef("ts-1"))
    await commit(store, event(EventKind.UPDATE, Severity.MAJOR_OUTAGE, 9, text="More."), minute=9)
    assert await pending(store, 10) == [("C-wake", "update", 0, None)]  # no second ping


async def test_a_mute_queues_nothing_until_it_ends(store: Store) -> None:
    await store.subscriptions.subscribe(sub("C-muted", reminder_minutes=30))
    await store.hush.mute("slack", "C-muted", "openai", NOW + timedelta(minutes=30))
    await commit(store, event(EventKind.OUTAGE, Severity.MAJOR_OUTAGE))
    assert await pending(store) == []
    assert await store.outbox.count_by_status() == {}
    await commit(store, event(EventKind.UPDATE, Severity.MAJOR_OUTAGE, 31), minute=31)
    assert await pending(store, 32) == [("C-muted", "update", 0, None)]


async def test_held_reminders_are_dropped_not_sent_late(store: Store) -> None:
    await store.subscriptions.subscribe(sub("C-night", reminder_minutes=30))
    await commit(store, event(EventKind.OUTAGE, Severity.PARTIAL_OUTAGE))
    [row] = await store.outbox.due_deliveries(NOW)
    await store.outbox.mark_delivered(row, NOW, new_card=CardRef("ts-1"))
    await store.hush.set_quiet("slack", "C-night", QuietHours.parse("14:00-16:00"))
    assert await send_due_reminders(store.reminders, NOW + timedelta(minutes=31)) == 1
    assert await pending(store, 32) == []
    assert await store.outbox.release_held(QUIET_UNTIL) == 0
    assert (await store.outbox.count_by_status())["superseded"] == 1
