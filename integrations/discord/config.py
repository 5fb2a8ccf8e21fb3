"""Discord's section of the config file (`discord:`); validated at start-up with the rest."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, SecretStr


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class DiscordConfig(_Section):
    """One Discord bot: its token from the environment, optional guilds to sync to."""

    token: SecretStr
    guild_ids: list[int] = []
    api_base_url: str = "https://discord.com/api/v10"
    gateway_url: str = "wss://gateway.discord.gg/"
