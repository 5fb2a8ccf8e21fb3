"""The living card against FakeDiscord through the real discord.py REST client."""

from __future__ import annotations

import asyncio

import discord
import pytest

from bot.errors import PermanentDeliveryError, TransientDeliveryError
from bot.events import EventKind
from bot.models import Severity
from bot.notify import CardRef, Delivery
from bot.render import SEVERITY_COLOUR
from fakes.discord import FakeDiscord
from fakes.discord_payloads import form_errors
from integrations.discord.notifier import DiscordNotifier
from integrations.discord.platform import minimal_intents, point_at
from tests.discord.conftest import TOKEN, CardBook, make_event

CREATE = "POST /channels/{channel}/messages"
EDIT = "PATCH /channels/{channel}/messages/{message}"
THREAD = "POST /channels/{channel}/messages/{message}/threads"


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


async def test_first_event_posts_one_card_with_a_thread(
    fake: FakeDiscord, rest_client: discord.Client, channel_id: int, guild_id: int
) -> None:
    notifier, book = DiscordNotifier(rest_client), CardBook()
    card = await notifier.deliver(delivery(channel_id, guild_id, make_event()), book)

    [message] = fake.messages(channel_id)
    [embed] = message["embeds"]
    assert embed["color"] == SEVERITY_COLOUR[Severity.DEGRADED]
    assert embed["title"] == "🟡 OpenAI: Degraded"
    assert "Elevated error rates in ChatGPT" in embed["description"]
    assert card == CardRef(message_id=message["id"], thread_id=message["id"])
    # The card was saved before the thread existed, then again with the thread.
    assert book.saved == [CardRef(message["id"]), card]
    [update] = fake.messages(int(card.thread_id))
    assert "We are investigating elevated error rates." in update["content"]


async def test_update_edits_the_card_in_place_and_replies_in_the_thread(
    fake: FakeDiscord, rest_client: discord.Client, channel_id: int, guild_id: int
) -> None:
    notifier, book = DiscordNotifier(rest_client), CardBook()
    card = await notifier.deliver(delivery(channel_id, guild_id, make_event(), id=1), book)
    outage = make_event(EventKind.OUTAGE, text="Login is failing for most users.")
    assert await notifier.deliver(delivery(channel_id, guild_id, outage, card, id=2), book) == card

    [message] = fake.messages(channel_id)
    assert message["embeds"][0]["color"] == SEVERITY_COLOUR[Severity.MAJOR_OUTAGE]
    assert "Login is failing" in message["embeds"][0]["description"]
    assert fake.count(CREATE) == 3  # card + two thread lines, nothing else
    assert fake.count(EDIT) == 1
    lines = [m["content"] for m in fake.messages(int(card.thread_id))]
    assert len(lines) == 2
    assert "Login is failing for most users." in lines[1]


async def test_restored_turns_green_and_replies_with_the_duration(
    fake: FakeDiscord, rest_client: discord.Client, channel_id: int, guild_id: int
) -> None:
    notifier, book = DiscordNotifier(rest_client), CardBook()
    card = await notifier.deliver(delivery(channel_id, guild_id, make_event(), id=1), book)
    restored = make_event(EventKind.RESTORED)
    await notifier.deliver(delivery(channel_id, guild_id, restored, card, id=2), book)

    card_message, notice = fake.messages(channel_id)
    embed = card_message["embeds"][0]
    assert embed["color"] == SEVERITY_COLOUR[Severity.OPERATIONAL]
    assert "Restored after 47 min" in embed["title"]
    assert {"name": "Duration", "value": "47 min", "inline": True} in embed["fields"]
    assert "restored after 47 min" in notice["content"]
    assert notice["message_reference"]["message_id"] == card.message_id
    assert "restored after 47 min" in fake.messages(int(card.thread_id))[-1]["content"]


async def test_reminder_only_speaks_in_the_thread(
    fake: FakeDiscord, rest_client: discord.Client, channel_id: int, guild_id: int
) -> None:
    notifier, book = DiscordNotifier(rest_client), CardBook()
    card = await notifier.deliver(delivery(channel_id, guild_id, make_event(), id=1), book)
    reminder = make_event(EventKind.REMINDER, duration_s=3600)
    await notifier.deliver(delivery(channel_id, guild_id, reminder, card, id=2), book)

    assert fake.count(EDIT) == 0
    assert len(fake.messages(channel_id)) == 1
    assert "Still ongoing after 1 h" in fake.messages(int(card.thread_id))[-1]["content"]


async def test_retry_after_a_crash_does_not_post_twice(
    fake: FakeDiscord, rest_client: discord.Client, channel_id: int, guild_id: int
) -> None:
    """The first try reached Discord but the bot died before saving the card."""
    notifier = DiscordNotifier(rest_client)
    event = make_event()
    await notifier.deliver(delivery(channel_id, guild_id, event, id=7), CardBook())
    book = CardBook()
    card = await notifier.deliver(delivery(channel_id, guild_id, event, id=7, attempt=2), book)

    assert len(fake.messages(channel_id)) == 1
    assert len(fake.messages(int(card.thread_id))) == 1
    assert card.message_id == fake.messages(channel_id)[0]["id"]
    assert book.saved[-1] == card


