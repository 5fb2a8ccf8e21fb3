"""Discord's section of the config file (`discord:`); validated at start-up with the rest."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr, model_validator


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class DiscordConfig(_Section):
    """One Discord bot: its token from the environment, optional guilds to sync to."""

    token: SecretStr
    guild_ids: list[int] = []
    api_base_url: str = "https://discord.com/api/v10"
    gateway_url: str = "wss://gateway.discord.gg/"
    # Shards (https://discord.com/developers/docs/topics/gateway#sharding): none (one
    # connection, up to 2,500 servers), "auto" (Discord's recommended count, all in this
    # process), or a count, with `shard_ids` the shards this replica opens (default: all).
    shard_count: int | Literal["auto"] | None = None
    shard_ids: list[int] | None = None
    # REST requests per second for the whole process, all shards together (Discord: 50).
    requests_per_second: float = Field(default=50.0, gt=0)

    @model_validator(mode="after")
    def _shards_fit(self) -> DiscordConfig:
        count = self.shard_count
        if isinstance(count, int) and count < 1:
            raise ValueError("shard_count must be at least 1")
        if self.shard_ids is not None:
            if not isinstance(count, int):
                raise ValueError("shard_ids needs shard_count (the total over all replicas)")
            if not self.shard_ids or len(set(self.shard_ids)) != len(self.shard_ids):
                raise ValueError("shard_ids must list distinct shards")
            if any(not 0 <= n < count for n in self.shard_ids):
                raise ValueError(f"shard_ids must be between 0 and {count - 1}")
        return self
