"""Subscriptions: which channel hears about which provider."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.routing import Subscription
from bot.store import schema
from bot.store.engine import Database
from bot.store.rows import subscription_from_row, upsert


class SubscriptionRepository:
    """A channel's subscriptions, created by chat commands and disabled by lost channels."""

    def __init__(self, db: Database) -> None:
        self.db = db

    async def subscribe(self, sub: Subscription) -> Subscription:
        """Create or replace the channel's subscription to one provider (re-enabling it)."""
        table = schema.subscriptions
        values = {
            "workspace_id": sub.workspace_id,
            "components": list(sub.components),
            "min_severity": int(sub.min_severity),
            "reminder_minutes": sub.reminder_minutes,
            "early": sub.early,
            "enabled": True,
            "disabled_reason": None,
            "created_by": sub.created_by,
            "mention": sub.mention,
            "wake_on_major": sub.wake_on_major,
        }
        where = (
            (table.c.platform == sub.platform)
            & (table.c.channel_id == sub.channel_id)
            & (table.c.provider == sub.provider)
        )
        identity = {
            "platform": sub.platform,
            "channel_id": sub.channel_id,
            "provider": sub.provider,
            "created_at": sub.created_at,
        }
        async with self.db.engine.begin() as conn:
            await upsert(conn, table, where, values, identity)
            row = (await conn.execute(sa.select(table).where(where))).one()
        return subscription_from_row(row)

    async def replace_configured(self, platforms: set[str], subs: list[Subscription]) -> None:
        """The subscriptions of outputs set in the config: these become exactly `subs` (a
        removed output, or provider, stops; each start re-enables what the config names)."""
        table = schema.subscriptions
        keep = {(s.platform, s.channel_id, s.provider) for s in subs}
        async with self.db.engine.begin() as conn:
            rows = (
                await conn.execute(
                    sa.select(
                        table.c.id, table.c.platform, table.c.channel_id, table.c.provider
                    ).where(table.c.platform.in_(sorted(platforms)))
                )
            ).all()
            gone = [r.id for r in rows if (r.platform, r.channel_id, r.provider) not in keep]
            if gone:
                await conn.execute(table.delete().where(table.c.id.in_(gone)))
        for sub in subs:
            try:
                await self.subscribe(sub)
            except sa.exc.IntegrityError:
                # Another replica starting at the same moment inserted it first: update it.
                await self.subscribe(sub)

    async def unsubscribe(self, platform: str, channel_id: str, provider: str | None) -> int:
        table = schema.subscriptions
        where = (table.c.platform == platform) & (table.c.channel_id == channel_id)
        if provider is not None:
            where &= table.c.provider == provider
        async with self.db.engine.begin() as conn:
            result = await conn.execute(table.delete().where(where))
        return int(result.rowcount)

    async def channel_subscriptions(self, platform: str, channel_id: str) -> list[Subscription]:
        table = schema.subscriptions
        async with self.db.engine.connect() as conn:
            rows = (
                await conn.execute(
                    sa.select(table)
                    .where(table.c.platform == platform, table.c.channel_id == channel_id)
                    .order_by(table.c.provider)
                )
            ).all()
        return [subscription_from_row(r) for r in rows]

    async def all_subscriptions(self) -> list[Subscription]:
        async with self.db.engine.connect() as conn:
            rows = (await conn.execute(sa.select(schema.subscriptions))).all()
        return [subscription_from_row(r) for r in rows]

    async def enabled_for(self, conn: AsyncConnection, provider: str) -> list[Subscription]:
        """The provider's enabled subscriptions, read in `conn`'s transaction."""
        table = schema.subscriptions
        rows = (
            await conn.execute(
                sa.select(table)
                .where(table.c.provider == provider, table.c.enabled.is_(True))
                .order_by(table.c.id)
            )
        ).all()
        return [subscription_from_row(r) for r in rows]

    async def disable(
        self,
        conn: AsyncConnection,
        platform: str,
        channel_id: str,
        reason: str,
        workspace_id: str | None = None,
    ) -> None:
        """Disable a channel's (or with `workspace_id`, a whole workspace's) subscriptions."""
        subs = schema.subscriptions
        if workspace_id is not None:
            where = (subs.c.platform == platform) & (subs.c.workspace_id == workspace_id)
        else:
            where = (subs.c.platform == platform) & (subs.c.channel_id == channel_id)
        await conn.execute(subs.update().where(where).values(enabled=False, disabled_reason=reason))
