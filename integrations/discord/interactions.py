"""Interactions whose shape discord.py can read, before it reads them.

Discord validates what users type against the synced command definitions, so a malformed
INTERACTION_CREATE means a broken or hostile gateway. discord.py would raise deep inside its
command tree (a traceback per event, in a task nobody awaits); here such an event is counted
into one warning a minute and dropped. Shapes:
https://discord.com/developers/docs/interactions/receiving-and-responding#interaction-object
"""

from __future__ import annotations

import logging
from typing import Any

import discord
from discord import app_commands

from bot.junklog import JunkLog

log = logging.getLogger(__name__)

MAX_DEPTH = 3  # a subcommand group, its subcommand, the subcommand's options
SCALARS = (str, int, float, bool)
COMMAND_TYPES = (2, 4)  # an application command and its autocomplete


def readable(data: Any, depth: int = 0) -> bool:
    """True when `data` (or an option inside it) has the shape discord.py expects."""
    if not isinstance(data, dict) or depth > MAX_DEPTH:
        return False
    if not isinstance(data.get("name", ""), str) or not isinstance(data.get("type", 1), int):
        return False
    if "value" in data and not isinstance(data["value"], SCALARS):
        return False
    options = data.get("options", [])
    return isinstance(options, list) and all(readable(o, depth + 1) for o in options)


class GuardedTree(app_commands.CommandTree):
    """A CommandTree that drops command interactions it could not read."""

    def __init__(self, client: discord.Client) -> None:
        super().__init__(client)
        self._junk = JunkLog(log, "discord interactions")

    def _from_interaction(self, interaction: discord.Interaction) -> None:
        kind = interaction.type.value if interaction.type else None
        if kind in COMMAND_TYPES and not readable(interaction.data):
            self._junk.refused(400, "interaction data discord.py cannot read")
            return
        super()._from_interaction(interaction)
