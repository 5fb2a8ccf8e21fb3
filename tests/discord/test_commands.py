"""Slash commands through discord.py's real gateway and command tree, over FakeDiscord."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import discord
import pytest

from bot.machine import SourceState
from bot.store.store import PollCommit, Store
from fakes.discord import FakeDiscord
from integrations.discord import commands as discord_commands
from integrations.discord.platform import DiscordPlatform

MANAGE_CHANNELS = discord.Permissions(manage_channels=True).value
MEMBER = discord.Permissions(view_channel=True, send_messages=True).value
BOT_OK = discord.Permissions(
    view_channel=True,
    send_messages=True,
    embed_links=True,
    create_public_threads=True,
    send_messages_in_threads=True,
    read_message_history=True,
).value


async def test_start_syncs_commands_to_the_guild_and_is_ready(
    fake: FakeDiscord, platform: DiscordPlatform, guild_id: int
) -> None:
    assert platform.connected
    names = {c["name"] for c in fake.guild_commands[guild_id]}
    assert names == {"is-chatgpt-down", "statusbot"}
    group = next(c for c in fake.guild_commands[guild_id] if c["name"] == "statusbot")
    assert group["default_member_permissions"] == str(MANAGE_CHANNELS)
    await platform.stop()
    assert not platform.connected


async def test_manager_subscribes_and_list_shows_it(
    fake: FakeDiscord, platform: DiscordPlatform, store: Store, channel_id: int
) -> None:
    reply = await fake.interact(
        "statusbot",
        {"providers": "chatgpt", "components": "Login", "min_severity": "major"},
        subcommand="subscribe",
        channel_id=channel_id,
        permissions=MANAGE_CHANNELS | MEMBER,
        app_permissions=BOT_OK,
    )
    assert "Subscribed this channel to OpenAI" in reply.content
    [sub] = await store.subscriptions.channel_subscriptions("discord", str(channel_id))
    assert sub.provider == "openai"
    assert sub.components == ("Login",)
    assert sub.min_severity.label == "major_outage"

    listing = await fake.interact(
        "statusbot", subcommand="list", channel_id=channel_id, permissions=MEMBER
    )
    assert listing.ephemeral
    assert "OpenAI: Login, major outage and worse" in listing.content


async def test_member_without_manage_channels_is_refused(
    fake: FakeDiscord, platform: DiscordPlatform, store: Store, channel_id: int
) -> None:
    reply = await fake.interact(
        "statusbot",
        {"providers": "openai"},
        subcommand="subscribe",
        channel_id=channel_id,
        permissions=MEMBER,
    )
    assert reply.ephemeral
    assert "Manage Channels" in reply.content
    assert await store.subscriptions.channel_subscriptions("discord", str(channel_id)) == []


async def test_missing_bot_permission_is_named(
    fake: FakeDiscord, platform: DiscordPlatform, store: Store, channel_id: int
) -> None:
    no_threads = BOT_OK & ~discord.Permissions(create_public_threads=True).value
    reply = await fake.interact(
        "statusbot",
        subcommand="subscribe",
        channel_id=channel_id,
        permissions=MANAGE_CHANNELS,
        app_permissions=no_threads,
    )
    assert reply.ephemeral
    assert "Create Public Threads" in reply.content
    assert "Send Messages," not in reply.content
    assert await store.subscriptions.channel_subscriptions("discord", str(channel_id)) == []


async def test_threads_and_forums_cannot_be_subscribed(
    fake: FakeDiscord, platform: DiscordPlatform, store: Store, channel_id: int, guild_id: int
) -> None:
    forum = fake.add_channel(guild_id, "forum")
    fake.channels[forum].payload["type"] = 15
    reply = await fake.interact(
        "statusbot", subcommand="subscribe", channel_id=forum,
        permissions=MANAGE_CHANNELS, app_permissions=BOT_OK,
    )  # fmt: skip
    assert "text or announcement channel" in reply.content
    assert await store.subscriptions.channel_subscriptions("discord", str(forum)) == []


async def test_unsubscribe_removes_the_subscription(
    fake: FakeDiscord, platform: DiscordPlatform, store: Store, channel_id: int
) -> None:
    await fake.interact(
        "statusbot",
        {"providers": "openai claude"},
        subcommand="subscribe",
        channel_id=channel_id,
        permissions=MANAGE_CHANNELS,
        app_permissions=BOT_OK,
    )
    reply = await fake.interact(
        "statusbot",
        {"provider": "claude"},
        subcommand="unsubscribe",
        channel_id=channel_id,
        permissions=MANAGE_CHANNELS,
    )
    assert "Unsubscribed this channel from Anthropic" in reply.content
    subs = await store.subscriptions.channel_subscriptions("discord", str(channel_id))
    assert [s.provider for s in subs] == ["openai"]


async def test_is_down_answers_privately_with_an_embed_verdict_first(
    fake: FakeDiscord, platform: DiscordPlatform, store: Store, channel_id: int
) -> None:
    await _seen_ok(store, "openai")
    reply = await fake.interact("is-chatgpt-down", channel_id=channel_id, permissions=MEMBER)
    assert reply.type == 4
    assert reply.ephemeral
    [embed] = reply.embeds
    assert embed["title"] == "✅ OpenAI is operational"
    assert "Last checked" in reply.text

    public = await fake.interact(
        "is-chatgpt-down", {"provider": "claude", "public": True}, channel_id=channel_id
    )
    assert not public.ephemeral
    assert "Anthropic" in public.embeds[0]["title"]


async def test_is_down_says_cannot_reach_when_the_source_is_unreachable(
    fake: FakeDiscord, platform: DiscordPlatform, store: Store, channel_id: int
) -> None:
    await _seen_ok(store, "openai", unreachable=True)
    reply = await fake.interact("is-chatgpt-down", {"provider": "chatgpt"}, channel_id=channel_id)
    assert "Cannot reach the official status page since" in reply.text
    assert "is operational" not in reply.text


async def test_autocomplete_offers_providers(
    fake: FakeDiscord, platform: DiscordPlatform, channel_id: int
) -> None:
    reply = await fake.interact(
        "is-chatgpt-down", {"provider": "cl"}, focused="provider", channel_id=channel_id
    )
    assert reply.type == 8
    assert reply.choices == [{"name": "Anthropic (claude)", "value": "anthropic"}]

    several = await fake.interact(
        "statusbot",
        {"providers": "openai "},
        subcommand="subscribe",
        focused="providers",
        channel_id=channel_id,
        permissions=MANAGE_CHANNELS,
    )
    assert {"name": "Anthropic (claude)", "value": "openai anthropic"} in several.choices


async def test_bad_input_gets_a_clear_private_message(
    fake: FakeDiscord, platform: DiscordPlatform, store: Store, channel_id: int
) -> None:
    unknown = await fake.interact(
        "is-chatgpt-down", {"provider": "altavista"}, channel_id=channel_id
    )
    assert unknown.ephemeral
    assert "I don't know 'altavista'. Known providers: openai (chatgpt, gpt)" in unknown.content

    long = await fake.interact(
        "statusbot",
        {"providers": "openai " * 150},
        subcommand="subscribe",
        channel_id=channel_id,
        permissions=MANAGE_CHANNELS,
        app_permissions=BOT_OK,
    )
    assert long.ephemeral
    assert "too long" in long.content

    odd = await fake.interact(
        "statusbot",
        {"providers": "open\u200bai"},
        subcommand="subscribe",
        channel_id=channel_id,
        permissions=MANAGE_CHANNELS,
        app_permissions=BOT_OK,
    )
    assert "invisible or control characters" in odd.content

    spaced = await fake.interact(
        "statusbot",
        {"components": "Chat Completions"},
        subcommand="subscribe",
        channel_id=channel_id,
        permissions=MANAGE_CHANNELS,
        app_permissions=BOT_OK,
    )
    [subscribed] = await store.subscriptions.channel_subscriptions("discord", str(channel_id))
    assert subscribed.components == ("Chat Completions",)
    assert all("Traceback" not in r.content for r in (unknown, long, odd, spaced))


async def _seen_ok(store: Store, source_id: str, unreachable: bool = False) -> None:
    """Record that the poller last saw the source healthy (or failing since a while)."""
    now = datetime.now(UTC)
    state = SourceState(
        last_ok_at=now - timedelta(minutes=30 if unreachable else 0, seconds=5),
        page_name="OpenAI",
        page_url="https://status.openai.com",
        baseline_done=True,
        unreachable_since=now - timedelta(minutes=10) if unreachable else None,
        last_error="connection refused" if unreachable else None,
    )
    provider = "anthropic" if source_id == "anthropic" else "openai"
    await store.polls.commit_poll(
        PollCommit(source_id=source_id, provider=provider, state=state, at=now)
    )


async def test_slow_answers_are_deferred_then_delivered(
    fake: FakeDiscord,
    platform: DiscordPlatform,
    store: Store,
    channel_id: int,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Past the defer threshold the user sees "thinking…" at once, then the real answer."""
    monkeypatch.setattr(discord_commands, "DEFER_AFTER_S", 0.0)
    await _seen_ok(store, "openai")
    reply = await fake.interact("is-chatgpt-down", channel_id=channel_id)
    assert reply.type == 5
    assert reply.ephemeral
    assert reply.embeds[0]["title"] == "✅ OpenAI is operational"

    bad = await fake.interact("is-chatgpt-down", {"provider": "altavista"}, channel_id=channel_id)
    assert "Known providers" in bad.content


async def test_is_down_understands_the_names_people_type(
    fake: FakeDiscord, platform: DiscordPlatform, store: Store, channel_id: int
) -> None:
    """Catalog names reach a watched provider; a known one not watched, or a typo, is explained."""
    await _seen_ok(store, "anthropic")
    reply = await fake.interact(
        "is-chatgpt-down", {"provider": "Claude Code"}, channel_id=channel_id
    )
    assert reply.embeds[0]["title"] == "✅ Anthropic is operational"

    grok = await fake.interact("is-chatgpt-down", {"provider": "grok"}, channel_id=channel_id)
    assert grok.ephemeral
    assert grok.content.startswith("xAI is not watched by this bot.")

    typo = await fake.interact("is-chatgpt-down", {"provider": "chatgtp"}, channel_id=channel_id)
    assert "I don't know 'chatgtp'. Did you mean chatgpt (OpenAI)?" in typo.content
