"""Small facts kept between runs, by key (the Discord command definitions last synced)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa

from bot.store import schema
from bot.store.engine import Database
from bot.store.rows import upsert


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
        table = schema.settings
        values = {"value": value, "updated_at": datetime.now(UTC)}
        async with self.db.engine.begin() as conn:
            await upsert(conn, table, table.c.key == key, values, {"key": key})
