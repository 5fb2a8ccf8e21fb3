"""What only Discord's notifier does (permissions, embed limits, pacing); the shared contract
is tests/test_notifier_contract.py."""

from __future__ import annotations

import asyncio

import discord
import pytest

from bot.errors import PermanentDeliveryError
from bot.events import EventKind
from bot.models import Severity
from bot.notify import Delivery
from bot.render import SEVERITY_COLOUR
from fakes.discord import FakeDiscord
from integrations.discord.notifier import DiscordNotifier
from integrations.discord.platform import minimal_intents, point_at
from tests.discord.conftest import TOKEN, CardBook, make_event

CREATE = "POST /channels/{channel}/messages"


def delivery(channel_id: int, guild_id: int, event, card=None, id=1, attempt=1) -> Delivery:
    return Delivery(
        id=id,
        platform="discord",
        workspace_id=str(guild_id),
        channel_id=str(channel_id),
        event=event,
        card=card,
        attempt=attempt,
    )


async def test_lost_access_is_permanent(
    fake: FakeDiscord, rest_client: discord.Client, channel_id: int, guild_id: int
) -> None:
    notifier = DiscordNotifier(rest_client)
    card = await notifier.deliver(delivery(channel_id, guild_id, make_event(), id=1), CardBook())
    fake.forbid_channel(channel_id)
    with pytest.raises(PermanentDeliveryError):
        await notifier.deliver(
            delivery(channel_id, guild_id, make_event(EventKind.OUTAGE), card, id=2), CardBook()
        )


async def test_fake_refuses_an_embed_over_the_limits_like_discord(
    fake: FakeDiscord, rest_client: discord.Client, channel_id: int
) -> None:
    """Guards the test above: without our truncation Discord (and the fake) would say 400."""
    channel = rest_client.get_partial_messageable(channel_id)
    with pytest.raises(discord.HTTPException) as caught:
        await channel.send(embed=discord.Embed(description="x" * 5000))
    assert caught.value.status == 400
    assert caught.value.code == 50035


async def test_restored_without_read_message_history_still_tells_the_channel(
    fake: FakeDiscord, rest_client: discord.Client, channel_id: int, guild_id: int
) -> None:
    """Discord refuses replies without Read Message History; that must not disable the channel."""
    notifier, book = DiscordNotifier(rest_client), CardBook()
    card = await notifier.deliver(delivery(channel_id, guild_id, make_event(), id=1), book)
    fake.deny(channel_id, "read_message_history")
    await notifier.deliver(
        delivery(channel_id, guild_id, make_event(EventKind.RESTORED), card, id=2), book
    )
    notice = fake.messages(channel_id)[-1]
    assert "restored after 47 min" in notice["content"]
    assert "message_reference" not in notice


async def test_no_thread_permission_keeps_the_card_alone(
    fake: FakeDiscord, rest_client: discord.Client, channel_id: int, guild_id: int
) -> None:
    fake.deny(channel_id, "create_public_threads")
    notifier, book = DiscordNotifier(rest_client), CardBook()
    card = await notifier.deliver(delivery(channel_id, guild_id, make_event(), id=1), book)
    assert card.thread_id is None
    outage = make_event(EventKind.OUTAGE)
    assert await notifier.deliver(delivery(channel_id, guild_id, outage, card, id=2), book)
    assert (
        fake.messages(channel_id)[0]["embeds"][0]["color"] == SEVERITY_COLOUR[Severity.MAJOR_OUTAGE]
    )


async def test_a_busy_channel_is_paced_by_discord_py_without_losing_a_message() -> None:
    """Ten cards at once into a channel whose bucket allows 2 per 0.2 s: all land, once each."""
    async with FakeDiscord(token=TOKEN, rate_limit=2, rate_window_s=0.2) as fake:
        guild_id, [channel_id] = fake.add_guild(channels=1)
        point_at(fake.api_base_url, fake.gateway_url)
        client = discord.Client(intents=minimal_intents())
        await client.login(TOKEN)
        try:
            notifier = DiscordNotifier(client)
            cards = await asyncio.gather(
                *(
                    notifier.deliver(
                        delivery(channel_id, guild_id, make_event(incident_key=f"i{n}"), id=n),
                        CardBook(),
                    )
                    for n in range(1, 11)
                )
            )
        finally:
            await client.close()
    assert len({c.message_id for c in cards}) == 10
    assert len(fake.messages(channel_id)) == 10
    assert fake.count(CREATE) == 20  # ten cards and ten first thread lines
