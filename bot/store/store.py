"""One SQL store for SQLite and PostgreSQL; dialects differ only at the engine's edge.

A poll's new state, its events, the incidents they touch and the outbox rows they fan out
to are written in one transaction: a crash loses all of it or none of it. The store is
composed of parts: polls, subscriptions and deliveries.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa

from bot.errors import SchemaError
from bot.store.deliveries import DeliveryStore
from bot.store.engine import (
    HEAD_REVISION,
    MIGRATIONS,
    create_fresh_schema,
    current_revision,
    is_empty,
    known_revision,
    lock_schema,
    make_engine,
    sqlite_file_missing,
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

    async def initialize(self, migrate: bool = True) -> None:
        """Open the store: migrate its schema to the newest version, or only check it is."""
        if migrate:
            await self.migrate()
        else:
            await self.check_schema()

    async def migrate(self) -> str | None:
        """Create or upgrade the schema to the newest version; returns the revision found.

        The only place the schema changes. Processes starting together on one PostgreSQL
        database take turns, and the later ones find the work done.
        """
        async with self.engine.begin() as conn:
            await conn.run_sync(lock_schema)
            found: str | None = await conn.run_sync(current_revision)
            if await conn.run_sync(is_empty):
                await conn.run_sync(create_fresh_schema)
            elif found != HEAD_REVISION:
                await conn.run_sync(upgrade_schema)
        return found

    async def check_schema(self) -> None:
        """Raise SchemaError unless the schema is this version's; never writes anything."""
        missing = sqlite_file_missing(self.url)
        if missing is not None:
            raise SchemaError(
                f"no database at {missing} yet: start the bot, or run `statusbot migrate`"
            )
        async with self.engine.connect() as conn:
            found = await conn.run_sync(current_revision)
        if found == HEAD_REVISION:
            return
        if found is None:
            raise SchemaError(
                "the database has no statusbot schema yet: start the bot, "
                "or run `statusbot migrate`"
            )
        if known_revision(found):
            raise SchemaError(
                f"the database schema is at revision {found}, this version needs "
                f"{HEAD_REVISION}: run `statusbot migrate` (back it up first)"
            )
        raise SchemaError(
            f"the database schema is at revision {found}, newer than this version's "
            f"{HEAD_REVISION}: run a statusbot at least as new as the one that migrated it"
        )

    async def schema_revision(self) -> str | None:
        """The schema's revision, or None for a database without one."""
        async with self.engine.connect() as conn:
            revision: str | None = await conn.run_sync(current_revision)
        return revision

    async def aclose(self) -> None:
        await self.engine.dispose()

    async def ping(self) -> bool:
        try:
            async with self.engine.connect() as conn:
                await conn.execute(sa.text("SELECT 1"))
            return True
        except Exception:  # noqa: BLE001 - readiness reports, never raises
            return False
