"""Discord: slash commands and living incident cards (https://discord.com/developers/docs)."""

from __future__ import annotations

import warnings

# discord.py imports the stdlib `audioop` (voice) which warns on Python 3.11-3.12; we use no
# voice, and the test suite turns warnings into errors, so import it once here, quietly.
with warnings.catch_warnings():
    warnings.filterwarnings("ignore", "'audioop' is deprecated", DeprecationWarning)
    import discord  # noqa: F401

from bot.commands import CommandService
from bot.config import DiscordConfig
from integrations.discord.notifier import DiscordNotifier
from integrations.discord.platform import DiscordPlatform


def create(config: DiscordConfig, commands: CommandService) -> DiscordPlatform:
    """The Discord ChatPlatform the app starts, stops and hands to the outbox."""
    return DiscordPlatform(config, commands)


__all__ = ["DiscordNotifier", "DiscordPlatform", "create"]
