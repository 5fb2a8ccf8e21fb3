"""The real bot process connected to FakeDiscord, one source, ready for commands."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import yaml

from fakes.discord import FakeDiscord
from tests.botproc import bot_writing_log
from tests.discord.conftest import TOKEN
from tests.waiting import until


@contextlib.asynccontextmanager
async def discord_bot(
    tmp_path: Path, fake: FakeDiscord, guild_id: int, source: dict[str, Any]
) -> AsyncIterator[tuple[asyncio.subprocess.Process, Path]]:
    """Yields the process and its log once its commands are synced and it has identified."""
    config = {
        "store": {"url": f"sqlite+aiosqlite:///{tmp_path / 'bot.db'}"},
        "providers": {"openai": {"name": "OpenAI", "aliases": ["chatgpt"], "sources": [source]}},
        "discord": {
            "token": "${DISCORD_TOKEN}",
            "guild_ids": [guild_id],
            "api_base_url": fake.api_base_url,
            "gateway_url": fake.gateway_url,
        },
        "console": {"enabled": False},
    }
    config_file = tmp_path / "config.yaml"
    config_file.write_text(yaml.safe_dump(config))
    log_file = tmp_path / "bot.log"
    async with bot_writing_log(config_file, log_file, {"DISCORD_TOKEN": TOKEN}) as process:
        await until(lambda: fake.guild_commands.get(guild_id) or process.returncode, within=20)
        await fake.wait_identified(20)
        assert process.returncode is None, log_file.read_text()
        yield process, log_file
