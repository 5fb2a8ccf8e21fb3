"""Quiet hours, mutes, mentions, and the settings the bot keeps between runs.

Adds `subscriptions.mention` and `.wake_on_major`, `outbox.mention` and `.held`, and the
tables `quiet_hours`, `mutes` and `settings`. On a database 0001 has just created (head
schema) this does nothing.

Revision ID: 0003
Revises: 0002
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from bot.store import schema

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def _new_columns() -> dict[str, tuple[sa.Column[object], ...]]:
    """Fresh Column objects each time (one can belong to one table only)."""
    return {
        "subscriptions": (
            sa.Column("mention", sa.String(100), nullable=True),
            sa.Column("wake_on_major", sa.Boolean, nullable=False, server_default=sa.false()),
        ),
        "outbox": (
            sa.Column("mention", sa.String(100), nullable=True),
            sa.Column("held", sa.Integer, nullable=False, server_default="0"),
        ),
    }


NEW_TABLES = (schema.quiet_hours, schema.mutes, schema.settings)


def _columns(table: str) -> set[str]:
    return {c["name"] for c in sa.inspect(op.get_bind()).get_columns(table)}


def upgrade() -> None:
    for table, columns in _new_columns().items():
        present = _columns(table)
        for column in columns:
            if column.name not in present:
                op.add_column(table, column)
    for new_table in NEW_TABLES:
        new_table.create(op.get_bind(), checkfirst=True)


def downgrade() -> None:
    for new_table in NEW_TABLES:
        new_table.drop(op.get_bind(), checkfirst=True)
    for table, columns in _new_columns().items():
        with op.batch_alter_table(table) as batch:
            for column in columns:
                batch.drop_column(column.name)
