"""End to end in Discord with the real bot process: `/statusbot test`, quiet hours (held, then
summed up; a major outage breaks through when the subscription says so), mute, and the
opt-in role mention for a major outage (the only mention Discord is allowed to deliver)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from fakes.discord import FakeDiscord
from fakes.pages import SUMMARY_PATH as SUMMARY
from fakes.statuspage import FakeStatusPage
from tests.discord.test_commands import BOT_OK, MANAGE_CHANNELS
from tests.discord.test_e2e import bot, page, summary  # noqa: F401 - fixtures
from tests.waiting import until

pytestmark = pytest.mark.slow

ROLE = 987654321098765432
POST = "POST /channels/{channel}/messages"
INVESTIGATING = [("investigating", "We are investigating errors.")]
IDENTIFIED = [*INVESTIGATING, ("identified", "A bad deploy was identified.")]
WORSE = [*IDENTIFIED, ("identified", "Most requests fail now.")]


def quiet_now() -> str:
    now = datetime.now(UTC)
    return f"{(now - timedelta(hours=1)):%H:%M}-{(now + timedelta(hours=2)):%H:%M}"


def thread(fake: FakeDiscord, card: dict[str, Any]) -> list[dict[str, Any]]:
    """The card's thread messages (none until the thread exists)."""
    thread_id = int(card["id"])
    return fake.messages(thread_id) if thread_id in fake.channels else []


async def run(fake: FakeDiscord, channel: int, sub: str, **options: Any) -> str:
    reply = await fake.interact(
        "statusbot", options, subcommand=sub, channel_id=channel,
        permissions=MANAGE_CHANNELS, app_permissions=BOT_OK,
    )  # fmt: skip
    return reply.content


async def test_sample_card_is_posted_then_marked_as_a_test(
    fake: FakeDiscord,
    bot: Path,  # noqa: F811
    channel_id: int,
) -> None:
    assert "sample alert" in await run(fake, channel_id, "test")

    card = await until(
        lambda: [m for m in fake.messages(channel_id) if "Test complete" in str(m["embeds"])],
        within=20,
    )
    first = fake.calls_to(POST, channel_id)[0].body
    assert first["embeds"][0]["title"].startswith("🧪 TEST · 🔴")
    assert first["allowed_mentions"]["parse"] == []
    await until(lambda: any("Nothing is down" in m["content"] for m in thread(fake, card[0])))
    # No restoration notice in the channel for a test: the card alone.
    assert len(fake.messages(channel_id)) == 1


async def test_quiet_hours_hold_mute_silences_and_major_pings_the_role(
    fake: FakeDiscord,
    page: FakeStatusPage,  # noqa: F811
    bot: Path,  # noqa: F811
    channel_id: int,
    guild_id: int,
) -> None:
    loud, quiet = channel_id, fake.guilds[guild_id][1]
    muted = fake.add_channel(guild_id, "muted")
    assert "Subscribed" in await run(fake, loud, "subscribe", providers="chatgpt")
    answer = await run(
        fake, quiet, "subscribe", providers="chatgpt", mention=str(ROLE), wake_on_major=True
    )
    assert f"mentions <@&{ROLE}>" in answer
    assert "Quiet hours set" in await run(fake, quiet, "quiet", hours=quiet_now())
    assert "Subscribed" in await run(fake, muted, "subscribe", providers="chatgpt")
    assert "Muted OpenAI" in await run(fake, muted, "mute", provider="chatgpt", duration="2h")
    await until(lambda: page.count(SUMMARY) >= 1, within=20)

    page.set_payload(SUMMARY, summary("partial_outage", "major", INVESTIGATING))
    [card] = await until(lambda: fake.messages(loud), within=20)
    page.set_payload(SUMMARY, summary("partial_outage", "major", IDENTIFIED))
    await until(
        lambda: any("bad deploy" in m["content"] for m in thread(fake, card)),
        within=20,
    )
    assert fake.messages(quiet) == [], "quiet hours did not hold the alert"
    assert fake.messages(muted) == [], "the mute did not silence the alert"

    answer = await run(fake, quiet, "quiet", hours="off")
    assert "held card" in answer
    [held] = await until(lambda: fake.messages(quiet), within=20)
    assert "bad deploy" in str(held["embeds"])
    timeline = await until(lambda: thread(fake, held), within=10)
    assert "1 earlier update held during quiet hours" in timeline[0]["content"]
    assert fake.calls_to(POST, quiet)[0].body.get("content") is None, "partial must not ping"

    # Quiet again, then a major outage: it comes through and pings exactly the opted-in role.
    await run(fake, quiet, "quiet", hours=quiet_now())
    assert "Unmuted OpenAI" in await run(fake, muted, "unmute", provider="chatgpt")
    page.set_payload(SUMMARY, summary("major_outage", "critical", WORSE))
    pings = await until(
        lambda: [c for c in fake.calls_to(POST, quiet) if f"<@&{ROLE}>" in str(c.body)],
        within=20,
    )
    mentions = pings[0].body["allowed_mentions"]
    assert mentions["parse"] == []
    assert [str(r) for r in mentions["roles"]] == [str(ROLE)]
    assert str(pings[0].body["message_reference"]["message_id"]) == held["id"]
    [muted_card] = await until(lambda: fake.messages(muted), within=20)
    assert "Most requests fail" in str(muted_card["embeds"])
    others = fake.calls_to(POST, muted) + fake.calls_to(POST, loud)
    assert all("<@&" not in str(c.body.get("content")) for c in others)
