"""Store each event once: outbox rows and incidents refer to the events table.

Older databases kept a copy of the event in every outbox row (`outbox.payload`) and in
`incidents.latest_event`; the copies move into `events` (reusing the row the event was
first stored as, when there is one) and the columns go. `sources.validators` was never
read and goes too. On a database 0001 has just created (head schema) this does nothing.

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

UTC_TIME = sa.DateTime(timezone=True)
events = sa.table(
    "events",
    sa.column("id", sa.Integer),
    sa.column("source_id", sa.String),
    sa.column("provider", sa.String),
    sa.column("kind", sa.String),
    sa.column("incident_key", sa.String),
    sa.column("at", UTC_TIME),
    sa.column("payload", sa.JSON),
    sa.column("created_at", UTC_TIME),
)
outbox = sa.table(
    "outbox",
    sa.column("id", sa.Integer),
    sa.column("event_id", sa.Integer),
    sa.column("payload", sa.JSON),
    sa.column("created_at", UTC_TIME),
)
incidents = sa.table(
    "incidents",
    sa.column("source_id", sa.String),
    sa.column("incident_key", sa.String),
    sa.column("latest_event", sa.JSON),
    sa.column("latest_event_id", sa.Integer),
    sa.column("updated_at", UTC_TIME),
)


def _columns(table: str) -> set[str]:
    return {c["name"] for c in sa.inspect(op.get_bind()).get_columns(table)}


def upgrade() -> None:
    if "payload" in _columns("outbox"):
        _outbox_rows_refer_to_events()
    if "latest_event" in _columns("incidents"):
        _incidents_refer_to_events()
    if "validators" in _columns("sources"):
        with op.batch_alter_table("sources") as batch:
            batch.drop_column("validators")


def _insert_event(payload: dict[str, Any], created_at: Any) -> int:
    at = datetime.fromisoformat(str(payload["at"]).replace("Z", "+00:00"))
    result = op.get_bind().execute(
        events.insert()
        .values(
            source_id=payload["source_id"],
            provider=payload["provider"],
            kind=payload["kind"],
            incident_key=payload["incident_key"],
            at=at,
            payload=payload,
            created_at=created_at,
        )
        .returning(events.c.id)
    )
    return int(result.scalar_one())


def _outbox_rows_refer_to_events() -> None:
    bind = op.get_bind()
    # Rows queued without an event row (reminders): one event per distinct payload.
    stored: dict[str, int] = {}
    orphans = bind.execute(
        sa.select(outbox.c.id, outbox.c.payload, outbox.c.created_at).where(
            outbox.c.event_id.is_(None)
        )
    ).all()
    for row in orphans:
        key = json.dumps(row.payload, sort_keys=True)
        if key not in stored:
            stored[key] = _insert_event(row.payload, row.created_at)
        bind.execute(outbox.update().where(outbox.c.id == row.id).values(event_id=stored[key]))
    with op.batch_alter_table("outbox") as batch:
        batch.drop_column("payload")
        batch.alter_column("event_id", existing_type=sa.Integer, nullable=False)
        batch.create_foreign_key("fk_outbox_event", "events", ["event_id"], ["id"])


def _incidents_refer_to_events() -> None:
    bind = op.get_bind()
    op.add_column("incidents", sa.Column("latest_event_id", sa.Integer, nullable=True))
    rows = bind.execute(
        sa.select(
            incidents.c.source_id,
            incidents.c.incident_key,
            incidents.c.latest_event,
            incidents.c.updated_at,
        )
    ).all()
    for row in rows:
        # Every event of an incident was stored in `events` and the last one became
        # `latest_event`, so the newest matching event row is that same event.
        latest = bind.execute(
            sa.select(sa.func.max(events.c.id)).where(
                events.c.source_id == row.source_id,
                events.c.incident_key == row.incident_key,
                events.c.kind != "reminder",
            )
        ).scalar()
        if latest is None:
            latest = _insert_event(row.latest_event, row.updated_at)
        bind.execute(
            incidents.update()
            .where(
                incidents.c.source_id == row.source_id,
                incidents.c.incident_key == row.incident_key,
            )
            .values(latest_event_id=latest)
        )
    with op.batch_alter_table("incidents") as batch:
        batch.drop_column("latest_event")
        batch.alter_column("latest_event_id", existing_type=sa.Integer, nullable=False)
        batch.create_foreign_key("fk_incidents_latest_event", "events", ["latest_event_id"], ["id"])


def downgrade() -> None:
    """Copy the events back into the rows that refer to them (the pre-0002 shape)."""
    bind = op.get_bind()
    op.add_column("sources", sa.Column("validators", sa.JSON, nullable=True))
    op.add_column("outbox", sa.Column("payload", sa.JSON, nullable=True))
    op.add_column("incidents", sa.Column("latest_event", sa.JSON, nullable=True))
    for table, column, ref in (
        (outbox, "payload", outbox.c.event_id),
        (incidents, "latest_event", incidents.c.latest_event_id),
    ):
        payload = sa.select(events.c.payload).where(events.c.id == ref).scalar_subquery()
        bind.execute(table.update().values({column: payload}))
    with op.batch_alter_table("outbox") as batch:
        batch.alter_column("payload", existing_type=sa.JSON, nullable=False)
        batch.alter_column("event_id", existing_type=sa.Integer, nullable=True)
    with op.batch_alter_table("incidents") as batch:
        batch.alter_column("latest_event", existing_type=sa.JSON, nullable=False)
        batch.drop_column("latest_event_id")
