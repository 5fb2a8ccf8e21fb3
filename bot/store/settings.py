"""Small facts kept between runs, by key (the Discord command definitions last synced)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from bot.store import schema
from bot.store.engine import Database


class SettingsRepository:
    """A JSON value per key."""

    def __init__(self, db: Database) -> None:
        self.db = db

    async def get(self, key: str) -> Any:
        """The value stored under `key`, or None."""
        table = schema.settings
        async with self.db.engine.connect() as conn:
            return await conn.scalar(sa.select(table.c.value).where(table.c.key == key))

    async def put(self, key: str, value: Any) -> None:
        """Store `value` under `key`; replicas starting together may both write it."""
        table = schema.settings
        values = {"value": value, "updated_at": datetime.now(UTC)}
        insert = pg_insert if self.db.engine.dialect.name == "postgresql" else sqlite_insert
        statement = insert(table).values(key=key, **values)
        async with self.db.engine.begin() as conn:
            await conn.execute(
                statement.on_conflict_do_update(index_elements=[table.c.key], set_=values)
            )
