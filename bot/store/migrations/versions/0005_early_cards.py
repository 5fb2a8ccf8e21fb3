"""Early warning: a subscription's `early` opt-in, and the episodes with their official lag.

On a database 0001 has just created (head schema) this does nothing.

Revision ID: 0005
Revises: 0004
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from bot.store.schema import early_episodes

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    inspector = sa.inspect(op.get_bind())
    columns = {c["name"] for c in inspector.get_columns("subscriptions")}
    if "early" not in columns:
        with op.batch_alter_table("subscriptions") as batch:
            batch.add_column(
                sa.Column("early", sa.Boolean, nullable=False, server_default=sa.false())
            )
    if not inspector.has_table("early_episodes"):
        early_episodes.create(op.get_bind())


def downgrade() -> None:
    op.drop_table("early_episodes")
    with op.batch_alter_table("subscriptions") as batch:
        batch.drop_column("early")
