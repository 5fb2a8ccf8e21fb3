"""Subscribing while a provider is down: the reply says what is open, its card comes at once,
and the incident's later events follow that card to its end."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bot.commands import CommandService
from bot.events import EventKind
from bot.machine import MachineSettings, SourceState, open_cards, transition
from bot.models import (
    Component,
    ComponentStatus,
    Impact,
    Incident,
    IncidentStatus,
    IncidentUpdate,
    Snapshot,
)
from bot.notify import CardRef
from bot.store.store import PollCommit, Store
from tests.test_commands import CONFIG

NOW = datetime(2026, 9, 29, 18, 0, tzinfo=UTC)
SETTINGS = MachineSettings(provider="openai", source_id="openai", display_name="OpenAI")


def page(minute: float, chat: ComponentStatus, *incidents: Incident) -> Snapshot:
    return Snapshot(
        page_name="OpenAI Status",
        page_url="https://status.openai.com",
        observed_at=NOW + timedelta(minutes=minute),
        components=(
            Component("chat", "ChatGPT", chat),
            Component("api", "API", ComponentStatus.OPERATIONAL),
        ),
        incidents=incidents,
    )


def errors(updates: int = 1) -> Incident:
    return Incident(
        id="inc1",
        title="Elevated errors across ChatGPT",
        status=IncidentStatus.INVESTIGATING,
        impact=Impact.MAJOR,
        updates=tuple(
            IncidentUpdate(f"u{n}", IncidentStatus.INVESTIGATING, f"update {n}", NOW)
            for n in range(updates, 0, -1)
        ),
        components_known=False,
    )


async def poll(store: Store, snap: Snapshot) -> list:
    record = await store.polls.load_source("openai")
    state = record.state if record else SourceState()
    state, events = transition(state, snap, SETTINGS)
    await store.polls.commit_poll(PollCommit("openai", "openai", state, snap.observed_at, events))
    return events


def service(store: Store, minute: float) -> CommandService:
    return CommandService(CONFIG, store, clock=lambda: NOW + timedelta(minutes=minute))


async def test_subscribing_on_the_day_it_is_down_brings_the_card_at_once(store: Store) -> None:
    # The bot starts while the incident is open: a silent baseline, nothing posted anywhere.
    assert await poll(store, page(0, ComponentStatus.PARTIAL_OUTAGE, errors())) == []

    reply = await service(store, 5).subscribe("slack", "T1", "C1", "chatgpt")
    assert reply.splitlines()[1] == (
        "Open now: 🟠 OpenAI: Elevated errors across ChatGPT (partial outage)"
        " — its card follows here."
    )
    [card] = await store.outbox.due_deliveries(NOW + timedelta(minutes=5))
    assert card.channel_id == "C1"
    assert card.card is None  # a new card is posted
    assert card.event.kind is EventKind.OUTAGE
    assert card.event.components == ("ChatGPT",)
    await store.outbox.mark_delivered(card, NOW + timedelta(minutes=5), new_card=CardRef("ts-1"))

    # The next official update edits that card; the restoration closes it.
    await poll(store, page(10, ComponentStatus.PARTIAL_OUTAGE, errors(updates=2)))
    [update] = await store.outbox.due_deliveries(NOW + timedelta(minutes=10))
    assert (update.event.kind, update.card) == (EventKind.UPDATE, CardRef("ts-1"))
    assert update.event.incident_key == card.event.incident_key
    await store.outbox.mark_delivered(update, NOW + timedelta(minutes=10))
    await poll(store, page(20, ComponentStatus.OPERATIONAL))
    [restored] = await store.outbox.due_deliveries(NOW + timedelta(minutes=20))
    assert (restored.event.kind, restored.card) == (EventKind.RESTORED, CardRef("ts-1"))


async def test_subscribing_twice_does_not_queue_a_second_card(store: Store) -> None:
    await poll(store, page(0, ComponentStatus.PARTIAL_OUTAGE, errors()))
    await service(store, 5).subscribe("slack", "T1", "C1", "chatgpt")
    await service(store, 6).subscribe("slack", "T1", "C1", "chatgpt min:degraded")
    assert len(await store.outbox.due_deliveries(NOW + timedelta(minutes=6))) == 1


async def test_the_reply_names_what_its_filters_leave_out(store: Store) -> None:
    await poll(store, page(0, ComponentStatus.PARTIAL_OUTAGE, errors()))
    reply = await service(store, 5).subscribe("slack", "T1", "C1", "chatgpt min:major")
    assert reply.splitlines()[1].endswith("— outside this channel's filters.")
    assert await store.outbox.due_deliveries(NOW + timedelta(minutes=5)) == []


async def test_a_quiet_page_says_so(store: Store) -> None:
    await poll(store, page(0, ComponentStatus.OPERATIONAL))
    reply = await service(store, 5).subscribe("discord", "G1", "42", "chatgpt")
    assert reply.splitlines()[1:] == ["Nothing is open right now."]


def test_open_cards_continue_the_cards_the_events_opened() -> None:
    state, _ = transition(SourceState(), page(0, ComponentStatus.OPERATIONAL), SETTINGS)
    state, events = transition(state, page(1, ComponentStatus.PARTIAL_OUTAGE, errors()), SETTINGS)
    state, _ = transition(state, page(2, ComponentStatus.PARTIAL_OUTAGE, errors()), SETTINGS)
    [card] = open_cards(state, SETTINGS)
    opened = events[0]
    assert (card.incident_key, card.title, card.severity) == (
        opened.incident_key,
        opened.title,
        opened.severity,
    )
    assert card.components == ("ChatGPT",)
    assert card.page_name == "OpenAI"
    assert card.kind is EventKind.OUTAGE
    assert card.at == NOW + timedelta(minutes=2)