async def test_429_on_create_is_waited_out_without_loss_or_double(
    fake: FakeDiscord, rest_client: discord.Client, channel_id: int, guild_id: int
) -> None:
    fake.fail_next(CREATE, count=2, status=429, retry_after=0.05)
    notifier = DiscordNotifier(rest_client)
    card = await notifier.deliver(delivery(channel_id, guild_id, make_event()), CardBook())

    assert len(fake.messages(channel_id)) == 1
    assert len(fake.messages(int(card.thread_id))) == 1
    assert [c.status for c in fake.calls_to(CREATE, channel_id)] == [429, 429, 200]


async def test_long_429_becomes_a_transient_error_with_the_wait(
    fake: FakeDiscord, rest_client: discord.Client, channel_id: int, guild_id: int
) -> None:
    """A wait longer than a worker should sleep goes back to the outbox with Discord's hint."""
    fake.fail_next(CREATE, status=429, retry_after=90.0)
    with pytest.raises(TransientDeliveryError) as caught:
        await DiscordNotifier(rest_client).deliver(
            delivery(channel_id, guild_id, make_event()), CardBook()
        )
    assert caught.value.retry_after_s == 90.0
    assert fake.messages(channel_id) == []


async def test_deleted_channel_is_permanent(
    fake: FakeDiscord, rest_client: discord.Client, channel_id: int, guild_id: int
) -> None:
    fake.delete_channel(channel_id)
    with pytest.raises(PermanentDeliveryError) as caught:
        await DiscordNotifier(rest_client).deliver(
            delivery(channel_id, guild_id, make_event()), CardBook()
        )
    assert not caught.value.workspace_wide
    assert "10003" in caught.value.reason


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


async def test_server_error_is_transient(
    fake: FakeDiscord, rest_client: discord.Client, channel_id: int, guild_id: int
) -> None:
    fake.fail_next(CREATE, status=503)
    with pytest.raises(TransientDeliveryError):
        await DiscordNotifier(rest_client).deliver(
            delivery(channel_id, guild_id, make_event()), CardBook()
        )
    assert fake.messages(channel_id) == []


async def test_revoked_token_is_workspace_wide(
    fake: FakeDiscord, rest_client: discord.Client, channel_id: int, guild_id: int
) -> None:
    fake.token_revoked = True
    with pytest.raises(PermanentDeliveryError) as caught:
        await DiscordNotifier(rest_client).deliver(
            delivery(channel_id, guild_id, make_event()), CardBook()
        )
    assert caught.value.workspace_wide
    assert "fake-discord-bot-token" not in caught.value.reason


async def test_deleted_card_is_replaced_by_a_new_one(
    fake: FakeDiscord, rest_client: discord.Client, channel_id: int, guild_id: int
) -> None:
    notifier = DiscordNotifier(rest_client)
    card = await notifier.deliver(delivery(channel_id, guild_id, make_event(), id=1), CardBook())
    fake.channels[channel_id].messages.clear()  # a moderator deleted the card
    book = CardBook()
    new = await notifier.deliver(
        delivery(channel_id, guild_id, make_event(EventKind.OUTAGE), card, id=2), book
    )
    assert new.message_id != card.message_id
    [message] = fake.messages(channel_id)
    assert message["embeds"][0]["color"] == SEVERITY_COLOUR[Severity.MAJOR_OUTAGE]
    assert book.saved[-1] == new


async def test_oversized_update_stays_within_embed_limits(
    fake: FakeDiscord, rest_client: discord.Client, channel_id: int, guild_id: int
) -> None:
    huge = make_event(
        text="Status update. " * 700,  # ~10,000 characters
        title="T" * 400,
        components=tuple(f"Component number {n}" for n in range(300)),
        page_name="P" * 300,
    )
    card = await DiscordNotifier(rest_client).deliver(
        delivery(channel_id, guild_id, huge), CardBook()
    )
    [message] = fake.messages(channel_id)
    embed = message["embeds"][0]
    assert form_errors(message) == []
    assert embed["description"].endswith("…")
    components = next(f for f in embed["fields"] if f["name"] == "Affected components")
    assert "… and " in components["value"]
    assert len(fake.messages(int(card.thread_id))[0]["content"]) <= 2000
    assert all(c.status < 400 for c in fake.calls)


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


async def test_merged_card_closes_with_one_line_pointing_to_the_story(
    fake: FakeDiscord, rest_client: discord.Client, channel_id: int, guild_id: int
) -> None:
    notifier, book = DiscordNotifier(rest_client), CardBook()
    card = await notifier.deliver(delivery(channel_id, guild_id, make_event(), id=1), book)
    merged = make_event(
        EventKind.MERGED, merged_into="inc-2", merged_into_title="Elevated errors across ChatGPT"
    )
    await notifier.deliver(delivery(channel_id, guild_id, merged, card, id=2), book)

    [message] = fake.messages(channel_id)  # the card edited, nothing new in the channel
    assert message["embeds"][0]["title"].endswith("Now tracked as Elevated errors across ChatGPT")
    lines = [m["content"] for m in fake.messages(int(card.thread_id))]
    assert lines[-1] == "➡️ Now tracked as Elevated errors across ChatGPT"


async def test_a_restoration_without_a_card_is_a_one_line_notice(
    fake: FakeDiscord, rest_client: discord.Client, channel_id: int, guild_id: int
) -> None:
    notifier, book = DiscordNotifier(rest_client), CardBook()
    restored = make_event(EventKind.RESTORED)
    ref = await notifier.deliver(delivery(channel_id, guild_id, restored), book)

    [notice] = fake.messages(channel_id)
    assert notice["content"].startswith("✅ OpenAI restored after 47 min")
    assert not notice.get("embeds")  # a line, not a card
    assert fake.count(THREAD) == 0
    assert book.saved == [ref]
