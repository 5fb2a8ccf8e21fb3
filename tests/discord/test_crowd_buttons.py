"""Crowd buttons on Discord cards: an open card carries "Down for me too" / "Works for me",
a card whose story is over drops them (edited in place)."""

from __future__ import annotations

from typing import Any

import discord

from bot.events import EventKind
from bot.notify import Delivery
from fakes.discord import FakeDiscord
from integrations.discord.notifier import DiscordNotifier
from tests.discord.conftest import CardBook, make_event


def delivery(channel_id: int, guild_id: int, event: Any, card: Any = None, id: int = 1) -> Delivery:
    return Delivery(
        id=id,
        platform="discord",
        workspace_id=str(guild_id),
        channel_id=str(channel_id),
        event=event,
        card=card,
        attempt=1,
    )


def buttons(message: dict[str, Any]) -> list[tuple[str, str]]:
    return [
        (c["label"], c["custom_id"])
        for row in message.get("components") or []
        for c in row.get("components") or []
    ]


async def test_open_cards_ask_the_crowd_and_ended_ones_stop(
    fake: FakeDiscord, rest_client: discord.Client, channel_id: int, guild_id: int
) -> None:
    notifier, book = DiscordNotifier(rest_client), CardBook()
    card = await notifier.deliver(delivery(channel_id, guild_id, make_event(), id=1), book)
    posted = fake.messages(channel_id)[0]
    assert buttons(posted) == [
        ("Down for me too", "crowd:down:openai"),
        ("Works for me", "crowd:works:openai"),
    ]
    await notifier.deliver(
        delivery(channel_id, guild_id, make_event(EventKind.RESTORED), card, id=2), book
    )
    edited = next(m for m in fake.messages(channel_id) if m["id"] == card.message_id)
    assert buttons(edited) == []


def test_every_catalog_provider_key_fits_a_button() -> None:
    from bot.catalog import builtin
    from integrations.discord.crowd import crowd_view

    for key in builtin().entries:
        assert crowd_view(key) is not None, key
    assert crowd_view("no spaces allowed") is None
