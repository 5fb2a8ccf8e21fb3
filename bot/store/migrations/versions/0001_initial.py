"""Initial schema: sources, events, incidents, subscriptions, outbox, cards.

Revision ID: 0001
Revises:
"""

from alembic import op

from bot.store.schema import metadata

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Version 1 is the schema module as first written; later versions alter it explicitly.
    metadata.create_all(op.get_bind())


def downgrade() -> None:
    metadata.drop_all(op.get_bind())
