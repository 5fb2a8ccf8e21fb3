"""Subscriptions: which channel hears about which provider."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

import sqlalchemy as sa

from bot.events import Event
from bot.store import schema
from bot.store.engine import StoreBase
from bot.store.records import DROPPED, PENDING, SENT, Subscription
from bot.store.rows import subscription_from_row, upsert


class SubscriptionStore(StoreBase):
    """A channel's subscriptions, created by chat commands and disabled by lost channels."""

    async def subscribe(self, sub: Subscription) -> Subscription:
        """Create or replace the channel's subscription to one provider (re-enabling it)."""
        table = schema.subscriptions
        values = {
            "workspace_id": sub.workspace_id,
            "components": list(sub.components),
            "min_severity": int(sub.min_severity),
            "reminder_minutes": sub.reminder_minutes,
            "enabled": True,
            "disabled_reason": None,
            "created_by": sub.created_by,
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
        async with self.engine.begin() as conn:
            await upsert(conn, table, where, values, identity)
            row = (await conn.execute(sa.select(table).where(where))).one()
        return subscription_from_row(row)

    async def queue_cards(
        self, sub: Subscription, events: Sequence[Event], now: datetime
    ) -> list[Event]:
        """Queue for `sub`'s channel the card of each event it wants and has no card for yet.

        A channel that subscribes mid-incident gets the living card at once; later events
        of the incident then follow it (the fan-out sees the queued row). Returns those queued.
        """
        cards, queued = schema.cards, schema.outbox
        async with self.engine.begin() as conn:
            followed = {
                row[0]
                for row in await conn.execute(
                    sa.select(cards.c.incident_key)
                    .where(cards.c.platform == sub.platform, cards.c.channel_id == sub.channel_id)
                    .union(
                        sa.select(queued.c.incident_key).where(
                            queued.c.platform == sub.platform,
                            queued.c.channel_id == sub.channel_id,
                            queued.c.status.in_([PENDING, SENT]),
                        )
                    )
                )
            }
            wanted = [
                e for e in events if e.incident_key not in followed and sub.wants(e, has_card=False)
            ]
            if wanted:
                await conn.execute(
                    queued.insert(),
                    [
                        {
                            "platform": sub.platform,
                            "workspace_id": sub.workspace_id,
                            "channel_id": sub.channel_id,
                            "subscription_id": sub.id,
                            "event_id": None,
                            "incident_key": event.incident_key,
                            "kind": event.kind.value,
                            "payload": event.to_json(),
                            "status": PENDING,
                            "attempts": 0,
                            "next_attempt_at": now,
                            "created_at": now,
                        }
                        for event in wanted
                    ],
                )
        return wanted

    async def unsubscribe(self, platform: str, channel_id: str, provider: str | None) -> int:
        table = schema.subscriptions
        where = (table.c.platform == platform) & (table.c.channel_id == channel_id)
        if provider is not None:
            where &= table.c.provider == provider
        async with self.engine.begin() as conn:
            result = await conn.execute(table.delete().where(where))
        return int(result.rowcount)

    async def channel_subscriptions(self, platform: str, channel_id: str) -> list[Subscription]:
        table = schema.subscriptions
        async with self.engine.connect() as conn:
            rows = (
                await conn.execute(
                    sa.select(table)
                    .where(table.c.platform == platform, table.c.channel_id == channel_id)
                    .order_by(table.c.provider)
                )
            ).all()
        return [subscription_from_row(r) for r in rows]

    async def all_subscriptions(self) -> list[Subscription]:
        async with self.engine.connect() as conn:
            rows = (await conn.execute(sa.select(schema.subscriptions))).all()
        return [subscription_from_row(r) for r in rows]

    async def disable_channel(
        self, platform: str, channel_id: str, reason: str, workspace_id: str | None = None
    ) -> None:
        """Stop delivering to a channel (or a whole workspace) that is gone or closed to us."""
        subs, queued = schema.subscriptions, schema.outbox
        if workspace_id is not None:
            sub_where = (subs.c.platform == platform) & (subs.c.workspace_id == workspace_id)
            row_where = (queued.c.platform == platform) & (queued.c.workspace_id == workspace_id)
        else:
            sub_where = (subs.c.platform == platform) & (subs.c.channel_id == channel_id)
            row_where = (queued.c.platform == platform) & (queued.c.channel_id == channel_id)
        async with self.engine.begin() as conn:
            await conn.execute(
                subs.update().where(sub_where).values(enabled=False, disabled_reason=reason)
            )
            await conn.execute(
                queued.update()
                .where(row_where, queued.c.status == PENDING)
                .values(status=DROPPED, last_error=reason)
            )
