"""One SQL store for SQLite and PostgreSQL; dialects differ only at the engine's edge.

A poll's new state, its events, the incidents they touch and the outbox rows they fan out
to are written in one transaction: a crash loses all of it or none of it. The store is
composed of parts: polls, subscriptions and deliveries.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa

from bot.store.deliveries import DeliveryStore
from bot.store.engine import (
    HEAD_REVISION,
    MIGRATIONS,
    create_fresh_schema,
    current_revision,
    is_empty,
    make_engine,
    upgrade_schema,
)
from bot.store.polls import PollCommit, PollStore
from bot.store.records import CLOSING_KINDS, DEAD, DROPPED, PENDING, SENT
from bot.store.subscriptions import SubscriptionStore

__all__ = [
    "CLOSING_KINDS",
    "DEAD",
    "DROPPED",
    "HEAD_REVISION",
    "MIGRATIONS",
    "PENDING",
    "SENT",
    "PollCommit",
    "Store",
]


class Store(PollStore, SubscriptionStore, DeliveryStore):
    """The bot's only persistence; every method is one short transaction."""

    def __init__(self, url: str, local_sinks: Sequence[str] = ()) -> None:
        self.url = url
        self.engine = make_engine(url)
        # A SQLite file belongs to one process; a server database may be shared by several.
        self.shared = not url.startswith("sqlite")
        # Sinks such as the console that receive every event, subscription or not.
        self.local_sinks = tuple(local_sinks)
        self._event_cache = {}

    async def initialize(self) -> None:
        """Create or migrate the schema to the newest version."""
        async with self.engine.begin() as conn:
            if await conn.run_sync(is_empty):
                await conn.run_sync(create_fresh_schema)
            elif await conn.run_sync(current_revision) != HEAD_REVISION:
                await conn.run_sync(upgrade_schema)

    async def aclose(self) -> None:
        await self.engine.dispose()

    async def ping(self) -> bool:
        try:
            async with self.engine.connect() as conn:
                await conn.execute(sa.text("SELECT 1"))
            return True
        except Exception:  # noqa: BLE001 - readiness reports, never raises
            return False
