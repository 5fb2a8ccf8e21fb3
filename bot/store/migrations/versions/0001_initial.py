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
    # A new database gets the head schema at once. Later revisions therefore alter a table
    # only where the column or index is missing (an older database), and are no-ops here.
    metadata.create_all(op.get_bind())


def downgrade() -> None:
    metadata.drop_all(op.get_bind())
