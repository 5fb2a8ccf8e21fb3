"""Row conversions and the one upsert the store needs."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.events import Event
from bot.machine import SourceState
from bot.models import Severity
from bot.notify import CardRef, Delivery
from bot.routing import Subscription
from bot.store.records import OutboxRow, SourceRecord, as_utc


async def upsert(
    conn: AsyncConnection,
    table: sa.Table,
    where: sa.ColumnElement[bool],
    values: dict[str, Any],
    identity: dict[str, Any],
) -> None:
    """Update the row `where` selects, or insert it with `identity` added."""
    updated = await conn.execute(table.update().where(where).values(**values))
    if updated.rowcount == 0:
        await conn.execute(table.insert().values(**identity, **values))


def source_from_row(row: Any) -> SourceRecord:
    return SourceRecord(
        source_id=row.source_id,
        provider=row.provider,
        state=SourceState.from_json(row.state),
        last_attempt_at=as_utc(row.last_attempt_at),
        last_ok_at=as_utc(row.last_ok_at),
        last_error=row.last_error,
        version=row.version,
    )


def subscription_from_row(row: Any) -> Subscription:
    created_at = as_utc(row.created_at)
    assert created_at is not None
    return Subscription(
        id=row.id,
        platform=row.platform,
        workspace_id=row.workspace_id,
        channel_id=row.channel_id,
        provider=row.provider,
        components=tuple(row.components or ()),
        min_severity=Severity(row.min_severity),
        reminder_minutes=row.reminder_minutes,
        early=bool(row.early),
        enabled=bool(row.enabled),
        disabled_reason=row.disabled_reason,
        created_by=row.created_by,
        created_at=created_at,
        mention=row.mention,
        wake_on_major=bool(row.wake_on_major),
    )


def delivery_from_row(row: Any, event: Event) -> Delivery:
    card = CardRef(row.message_id, row.thread_id) if row.message_id else None
    return Delivery(
        id=row.id,
        platform=row.platform,
        workspace_id=row.workspace_id,
        channel_id=row.channel_id,
        event=event,
        card=card,
        attempt=row.attempts + 1,
        mention=row.mention,
        held=row.held or 0,
    )


def outbox_row_from_row(row: Any) -> OutboxRow:
    next_at, created = as_utc(row.next_attempt_at), as_utc(row.created_at)
    assert next_at is not None
    assert created is not None
    return OutboxRow(
        id=row.id,
        platform=row.platform,
        channel_id=row.channel_id,
        incident_key=row.incident_key,
        kind=row.kind,
        status=row.status,
        attempts=row.attempts,
        next_attempt_at=next_at,
        last_error=row.last_error,
        created_at=created,
        sent_at=as_utc(row.sent_at),
    )
