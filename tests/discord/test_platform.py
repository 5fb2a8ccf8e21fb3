"""The platform's lifecycle against FakeDiscord: bad token, gateway loss and reconnection."""

from __future__ import annotations

import pytest

from bot.commands import CommandService
from bot.errors import ConfigError, PlatformUnavailable
from fakes.discord import FakeDiscord
from integrations.discord import create
from integrations.discord.config import DiscordConfig
from integrations.discord.platform import DiscordPlatform
from tests.waiting import until


async def test_a_rejected_token_is_a_config_error_without_the_token(
    fake: FakeDiscord, service: CommandService
) -> None:
    config = DiscordConfig(
        token="wrong-token-value",
        api_base_url=fake.api_base_url,
        gateway_url=fake.gateway_url,
    )
    platform = create(config, service)
    with pytest.raises(ConfigError) as caught:
        await platform.start()
    assert "wrong-token-value" not in str(caught.value)
    assert not platform.connected


async def test_unreachable_discord_fails_start_cleanly(service: CommandService) -> None:
    config = DiscordConfig(
        token="t", api_base_url="http://127.0.0.1:9/api/v10", gateway_url="ws://127.0.0.1:9/"
    )
    platform = create(config, service)
    with pytest.raises(PlatformUnavailable, match="cannot reach Discord at http://127.0.0.1:9"):
        await platform.start()
    assert not platform.connected


async def test_without_guild_ids_commands_are_synced_globally(
    fake: FakeDiscord, service: CommandService
) -> None:
    config = DiscordConfig(
        token=fake.token, api_base_url=fake.api_base_url, gateway_url=fake.gateway_url
    )
    platform = DiscordPlatform(config, service, guild_ready_timeout=0.05)
    await platform.start()
    try:
        assert {c["name"] for c in fake.global_commands} == {"is-chatgpt-down", "statusbot"}
        assert fake.guild_commands == {}
    finally:
        await platform.stop()


async def test_gateway_loss_reconnects_and_commands_work_again(
    fake: FakeDiscord, platform: DiscordPlatform, channel_id: int
) -> None:
    fake.gateway_down = True
    await fake.drop_connections()
    await until(lambda: not platform.connected)
    fake.gateway_down = False
    await until(lambda: fake.connections() == 1, within=15)
    await until(lambda: platform.connected)
    reply = await fake.interact("statusbot", subcommand="list", channel_id=channel_id)
    assert "no subscriptions" in reply.content
    assert platform.connected


PUT_GLOBAL = "PUT /applications/{app}/commands"
PUT_GUILD = "PUT /applications/{app}/guilds/{guild}/commands"


async def _start_and_stop(fake: FakeDiscord, service: CommandService, guild_ids: list[int]) -> None:
    config = DiscordConfig(
        token=fake.token,
        guild_ids=guild_ids,
        api_base_url=fake.api_base_url,
        gateway_url=fake.gateway_url,
    )
    platform = DiscordPlatform(config, service, guild_ready_timeout=0.05)
    await platform.start()
    await platform.stop()


async def test_commands_are_synced_again_only_when_their_definition_changes(
    fake: FakeDiscord, service: CommandService, guild_id: int
) -> None:
    await _start_and_stop(fake, service, [guild_id])
    await _start_and_stop(fake, service, [guild_id])

    # The restart found the same definitions stored: no second sync spends the rate limit.
    assert fake.count(PUT_GUILD) == 1
    assert {c["name"] for c in fake.guild_commands[guild_id]} == {"is-chatgpt-down", "statusbot"}

    # A changed definition (here: the stored one is not what this version defines) syncs.
    stored = await service.store.settings.get("discord.synced_commands")
    await service.store.settings.put("discord.synced_commands", {**stored, "definitions": "old"})
    await _start_and_stop(fake, service, [guild_id])
    assert fake.count(PUT_GUILD) == 2


async def test_switching_between_global_and_guild_commands_leaves_no_duplicates(
    fake: FakeDiscord, service: CommandService, guild_id: int
) -> None:
    await _start_and_stop(fake, service, [])
    assert {c["name"] for c in fake.global_commands} == {"is-chatgpt-down", "statusbot"}

    await _start_and_stop(fake, service, [guild_id])
    # Members would otherwise see each command twice: once global, once for the guild.
    assert fake.global_commands == []
    assert {c["name"] for c in fake.guild_commands[guild_id]} == {"is-chatgpt-down", "statusbot"}

    await _start_and_stop(fake, service, [])
    assert fake.guild_commands[guild_id] == []
    assert {c["name"] for c in fake.global_commands} == {"is-chatgpt-down", "statusbot"}
    assert fake.count(PUT_GLOBAL) == 3  # synced, emptied, synced
