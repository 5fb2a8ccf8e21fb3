"""Reminders: an open card whose channel asked for them hears "still ongoing" every N minutes.

The rule is pure (`plan`); `send_due_reminders` reads the open cards, applies it, and
queues what is due through the small `ReminderBook` the store provides.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

from bot.events import Event, EventKind


@dataclass(frozen=True, slots=True)
class OpenCard:
    """A card still open in a channel whose subscription asks for reminders."""

    card_id: int
    platform: str
    channel_id: str
    workspace_id: str | None
    subscription_id: int | None
    every: timedelta
    # The last reminder, or when the card was posted if there was none yet.
    last_reminded_at: datetime
    # The incident's latest event: what the reminder repeats.
    latest: Event


@dataclass(frozen=True, slots=True)
class ReminderPlan:
    """One reminder event for one incident, and the cards that get it."""

    event: Event
    cards: tuple[OpenCard, ...]


def is_due(card: OpenCard, now: datetime) -> bool:
    return now - card.last_reminded_at >= card.every


def reminder_event(latest: Event, now: datetime) -> Event:
    """The incident's latest state, told again now, with how long it has lasted."""
    return latest.replace(
        kind=EventKind.REMINDER, at=now, duration_s=(now - latest.started_at).total_seconds()
    )


def plan(cards: Iterable[OpenCard], now: datetime) -> list[ReminderPlan]:
    """The reminders due now: one event per incident, shared by every card that is due."""
    due: dict[tuple[str, str], list[OpenCard]] = {}
    for card in cards:
        if is_due(card, now):
            due.setdefault((card.latest.source_id, card.latest.incident_key), []).append(card)
    return [
        ReminderPlan(reminder_event(group[0].latest, now), tuple(group)) for group in due.values()
    ]


def next_due_at(cards: Iterable[OpenCard]) -> datetime | None:
    """When the next reminder falls due (None when no card asks for one)."""
    return min((c.last_reminded_at + c.every for c in cards), default=None)


class ReminderBook(Protocol):
    """What reminders need from the store."""

    async def reminder_candidates(self) -> list[OpenCard]: ...

    async def enqueue_reminders(self, plans: Sequence[ReminderPlan], now: datetime) -> int: ...


async def send_due_reminders(book: ReminderBook, now: datetime) -> int:
    """Queue every reminder due now; returns how many deliveries were queued."""
    plans = plan(await book.reminder_candidates(), now)
    return await book.enqueue_reminders(plans, now) if plans else 0
