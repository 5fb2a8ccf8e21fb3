"""A hostile page against the real bot: nothing it writes pings anyone or relabels a link.

The real `python -m bot run` process polls a fake page whose incident title, update,
component and shortlink carry Slack mentions, Discord pings, masked links and escape codes;
it delivers to the fake Slack (Socket Mode) and the fake Discord at once.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from fakes.discord import FakeDiscord
from fakes.pages import SUMMARY_PATH as SUMMARY
from fakes.slack import FakeSlack
from fakes.statuspage import FakeStatusPage
from tests.botproc import bot_writing_log
from tests.discord.test_commands import BOT_OK, MANAGE_CHANNELS
from tests.security.hostile import (
    DISCORD_LIVE,
    DISCORD_MASKED_LINK,
    SLACK_LIVE,
    hostile_summary,
    quiet_summary,
)
from tests.waiting import until

pytestmark = pytest.mark.slow

SLACK_TOKEN, APP_TOKEN, DISCORD_TOKEN = "xoxb-hostile-bot", "xapp-hostile-app", "hostile-dc-token"
ALERTS = "C0ALERTS"


@pytest.fixture
async def page() -> AsyncIterator[FakeStatusPage]:
    async with FakeStatusPage() as fake:
        fake.set_payload(SUMMARY, quiet_summary())
        yield fake


@pytest.fixture
async def slack() -> AsyncIterator[FakeSlack]:
    async with FakeSlack(bot_token=SLACK_TOKEN, app_token=APP_TOKEN) as fake:
        yield fake


@pytest.fixture
async def discord_fake() -> AsyncIterator[FakeDiscord]:
    async with FakeDiscord(token=DISCORD_TOKEN) as fake:
        fake.add_guild("Test server", channels=1)
        yield fake


@pytest.fixture
async def bot(
    tmp_path: Path, page: FakeStatusPage, slack: FakeSlack, discord_fake: FakeDiscord
) -> AsyncIterator[Path]:
    guild_id = next(iter(discord_fake.guilds))
    source = {"kind": "statuspage", "url": page.url(SUMMARY), "interval": 1, "flap_window": 0}
    config = {
        "store": {"url": f"sqlite+aiosqlite:///{tmp_path / 'bot.db'}"},
        "providers": {"openai": {"name": "OpenAI", "aliases": ["chatgpt"], "sources": [source]}},
        "slack": {
            "bot_token": "${SLACK_BOT_TOKEN}",
            "app_token": "${SLACK_APP_TOKEN}",
            "api_url": slack.api_url,
        },
        "discord": {
            "token": "${DISCORD_TOKEN}",
            "guild_ids": [guild_id],
            "api_base_url": discord_fake.api_base_url,
            "gateway_url": discord_fake.gateway_url,
        },
    }
    config_file = tmp_path / "config.yaml"
    config_file.write_text(yaml.safe_dump(config))
    log_file = tmp_path / "bot.log"
    env = {"SLACK_BOT_TOKEN": SLACK_TOKEN, "SLACK_APP_TOKEN": APP_TOKEN}
    env["DISCORD_TOKEN"] = DISCORD_TOKEN
    async with bot_writing_log(config_file, log_file, env) as process:
        await until(lambda: slack.socket_connected or process.returncode is not None, "slack")
        await discord_fake.wait_identified(20)
        assert process.returncode is None, log_file.read_text()
        yield log_file


def _slack_texts(slack: FakeSlack) -> list[str]:
    """Every `text` and block text the bot sent to Slack, edits and command answers included."""
    out = []
    for method in ("chat.postMessage", "chat.update"):
        for call in slack.calls_to(method):
            out.append(str(call.args.get("text", "")))
            out.append(json.dumps(call.args.get("blocks"), ensure_ascii=False))
    return out


async def test_hostile_page_pings_nobody_and_links_nowhere(
    page: FakeStatusPage, slack: FakeSlack, discord_fake: FakeDiscord, bot: Path
) -> None:
    channel_id = discord_fake.guilds[next(iter(discord_fake.guilds))][0]
    run = await slack.slash_command("/statusbot", "subscribe chatgpt", channel_id=ALERTS)
    assert "Subscribed" in run.text, run.text
    reply = await discord_fake.interact(
        "statusbot", {"providers": "chatgpt"}, subcommand="subscribe", channel_id=channel_id,
        permissions=MANAGE_CHANNELS, app_permissions=BOT_OK,
    )  # fmt: skip
    assert "Subscribed" in reply.content
    await until(lambda: page.count(SUMMARY) >= 2, "the silent baseline poll")

    page.set_payload(SUMMARY, hostile_summary())
    await until(lambda: slack.top_level(ALERTS), "the Slack card")
    await until(lambda: discord_fake.messages(channel_id), "the Discord card")
    asked = await slack.slash_command("/is-chatgpt-down", "public", channel_id=ALERTS)
    assert "Errors" in asked.text
    page.set_payload(SUMMARY, hostile_summary(resolved=True))
    card = slack.top_level(ALERTS)[0]
    await until(lambda: [r for r in slack.replies(ALERTS, card.ts) if r.reply_broadcast], "notice")
    await until(lambda: len(discord_fake.messages(channel_id)) >= 2, "the Discord notice")

    # Slack: the text is there, shown as written, but nothing in it is live.
    sent = _slack_texts(slack) + [str(r.get("text", "")) for r in asked.responses]
    sent += [json.dumps(r.get("blocks"), ensure_ascii=False) for r in asked.responses]
    assert any("&lt;!channel&gt;" in text for text in sent)
    for text in sent:
        for live in SLACK_LIVE:
            assert live not in text, f"live {live!r} reached Slack: {text[:300]}"
    # The shortlink tried to relabel a phishing link: no link is better than that one.
    assert "Official status page>" not in json.dumps(card.blocks)
    assert "stspg.io" not in json.dumps(card.blocks)

    # Discord: every message says "ping nobody", and the text cannot ping or mask a link.
    writes = discord_fake.calls_to("POST /channels/{channel}/messages")
    writes += discord_fake.calls_to("PATCH /channels/{channel}/messages/{message}")
    assert len(writes) >= 3
    for call in writes:
        assert call.body["allowed_mentions"]["parse"] == [], call.body
        assert not call.body["allowed_mentions"].get("roles"), call.body
        assert not call.body["allowed_mentions"].get("users"), call.body
    shown = [_discord_text(call.body) for call in writes]
    for text in shown:
        for live in DISCORD_LIVE:
            assert live not in text, f"live {live!r} reached Discord: {text[:300]}"
        assert not DISCORD_MASKED_LINK.search(text), text[:300]
    assert any("Errors" in text for text in shown)


def _discord_text(body: dict[str, Any]) -> str:
    parts = [str(body.get("content") or "")]
    for embed in body.get("embeds") or []:
        parts += [str(embed.get("title") or ""), str(embed.get("description") or "")]
        parts += [f"{f.get('name')}\n{f.get('value')}" for f in embed.get("fields") or []]
    return "\n".join(parts)
