"""Slack: slash commands and living incident cards (https://api.slack.com/).

The app calls `create(config.slack, commands)`; see platform.SlackPlatform for the lifecycle.
"""

from __future__ import annotations

from bot.commands import CommandService
from bot.config import SlackConfig
from integrations.slack.platform import SlackPlatform

__all__ = ["SlackPlatform", "create"]


def create(config: SlackConfig, commands: CommandService) -> SlackPlatform:
    """Build the platform; nothing connects until `await platform.start()`."""
    return SlackPlatform(config, commands)
