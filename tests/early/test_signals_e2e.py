"""The signals in the real bot process, against the fake Slack, the fake Discord, fake status
pages and the fake provider APIs over real sockets.

One bot watches OpenAI, Anthropic and Google, each with a status page and a keyless probe
(every second). The story, in order: people ask `/is-chatgpt-down` and click "Down for me
too" on both platforms (answered privately with the count, paced per person, nothing posted
to a channel); the crowd alone suspects nothing; every provider failing at once is our own
network (one log line, /readyz says so, still no suspicion); OpenAI's probe failing while
the crowd reports it is a suspicion, and `/is-chatgpt-down` says so first, with the
alternatives that are up and their probe latency; Anthropic's probe failing alone suspects
nothing.
"""

from __future__ import annotations

import copy
import json
import socket
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from bot.fusion import Level
from bot.store.store import Store
from fakes.discord import FakeDiscord
from fakes.provider_api import FakeProviderAPIs, probe_config
from fakes.slack import FakeSlack
from fakes.statuspage import FakeStatusPage
from tests.botproc import BotProcess, write_config
from tests.conftest import FIXTURES, fixture_bytes
from tests.waiting import until

SLACK_BOT_TOKEN = "xoxb-signals-bot-token-41c7"
SLACK_APP_TOKEN = "xapp-signals-app-token-9b03"
DISCORD_TOKEN = "signals-discord-bot-token-6d1e"
OPERATIONAL = fixture_bytes("anthropic_summary_2026-09-15_operational.json")
PROVIDERS = {"openai": "OpenAI", "anthropic": "Anthropic", "google": "Google"}
SLACK_CHANNELS = ("C0SIGNALS1", "C0SIGNALS2")
SLACK_CLICK = json.loads(
    (FIXTURES / "interactions/slack/block_actions_button_with_value_in_thread.json").read_text()
)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class World:
    page: FakeStatusPage
    apis: FakeProviderAPIs
    slack: FakeSlack
    discord: FakeDiscord
    guild_id: int
    discord_channels: list[int]
    bot: BotProcess
    db: Path
    health_port: int
    config: Path
    env: dict[str, str]
    earlier_logs: list[str] = field(default_factory=list)

    async def restart(self) -> None:
        """SIGKILL the bot (a crash) and start it again on the same store."""
        await self.bot.kill()
        self.earlier_logs += self.bot.stderr
        self.bot = await BotProcess(self.config, env=self.env).start()
        await until(lambda: any("statusbot started" in x for x in self.bot.stderr), "restart")
        await until(lambda: self.slack.socket_connected, "the restarted bot on Slack")

    def log_lines(self, text: str) -> list[str]:
        """Lines containing `text` that any bot process of this test wrote."""
        return [line for line in self.earlier_logs + self.bot.stderr if text in line]

    async def level(self, provider: str) -> Level:
        store = Store(f"sqlite+aiosqlite:///{self.db}")
        await store.initialize(migrate=False)
        try:
            return (await store.signals.load_fusion(provider)).state.level
        finally:
            await store.aclose()

    async def probe_failing(self, provider: str) -> bool:
        store = Store(f"sqlite+aiosqlite:///{self.db}")
        await store.initialize(migrate=False)
        try:
            window = await store.signals.probe_window(f"{provider}:API")
            return window is not None and window.failing
        finally:
            await store.aclose()

    async def metrics(self) -> str:
        url = f"http://127.0.0.1:{self.health_port}/metrics"
        async with aiohttp.ClientSession() as session, session.get(url) as response:
            return await response.text()

    async def readyz(self) -> tuple[int, dict[str, Any]]:
        url = f"http://127.0.0.1:{self.health_port}/readyz"
        async with aiohttp.ClientSession() as session, session.get(url) as response:
            return response.status, await response.json()

    def slack_click(self, user: str, channel: str, action: str, provider: str) -> dict[str, Any]:
        """A real block_actions payload with our button, person and channel in it."""
        payload = copy.deepcopy(SLACK_CLICK)
        payload["user"].update(id=user, team_id=self.slack.team_id)
        payload["team"]["id"] = self.slack.team_id
        payload["channel"]["id"] = channel
        payload["container"]["channel_id"] = channel
        payload["actions"][0].update(action_id=action, value=provider, block_id="crowd")
        return payload

    def channel_posts(self) -> int:
        slack = sum(len(self.slack.messages(c)) for c in SLACK_CHANNELS)
        discord = sum(len(self.discord.messages(c)) for c in self.discord_channels)
        return slack + discord


def config(world_dir: Path, page: FakeStatusPage, apis: FakeProviderAPIs, **chat: Any) -> Path:
    providers = {}
    for key, name in PROVIDERS.items():
        source = {"kind": "statuspage", "url": page.url(f"/{key}/summary.json"), "interval": 1}
        probe = {**probe_config(apis.base_url, key), "interval": 1, "timeout": 1}
        providers[key] = {"name": name, "sources": [source], "probes": [probe]}
    return write_config(
        world_dir / "config.yaml",
        {
            "store": {"url": f"sqlite+aiosqlite:///{world_dir / 'bot.db'}"},
            "providers": providers,
            "early_warning": {
                "crowd": {"min_users": 3, "min_channels": 2, "window": 600, "click_every": 30},
                "probes": {"failing_after": 2},
                # Longer than a probe interval: a network outage reaches every probe within
                # one interval, so it is ours before any one probe's failures count.
                "sustain": 4,
                "clear_after": 1,
                "hold": 0,
            },
            "console": {"enabled": False},
            **chat,
        },
    )


