"""Replay refusal that survives restarts: the signed requests already handled.

On a database 0001 has just created (head schema) this does nothing.

Revision ID: 0007
Revises: 0006
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from bot.store.schema import seen_requests

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    if not sa.inspect(op.get_bind()).has_table("seen_requests"):
        seen_requests.create(op.get_bind())


def downgrade() -> None:
    op.drop_table("seen_requests")
