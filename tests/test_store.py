"""The store on SQLite and PostgreSQL: one poll is one transaction; fan-out follows cards."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa

from bot.errors import ConcurrentUpdate
from bot.events import Event, EventKind
from bot.machine import SourceState
from bot.models import IncidentStatus, Severity
from bot.notify import CardRef
from bot.reminders import send_due_reminders
from bot.routing import Router, Subscription
from bot.store.store import DEAD, DROPPED, PENDING, SENT, PollCommit, Store

NOW = datetime(2026, 2, 3, 14, 0, tzinfo=UTC)


def event(kind: EventKind, severity: Severity, minute: int = 0, **changes) -> Event:
    base = Event(
        kind=kind,
        provider="openai",
        source_id="openai",
        page_name="OpenAI",
        incident_key="inc1",
        incident_id="inc1",
        title="Elevated errors on ChatGPT",
        severity=severity,
        status=IncidentStatus.INVESTIGATING,
        components=("Conversations",),
        at=NOW + timedelta(minutes=minute),
        started_at=NOW,
    )
    return base.replace(**changes)


async def commit(store: Store, *events: Event, minute: int = 0) -> None:
    at = NOW + timedelta(minutes=minute)
    state = SourceState(baseline_done=True, page_name="OpenAI", last_ok_at=at)
    await store.polls.commit_poll(PollCommit("openai", "openai", state, at, events))


def sub(channel: str, **changes) -> Subscription:
    return Subscription(
        platform="slack", channel_id=channel, provider="openai", workspace_id="T1", created_at=NOW
    ).__class__(
        **{
            "platform": "slack",
            "channel_id": channel,
            "provider": "openai",
            "workspace_id": "T1",
            "created_at": NOW - timedelta(days=1),
            **changes,
        }
    )


async def test_migrations_are_idempotent(store: Store) -> None:
    await store.initialize()
    assert await store.ping()


async def test_poll_state_and_events_are_persisted(store: Store) -> None:
    await commit(store, event(EventKind.OUTAGE, Severity.MAJOR_OUTAGE))
    record = await store.polls.load_source("openai")
    assert record is not None
    assert record.state.page_name == "OpenAI"
    assert [e.kind for e in await store.events.recent_events()] == [EventKind.OUTAGE]
    assert [e.title for e in await store.incidents.open_incidents("openai")] == [
        "Elevated errors on ChatGPT"
    ]


async def test_fan_out_respects_provider_severity_and_components(store: Store) -> None:
    await store.subscriptions.subscribe(sub("C-all"))
    await store.subscriptions.subscribe(sub("C-major", min_severity=Severity.MAJOR_OUTAGE))
    await store.subscriptions.subscribe(sub("C-login", components=("Login",)))
    await store.subscriptions.subscribe(sub("C-conv", components=("conversations",)))
    await store.subscriptions.subscribe(sub("C-claude", provider="anthropic"))
    await commit(store, event(EventKind.DEGRADED, Severity.DEGRADED))
    due = await store.outbox.due_deliveries(NOW + timedelta(minutes=1))
    assert sorted(d.channel_id for d in due) == ["C-all", "C-conv"]


async def test_a_card_follows_its_incident_to_restoration(store: Store) -> None:
    await store.subscriptions.subscribe(sub("C1"))
    await commit(store, event(EventKind.DEGRADED, Severity.DEGRADED))
    [first] = await store.outbox.due_deliveries(NOW + timedelta(minutes=1))
    await store.outbox.mark_delivered(first, NOW, new_card=CardRef("111.222"))
    # Restored is "operational" severity, but the channel has the card: it must hear the end.
    await commit(store, event(EventKind.RESTORED, Severity.OPERATIONAL, 47, duration_s=2820.0))
    [restored] = await store.outbox.due_deliveries(NOW + timedelta(minutes=48))
    assert restored.event.kind is EventKind.RESTORED
    assert restored.card == CardRef("111.222")
    await store.outbox.mark_delivered(restored, NOW + timedelta(minutes=48))
    assert await store.incidents.open_incidents() == []


async def test_restoration_reaches_a_channel_that_subscribed_mid_incident(store: Store) -> None:
    await store.subscriptions.subscribe(sub("C-before", created_at=NOW - timedelta(days=1)))
    await store.subscriptions.subscribe(sub("C-during", created_at=NOW + timedelta(minutes=10)))
    await commit(store, event(EventKind.RESTORED, Severity.OPERATIONAL, 47))
    due = await store.outbox.due_deliveries(NOW + timedelta(minutes=48))
    assert [d.channel_id for d in due] == ["C-during"]


async def test_each_channel_is_served_in_order(store: Store) -> None:
    await store.subscriptions.subscribe(sub("C1"))
    await store.subscriptions.subscribe(sub("C2"))
    await commit(store, event(EventKind.DEGRADED, Severity.DEGRADED))
    await commit(store, event(EventKind.UPDATE, Severity.DEGRADED, 5), minute=5)
    heads = await store.outbox.due_deliveries(NOW + timedelta(minutes=6))
    assert sorted((d.channel_id, d.event.kind.value) for d in heads) == [
        ("C1", "degraded"),
        ("C2", "degraded"),
    ]
    for head in heads:
        await store.outbox.mark_delivered(head, NOW, new_card=CardRef(f"ts-{head.channel_id}"))
    nxt = await store.outbox.due_deliveries(NOW + timedelta(minutes=6))
    assert sorted((d.channel_id, d.event.kind.value, d.card) for d in nxt) == [
        ("C1", "update", CardRef("ts-C1")),
        ("C2", "update", CardRef("ts-C2")),
    ]


async def test_retry_backoff_dead_letter_and_operator_actions(store: Store) -> None:
    await store.subscriptions.subscribe(sub("C1"))
    await commit(store, event(EventKind.DEGRADED, Severity.DEGRADED))
    [row] = await store.outbox.due_deliveries(NOW)
    assert await store.outbox.begin_attempts([row.id], NOW) == {row.id}
    await store.outbox.mark_failed(row.id, "ratelimited", NOW + timedelta(seconds=30))
    assert await store.outbox.due_deliveries(NOW + timedelta(seconds=10)) == []
    [again] = await store.outbox.due_deliveries(NOW + timedelta(seconds=31))
    assert again.attempt == 2  # the retry knows an earlier try may have landed
    await store.outbox.mark_failed(row.id, "gave up", None)
    assert [r.status for r in await store.outbox.outbox_rows()] == [DEAD]
    assert await store.outbox.retry_delivery(row.id, NOW)
    assert [r.status for r in await store.outbox.outbox_rows()] == [PENDING]
    assert await store.outbox.drop_delivery(row.id, NOW)
    assert [r.status for r in await store.outbox.outbox_rows()] == [DROPPED]
    assert not await store.outbox.drop_delivery(12345, NOW)


async def test_a_lost_channel_is_disabled_and_its_queue_dropped(store: Store) -> None:
    await store.subscriptions.subscribe(sub("C-gone"))
    await store.subscriptions.subscribe(sub("C-ok"))
    await commit(store, event(EventKind.DEGRADED, Severity.DEGRADED))
    await store.outbox.disable_channel("slack", "C-gone", "channel_not_found")
    [listed] = await store.subscriptions.channel_subscriptions("slack", "C-gone")
    assert not listed.enabled
    assert listed.disabled_reason == "channel_not_found"
    assert [d.channel_id for d in await store.outbox.due_deliveries(NOW)] == ["C-ok"]
    # Subscribing again re-enables it.
    again = await store.subscriptions.subscribe(sub("C-gone"))
    assert again.enabled


async def test_workspace_wide_loss_disables_every_channel_of_it(store: Store) -> None:
    await store.subscriptions.subscribe(sub("C1", workspace_id="T-revoked"))
    await store.subscriptions.subscribe(sub("C2", workspace_id="T-revoked"))
    await store.subscriptions.subscribe(sub("C3", workspace_id="T-fine"))
    await store.outbox.disable_channel("slack", "C1", "token_revoked", workspace_id="T-revoked")
    enabled = {s.channel_id: s.enabled for s in await store.subscriptions.all_subscriptions()}
    assert enabled == {"C1": False, "C2": False, "C3": True}


async def test_reminders_for_open_cards_only(store: Store) -> None:
    await store.subscriptions.subscribe(sub("C-remind", reminder_minutes=60))
    await store.subscriptions.subscribe(sub("C-quiet"))
    await commit(store, event(EventKind.OUTAGE, Severity.MAJOR_OUTAGE))
    for row in await store.outbox.due_deliveries(NOW):
        await store.outbox.mark_delivered(row, NOW, new_card=CardRef(f"ts-{row.channel_id}"))
    assert await send_due_reminders(store.reminders, NOW + timedelta(minutes=30)) == 0
    assert await send_due_reminders(store.reminders, NOW + timedelta(minutes=61)) == 1
    assert await send_due_reminders(store.reminders, NOW + timedelta(minutes=62)) == 0
    [reminder] = await store.outbox.due_deliveries(NOW + timedelta(minutes=62))
    assert reminder.channel_id == "C-remind"
    assert reminder.event.kind is EventKind.REMINDER
    assert reminder.event.duration_s == 61 * 60


async def test_unsubscribe(store: Store) -> None:
    await store.subscriptions.subscribe(sub("C1"))
    await store.subscriptions.subscribe(sub("C1", provider="anthropic"))
    assert await store.subscriptions.unsubscribe("slack", "C1", "anthropic") == 1
    assert [s.provider for s in await store.subscriptions.channel_subscriptions("slack", "C1")] == [
        "openai"
    ]
    assert await store.subscriptions.unsubscribe("slack", "C1", None) == 1
    assert await store.subscriptions.unsubscribe("slack", "C1", None) == 0


async def test_local_sinks_receive_every_event(store_url: str) -> None:
    store = Store(store_url, Router(local_sinks=("console",)))
    await store.initialize()
    try:
        await commit(store, event(EventKind.SOURCE_UNREACHABLE, Severity.OPERATIONAL))
        [row] = await store.outbox.due_deliveries(NOW)
        assert (row.platform, row.event.kind) == ("console", EventKind.SOURCE_UNREACHABLE)
        await store.outbox.mark_delivered(row, NOW)
        assert [r.status for r in await store.outbox.outbox_rows()] == [SENT]
    finally:
        await store.aclose()


async def test_two_processes_cannot_both_commit_the_same_poll(store: Store) -> None:
    await commit(store, event(EventKind.DEGRADED, Severity.DEGRADED))
    record = await store.polls.load_source("openai")
    assert record is not None
    state = record.state
    first = PollCommit("openai", "openai", state, NOW, (), expected_version=record.version)
    await store.polls.commit_poll(first)
    with pytest.raises(ConcurrentUpdate):
        await store.polls.commit_poll(first)  # the same loaded version, committed a second time
    created = PollCommit("new", "openai", state, NOW, (), expected_version=0)
    await store.polls.commit_poll(created)
    with pytest.raises(ConcurrentUpdate):
        await store.polls.commit_poll(created)  # both processes saw no row and both insert


async def test_a_claimed_row_is_skipped_by_a_second_worker(store: Store) -> None:
    await store.subscriptions.subscribe(sub("C1"))
    await commit(store, event(EventKind.DEGRADED, Severity.DEGRADED))
    [row] = await store.outbox.due_deliveries(NOW)
    lease = timedelta(seconds=60)
    assert await store.outbox.begin_attempts([row.id], NOW, lease) == {row.id}
    assert await store.outbox.begin_attempts([row.id], NOW, lease) == set()
    assert await store.outbox.due_deliveries(NOW + timedelta(seconds=30)) == []
    # A worker that died holding the lease: the row comes back when the lease ends.
    [again] = await store.outbox.due_deliveries(NOW + timedelta(seconds=61))
    assert again.attempt == 2


def test_head_revision_constant_matches_the_migrations() -> None:
    from alembic.config import Config as AlembicConfig
    from alembic.script import ScriptDirectory

    from bot.store.store import HEAD_REVISION, MIGRATIONS

    cfg = AlembicConfig()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    assert ScriptDirectory.from_config(cfg).get_current_head() == HEAD_REVISION


async def test_an_alembic_migrated_database_and_a_fresh_one_have_the_same_schema(
    store_url: str, tmp_path: Path
) -> None:
    """The fast path for empty databases must build exactly what the migrations build."""
    from bot.store.engine import upgrade_schema

    fresh = Store(store_url)
    await fresh.initialize()
    migrated = Store(f"sqlite+aiosqlite:///{tmp_path / 'migrated.db'}")
    async with migrated.db.engine.begin() as conn:
        await conn.run_sync(upgrade_schema)
    try:
        assert await _schema_of(fresh) == await _schema_of(migrated)
        await fresh.initialize()  # and initializing again changes nothing
        assert await _schema_of(fresh) == await _schema_of(migrated)
    finally:
        await fresh.aclose()
        await migrated.aclose()


async def _schema_of(store: Store) -> dict[str, object]:
    def read(sync_conn: object) -> dict[str, object]:
        inspector = sa.inspect(sync_conn)
        tables = {
            name: sorted(c["name"] for c in inspector.get_columns(name))
            for name in inspector.get_table_names()
        }
        version = sync_conn.execute(sa.text("SELECT version_num FROM alembic_version")).scalar()  # type: ignore[attr-defined]
        return {"tables": tables, "version": version}

    async with store.db.engine.connect() as conn:
        return await conn.run_sync(read)


async def test_a_reopened_incident_reopens_its_cards_for_reminders(store: Store) -> None:
    await store.subscriptions.subscribe(sub("C1", reminder_minutes=60))
    await commit(store, event(EventKind.OUTAGE, Severity.MAJOR_OUTAGE))
    [card] = await store.outbox.due_deliveries(NOW)
    await store.outbox.mark_delivered(card, NOW, new_card=CardRef("ts-1"))
    await commit(store, event(EventKind.RESTORED, Severity.OPERATIONAL, 10, duration_s=600.0))
    [restored] = await store.outbox.due_deliveries(NOW + timedelta(minutes=10))
    await store.outbox.mark_delivered(restored, NOW + timedelta(minutes=10))
    assert await send_due_reminders(store.reminders, NOW + timedelta(minutes=200)) == 0  # closed
    await commit(store, event(EventKind.OUTAGE, Severity.MAJOR_OUTAGE, 20), minute=20)
    [reopened] = await store.outbox.due_deliveries(NOW + timedelta(minutes=20))
    assert reopened.card == CardRef("ts-1")  # the same card, edited back to red
    await store.outbox.mark_delivered(reopened, NOW + timedelta(minutes=20))
    assert await send_due_reminders(store.reminders, NOW + timedelta(minutes=200)) == 1


async def test_a_merged_card_closes_only_where_it_was_posted(store: Store) -> None:
    await store.subscriptions.subscribe(sub("C-card", reminder_minutes=60))
    await commit(store, event(EventKind.DEGRADED, Severity.DEGRADED, incident_id=None))
    [first] = await store.outbox.due_deliveries(NOW)
    await store.outbox.mark_delivered(first, NOW, new_card=CardRef("ts-card"))
    await store.subscriptions.subscribe(sub("C-late", created_at=NOW + timedelta(minutes=1)))
    merged = event(EventKind.MERGED, Severity.DEGRADED, 5, incident_id=None, merged_into="inc2")
    await commit(store, merged, minute=5)
    [closing] = await store.outbox.due_deliveries(NOW + timedelta(minutes=6))
    assert (closing.channel_id, closing.event.kind) == ("C-card", EventKind.MERGED)
    await store.outbox.mark_delivered(closing, NOW + timedelta(minutes=6))
    # The story goes on elsewhere: no reminders on the closed card, not listed as open.
    assert await send_due_reminders(store.reminders, NOW + timedelta(minutes=90)) == 0
    assert await store.incidents.open_incidents() == []