@pytest.fixture
async def world(tmp_path: Path) -> AsyncIterator[World]:
    page = FakeStatusPage()
    apis = FakeProviderAPIs()
    slack = FakeSlack(bot_token=SLACK_BOT_TOKEN, app_token=SLACK_APP_TOKEN)
    discord = FakeDiscord(token=DISCORD_TOKEN)
    await page.start()
    await apis.start()
    await slack.start()
    await discord.start()
    for key in PROVIDERS:
        page.set_payload(f"/{key}/summary.json", OPERATIONAL)
    for channel in SLACK_CHANNELS:
        slack.set_channel(channel)
    guild_id, channels = discord.add_guild("Signals", 2)
    health_port = free_port()
    path = config(
        tmp_path,
        page,
        apis,
        slack={
            "bot_token": "${SLACK_BOT_TOKEN}",
            "app_token": "${SLACK_APP_TOKEN}",
            "api_url": slack.api_url,
        },
        discord={
            "token": "${DISCORD_TOKEN}",
            "guild_ids": [guild_id],
            "api_base_url": discord.api_base_url,
            "gateway_url": discord.gateway_url,
        },
        health={"host": "127.0.0.1", "port": health_port},
    )
    env = {
        "SLACK_BOT_TOKEN": SLACK_BOT_TOKEN,
        "SLACK_APP_TOKEN": SLACK_APP_TOKEN,
        "DISCORD_TOKEN": DISCORD_TOKEN,
    }
    world = World(
        page,
        apis,
        slack,
        discord,
        guild_id,
        channels,
        await BotProcess(path, env=env).start(),
        tmp_path / "bot.db",
        health_port,
        path,
        env,
    )
    try:
        await until(lambda: slack.socket_connected, "the bot on Slack")
        await until(lambda: discord.guild_commands.get(guild_id), "the bot's Discord commands")
        await discord.wait_identified(20)
        yield world
    finally:
        await world.bot.kill()
        print("the bot's last log lines:", *world.bot.stderr[-60:], sep="\n")  # on failure
        await discord.stop()
        await slack.aclose()
        await apis.stop()
        await page.stop()


