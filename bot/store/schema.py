"""The store's tables (SQLAlchemy Core); migrations in `migrations/` create them."""

from __future__ import annotations

import sqlalchemy as sa

metadata = sa.MetaData()

UTC_TIME = sa.DateTime(timezone=True)

sources = sa.Table(
    "sources",
    metadata,
    sa.Column("source_id", sa.String(200), primary_key=True),
    sa.Column("provider", sa.String(100), nullable=False),
    sa.Column("state", sa.JSON, nullable=False),
    sa.Column("last_attempt_at", UTC_TIME, nullable=True),
    sa.Column("last_ok_at", UTC_TIME, nullable=True),
    sa.Column("last_error", sa.Text, nullable=True),
    sa.Column("updated_at", UTC_TIME, nullable=False),
    # Optimistic concurrency: two processes polling one source cannot both commit.
    sa.Column("version", sa.Integer, nullable=False, server_default="0"),
)

# Each event is stored once; incidents and outbox rows refer to it.
events = sa.Table(
    "events",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("source_id", sa.String(200), nullable=False),
    sa.Column("provider", sa.String(100), nullable=False),
    sa.Column("kind", sa.String(40), nullable=False),
    sa.Column("incident_key", sa.String(300), nullable=False),
    sa.Column("at", UTC_TIME, nullable=False),
    sa.Column("payload", sa.JSON, nullable=False),
    sa.Column("created_at", UTC_TIME, nullable=False),
    sa.Index("ix_events_incident", "provider", "incident_key"),
)

incidents = sa.Table(
    "incidents",
    metadata,
    sa.Column("source_id", sa.String(200), primary_key=True),
    sa.Column("incident_key", sa.String(300), primary_key=True),
    sa.Column("provider", sa.String(100), nullable=False),
    sa.Column("incident_id", sa.String(200), nullable=True),
    sa.Column("title", sa.Text, nullable=False),
    sa.Column("severity", sa.Integer, nullable=False),
    sa.Column("status", sa.String(40), nullable=True),
    sa.Column("started_at", UTC_TIME, nullable=False),
    sa.Column("ended_at", UTC_TIME, nullable=True),
    sa.Column("updated_at", UTC_TIME, nullable=False),
    sa.Column("latest_event_id", sa.Integer, sa.ForeignKey("events.id"), nullable=False),
)

subscriptions = sa.Table(
    "subscriptions",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("platform", sa.String(20), nullable=False),
    sa.Column("workspace_id", sa.String(100), nullable=True),
    sa.Column("channel_id", sa.String(100), nullable=False),
    sa.Column("provider", sa.String(100), nullable=False),
    sa.Column("components", sa.JSON, nullable=False),
    sa.Column("min_severity", sa.Integer, nullable=False),
    sa.Column("reminder_minutes", sa.Integer, nullable=False, server_default="0"),
    sa.Column("enabled", sa.Boolean, nullable=False, server_default=sa.true()),
    sa.Column("disabled_reason", sa.Text, nullable=True),
    sa.Column("created_by", sa.String(100), nullable=True),
    sa.Column("created_at", UTC_TIME, nullable=False),
    sa.UniqueConstraint("platform", "channel_id", "provider", name="uq_subscription"),
)

outbox = sa.Table(
    "outbox",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("platform", sa.String(20), nullable=False),
    sa.Column("workspace_id", sa.String(100), nullable=True),
    sa.Column("channel_id", sa.String(100), nullable=False),
    sa.Column("subscription_id", sa.Integer, nullable=True),
    sa.Column("event_id", sa.Integer, sa.ForeignKey("events.id"), nullable=False),
    # Copied from the event for the queue's own queries (cards, listings), not a payload.
    sa.Column("incident_key", sa.String(300), nullable=False),
    sa.Column("kind", sa.String(40), nullable=False),
    sa.Column("status", sa.String(20), nullable=False),
    sa.Column("attempts", sa.Integer, nullable=False, server_default="0"),
    sa.Column("next_attempt_at", UTC_TIME, nullable=False),
    sa.Column("last_error", sa.Text, nullable=True),
    sa.Column("created_at", UTC_TIME, nullable=False),
    sa.Column("sent_at", UTC_TIME, nullable=True),
    # A worker's lease on a row while it calls the platform (several workers, one database).
    sa.Column("claimed_until", UTC_TIME, nullable=True),
    sa.Index("ix_outbox_channel", "platform", "channel_id", "status", "id"),
    sa.Index("ix_outbox_due", "status", "next_attempt_at"),
)

cards = sa.Table(
    "cards",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("platform", sa.String(20), nullable=False),
    sa.Column("channel_id", sa.String(100), nullable=False),
    sa.Column("incident_key", sa.String(300), nullable=False),
    sa.Column("provider", sa.String(100), nullable=False),
    sa.Column("message_id", sa.String(100), nullable=False),
    sa.Column("thread_id", sa.String(100), nullable=True),
    sa.Column("closed", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.Column("created_at", UTC_TIME, nullable=False),
    sa.Column("last_reminder_at", UTC_TIME, nullable=True),
    sa.UniqueConstraint("platform", "channel_id", "incident_key", name="uq_card"),
)

# Who does what when several replicas share one PostgreSQL database: a replica's membership
# (`member:<replica>`) and the work it leads (`poll:<source id>`), each until `expires_at`.
leases = sa.Table(
    "leases",
    metadata,
    sa.Column("name", sa.String(300), primary_key=True),
    sa.Column("holder", sa.String(200), nullable=False),
    sa.Column("expires_at", UTC_TIME, nullable=False),
)
