"""Replays and foreign workspaces, against the real bot in Slack HTTP mode across a restart.

A captured, correctly signed `/statusbot unsubscribe` is refused (401) when replayed within
Slack's 5-minute window, also after the bot restarted; a signed request from a workspace the
bot is not installed in cannot list, change or remove a real channel's subscriptions.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from pathlib import Path
from urllib.parse import urlencode

import pytest
import yaml

from fakes.slack import FakeSlack, SlashRun
from tests.botproc import bot_writing_log
from tests.security.rawhttp import post, raw_request
from tests.security.test_junk_requests import (
    BOT_TOKEN,
    FORM,
    PATH,
    SIGNING_SECRET,
    free_port,
    signed,
)
from tests.waiting import until

pytestmark = pytest.mark.slow

CHANNEL = "C0REAL"


class Bot:
    def __init__(self, tmp_path: Path, slack: FakeSlack) -> None:
        self.port = free_port()
        self.slack = slack
        self.config = tmp_path / "config.yaml"
        self.config.write_text(
            yaml.safe_dump(
                {
                    "store": {"url": f"sqlite+aiosqlite:///{tmp_path / 'bot.db'}"},
                    "providers": {
                        "openai": {
                            "name": "OpenAI",
                            "aliases": ["chatgpt"],
                            "sources": [{"kind": "statuspage", "url": "http://127.0.0.1:9/s.json"}],
                        }
                    },
                    "slack": {
                        "bot_token": "${SLACK_BOT_TOKEN}",
                        "mode": "http",
                        "signing_secret": "${SLACK_SIGNING_SECRET}",
                        "api_url": slack.api_url,
                        "http": {"host": "127.0.0.1", "port": self.port, "path": PATH},
                    },
                    "console": {"enabled": False},
                }
            )
        )
        self.log = tmp_path / "bot.log"

    @contextlib.asynccontextmanager
    async def running(self) -> AsyncIterator[None]:
        env = {"SLACK_BOT_TOKEN": BOT_TOKEN, "SLACK_SIGNING_SECRET": SIGNING_SECRET}
        async with bot_writing_log(self.config, self.log, env) as process:
            await until(lambda: "statusbot started" in self.log.read_text() or process.returncode)
            assert process.returncode is None, self.log.read_text()
            yield

    def command(self, text: str, team_id: str | None = None) -> tuple[SlashRun, bytes]:
        """A signed /statusbot request, as captured on the wire: (its run, its bytes)."""
        run, payload = self.slack.slash_form(
            "/statusbot", text, channel_id=CHANNEL, user_id="U0ADMIN", team_id=team_id
        )
        body = urlencode(payload).encode()
        return run, post(PATH, body, {"Content-Type": FORM, **signed(body)})

    async def send(self, request: bytes) -> int | None:
        return await raw_request(self.port, request)

    async def listed(self) -> str:
        run, request = self.command("list")
        assert await self.send(request) == 200
        await run.wait_response()
        return str(run.text)


@pytest.fixture
async def slack() -> AsyncIterator[FakeSlack]:
    async with FakeSlack(bot_token=BOT_TOKEN, app_token="xapp-unused") as fake:
        yield fake


async def test_captured_request_is_refused_after_a_restart(
    tmp_path: Path, slack: FakeSlack
) -> None:
    bot = Bot(tmp_path, slack)
    _, subscribe = bot.command("subscribe chatgpt")
    _, unsubscribe = bot.command("unsubscribe")
    async with bot.running():
        assert await bot.send(subscribe) == 200
        await until(lambda: "OpenAI" in "".join(r.text for r in slack.slash_runs.values()))
        assert await bot.send(unsubscribe) == 200
        assert await bot.send(unsubscribe) == 401  # replayed in the same process
        _, again = bot.command("subscribe chatgpt")
        assert await bot.send(again) == 200
        assert "OpenAI" in await bot.listed()

    async with bot.running():
        assert await bot.send(unsubscribe) == 401, "a replay was accepted after a restart"
        assert await bot.send(subscribe) == 401
        assert "OpenAI" in await bot.listed()


async def test_another_workspace_cannot_touch_real_channels(
    tmp_path: Path, slack: FakeSlack
) -> None:
    bot = Bot(tmp_path, slack)
    async with bot.running():
        _, subscribe = bot.command("subscribe chatgpt")
        assert await bot.send(subscribe) == 200
        # The 200 is the ack; the subscription is written while the answer is prepared.
        await until(lambda: "OpenAI" in "".join(r.text for r in slack.slash_runs.values()))
        assert "OpenAI" in await bot.listed()

        for text in ("unsubscribe", "list", "subscribe chatgpt min:major remind:0"):
            run, foreign = bot.command(text, team_id="T0OTHER")
            assert await bot.send(foreign) == 401, text
            assert not run.responses
        listed = await bot.listed()
        assert "OpenAI" in listed
        assert "major" not in listed
