"""End to end on the fake Slack: a team subscribes while ChatGPT is already down.

The bot starts during the incident (a silent baseline), the channel subscribes, the reply says
what is open, the incident's card is posted at once, and the next official update edits it.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from fakes.slack import FakeSlack
from fakes.statuspage import FakeStatusPage
from tests.slack.test_e2e import ALERTS, INCIDENT_TITLE, SUMMARY, bot, summary
from tests.waiting import until

pytestmark = pytest.mark.slow
__all__ = ["bot"]  # the bot process fixture, shared with the lifecycle test

FIRST = [("investigating", "We are investigating errors.")]
SECOND = [*FIRST, ("identified", "A bad deploy was identified; rolling back.")]


@pytest.fixture
async def page() -> FakeStatusPage:
    async with FakeStatusPage() as fake:
        fake.set_payload(SUMMARY, summary("partial_outage", FIRST))
        yield fake


async def test_subscribing_mid_incident_posts_its_card_and_the_update_edits_it(
    slack: FakeSlack, page: FakeStatusPage, bot: Path
) -> None:
    await until(lambda: page.count(SUMMARY) >= 2, "the silent baseline polls")
    assert slack.top_level(ALERTS) == []

    run = await slack.slash_command("/statusbot", "subscribe chatgpt", channel_id=ALERTS)
    assert "Subscribed this channel to OpenAI" in run.text, run.text
    assert f"Open now: 🟠 OpenAI: {INCIDENT_TITLE} (partial outage)" in run.text, run.text

    [card] = await until(lambda: slack.top_level(ALERTS), "the open incident's card")
    assert INCIDENT_TITLE in str(card.blocks)
    assert "We are investigating errors." in str(card.blocks)

    page.set_payload(SUMMARY, summary("partial_outage", SECOND))
    await until(
        lambda: any("rolling back" in r.text for r in slack.replies(ALERTS, card.ts)),
        "the update in the card's thread",
    )
    assert card.edits, "the card was not edited in place"
    assert "rolling back" in str(card.blocks)
    assert len(slack.top_level(ALERTS)) == 1, "a second card was posted"
