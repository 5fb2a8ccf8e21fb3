"""End to end: the real bot process, the fake Slack, the fake Discord, a fake status page and
fake provider APIs; people ask `/is-chatgpt-down` in Slack channels (every ask counts).

An `early` channel gets the unconfirmed card, which becomes the official card when the page
confirms, with the lag on it; a false alarm is said on the same card; a channel without
`early` sees only the official story; the crowd alone, the probes alone, or every provider
failing at once (our own network) never produce a card.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import yaml

from fakes.discord import FakeDiscord
from fakes.pages import Incident, SummaryPage
from fakes.provider_api import FakeProviderAPIs, probe_config
from fakes.slack import FakeSlack
from fakes.statuspage import FakeStatusPage
from tests.botproc import bot_writing_log
from tests.discord.conftest import TOKEN
from tests.discord.test_commands import BOT_OK, MANAGE_CHANNELS
from tests.slack.conftest import APP_TOKEN, BOT_TOKEN
from tests.waiting import DEADLINE_SCALE, until

pytestmark = pytest.mark.slow

OPENAI, ANTHROPIC = "/openai/summary.json", "/anthropic/summary.json"
EARLY, PLAIN = "C0EARLY", "C0PLAIN"
TITLE = "Elevated error rates for ChatGPT"
HEADLINE = "⚠️ ChatGPT may be down — not confirmed by OpenAI yet"
CROWD_WINDOW_S = 60  # the shortest crowd window the config allows
# Long enough for failing probes to count (failing_after 2 at 1 s, sustain 1 s) and for the
# bot to fuse a few times after that.
SETTLE_S = 6.0


def summary(name: str, incident: bool) -> bytes:
    page = SummaryPage(name).component("ChatGPT", "major_outage" if incident else "operational")
    if incident:
        started = datetime.now(UTC)
        opened = Incident("inc1", TITLE, started_at=started, components=("ChatGPT",))
        opened.update("investigating", "We are looking into it.", started)
        page.add(opened)
    return page.encode()


@pytest.fixture
async def slack() -> AsyncIterator[FakeSlack]:
    async with FakeSlack(bot_token=BOT_TOKEN, app_token=APP_TOKEN) as fake:
        yield fake


@pytest.fixture
async def discord_fake() -> AsyncIterator[FakeDiscord]:
    async with FakeDiscord(token=TOKEN) as server:
        server.add_guild("Test server", channels=2)
        yield server


@pytest.fixture
async def pages() -> AsyncIterator[FakeStatusPage]:
    async with FakeStatusPage() as fake:
        fake.set_payload(OPENAI, summary("OpenAI", incident=False))
        fake.set_payload(ANTHROPIC, summary("Anthropic", incident=False))
        yield fake


@pytest.fixture
async def apis() -> AsyncIterator[FakeProviderAPIs]:
    async with FakeProviderAPIs() as fake:
        yield fake


def config(
    tmp_path: Path, slack: FakeSlack, fake: FakeDiscord, pages: FakeStatusPage, apis: Any
) -> dict[str, Any]:
    def source(path: str) -> dict[str, Any]:
        return {"kind": "statuspage", "url": pages.url(path), "interval": 1, "flap_window": 0}

    def probe(which: str) -> dict[str, Any]:
        return {**probe_config(apis.base_url, which), "interval": 1, "timeout": 2}

    return {
        "store": {"url": f"sqlite+aiosqlite:///{tmp_path / 'bot.db'}"},
        "providers": {
            "openai": {
                "name": "OpenAI",
                "aliases": ["chatgpt"],
                "sources": [source(OPENAI)],
                "probes": [probe("openai"), probe("chatgpt")],
            },
            "anthropic": {
                "name": "Anthropic",
                "aliases": ["claude"],
                "sources": [source(ANTHROPIC)],
                "probes": [probe("anthropic")],
            },
        },
        "early_warning": {
            "crowd": {"min_users": 3, "min_channels": 2, "window": CROWD_WINDOW_S},
            "probes": {"failing_after": 2},
            "hold": 0,
            "sustain": 1,
            "clear_after": 1,
        },
        "slack": {
            "bot_token": "${SLACK_BOT_TOKEN}",
            "app_token": "${SLACK_APP_TOKEN}",
            "api_url": slack.api_url,
        },
        "discord": {
            "token": "${DISCORD_TOKEN}",
            "guild_ids": [next(iter(fake.guilds))],
            "api_base_url": fake.api_base_url,
            "gateway_url": fake.gateway_url,
        },
        "console": {"enabled": False},
    }


class Chat:
    """Both fakes, with the four channels of the story."""

    def __init__(self, slack: FakeSlack, discord_fake: FakeDiscord) -> None:
        self.slack = slack
        self.discord = discord_fake
        guild = next(iter(discord_fake.guilds))
        self.d_early, self.d_plain = discord_fake.guilds[guild][:2]

    async def subscribe(self) -> None:
        for channel, words in ((EARLY, "chatgpt early"), (PLAIN, "chatgpt")):
            run = await self.slack.slash_command(
                "/statusbot", f"subscribe {words}", channel_id=channel
            )
            assert "Subscribed this channel to OpenAI" in run.text, run.text
        for channel, early in ((self.d_early, True), (self.d_plain, False)):
            options: dict[str, Any] = {"providers": "chatgpt"}
            if early:
                options["early"] = True
            reply = await self.discord.interact(
                "statusbot", options, subcommand="subscribe", channel_id=channel,
                permissions=MANAGE_CHANNELS, app_permissions=BOT_OK,
            )  # fmt: skip
            assert "Subscribed this channel to OpenAI" in reply.content

    async def people_ask(self, round_: int) -> None:
        """Six people in three Slack channels ask whether ChatGPT is down. (The first ask on
        a quiet bot teaches the crowd's baseline one person, so a spike then takes five.)"""
        for n, channel in enumerate(["C0ASK1"] * 2 + ["C0ASK2"] * 2 + ["C0ASK3"] * 2):
            await self.slack.slash_command(
                "/is-chatgpt-down", "", channel_id=channel, user_id=f"U{round_}{n}"
            )

    def cards(self) -> dict[str, int]:
        """How many cards each channel holds (Discord's restoration notice is not one)."""
        return {
            EARLY: len(self.slack.top_level(EARLY)),
            PLAIN: len(self.slack.top_level(PLAIN)),
            "d-early": len(self._discord_cards(self.d_early)),
            "d-plain": len(self._discord_cards(self.d_plain)),
        }

    def slack_card(self, channel: str, index: int = -1) -> str:
        return str(self.slack.top_level(channel)[index].blocks)

    def discord_card(self, channel: int, index: int = -1) -> dict[str, Any]:
        card: dict[str, Any] = self._discord_cards(channel)[index]["embeds"][0]
        return card

    def _discord_cards(self, channel: int) -> list[dict[str, Any]]:
        return [m for m in self.discord.messages(channel) if m.get("embeds")]


async def settle() -> None:
    await asyncio.sleep(SETTLE_S * DEADLINE_SCALE)


async def test_the_early_card_story_on_slack_and_discord(
    tmp_path: Path,
    slack: FakeSlack,
    discord_fake: FakeDiscord,
    pages: FakeStatusPage,
    apis: FakeProviderAPIs,
) -> None:
    config_file = tmp_path / "config.yaml"
    config_file.write_text(yaml.safe_dump(config(tmp_path, slack, discord_fake, pages, apis)))
    env = {"SLACK_BOT_TOKEN": BOT_TOKEN, "SLACK_APP_TOKEN": APP_TOKEN, "DISCORD_TOKEN": TOKEN}
    log_file = tmp_path / "bot.log"
    async with bot_writing_log(config_file, log_file, env) as process:
        await until(lambda: slack.socket_connected or process.returncode is not None, "slack")
        await discord_fake.wait_identified(20)
        assert process.returncode is None, log_file.read_text()
        chat = Chat(slack, discord_fake)
        await chat.subscribe()
        nothing = {EARLY: 0, PLAIN: 0, "d-early": 0, "d-plain": 0}

        # 1. The crowd alone: no card anywhere.
        await chat.people_ask(1)
        await settle()
        assert chat.cards() == nothing, log_file.read_text()

        # 2. One of our probes fails too: the early channels get the unconfirmed card, no one
        #    else.
        apis.set_mode("openai", "error")
        await until(lambda: chat.cards()[EARLY] and chat.cards()["d-early"], "the early cards")
        assert HEADLINE in chat.slack_card(EARLY)
        assert "1 of 2 probes failing" in chat.slack_card(EARLY)
        assert "6 people in 3 channels report it" in chat.slack_card(EARLY)
        assert chat.discord_card(chat.d_early)["title"] == HEADLINE
        assert (chat.cards()[PLAIN], chat.cards()["d-plain"]) == (0, 0)

        # 3. The probe recovers and the crowd's window passes: a false alarm, on the same card.
        apis.set_mode("openai", "up")
        await until(
            lambda: "False alarm" in chat.slack_card(EARLY),
            "the false alarm",
            within=CROWD_WINDOW_S + 30,
        )
        assert "never confirmed it" in chat.slack_card(EARLY)
        await until(lambda: "False alarm" in chat.discord_card(chat.d_early)["title"], "discord")
        assert chat.cards() == {**nothing, EARLY: 1, "d-early": 1}

        # 4. A probe failing alone: nothing new. (Several failing hard together are a
        #    suspicion on their own: step 8 shows them ignored when every provider fails.)
        apis.set_mode("openai", "error")
        await settle()
        assert chat.cards() == {**nothing, EARLY: 1, "d-early": 1}

        # 5. People ask again: a second early card, and the page confirms on that same card.
        await chat.people_ask(2)
        await until(lambda: chat.cards()[EARLY] == 2 and chat.cards()["d-early"] == 2, "cards")
        early_ts = slack.top_level(EARLY)[-1].ts
        pages.set_payload(OPENAI, summary("OpenAI", incident=True))
        await until(lambda: TITLE in chat.slack_card(EARLY), "the official card, in place")
        await until(lambda: chat.cards()[PLAIN] and chat.cards()["d-plain"], "plain cards")
        await until(lambda: TITLE in str(chat.discord_card(chat.d_early)), "discord, in place")
        assert slack.top_level(EARLY)[-1].ts == early_ts
        assert chat.cards() == {EARLY: 2, PLAIN: 1, "d-early": 2, "d-plain": 1}
        for text in (chat.slack_card(EARLY), str(chat.discord_card(chat.d_early))):
            assert "Official lag" in text
            assert "OpenAI confirmed this within a minute of our first signal" in text
            assert "not confirmed" not in text
        # The plain channels never saw a suspicion.
        assert "may be down" not in chat.slack_card(PLAIN)
        assert "may be down" not in str(chat.discord_card(chat.d_plain))

        # 6. Our probes see recovery before the page: said in the early card's thread only.
        apis.set_mode("openai", "up")
        await until(
            lambda: any(
                "Our probes see OpenAI answering again" in r.text
                for r in slack.replies(EARLY, early_ts)
            ),
            "probes recovered, in the thread",
        )
        assert not any("Our probes" in str(m.blocks) for m in slack.messages(PLAIN))

        # 7. The page resolves: the same card turns green.
        pages.set_payload(OPENAI, summary("OpenAI", incident=False))
        await until(lambda: "Restored after" in chat.slack_card(EARLY), "restored")
        assert slack.top_level(EARLY)[-1].ts == early_ts
        await until(lambda: "Restored after" in chat.discord_card(chat.d_early)["title"], "d")
        restored = str(chat.discord_card(chat.d_early))
        assert "OpenAI confirmed this within a minute of our first signal" in restored

        # 8. Every provider's probes fail at once, and people ask: it is our network, no card.
        apis.set_mode("anthropic", "error")
        await settle()
        apis.set_mode("openai", "error")
        apis.set_mode("chatgpt", "error")
        await chat.people_ask(3)
        await settle()
        assert chat.cards() == {EARLY: 2, PLAIN: 1, "d-early": 2, "d-plain": 1}
        assert "our own network is probably down" in log_file.read_text()
