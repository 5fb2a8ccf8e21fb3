"""History: per-minute availability of each source and one record per incident.

Revision ID: 0006
Revises: 0005
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from bot.store.schema import availability, incident_history

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

TABLES = (availability, incident_history)


def upgrade() -> None:
    # 0001 creates the head schema on an empty database: create only what is missing.
    existing = set(sa.inspect(op.get_bind()).get_table_names())
    for table in TABLES:
        if table.name not in existing:
            table.create(op.get_bind())


def downgrade() -> None:
    for table in TABLES:
        table.drop(op.get_bind(), checkfirst=True)
