"""`/statusbot history` in Discord: the chart is an attachment (multipart upload) with its
alt text as the attachment's description and the summary as the message."""

from __future__ import annotations

from datetime import UTC, datetime

import discord
import pytest
import sqlalchemy as sa

from bot.store import schema
from bot.store.store import Store
from fakes.discord import FakeDiscord
from fakes.history import simulate
from integrations.discord import commands as discord_commands
from integrations.discord.platform import DiscordPlatform
from tests.waiting import DEADLINE_SCALE

MEMBER = discord.Permissions(view_channel=True, send_messages=True, manage_channels=True).value


async def test_history_answers_with_a_chart_attachment_and_a_summary(
    fake: FakeDiscord, platform: DiscordPlatform, store: Store, channel_id: int
) -> None:
    await simulate(store, "openai", ["ChatGPT", "API", "Login"], datetime.now(UTC), days=30)

    reply = await fake.interact(
        "statusbot",
        {"provider": "chatgpt", "period": "30d"},
        subcommand="history",
        channel_id=channel_id,
        permissions=MEMBER,
        within_s=10 * DEADLINE_SCALE,
    )

    assert not reply.ephemeral  # the channel sees the chart
    [chart] = reply.files
    assert chart["filename"] == "openai-history-30d.png"
    assert chart["data"][:8] == b"\x89PNG\r\n\x1a\n"
    assert len(chart["data"]) > 10_000
    assert chart["description"].startswith("Availability chart of OpenAI over the last 30 days")
    assert reply.content.startswith("OpenAI, last 30 days: uptime 99.")
    assert "median duration" in reply.content


async def test_page_text_in_the_summary_cannot_ping_or_format(
    fake: FakeDiscord, platform: DiscordPlatform, store: Store, channel_id: int
) -> None:
    await simulate(store, "openai", ["ChatGPT"], datetime.now(UTC), days=2, count=2)
    table = schema.incident_history
    async with store.db.engine.begin() as conn:
        newest = sa.select(sa.func.max(table.c.first_signal_at)).scalar_subquery()
        await conn.execute(
            table.update()
            .where(table.c.first_signal_at == newest)
            .values(title="**Down** for @everyone", resolved_at=None)
        )

    reply = await fake.interact(
        "statusbot",
        {"period": "24h"},
        subcommand="history",
        channel_id=channel_id,
        permissions=MEMBER,
        within_s=10 * DEADLINE_SCALE,
    )

    assert "Open now: \\*\\*Down\\*\\* for @\u200beveryone." in reply.content
    assert reply.message.get("allowed_mentions") == {"parse": []}


async def test_an_unknown_provider_is_a_short_private_answer_without_a_chart(
    fake: FakeDiscord, platform: DiscordPlatform, channel_id: int
) -> None:
    reply = await fake.interact(
        "statusbot",
        {"provider": "chatgtp"},
        subcommand="history",
        channel_id=channel_id,
        permissions=MEMBER,
    )

    assert reply.ephemeral
    assert "I don't know 'chatgtp'" in reply.content
    assert reply.files == []


async def test_a_slow_chart_is_acknowledged_first_then_follows_as_an_attachment(
    fake: FakeDiscord,
    platform: DiscordPlatform,
    store: Store,
    channel_id: int,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(discord_commands, "DEFER_AFTER_S", 0.0)  # as if drawing took long
    await simulate(store, "openai", ["ChatGPT"], datetime.now(UTC), days=7, count=3)

    reply = await fake.interact(
        "statusbot",
        {"period": "7d"},
        subcommand="history",
        channel_id=channel_id,
        permissions=MEMBER,
        within_s=10 * DEADLINE_SCALE,
    )

    assert reply.type == 5  # "thinking…" within Discord's 3 seconds
    [chart] = reply.files  # then the chart, as a follow-up with its attachment
    assert chart["filename"] == "openai-history-7d.png"
    assert chart["data"][:8] == b"\x89PNG\r\n\x1a\n"
    assert reply.content.startswith("OpenAI, last 7 days: uptime ")
