"""The chat crowd's buttons on Discord: "Down for me too" and "Works for me".

They sit under `/is-chatgpt-down` answers and open incident cards. A click arrives as a
message-component interaction (https://discord.com/developers/docs/interactions/message-components);
discord.py routes it by custom_id to `CrowdButton` (a DynamicItem: it works on every message
that carries it, also after a restart, without a view kept per message). The person is
thanked privately (ephemeral); nothing is posted to the channel.
"""

from __future__ import annotations

import logging
import re
from typing import Any, Protocol

import discord

from bot.crowd import ReportKind
from bot.crowd_desk import Reporter
from bot.errors import CommandError

log = logging.getLogger(__name__)

PLATFORM = "discord"
# custom_id: "crowd:down:openai" (at most 100 characters by Discord's rules).
CUSTOM_ID = r"crowd:(?P<kind>down|works):(?P<provider>[A-Za-z0-9][A-Za-z0-9_.-]{0,80})"
SORRY = "Sorry, I couldn't count that just now. Please try again in a minute."


class CrowdCounter(Protocol):
    """Counts a click and says thanks (bot.crowd_desk.CrowdDesk)."""

    async def clicked(self, provider: str, who: Reporter, kind: ReportKind) -> str: ...


def crowd_view(provider: str) -> discord.ui.View | None:
    """The two buttons for `provider`'s answer or card (None for a provider key a custom_id
    cannot carry)."""
    if re.fullmatch(CUSTOM_ID, f"crowd:works:{provider}") is None:
        return None
    view = discord.ui.View(timeout=None)
    view.add_item(
        discord.ui.Button(
            label="Down for me too",
            style=discord.ButtonStyle.danger,
            custom_id=f"crowd:down:{provider}",
        )
    )
    view.add_item(
        discord.ui.Button(
            label="Works for me",
            style=discord.ButtonStyle.success,
            custom_id=f"crowd:works:{provider}",
        )
    )
    # Clicks are dispatched by CrowdButton's custom_id pattern, not by this view object: a
    # stopped view is not kept in memory for each message sent.
    view.stop()
    return view


def crowd_button_type(
    counter: CrowdCounter,
) -> type[discord.ui.DynamicItem[discord.ui.Button[Any]]]:
    """The DynamicItem class that answers crowd clicks with `counter`."""

    class CrowdButton(discord.ui.DynamicItem[discord.ui.Button[Any]], template=CUSTOM_ID):
        def __init__(self, kind: str, provider: str) -> None:
            super().__init__(discord.ui.Button(label=kind, custom_id=f"crowd:{kind}:{provider}"))
            self.kind = ReportKind.WORKS if kind == "works" else ReportKind.DOWN
            self.provider = provider

        @classmethod
        async def from_custom_id(
            cls,
            interaction: discord.Interaction[Any],
            item: discord.ui.Item[Any],
            match: re.Match[str],
        ) -> CrowdButton:
            return cls(match["kind"], match["provider"])

        async def callback(self, interaction: discord.Interaction[Any]) -> None:
            who = Reporter(
                platform=PLATFORM,
                workspace_id=str(interaction.guild_id) if interaction.guild_id else None,
                channel_id=str(interaction.channel_id or ""),
                user_id=str(interaction.user.id),
            )
            try:
                text = await counter.clicked(self.provider, who, self.kind)
            except CommandError as exc:
                text = str(exc)
            except Exception:
                log.exception("a crowd click could not be counted")
                text = SORRY
            await interaction.response.send_message(
                text, ephemeral=True, allowed_mentions=discord.AllowedMentions.none()
            )

    return CrowdButton
