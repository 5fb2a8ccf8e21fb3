"""What only Slack's notifier does; the shared contract is tests/test_notifier_contract.py."""

from __future__ import annotations

from bot.events import EventKind
from fakes.slack import FakeSlack
from integrations.slack.notifier import SlackNotifier
from tests.slack.conftest import SavedCards, later, make_delivery, make_event

CHANNEL = "C0ALERTS"


async def test_reminder_for_a_deleted_card_posts_a_fresh_card(
    slack: FakeSlack, notifier: SlackNotifier
) -> None:
    """Slack closes the thread of a deleted message, so the reminder needs a new card."""
    ref = await notifier.deliver(make_delivery(make_event(EventKind.OUTAGE)), SavedCards())
    slack.delete_message(CHANNEL, ref.message_id)
    saved = SavedCards()
    reminder = make_event(EventKind.REMINDER, at=later(60), duration_s=3600)
    new_ref = await notifier.deliver(make_delivery(reminder, delivery_id=5, card=ref), saved)

    assert saved.refs == [new_ref]
    assert new_ref.message_id != ref.message_id
    assert [m.ts for m in slack.top_level(CHANNEL)] == [new_ref.message_id]
    assert slack.replies(CHANNEL, new_ref.message_id)[-1].text.startswith("⏳ Still ongoing")
