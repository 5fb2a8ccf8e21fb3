"""End to end in Slack with the real bot process: `/statusbot test`, quiet hours (held, then
summed up; a major outage breaks through when the subscription says so), mute, and the
opt-in `@here` for a major outage."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from fakes.pages import SUMMARY_PATH as SUMMARY
from fakes.slack import FakeSlack
from fakes.statuspage import FakeStatusPage
from tests.slack.test_e2e import bot, page, summary  # noqa: F401 - fixtures
from tests.waiting import until

TESTED, QUIET, MUTED, LOUD = "C0TESTED", "C0QUIET", "C0MUTED", "C0LOUD"
INVESTIGATING = [("investigating", "We are investigating errors.")]
IDENTIFIED = [*INVESTIGATING, ("identified", "A bad deploy was identified.")]
WORSE = [*IDENTIFIED, ("identified", "Most requests fail now.")]


def quiet_now() -> str:
    """Quiet hours (UTC) that include this moment and last long past the test."""
    now = datetime.now(UTC)
    return f"{(now - timedelta(hours=1)):%H:%M}-{(now + timedelta(hours=2)):%H:%M}"


async def command(slack: FakeSlack, channel: str, text: str) -> str:
    run = await slack.slash_command("/statusbot", text, channel_id=channel)
    return run.text


async def test_sample_card_is_posted_then_marked_as_a_test(slack: FakeSlack, bot: Path) -> None:  # noqa: F811
    answer = await command(slack, TESTED, "test")
    assert "sample alert" in answer

    card = await until(
        lambda: [m for m in slack.top_level(TESTED) if m.edits], "the sample card, then its edit"
    )
    card = card[0]
    first, now = card.edits[0]["blocks"], card.blocks
    assert first[0]["text"]["text"].startswith("🧪 TEST · 🔴")
    assert now[0]["text"]["text"].endswith("Test complete, nothing is down")
    # Each reader sees the times in their own timezone.
    assert "<!date^" in str(now)
    await until(
        lambda: any("Nothing is down" in r.text for r in slack.replies(TESTED, card.ts)),
        "the test's closing thread reply",
    )
    replies = slack.replies(TESTED, card.ts)
    assert not any(r.reply_broadcast for r in replies), "a test must not shout in the channel"
    assert "<!here>" not in str(card.blocks) + card.text
    # Not an incident: /is-chatgpt-down does not report it.
    status = await slack.slash_command("/is-chatgpt-down", "", channel_id=TESTED)
    assert "Sample alert" not in status.text


async def test_quiet_hours_hold_mute_silences_and_major_breaks_through(
    slack: FakeSlack,
    page: FakeStatusPage,  # noqa: F811
    bot: Path,  # noqa: F811
) -> None:
    assert "Subscribed" in await command(slack, LOUD, "subscribe chatgpt")
    answer = await command(slack, QUIET, "subscribe chatgpt mention:here wake:major")
    assert "mentions @here" in answer
    assert "comes through quiet hours" in answer
    assert "Quiet hours set" in await command(slack, QUIET, f"quiet {quiet_now()}")
    assert "Subscribed" in await command(slack, MUTED, "subscribe chatgpt")
    assert "Muted OpenAI" in await command(slack, MUTED, "mute chatgpt 2h")
    listed = await command(slack, QUIET, "list")
    assert "mentions @here" in listed
    assert "Quiet hours:" in listed
    await until(lambda: page.count(SUMMARY) >= 1, "the silent baseline poll")

    # A partial outage and an update: the loud channel hears both, the others nothing.
    page.set_payload(SUMMARY, summary("partial_outage", INVESTIGATING))
    loud = (await until(lambda: slack.top_level(LOUD), "the loud channel's card"))[0]
    page.set_payload(SUMMARY, summary("partial_outage", IDENTIFIED))
    await until(
        lambda: any("bad deploy" in r.text for r in slack.replies(LOUD, loud.ts)),
        "the update in the loud channel",
    )
    assert slack.top_level(QUIET) == [], "quiet hours did not hold the alert"
    assert slack.top_level(MUTED) == [], "the mute did not silence the alert"

    # Quiet hours end (turned off): one card, up to date, saying what was held.
    answer = await command(slack, QUIET, "quiet off")
    assert "Quiet hours off" in answer
    assert "held card" in answer
    card = (await until(lambda: slack.top_level(QUIET), "the held card"))[0]
    assert "bad deploy" in str(card.blocks)
    replies = await until(lambda: slack.replies(QUIET, card.ts), "the summary in its thread")
    assert "1 earlier update held during quiet hours" in replies[0].text
    assert "<!here>" not in card.text, "a partial outage must not ping"

    # Quiet again, then a major outage: it comes through, with the one opted-in @here.
    await command(slack, QUIET, f"quiet {quiet_now()}")
    assert "Unmuted OpenAI" in await command(slack, MUTED, "unmute chatgpt")
    page.set_payload(SUMMARY, summary("major_outage", WORSE))
    pinged = await until(
        lambda: [r for r in slack.replies(QUIET, card.ts) if "<!here>" in r.text],
        "the major outage breaking through quiet hours",
    )
    assert pinged[0].reply_broadcast, "the ping must show in the channel"
    assert len(slack.top_level(QUIET)) == 1
    # Unmuted: the muted channel's first alert is the card in its current state.
    muted_card = (await until(lambda: slack.top_level(MUTED), "the card after unmute"))[0]
    assert "Most requests fail" in str(muted_card.blocks)
    assert "<!here>" not in muted_card.text, "only the opted-in channel is pinged"
    assert all("<!here>" not in m.text for m in slack.top_level(LOUD))
