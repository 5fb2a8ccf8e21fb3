"""Upgrading a database written by an older release keeps what it holds."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import sqlalchemy as sa

from bot.events import Event, EventKind
from bot.machine import SourceState
from bot.models import IncidentStatus, Severity
from bot.notify import CardRef
from bot.routing import Subscription
from bot.store.engine import make_engine
from bot.store.records import PollCommit
from bot.store.store import Store

NOW = datetime(2026, 2, 3, 14, 0, tzinfo=UTC)
T = sa.DateTime(timezone=True)

# The schema as revision 0001 left it: every outbox row and every incident held its own
# copy of the event, and sources had a `validators` column.
# fmt: off
OLD = sa.MetaData()
sa.Table(
    "sources", OLD,
    sa.Column("source_id", sa.String(200), primary_key=True),
    sa.Column("provider", sa.String(100), nullable=False),
    sa.Column("state", sa.JSON, nullable=False),
    sa.Column("validators", sa.JSON),
    sa.Column("last_attempt_at", T), sa.Column("last_ok_at", T),
    sa.Column("last_error", sa.Text),
    sa.Column("updated_at", T, nullable=False),
    sa.Column("version", sa.Integer, nullable=False, server_default="0"),
)
sa.Table(
    "events", OLD,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("source_id", sa.String(200), nullable=False),
    sa.Column("provider", sa.String(100), nullable=False),
    sa.Column("kind", sa.String(40), nullable=False),
    sa.Column("incident_key", sa.String(300), nullable=False),
    sa.Column("at", T, nullable=False),
    sa.Column("payload", sa.JSON, nullable=False),
    sa.Column("created_at", T, nullable=False),
    sa.Index("ix_events_incident", "provider", "incident_key"),
)
sa.Table(
    "incidents", OLD,
    sa.Column("source_id", sa.String(200), primary_key=True),
    sa.Column("incident_key", sa.String(300), primary_key=True),
    sa.Column("provider", sa.String(100), nullable=False),
    sa.Column("incident_id", sa.String(200)),
    sa.Column("title", sa.Text, nullable=False),
    sa.Column("severity", sa.Integer, nullable=False),
    sa.Column("status", sa.String(40)),
    sa.Column("started_at", T, nullable=False), sa.Column("ended_at", T),
    sa.Column("updated_at", T, nullable=False),
    sa.Column("latest_event", sa.JSON, nullable=False),
)
sa.Table(
    "subscriptions", OLD,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("platform", sa.String(20), nullable=False),
    sa.Column("workspace_id", sa.String(100)),
    sa.Column("channel_id", sa.String(100), nullable=False),
    sa.Column("provider", sa.String(100), nullable=False),
    sa.Column("components", sa.JSON, nullable=False),
    sa.Column("min_severity", sa.Integer, nullable=False),
    sa.Column("reminder_minutes", sa.Integer, nullable=False, server_default="0"),
    sa.Column("enabled", sa.Boolean, nullable=False, server_default=sa.true()),
    sa.Column("disabled_reason", sa.Text), sa.Column("created_by", sa.String(100)),
    sa.Column("created_at", T, nullable=False),
    sa.UniqueConstraint("platform", "channel_id", "provider", name="uq_subscription"),
)
sa.Table(
    "outbox", OLD,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("platform", sa.String(20), nullable=False),
    sa.Column("workspace_id", sa.String(100)),
    sa.Column("channel_id", sa.String(100), nullable=False),
    sa.Column("subscription_id", sa.Integer),
    sa.Column("event_id", sa.Integer),
    sa.Column("incident_key", sa.String(300), nullable=False),
    sa.Column("kind", sa.String(40), nullable=False),
    sa.Column("payload", sa.JSON, nullable=False),
    sa.Column("status", sa.String(20), nullable=False),
    sa.Column("attempts", sa.Integer, nullable=False, server_default="0"),
    sa.Column("next_attempt_at", T, nullable=False),
    sa.Column("last_error", sa.Text), sa.Column("created_at", T, nullable=False),
    sa.Column("sent_at", T), sa.Column("claimed_until", T),
    sa.Index("ix_outbox_channel", "platform", "channel_id", "status", "id"),
    sa.Index("ix_outbox_due", "status", "next_attempt_at"),
)
sa.Table(
    "cards", OLD,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("platform", sa.String(20), nullable=False),
    sa.Column("channel_id", sa.String(100), nullable=False),
    sa.Column("incident_key", sa.String(300), nullable=False),
    sa.Column("provider", sa.String(100), nullable=False),
    sa.Column("message_id", sa.String(100), nullable=False),
    sa.Column("thread_id", sa.String(100)),
    sa.Column("closed", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.Column("created_at", T, nullable=False), sa.Column("last_reminder_at", T),
    sa.UniqueConstraint("platform", "channel_id", "incident_key", name="uq_card"),
)
sa.Table("alembic_version", OLD, sa.Column("version_num", sa.String(32), primary_key=True))
# fmt: on

OUTAGE = Event(
    kind=EventKind.OUTAGE,
    provider="openai",
    source_id="openai",
    page_name="OpenAI",
    incident_key="inc1",
    incident_id="inc1",
    title="Elevated errors on ChatGPT",
    severity=Severity.MAJOR_OUTAGE,
    status=IncidentStatus.INVESTIGATING,
    components=("Conversations",),
    text="We are investigating.",
    at=NOW,
    started_at=NOW,
)
REMINDER = OUTAGE.replace(kind=EventKind.REMINDER, at=NOW + timedelta(hours=1), duration_s=3600.0)


def _outbox_row(channel: str, event: Event, event_id: int | None, status: str) -> Any:
    return {
        "platform": "slack",
        "workspace_id": "T1",
        "channel_id": channel,
        "subscription_id": None,
        "event_id": event_id,
        "incident_key": event.incident_key,
        "kind": event.kind.value,
        "payload": event.to_json(),
        "status": status,
        "attempts": 0,
        "next_attempt_at": event.at,
        "created_at": event.at,
    }


async def _write_old_database(url: str) -> None:
    engine = make_engine(url)
    t = OLD.tables
    try:
        async with engine.begin() as conn:
            await conn.run_sync(OLD.create_all)
            await conn.execute(t["alembic_version"].insert().values(version_num="0001"))
            state = SourceState(baseline_done=True, page_name="OpenAI", last_ok_at=NOW)
            await conn.execute(
                t["sources"].insert().values(
                    source_id="openai", provider="openai", state=state.to_json(),
                    validators={"etag": '"abc"'}, last_attempt_at=NOW, last_ok_at=NOW,
                    updated_at=NOW, version=3,
                )
            )  # fmt: skip
            event_id = await conn.scalar(
                t["events"].insert().values(
                    source_id="openai", provider="openai", kind="outage",
                    incident_key="inc1", at=NOW, payload=OUTAGE.to_json(), created_at=NOW,
                ).returning(t["events"].c.id)
            )  # fmt: skip
            await conn.execute(
                t["incidents"].insert().values(
                    source_id="openai", incident_key="inc1", provider="openai",
                    incident_id="inc1", title=OUTAGE.title, severity=4,
                    status="investigating", started_at=NOW, updated_at=NOW,
                    latest_event=OUTAGE.to_json(),
                )
            )  # fmt: skip
            await conn.execute(
                t["cards"].insert().values(
                    platform="slack", channel_id="C-sent", incident_key="inc1",
                    provider="openai", message_id="111.1", thread_id="111.1", created_at=NOW,
                )
            )  # fmt: skip
            await conn.execute(
                t["outbox"].insert(),
                [
                    _outbox_row("C-waiting", OUTAGE, event_id, "pending"),
                    _outbox_row("C-sent", OUTAGE, event_id, "sent"),
                    # A reminder was queued with its own copy and no event row.
                    _outbox_row("C-sent", REMINDER, None, "pending"),
                ],
            )
    finally:
        await engine.dispose()


async def test_an_older_database_keeps_its_queue_incidents_and_state(store_url: str) -> None:
    await _write_old_database(store_url)
    store = Store(store_url)
    try:
        await store.initialize()
        due = await store.outbox.due_deliveries(NOW + timedelta(hours=2))
        assert [(d.channel_id, d.event) for d in due] == [
            ("C-waiting", OUTAGE),
            ("C-sent", REMINDER),
        ]
        assert due[0].card is None
        assert due[1].card == CardRef("111.1", "111.1")  # the reminder goes to its thread
        assert await store.incidents.open_incidents() == [OUTAGE]
        assert await store.events.recent_events() == [OUTAGE]  # reminders are not history
        record = await store.polls.load_source("openai")
        assert record is not None
        assert (record.state.page_name, record.version) == ("OpenAI", 3)
        # The next poll of the upgraded database carries on where the old one stopped.
        await store.outbox.mark_delivered(due[0], NOW, new_card=CardRef("222.2"))
        restored = OUTAGE.replace(kind=EventKind.RESTORED, at=NOW + timedelta(hours=3))
        await store.polls.commit_poll(
            PollCommit("openai", "openai", record.state, restored.at, [restored])
        )
        assert await store.incidents.open_incidents() == []
        # New rows get ids after the old ones (sequences carried over).
        await store.subscriptions.subscribe(Subscription("slack", "C-new", "openai"))
        reopened = OUTAGE.replace(at=NOW + timedelta(hours=4))
        await store.polls.commit_poll(PollCommit("openai", "openai", record.state, NOW, [reopened]))
        assert [r.channel_id for r in await store.outbox.outbox_rows()][-1] == "C-new"
        assert await _columns(store, "outbox") == await _columns(await _fresh(store_url), "outbox")
    finally:
        await store.aclose()


async def _fresh(url: str) -> Store:
    return Store(url)


async def _columns(store: Store, table: str) -> set[str]:
    async with store.db.engine.connect() as conn:
        names = await conn.run_sync(lambda c: sa.inspect(c).get_columns(table))
    return {c["name"] for c in names}
