"""Discord: slash commands and living incident cards (https://discord.com/developers/docs).

Importing this package (or its `config`) loads no Discord library: `create` does.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from bot.commands import CommandService
    from integrations.discord.config import DiscordConfig
    from integrations.discord.platform import DiscordPlatform

__all__ = ["create"]


def create(config: DiscordConfig, commands: CommandService) -> DiscordPlatform:
    """The Discord ChatPlatform the app starts, stops and hands to the outbox."""
    from integrations.discord.platform import DiscordPlatform

    return DiscordPlatform(config, commands)
