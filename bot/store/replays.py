"""Signed requests already handled, shared by restarts and replicas through the store."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta

from sqlalchemy.exc import IntegrityError

from bot.store import schema
from bot.store.engine import Database


class ReplayRepository:
    """`first_time` is true once per (timestamp, signature) while it could be replayed."""

    def __init__(self, db: Database) -> None:
        self.db = db

    async def first_time(
        self, timestamp: str, signature: str, keep_for: timedelta, now: datetime | None = None
    ) -> bool:
        """Record the pair; False if it was already recorded and has not expired."""
        now = now or datetime.now(UTC)
        digest = hashlib.sha256(f"{timestamp}:{signature}".encode()).hexdigest()
        table = schema.seen_requests
        async with self.db.engine.begin() as conn:
            await conn.execute(table.delete().where(table.c.expires_at <= now))
        try:
            async with self.db.engine.begin() as conn:
                await conn.execute(table.insert().values(digest=digest, expires_at=now + keep_for))
        except IntegrityError:
            return False
        return True
