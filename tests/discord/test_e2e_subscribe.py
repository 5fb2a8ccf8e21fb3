"""End to end on the fake Discord: a server subscribes while ChatGPT is already down.

The bot starts during the incident (a silent baseline), the channel subscribes, the reply says
what is open, the incident's card is posted at once, and the next official update edits it.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from fakes.discord import FakeDiscord
from fakes.statuspage import FakeStatusPage
from tests.discord.test_commands import BOT_OK, MANAGE_CHANNELS
from tests.discord.test_e2e import SUMMARY, TITLE, bot, summary
from tests.waiting import until

pytestmark = pytest.mark.slow
__all__ = ["bot"]  # the bot process fixture, shared with the lifecycle test

FIRST = [("investigating", "Looking into it.")]
SECOND = [*FIRST, ("identified", "Rolling back a deploy.")]


@pytest.fixture
async def page() -> FakeStatusPage:
    async with FakeStatusPage() as fake_page:
        fake_page.set_payload(SUMMARY, summary("degraded_performance", "minor", FIRST))
        yield fake_page


async def test_subscribing_mid_incident_posts_its_card_and_the_update_edits_it(
    fake: FakeDiscord, page: FakeStatusPage, bot: Path, channel_id: int
) -> None:
    await until(lambda: page.count(SUMMARY) >= 2, within=20)
    assert fake.messages(channel_id) == []

    reply = await fake.interact(
        "statusbot", {"providers": "chatgpt"}, subcommand="subscribe", channel_id=channel_id,
        permissions=MANAGE_CHANNELS, app_permissions=BOT_OK,
    )  # fmt: skip
    assert "Subscribed this channel to OpenAI" in reply.content
    assert f"Open now: 🟡 OpenAI: {TITLE} (degraded)" in reply.content, reply.content

    [card] = await until(lambda: fake.messages(channel_id), within=20)
    assert TITLE in card["embeds"][0]["description"]
    thread_id = int(card["id"])
    await until(lambda: thread_id in fake.channels and fake.messages(thread_id), within=20)

    page.set_payload(SUMMARY, summary("degraded_performance", "minor", SECOND))
    await until(
        lambda: any("Rolling back" in m["content"] for m in fake.messages(thread_id)), within=20
    )
    assert "Rolling back a deploy." in card["embeds"][0]["description"]  # edited in place
    edits = fake.calls_to("PATCH /channels/{channel}/messages/{message}", channel_id)
    assert len(edits) >= 1
    assert len(fake.messages(channel_id)) == 1, "a second card was posted"
