"""Cards: where each channel's living card for an incident is (message and thread ids).

Plain functions run inside the caller's transaction; the outbox and the poll commit use them.
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.notify import CardRef, Delivery
from bot.store import schema
from bot.store.records import HELD, PENDING, SENT, SUPERSEDED
from bot.store.rows import upsert


async def following(
    conn: AsyncConnection, incident_key: str
) -> dict[tuple[str, str], CardRef | None]:
    """Channels that have a card for this incident (with where it is), or are about to."""
    cards, queued = schema.cards, schema.outbox
    null = sa.null()
    result = await conn.execute(
        sa.select(cards.c.platform, cards.c.channel_id, cards.c.message_id, cards.c.thread_id)
        .where(cards.c.incident_key == incident_key)
        .union_all(
            sa.select(queued.c.platform, queued.c.channel_id, null, null)
            .where(
                queued.c.incident_key == incident_key,
                queued.c.status.in_([PENDING, SENT, HELD, SUPERSEDED]),
            )
            .distinct()
        )
    )
    out: dict[tuple[str, str], CardRef | None] = {}
    for platform, channel, message_id, thread_id in result:
        if message_id is not None:
            out[(platform, channel)] = CardRef(message_id, thread_id)
        else:
            out.setdefault((platform, channel), None)
    return out


def _where(delivery: Delivery) -> sa.ColumnElement[bool]:
    cards = schema.cards
    return (
        (cards.c.platform == delivery.platform)
        & (cards.c.channel_id == delivery.channel_id)
        & (cards.c.incident_key == delivery.event.incident_key)
    )


async def save(conn: AsyncConnection, delivery: Delivery, ref: CardRef, now: datetime) -> None:
    """Remember where the delivery's card is (a new card, or one posted again)."""
    identity = {
        "platform": delivery.platform,
        "channel_id": delivery.channel_id,
        "incident_key": delivery.event.incident_key,
        "provider": delivery.event.provider,
        "created_at": now,
    }
    values = {"message_id": ref.message_id, "thread_id": ref.thread_id}
    await upsert(conn, schema.cards, _where(delivery), values, identity)


async def close(conn: AsyncConnection, delivery: Delivery) -> None:
    """The delivery ended its card's incident: no more reminders."""
    await conn.execute(schema.cards.update().where(_where(delivery)).values(closed=True))


async def reopen(conn: AsyncConnection, incident_key: str) -> None:
    """A reopened incident brings its cards back to life (reminders included)."""
    cards = schema.cards
    await conn.execute(
        cards.update()
        .where(cards.c.incident_key == incident_key, cards.c.closed.is_(True))
        .values(closed=False)
    )
