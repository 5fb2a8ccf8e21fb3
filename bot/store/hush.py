"""Each channel's quiet hours and mutes (`/statusbot quiet`, `/statusbot mute`)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.quiet import ChannelHush, QuietHours
from bot.store import schema
from bot.store.engine import Database
from bot.store.records import as_utc
from bot.store.rows import upsert

Channel = tuple[str, str]


class HushRepository:
    """Quiet hours and mutes by channel; the outbox reads them while it queues rows."""

    def __init__(self, db: Database) -> None:
        self.db = db

    async def set_quiet(self, platform: str, channel_id: str, hours: QuietHours | None) -> bool:
        """Set (or with None, remove) the channel's quiet hours; True if it had some."""
        table = schema.quiet_hours
        where = (table.c.platform == platform) & (table.c.channel_id == channel_id)
        async with self.db.engine.begin() as conn:
            had = await conn.scalar(sa.select(table.c.start_minute).where(where)) is not None
            if hours is None:
                await conn.execute(table.delete().where(where))
            else:
                values = {
                    "start_minute": hours.start_minute,
                    "end_minute": hours.end_minute,
                    "timezone": hours.timezone,
                }
                identity = {"platform": platform, "channel_id": channel_id}
                await upsert(conn, table, where, values, identity)
        return had

    async def mute(self, platform: str, channel_id: str, provider: str, until: datetime) -> None:
        """Mute one provider (or `*`, all) in the channel until `until`."""
        table = schema.mutes
        where = (
            (table.c.platform == platform)
            & (table.c.channel_id == channel_id)
            & (table.c.provider == provider)
        )
        identity = {"platform": platform, "channel_id": channel_id, "provider": provider}
        async with self.db.engine.begin() as conn:
            await upsert(conn, table, where, {"until": until}, identity)

    async def unmute(self, platform: str, channel_id: str, provider: str | None) -> int:
        """Lift one provider's mute (None: every mute in the channel); returns how many."""
        table = schema.mutes
        where = (table.c.platform == platform) & (table.c.channel_id == channel_id)
        if provider is not None:
            where &= table.c.provider == provider
        async with self.db.engine.begin() as conn:
            result = await conn.execute(table.delete().where(where))
        return int(result.rowcount)

    async def channel(self, platform: str, channel_id: str) -> ChannelHush:
        async with self.db.engine.connect() as conn:
            found = await self.load(conn, [(platform, channel_id)])
        return found.get((platform, channel_id), ChannelHush())

    async def load(
        self, conn: AsyncConnection, channels: Iterable[Channel]
    ) -> dict[Channel, ChannelHush]:
        """The hush of each of `channels` that has one, read in `conn`'s transaction.

        Few channels ask for quiet: both small tables are read whole, never one query
        per channel of a large fan-out.
        """
        wanted = set(channels)
        if not wanted:
            return {}
        quiet, mutes = schema.quiet_hours, schema.mutes
        hours: dict[Channel, QuietHours] = {}
        for row in await conn.execute(sa.select(quiet)):
            hours[(row.platform, row.channel_id)] = QuietHours(
                row.start_minute, row.end_minute, row.timezone
            )
        muted: dict[Channel, dict[str, datetime]] = {}
        for row in await conn.execute(sa.select(mutes)):
            until = as_utc(row.until)
            assert until is not None
            muted.setdefault((row.platform, row.channel_id), {})[row.provider] = until
        return {
            channel: ChannelHush(hours.get(channel), muted.get(channel, {}))
            for channel in wanted
            if channel in hours or channel in muted
        }
