"""End to end: the real `python -m bot run` process, a fake status page and the fake Slack.

Subscribe by slash command -> the page degrades -> one card -> an official update edits it
and replies in its thread -> resolution turns it green with a broadcast duration notice.
A channel deleted mid-incident gets its subscription disabled; the others keep their cards.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
import yaml

from fakes.pages import SUMMARY_PATH as SUMMARY
from fakes.pages import Incident, SummaryPage
from fakes.slack import FakeSlack
from fakes.statuspage import FakeStatusPage
from tests.botproc import bot_writing_log
from tests.slack.conftest import APP_TOKEN, BOT_TOKEN
from tests.waiting import until

pytestmark = pytest.mark.slow

ALERTS, DOOMED = "C0ALERTS", "C0DOOMED"
INCIDENT_TITLE = "Elevated error rates for ChatGPT"


def summary(component_status: str, updates: list[tuple[str, str]] = ()) -> bytes:
    """A Statuspage summary.json; `updates` (status, body) oldest first open one incident."""
    page = SummaryPage("OpenAI").component("ChatGPT", component_status).component("API")
    if updates:
        incident = Incident("inc1", INCIDENT_TITLE, started_at=STARTED, components=("ChatGPT",))
        for status, body in updates:
            incident.update(status, body, datetime.now(UTC))
        page.add(incident)
    return page.encode()


STARTED = datetime.now(UTC)


@pytest.fixture
async def page() -> AsyncIterator[FakeStatusPage]:
    async with FakeStatusPage() as fake:
        fake.set_payload(SUMMARY, summary("operational"))
        yield fake


@pytest.fixture
async def bot(tmp_path: Path, slack: FakeSlack, page: FakeStatusPage) -> AsyncIterator[Path]:
    """The real bot process; yields its log file."""
    config = {
        "store": {"url": f"sqlite+aiosqlite:///{tmp_path / 'bot.db'}"},
        "providers": {
            "openai": {
                "name": "OpenAI",
                "aliases": ["chatgpt"],
                "sources": [
                    {
                        "kind": "statuspage",
                        "url": page.url(SUMMARY),
                        "interval": 1,
                        "flap_window": 0,
                        "timeout": 2,
                    }
                ],
            }
        },
        "slack": {
            "bot_token": "${SLACK_BOT_TOKEN}",
            "app_token": "${SLACK_APP_TOKEN}",
            "api_url": slack.api_url,
        },
        "console": {"enabled": False},
    }
    config_file = tmp_path / "config.yaml"
    config_file.write_text(yaml.safe_dump(config))
    log_file = tmp_path / "bot.log"
    env = {"SLACK_BOT_TOKEN": BOT_TOKEN, "SLACK_APP_TOKEN": APP_TOKEN}
    async with bot_writing_log(config_file, log_file, env) as process:
        await until(lambda: slack.socket_connected or process.returncode is not None, "connect")
        assert process.returncode is None, log_file.read_text()
        yield log_file


async def test_incident_lifecycle_in_slack(
    slack: FakeSlack, page: FakeStatusPage, bot: Path
) -> None:
    for channel in (ALERTS, DOOMED):
        run = await slack.slash_command("/statusbot", "subscribe chatgpt", channel_id=channel)
        assert "Subscribed this channel to OpenAI" in run.text, run.text
    await until(lambda: page.count(SUMMARY) >= 1, "the silent baseline poll")

    # The page degrades: one card per channel, with the official text in its thread.
    page.set_payload(
        SUMMARY,
        summary("partial_outage", [("investigating", "We are investigating errors.")]),
    )
    for channel in (ALERTS, DOOMED):
        await until(lambda c=channel: slack.top_level(c), f"the card in {channel}")
    card = slack.top_level(ALERTS)[0]
    assert INCIDENT_TITLE in str(card.blocks)
    assert card.metadata["event_type"] == "statusbot_delivery"

    # The channel disappears; a new official update edits the surviving card in place.
    slack.delete_channel(DOOMED)
    page.set_payload(
        SUMMARY,
        summary(
            "partial_outage",
            [
                ("investigating", "We are investigating errors."),
                ("identified", "A bad deploy was identified; rolling back."),
            ],
        ),
    )
    await until(
        lambda: any("rolling back" in r.text for r in slack.replies(ALERTS, card.ts)),
        "the update in the card's thread",
    )
    assert "rolling back" in str(card.blocks)
    assert card.edits, "the card was not edited in place"

    listed = await until_listed(slack, DOOMED, "DISABLED")
    assert "channel_not_found" in listed

    # Resolved: the card turns green and the notice with the duration is broadcast.
    page.set_payload(SUMMARY, summary("operational"))
    notice = await until(
        lambda: [r for r in slack.replies(ALERTS, card.ts) if r.reply_broadcast],
        "the broadcast restored notice",
    )
    assert "restored after" in notice[0].text
    assert card.blocks[0]["text"]["text"].startswith("🟢 OpenAI: Restored after")
    assert len(slack.top_level(ALERTS)) == 1, "the card was posted twice"
    log = read_log(bot)
    assert "statusbot started" in log
    assert BOT_TOKEN not in log
    assert APP_TOKEN not in log


def read_log(path: Path) -> str:
    return path.read_text(encoding="utf-8", errors="replace")


async def until_listed(slack: FakeSlack, channel: str, needle: str) -> str:
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        run = await slack.slash_command("/statusbot", "list", channel_id=channel)
        if needle in run.text:
            return run.text
        await asyncio.sleep(0.3)
    raise AssertionError(f"'{needle}' never showed in /statusbot list for {channel}")
