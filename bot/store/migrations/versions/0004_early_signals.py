"""Early warning: probe windows, crowd reports and each provider's fused verdict state.

Revision ID: 0004
Revises: 0003
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from bot.store import schema

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

TABLES = (schema.probe_windows, schema.crowd_reports, schema.fusion_states)


def upgrade() -> None:
    # A new database already has them (0001 creates the head schema).
    bind = op.get_bind()
    existing = set(sa.inspect(bind).get_table_names())
    for table in TABLES:
        if table.name not in existing:
            table.create(bind)


def downgrade() -> None:
    bind = op.get_bind()
    for table in reversed(TABLES):
        table.drop(bind, checkfirst=True)
