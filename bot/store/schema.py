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
    sa.Column("early", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.Column("enabled", sa.Boolean, nullable=False, server_default=sa.true()),
    sa.Column("disabled_reason", sa.Text, nullable=True),
    sa.Column("created_by", sa.String(100), nullable=True),
    sa.Column("created_at", UTC_TIME, nullable=False),
    # Who a major outage's alert pings: "here" (Slack) or "role:ID" (Discord); none if null.
    sa.Column("mention", sa.String(100), nullable=True),
    # A major outage comes through the channel's quiet hours.
    sa.Column("wake_on_major", sa.Boolean, nullable=False, server_default=sa.false()),
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
    # The subscription's mention, copied when this event deserves one.
    sa.Column("mention", sa.String(100), nullable=True),
    # Earlier updates of the same card held in quiet hours that this row now stands for.
    sa.Column("held", sa.Integer, nullable=False, server_default="0"),
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

# Early warning: each probe's recent answers (bot.probe_window.ProbeWindow as JSON).
probe_windows = sa.Table(
    "probe_windows",
    metadata,
    sa.Column("probe_id", sa.String(200), primary_key=True),
    sa.Column("provider", sa.String(100), nullable=False),
    sa.Column("window", sa.JSON, nullable=False),
    sa.Column("updated_at", UTC_TIME, nullable=False),
)

# Early warning: every "Down for me too", "Works for me" and /is-chatgpt-down ask.
crowd_reports = sa.Table(
    "crowd_reports",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("provider", sa.String(100), nullable=False),
    sa.Column("platform", sa.String(20), nullable=False),
    sa.Column("workspace_id", sa.String(100), nullable=True),
    sa.Column("channel_id", sa.String(100), nullable=False),
    sa.Column("user_id", sa.String(100), nullable=False),
    sa.Column("kind", sa.String(20), nullable=False),
    sa.Column("at", UTC_TIME, nullable=False),
    sa.Index("ix_crowd_reports_provider_at", "provider", "at"),
    sa.Index("ix_crowd_reports_person", "platform", "user_id", "at"),
)

# Early warning: each provider's fused verdict state, its crowd baseline, and a verdict
# change stored before the sinks hear of it (redelivered after a crash).
fusion_states = sa.Table(
    "fusion_states",
    metadata,
    sa.Column("provider", sa.String(100), primary_key=True),
    sa.Column("state", sa.JSON, nullable=False),
    sa.Column("baseline", sa.JSON, nullable=False),
    sa.Column("pending", sa.JSON, nullable=True),
    sa.Column("updated_at", UTC_TIME, nullable=False),
    sa.Column("version", sa.Integer, nullable=False, server_default="0"),
)

# A channel's quiet hours: alerts are held from `start_minute` to `end_minute` (minutes after
# local midnight in `timezone`), then each card is brought up to date at once.
quiet_hours = sa.Table(
    "quiet_hours",
    metadata,
    sa.Column("platform", sa.String(20), primary_key=True),
    sa.Column("channel_id", sa.String(100), primary_key=True),
    sa.Column("start_minute", sa.Integer, nullable=False),
    sa.Column("end_minute", sa.Integer, nullable=False),
    sa.Column("timezone", sa.String(64), nullable=False),
)

# `/statusbot mute`: a channel hears nothing about `provider` ("*": every provider) until then.
mutes = sa.Table(
    "mutes",
    metadata,
    sa.Column("platform", sa.String(20), primary_key=True),
    sa.Column("channel_id", sa.String(100), primary_key=True),
    sa.Column("provider", sa.String(100), primary_key=True),
    sa.Column("until", UTC_TIME, nullable=False),
)

# Small facts the bot keeps between runs (the Discord command definitions last synced).
settings = sa.Table(
    "settings",
    metadata,
    sa.Column("key", sa.String(200), primary_key=True),
    sa.Column("value", sa.JSON, nullable=False),
    sa.Column("updated_at", UTC_TIME, nullable=False),
)

# Early-warning episodes: from our first signal to a false alarm or the page's resolution,
# with the official lag at both ends (`statusbot lag`, /metrics, the cards).
early_episodes = sa.Table(
    "early_episodes",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("provider", sa.String(100), nullable=False),
    # The early card's incident key (`early:<provider>:<unix time>`).
    sa.Column("episode_key", sa.String(300), nullable=False, unique=True),
    # The official incident the page confirmed it as, once it did.
    sa.Column("incident_key", sa.String(300), nullable=True),
    sa.Column("title", sa.Text, nullable=True),
    sa.Column("first_signal_at", UTC_TIME, nullable=True),
    sa.Column("suspected_at", UTC_TIME, nullable=True),
    sa.Column("confirmed_at", UTC_TIME, nullable=True),
    sa.Column("probes_recovered_at", UTC_TIME, nullable=True),
    sa.Column("resolved_at", UTC_TIME, nullable=True),
    sa.Column("retracted_at", UTC_TIME, nullable=True),
    sa.Column("signals_cleared_at", UTC_TIME, nullable=True),
    sa.Column("reasons", sa.JSON, nullable=False),
    sa.Column("updated_at", UTC_TIME, nullable=False),
    sa.Index("ix_early_episodes_provider", "provider", "id"),
)

# History: one sample per source and minute (its worst severity and the components not
# operational), pruned after `history.retention_days`. `minute` counts minutes since the
# Unix epoch (UTC): 90 days of minutes are summed and searched for gaps in SQL, alike on
# SQLite and PostgreSQL.
availability = sa.Table(
    "availability",
    metadata,
    sa.Column("source_id", sa.String(200), primary_key=True),
    sa.Column("minute", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("provider", sa.String(100), nullable=False),
    sa.Column("severity", sa.Integer, nullable=False),
    sa.Column("components", sa.JSON, nullable=False),
    sa.Index("ix_availability_provider", "provider", "minute"),
)

# History: one record per incident (a card), kept after it ends.
incident_history = sa.Table(
    "incident_history",
    metadata,
    sa.Column("source_id", sa.String(200), primary_key=True),
    sa.Column("incident_key", sa.String(300), primary_key=True),
    sa.Column("provider", sa.String(100), nullable=False),
    sa.Column("title", sa.Text, nullable=False),
    sa.Column("url", sa.Text, nullable=True),
    sa.Column("severity", sa.Integer, nullable=False),
    sa.Column("components", sa.JSON, nullable=False),
    sa.Column("first_signal_at", UTC_TIME, nullable=False),
    sa.Column("official_at", UTC_TIME, nullable=True),
    sa.Column("recovered_at", UTC_TIME, nullable=True),
    sa.Column("resolved_at", UTC_TIME, nullable=True),
    # A component card whose story moved to an official incident's card (that key).
    sa.Column("merged_into", sa.String(300), nullable=True),
    sa.Index("ix_incident_history_provider", "provider", "first_signal_at"),
)

# Signed Slack requests already handled, kept while Slack's 5-minute window would accept them
# again, so a captured request is refused after a restart and by every replica.
seen_requests = sa.Table(
    "seen_requests",
    metadata,
    sa.Column("digest", sa.String(64), primary_key=True),  # sha256 of timestamp and signature
    sa.Column("expires_at", UTC_TIME, nullable=False),
    sa.Index("ix_seen_requests_expires_at", "expires_at"),
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
