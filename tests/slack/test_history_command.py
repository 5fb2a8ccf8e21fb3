"""`/statusbot history` in Slack: the chart arrives in the channel through files_upload_v2
(upload URL, the bytes, completion), with its summary as the comment and its alt text."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime

import pytest
import sqlalchemy as sa

from bot.commands import CommandService
from bot.config import Config
from bot.store import schema
from bot.store.store import Store
from fakes.history import simulate
from fakes.slack import FakeSlack
from integrations.slack import create
from integrations.slack.platform import SlackPlatform
from tests.slack.conftest import slack_config
from tests.waiting import until

CHANNEL = "C0GENERAL"
HOSTILE = "Errors for <!channel> & <@U0BOSS> users"


@pytest.fixture
async def platform(
    slack: FakeSlack, config: Config, commands: CommandService
) -> AsyncIterator[SlackPlatform]:
    platform = create(slack_config(config, slack.api_url), commands)
    await platform.start()
    yield platform
    await platform.stop()


async def test_history_posts_a_chart_with_summary_and_alt_text(
    slack: FakeSlack, platform: SlackPlatform, store: Store
) -> None:
    await simulate(store, "openai", ["ChatGPT", "API", "Login"], datetime.now(UTC), days=30)

    await slack.slash_command(
        "/statusbot", "history chatgpt 30d", channel_id=CHANNEL, wait_response=False
    )
    await until(lambda: slack.shared_files(CHANNEL), "the chart in the channel")

    [asked] = slack.ok_calls_to("files.getUploadURLExternal")
    [completed] = slack.ok_calls_to("files.completeUploadExternal")
    [chart] = slack.shared_files(CHANNEL)
    assert asked.args["filename"] == "openai-history-30d.png"
    assert chart.data is not None
    assert chart.data[:8] == b"\x89PNG\r\n\x1a\n"
    assert int(asked.args["length"]) == len(chart.data) > 10_000
    assert completed.args["channel_id"] == CHANNEL
    assert chart.title == "OpenAI availability, last 30 days"
    assert chart.initial_comment is not None
    assert chart.initial_comment.startswith("OpenAI, last 30 days: uptime 99.")
    assert "median duration" in chart.initial_comment
    assert chart.alt_txt is not None
    assert chart.alt_txt.startswith("Availability chart of OpenAI over the last 30 days")


async def test_page_text_in_the_summary_cannot_ping_the_channel(
    slack: FakeSlack, platform: SlackPlatform, store: Store
) -> None:
    await simulate(store, "openai", ["ChatGPT"], datetime.now(UTC), days=2, count=2)
    table = schema.incident_history
    async with store.db.engine.begin() as conn:
        newest = sa.select(sa.func.max(table.c.first_signal_at)).scalar_subquery()
        await conn.execute(
            table.update()
            .where(table.c.first_signal_at == newest)
            .values(title=HOSTILE, resolved_at=None)
        )

    await slack.slash_command("/statusbot", "history 24h", channel_id=CHANNEL, wait_response=False)
    await until(lambda: slack.shared_files(CHANNEL), "the chart in the channel")

    [chart] = slack.shared_files(CHANNEL)
    assert chart.initial_comment is not None
    assert "Open now: Errors for &lt;!channel&gt; &amp; &lt;@U0BOSS&gt; users." in (
        chart.initial_comment
    )
    assert "<!channel>" not in chart.initial_comment


async def test_a_bad_period_or_provider_is_answered_and_nothing_is_uploaded(
    slack: FakeSlack, platform: SlackPlatform
) -> None:
    run = await slack.slash_command("/statusbot", "history chatgtp 30d", channel_id=CHANNEL)

    assert "I don't know 'chatgtp'" in run.text
    assert slack.calls_to("files.getUploadURLExternal") == []


async def test_a_channel_the_bot_is_not_in_gets_the_invite_hint(
    slack: FakeSlack, platform: SlackPlatform
) -> None:
    slack.set_channel("G0SECRET", is_private=True, is_member=False)
    run = await slack.slash_command("/statusbot", "history", channel_id="G0SECRET")

    assert "Invite me first" in run.text
    assert slack.shared_files("G0SECRET") == []