async def test_the_crowd_probes_and_our_network_in_the_running_bot(world: World) -> None:
    slack, discord = world.slack, world.discord
    c1, c2 = SLACK_CHANNELS
    await until(lambda: world.apis.hits["google"] >= 3, "the probes running on their interval")

    # --- Slack: an ask counts, its answer carries the buttons --------------------------------
    asked = await slack.slash_command("/is-chatgpt-down", "", channel_id=c1, user_id="U0ASK")
    answer = asked.responses[-1]
    assert answer["response_type"] == "ephemeral"
    assert answer["text"].startswith("✅ OpenAI is operational"), answer["text"]
    buttons = [
        b for block in answer["blocks"] if block["type"] == "actions" for b in block["elements"]
    ]
    assert [(b["action_id"], b["value"]) for b in buttons] == [
        ("crowd_down", "openai"),
        ("crowd_works", "openai"),
    ]
    assert "Up right now" not in answer["text"]  # OpenAI is up: no alternatives offered

    # --- Slack: a click is thanked privately with the count, paced per person ----------------
    run = await slack.block_action(world.slack_click("U0ALICE", c1, "crowd_down", "openai"))
    thanks = run.responses[-1]
    assert thanks["text"] == "Thanks — 2 people in 1 channel report this."
    assert thanks["response_type"] == "ephemeral"
    assert thanks["replace_original"] is False
    again = await slack.block_action(world.slack_click("U0ALICE", c1, "crowd_down", "openai"))
    assert again.responses[-1]["text"] == (
        "Thanks — you told me a moment ago; that counts once. 2 people in 1 channel report this."
    )

    # --- Discord: the answer carries the buttons; a click is thanked privately ----------------
    d1 = world.discord_channels[0]
    reply = await discord.interact("is-chatgpt-down", {"provider": "chatgpt"}, channel_id=d1)
    assert reply.ephemeral
    custom_ids = [c["custom_id"] for row in reply.message["components"] for c in row["components"]]
    assert custom_ids == ["crowd:down:openai", "crowd:works:openai"]
    message = discord.reply_message(reply, d1)
    clicked = await discord.click(d1, message, "crowd:down:openai", user_id=4242)
    assert clicked.ephemeral
    assert clicked.content == "Thanks — 4 people in 2 channels report this."
    clicked = await discord.click(d1, message, "crowd:down:openai", user_id=4242)
    assert "that counts once" in clicked.content
    works = await slack.block_action(world.slack_click("U0BOB", c2, "crowd_works", "openai"))
    assert works.responses[-1]["text"] == (
        "Thanks — noted that OpenAI works for you. 4 people in 2 channels report a problem."
    )
    assert world.channel_posts() == 0  # clicks and asks never post to a channel

    # --- The crowd alone: a spike, no suspicion -------------------------------------------------
    asked = await slack.slash_command("/is-chatgpt-down", "", channel_id=c2, user_id="U0CAROL")
    assert asked.responses[-1]["text"].startswith("✅ OpenAI is operational")
    assert "5 people in 3 channels across 2 workspaces report it" in asked.responses[-1]["text"]
    assert await world.level("openai") is Level.OPERATIONAL

    # --- Every provider failing at once: our own network ---------------------------------------
    world.apis.set_mode("all", "error")
    status, body = await until(lambda: _not_ready(world), "/readyz to say our network is down")
    assert status == 503
    assert body["checks"]["network"] is False
    for _ in range(2):
        asked = await slack.slash_command("/is-chatgpt-down", "", channel_id=c2, user_id="U0DAN")
    text = asked.responses[-1]["text"]
    assert text.startswith("✅ OpenAI is operational"), text
    assert "fault is probably on our side" in text
    assert await world.level("openai") is Level.OPERATIONAL
    lines = [line for line in world.bot.stderr if "our own network is probably down" in line]
    assert len(lines) == 1, world.bot.stderr[-20:]

    # --- OpenAI's probe failing while the crowd reports it: a suspicion ------------------------
    world.apis.set_mode("all", "up")
    await until(lambda: _ready(world), "/readyz to be ready again")
    world.apis.set_mode("openai", "error")

    async def suspected() -> bool:
        return await world.level("openai") is Level.SUSPECTED

    await until(suspected, "OpenAI to be suspected")
    asked = await slack.slash_command("/is-chatgpt-down", "", channel_id=c1, user_id="U0EVE")
    text = asked.responses[-1]["text"]
    assert text.startswith("⚠️ Probably yes — OpenAI hasn't confirmed it yet: "), text
    assert "1 of 1 probes failing since" in text
    assert "people in 3 channels across 2 workspaces report it" in text
    assert _alternatives(text) == ["Anthropic", "Google"]
    reply = await discord.interact("is-chatgpt-down", {"provider": "openai"}, channel_id=d1)
    assert reply.embeds[0]["title"].startswith("⚠️ Probably yes — OpenAI hasn't confirmed it yet")

    # --- Anthropic's probe failing alone: nothing ------------------------------------------------
    world.apis.set_mode("anthropic", "error")
    await until(lambda: world.probe_failing("anthropic"), "Anthropic's probe to fail")
    await until(lambda: _ready(world), "/readyz: two of three providers failing is not us")
    assert await world.level("anthropic") is Level.OPERATIONAL
    assert world.channel_posts() == 0


async def _not_ready(world: World) -> tuple[int, dict[str, Any]] | None:
    status, body = await world.readyz()
    return (status, body) if status == 503 else None


async def _ready(world: World) -> bool:
    status, _body = await world.readyz()
    return status == 200


def _alternatives(text: str) -> list[str]:
    """The providers named on the "Up right now" line, each with its probe latency."""
    line = next(x for x in text.splitlines() if x.startswith("Up right now: "))
    names = []
    for part in line.removeprefix("Up right now: ").split(" · "):
        name, mark, latency = part.split(" ", 2)
        assert mark == "✅"
        assert latency.endswith(" ms"), part
        names.append(name)
    return names


async def test_a_suspicion_survives_a_crash_and_each_change_is_told_once(world: World) -> None:
    c1, c2 = SLACK_CHANNELS
    for n, channel in enumerate((c1, c2, c1)):
        await world.slack.block_action(
            world.slack_click(f"U0D{n}", channel, "crowd_down", "openai")
        )
    world.apis.set_mode("openai", "error")

    async def level_is(level: Level) -> bool:
        return await world.level("openai") is level

    await until(lambda: level_is(Level.SUSPECTED), "OpenAI to be suspected")
    await until(lambda: world.log_lines("openai suspected:"), "the change to be told")
    assert 'statusbot_fused_level{provider="openai"} 1.0' in await world.metrics()
    await world.restart()
    hits = world.apis.hits["openai"]
    await until(lambda: world.apis.hits["openai"] >= hits + 3, "the restarted bot probing")
    assert await world.level("openai") is Level.SUSPECTED  # stored, not forgotten
    assert len(world.log_lines("openai suspected:")) == 1  # and not told again

    # The signals clear: more people say it works than that it is down, the probe answers.
    for n in range(4):
        await world.slack.block_action(world.slack_click(f"U0W{n}", c2, "crowd_works", "openai"))
    world.apis.set_mode("openai", "up")
    await until(lambda: level_is(Level.OPERATIONAL), "the suspicion to be called off")
    await until(lambda: world.log_lines("openai retracted:"), "the retraction to be told")
    assert len(world.log_lines("openai retracted:")) == 1
    assert world.channel_posts() == 0  # no channel here opted in to early cards
