"""End to end: the real `python -m bot run` process, a fake status page and FakeDiscord.

Subscribe by slash command over the gateway -> the page degrades -> one embed card with a
thread -> outage edits it and adds to the thread -> resolution turns it green and replies
to the card in the channel with the duration.
"""

from __future__ import annotations

import json
import os
import sqlite3
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from bot.models import Severity
from bot.render import SEVERITY_COLOUR
from fakes.discord import FakeDiscord
from fakes.pages import SUMMARY_PATH as SUMMARY
from fakes.pages import Incident, SummaryPage
from fakes.statuspage import FakeStatusPage
from tests.discord.botrun import discord_bot
from tests.discord.test_commands import BOT_OK, MANAGE_CHANNELS
from tests.waiting import until

pytestmark = pytest.mark.slow

TITLE = "Elevated error rates for ChatGPT"
STARTED = datetime.now(UTC) - timedelta(minutes=47)
CARD_DUMP = os.environ.get("STATUSBOT_DISCORD_CARD_DUMP")  # where to write the final card JSON


def summary(component: str, impact: str = "none", updates: list[tuple[str, str]] = ()) -> bytes:
    """A Statuspage summary.json; `updates` (status, body), oldest first, open one incident."""
    page = SummaryPage("OpenAI").component("ChatGPT", component).component("API")
    if updates:
        incident = Incident(
            "inc1", TITLE, impact=impact, started_at=STARTED, components=("ChatGPT",)
        )
        for status, body in updates:
            incident.update(status, body, datetime.now(UTC))
        page.add(incident)
    return page.encode()


@pytest.fixture
async def page() -> AsyncIterator[FakeStatusPage]:
    async with FakeStatusPage() as fake_page:
        fake_page.set_payload(SUMMARY, summary("operational"))
        yield fake_page


@pytest.fixture
async def bot(
    tmp_path: Path, fake: FakeDiscord, page: FakeStatusPage, guild_id: int
) -> AsyncIterator[Path]:
    """The real bot process connected to FakeDiscord; yields its log file."""
    source = {"kind": "statuspage", "url": page.url(SUMMARY), "interval": 1, "flap_window": 0}
    async with discord_bot(tmp_path, fake, guild_id, source) as (_, log_file):
        yield log_file


async def test_incident_lifecycle_in_discord(
    fake: FakeDiscord, page: FakeStatusPage, bot: Path, channel_id: int, guild_id: int
) -> None:
    doomed = fake.guilds[guild_id][1]
    for channel in (channel_id, doomed):
        reply = await fake.interact(
            "statusbot", {"providers": "chatgpt"}, subcommand="subscribe", channel_id=channel,
            permissions=MANAGE_CHANNELS, app_permissions=BOT_OK,
        )  # fmt: skip
        assert "Subscribed this channel to OpenAI" in reply.content, _read(bot)
    await until(lambda: page.count(SUMMARY) >= 1, within=20)

    page.set_payload(
        SUMMARY, summary("degraded_performance", "minor", [("investigating", "Looking into it.")])
    )
    [card] = await until(lambda: fake.messages(channel_id), within=20)
    await until(lambda: fake.messages(doomed), within=20)
    fake.delete_channel(doomed)  # deleted mid-incident: its subscription must be disabled
    assert card["embeds"][0]["color"] == SEVERITY_COLOUR[Severity.DEGRADED]
    thread_id = int(card["id"])
    await until(lambda: thread_id in fake.channels and fake.messages(thread_id), within=10)

    page.set_payload(
        SUMMARY,
        summary(
            "major_outage",
            "critical",
            [("investigating", "Looking into it."), ("identified", "Rolling back a deploy.")],
        ),
    )
    await until(
        lambda: any("Rolling back" in m["content"] for m in fake.messages(thread_id)), within=20
    )
    assert "Rolling back a deploy." in card["embeds"][0]["description"]
    asked = await fake.interact("is-chatgpt-down", channel_id=channel_id)
    assert asked.embeds[0]["title"] == "🔴 OpenAI is having an outage"
    assert "Rolling back a deploy." in asked.text
    listed = await until(lambda: _disabled(tmp_db(bot), str(doomed)), within=20)
    assert "10003" in listed

    page.set_payload(SUMMARY, summary("operational"))
    notices = await until(lambda: fake.messages(channel_id)[1:], within=20)

    assert len(notices) == 1
    assert "restored after" in notices[0]["content"]
    assert notices[0]["message_reference"]["message_id"] == card["id"]
    embed = card["embeds"][0]
    assert embed["color"] == SEVERITY_COLOUR[Severity.OPERATIONAL]
    assert "Restored after" in embed["title"]
    # One card created, edited in place, its thread holding the official timeline.
    creates = fake.calls_to("POST /channels/{channel}/messages", channel_id)
    assert [c.status for c in creates] == [200, 200]  # the card and the restoration reply
    assert len(fake.calls_to("PATCH /channels/{channel}/messages/{message}", channel_id)) >= 2
    timeline = [m["content"] for m in fake.messages(thread_id)]
    assert "Looking into it." in timeline[0]
    assert "restored after" in timeline[-1]
    if CARD_DUMP:
        _dump({"card": embed, "thread": timeline, "notice": notices[0]["content"]})


def tmp_db(log: Path) -> Path:
    return log.parent / "bot.db"


def _disabled(db: Path, channel_id: str) -> str | None:
    """The disabled reason of the channel's subscription, read straight from the bot's SQLite."""
    with sqlite3.connect(db) as conn:
        row = conn.execute(
            "SELECT enabled, disabled_reason FROM subscriptions WHERE channel_id = ?",
            (channel_id,),
        ).fetchone()
    return row[1] if row and not row[0] else None


def _read(log: Path) -> str:
    return log.read_text(errors="replace")


def _dump(captured: dict[str, Any]) -> None:
    """Save the real card for the docs and the report (set STATUSBOT_DISCORD_CARD_DUMP)."""
    Path(str(CARD_DUMP)).write_text(json.dumps(captured, indent=2, ensure_ascii=False))
