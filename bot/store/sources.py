"""Sources: each source's committed machine state, guarded by an optimistic version."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.errors import ConcurrentUpdate
from bot.store import schema
from bot.store.engine import Database
from bot.store.records import PollCommit, SourceRecord
from bot.store.rows import source_from_row


class SourceRepository:
    """Reads and writes the `sources` table."""

    def __init__(self, db: Database) -> None:
        self.db = db

    async def load_source(self, source_id: str) -> SourceRecord | None:
        table = schema.sources
        async with self.db.engine.connect() as conn:
            query = sa.select(table).where(table.c.source_id == source_id)
            row = (await conn.execute(query)).first()
        return source_from_row(row) if row else None

    async def all_sources(self) -> list[SourceRecord]:
        async with self.db.engine.connect() as conn:
            rows = (await conn.execute(sa.select(schema.sources))).all()
        return [source_from_row(r) for r in rows]

    async def save(self, conn: AsyncConnection, commit: PollCommit) -> None:
        """Write the poll's state in `conn`'s transaction.

        Raises ConcurrentUpdate when another process saved this source since the commit's
        `expected_version` was loaded.
        """
        values: dict[str, Any] = {
            "provider": commit.provider,
            "state": commit.state.to_json(),
            "last_attempt_at": commit.at,
            "last_ok_at": commit.state.last_ok_at,
            "last_error": commit.error,
            "updated_at": commit.at,
        }
        source_id = commit.source_id
        expected_version = commit.expected_version
        table = schema.sources
        where = table.c.source_id == source_id
        if expected_version is not None:
            where &= table.c.version == expected_version
        updated = await conn.execute(
            table.update().where(where).values(version=table.c.version + 1, **values)
        )
        if updated.rowcount:
            return
        if expected_version not in (None, 0):
            raise ConcurrentUpdate(f"source {source_id} changed under us")
        try:
            async with conn.begin_nested():
                await conn.execute(table.insert().values(source_id=source_id, version=1, **values))
        except IntegrityError:
            raise ConcurrentUpdate(f"source {source_id} was created under us") from None
