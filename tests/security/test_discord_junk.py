"""Junk interactions over the Discord gateway: the bot keeps answering, logs no storm.

Discord interactions reach the bot over its gateway connection (it serves no HTTP
interactions endpoint), so the junk here is what a broken or hostile gateway could push:
unknown commands, options of the wrong type, missing fields, unknown interaction types.
"""

from __future__ import annotations

import copy
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from fakes import discord_payloads as wire
from fakes.discord import FakeDiscord
from fakes.discord_interactions import InteractionReply, interaction_payload
from tests.discord.botrun import discord_bot
from tests.discord.conftest import TOKEN
from tests.discord.test_commands import BOT_OK, MANAGE_CHANNELS

pytestmark = pytest.mark.slow


@pytest.fixture
async def fake() -> AsyncIterator[FakeDiscord]:
    async with FakeDiscord(token=TOKEN) as server:
        server.add_guild("Test server", channels=1)
        yield server


def junk(fake: FakeDiscord, guild_id: int, channel_id: int) -> list[dict[str, Any]]:
    definition = fake._command(guild_id, "statusbot")
    channel = fake.channels[channel_id].payload
    member = wire.member(wire.user(wire.snowflake(), "prankster"), MANAGE_CHANNELS)
    good = interaction_payload(
        wire.snowflake(), f"itok-{wire.snowflake()}", fake.app_id, guild_id, channel, definition,
        [{"type": 1, "name": "list", "options": []}],
        member=member, app_permissions=BOT_OK, autocomplete=False,
    )  # fmt: skip
    out = []
    for change in (
        lambda p: p["data"].update(name="no-such-command", id="123"),
        lambda p: p["data"].update(options=[{"type": 4, "name": "list", "value": "NaN"}]),
        lambda p: p["data"].update(options="not a list"),
        lambda p: p.pop("data"),
        lambda p: p.update(type=99),
        lambda p: p["data"].update(options=[{"type": 1, "name": "subscribe", "options": [
            {"type": 3, "name": "providers", "value": {"nested": ["object"]}}]}]),
    ):  # fmt: skip
        payload = copy.deepcopy(good)
        change(payload)
        # Each its own interaction, whose answer the fake accepts as Discord would.
        payload["id"], payload["token"] = str(wire.snowflake()), f"itok-{wire.snowflake()}"
        fake.replies[payload["token"]] = InteractionReply(int(payload["id"]), payload["token"])
        out.append(payload)
    return out


async def test_junk_interactions_do_not_stop_the_bot(tmp_path: Path, fake: FakeDiscord) -> None:
    guild_id = next(iter(fake.guilds))
    channel_id = fake.guilds[guild_id][0]
    source = {"kind": "statuspage", "url": "http://127.0.0.1:9/s.json"}
    async with discord_bot(tmp_path, fake, guild_id, source) as (process, log):
        first = await fake.interact(
            "statusbot", subcommand="list", channel_id=channel_id, within_s=30,
            permissions=MANAGE_CHANNELS, app_permissions=BOT_OK,
        )  # fmt: skip
        assert "no subscriptions" in first.content
        for _ in range(20):
            for payload in junk(fake, guild_id, channel_id):
                await fake.dispatch("INTERACTION_CREATE", payload)
        reply = await fake.interact(
            "statusbot", {"providers": "chatgpt"}, subcommand="subscribe", channel_id=channel_id,
            permissions=MANAGE_CHANNELS, app_permissions=BOT_OK,
        )  # fmt: skip
        assert "Subscribed" in reply.content
        assert process.returncode is None
    text = log.read_text(errors="replace")
    assert "Traceback" not in text, text[-4000:]
    assert " ERROR " not in text, text[-4000:]
    assert "could not tell the user" not in text
    refused = [line for line in text.splitlines() if "malformed request" in line]
    assert 1 <= len(refused) <= 2, refused
