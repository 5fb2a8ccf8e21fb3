"""Discord shards: the real bot opens the shards Discord recommends; commands and cards work
whichever shard a server is on; REST calls of all shards share one pace."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
import yaml
from pydantic import ValidationError

from fakes.discord import FakeDiscord
from fakes.pages import SUMMARY_PATH as SUMMARY
from fakes.statuspage import FakeStatusPage
from integrations.discord.config import DiscordConfig
from integrations.discord.platform import RequestPace
from tests.botproc import bot_writing_log
from tests.discord.conftest import TOKEN
from tests.discord.test_commands import BOT_OK, MANAGE_CHANNELS
from tests.discord.test_e2e import summary
from tests.replicas import free_port
from tests.waiting import until

pytestmark = pytest.mark.slow


@pytest.fixture
async def page() -> AsyncIterator[FakeStatusPage]:
    async with FakeStatusPage() as fake_page:
        fake_page.set_payload(SUMMARY, summary("operational"))
        yield fake_page


async def test_servers_on_either_shard_get_commands_and_cards(
    tmp_path: Path, fake: FakeDiscord, page: FakeStatusPage
) -> None:
    fake.recommended_shards = 2
    guilds = [fake.add_guild(f"Shard {n}", 1, shard=(n, 2)) for n in range(2)]
    source = {"kind": "statuspage", "url": page.url(SUMMARY), "interval": 1, "flap_window": 0}
    port = free_port()
    config = {
        "store": {"url": f"sqlite+aiosqlite:///{tmp_path / 'bot.db'}"},
        "providers": {"openai": {"name": "OpenAI", "aliases": ["chatgpt"], "sources": [source]}},
        "discord": {
            "token": "${DISCORD_TOKEN}",
            "guild_ids": [g for g, _ in guilds],
            "api_base_url": fake.api_base_url,
            "gateway_url": fake.gateway_url,
            "shard_count": "auto",
        },
        "health": {"host": "127.0.0.1", "port": port},
        "console": {"enabled": False},
    }
    config_file = tmp_path / "config.yaml"
    config_file.write_text(yaml.safe_dump(config))
    log = tmp_path / "bot.log"
    async with bot_writing_log(config_file, log, {"DISCORD_TOKEN": TOKEN}) as process:
        await until(
            lambda: sorted(fake.identified_shards) == [(0, 2), (1, 2)] or process.returncode,
            "both recommended shards identified",
        )
        assert process.returncode is None, log.read_text()
        for _, (channel,) in guilds:
            # The interaction arrives over the shard its server is on, and only there.
            reply = await until(
                lambda c=channel: _subscribe(fake, c), "a subscription on each shard"
            )
            assert "Subscribed this channel to OpenAI" in reply
        await until(lambda: page.count(SUMMARY) >= 2, "the baseline poll")
        page.set_payload(
            SUMMARY,
            summary("degraded_performance", "minor", [("investigating", "Looking into it.")]),
        )
        for _, (channel,) in guilds:
            await until(lambda c=channel: fake.messages(c), "the card in each server")
        async with httpx.AsyncClient() as client:
            ready = (await client.get(f"http://127.0.0.1:{port}/readyz")).json()
        assert ready["checks"]["chat:discord"] is True  # every shard's gateway is open
    assert "shards [0, 1] of 2" in log.read_text()


async def _subscribe(fake: FakeDiscord, channel: int) -> str | None:
    try:
        reply = await fake.interact(
            "statusbot", {"providers": "chatgpt"}, subcommand="subscribe", channel_id=channel,
            permissions=MANAGE_CHANNELS, app_permissions=BOT_OK,
        )  # fmt: skip
    except (KeyError, TimeoutError):
        return None  # commands not synced yet
    return reply.content


def test_shard_ids_need_a_count_and_must_fit_it() -> None:
    base = {"token": "t"}
    assert DiscordConfig(**base, shard_count=4, shard_ids=[0, 2]).shard_ids == [0, 2]
    for wrong in (
        {"shard_ids": [0]},
        {"shard_count": "auto", "shard_ids": [0]},
        {"shard_count": 2, "shard_ids": [2]},
        {"shard_count": 2, "shard_ids": [1, 1]},
        {"shard_count": 0},
    ):
        with pytest.raises(ValidationError):
            DiscordConfig(**base, **wrong)


async def test_requests_of_every_shard_share_one_pace() -> None:
    pace = RequestPace(per_second=50)
    started = time.monotonic()
    await asyncio.gather(*(pace.wait() for _ in range(26)))
    # 26 requests at 50/s: the last one may start 0.5 s after the first, not sooner.
    assert time.monotonic() - started >= 0.49
