"""Slack: slash commands and living incident cards (https://api.slack.com/).

The app calls `create(config.slack, commands)`; see platform.SlackPlatform for the lifecycle.
Importing this package (or its `config`) loads no Slack library: `create` does.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from bot.commands import CommandService
    from integrations.slack.config import SlackConfig
    from integrations.slack.platform import SlackPlatform

__all__ = ["create"]


def create(config: SlackConfig, commands: CommandService) -> SlackPlatform:
    """Build the platform (a bot.notify.PlatformFactory); nothing connects until `start()`."""
    from integrations.slack.platform import SlackPlatform

    return SlackPlatform(config, commands)
