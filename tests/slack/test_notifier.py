"""SlackNotifier against the fake Slack: the living card, idempotency, error mapping."""

from __future__ import annotations

import pytest

from bot.errors import PermanentDeliveryError, TransientDeliveryError
from bot.events import EventKind
from bot.models import IncidentStatus, Severity
from fakes.slack import FakeSlack
from integrations.slack.notifier import SlackNotifier
from tests.slack.conftest import BOT_TOKEN, SavedCards, later, make_delivery, make_event

CHANNEL = "C0ALERTS"


async def _post_first_card(notifier: SlackNotifier) -> tuple[SavedCards, object]:
    saved = SavedCards()
    ref = await notifier.deliver(make_delivery(make_event(EventKind.OUTAGE)), saved)
    return saved, ref


async def test_first_event_posts_one_card_with_blocks_metadata_and_thread(
    slack: FakeSlack, notifier: SlackNotifier
) -> None:
    saved, ref = await _post_first_card(notifier)

    cards = slack.top_level(CHANNEL)
    assert len(cards) == 1
    card = cards[0]
    assert saved.refs == [ref]
    assert ref.message_id == card.ts
    assert card.blocks is not None
    assert card.blocks[0]["type"] == "header"
    assert card.blocks[0]["text"]["text"] == "🟠 OpenAI: Partial outage"
    rendered = str(card.blocks)
    assert "Elevated error rates in ChatGPT" in rendered
    assert "ChatGPT, Conversations" in rendered
    assert "We are investigating elevated error rates." in rendered
    assert "https://status.openai.com/incidents/inc-1" in rendered
    assert "OpenAI: Partial outage" in card.text
    assert card.metadata == {
        "event_type": "statusbot_delivery",
        "event_payload": {"delivery_id": "sb-1", "incident_key": "openai:inc-1"},
    }
    replies = slack.replies(CHANNEL, card.ts)
    assert [r.text for r in replies] == [
        "🟠 Outage · Investigating: We are investigating elevated error rates."
    ]
    assert replies[0].metadata["event_payload"]["delivery_id"] == "sb-1:r"


async def test_update_edits_card_in_place_and_replies_in_thread(
    slack: FakeSlack, notifier: SlackNotifier
) -> None:
    _, ref = await _post_first_card(notifier)
    update = make_event(
        EventKind.UPDATE,
        at=later(20),
        status=IncidentStatus.IDENTIFIED,
        severity=Severity.MAJOR_OUTAGE,
        text="The issue has been identified and a fix is being rolled out.",
    )
    saved = SavedCards()
    result = await notifier.deliver(make_delivery(update, delivery_id=2, card=ref), saved)

    assert result == ref
    assert saved.refs == []
    assert len(slack.top_level(CHANNEL)) == 1
    assert len(slack.ok_calls_to("chat.update")) == 1
    card = slack.top_level(CHANNEL)[0]
    assert card.blocks[0]["text"]["text"] == "🔴 OpenAI: Major outage"
    assert "a fix is being rolled out" in str(card.blocks)
    replies = slack.replies(CHANNEL, card.ts)
    assert len(replies) == 2
    assert replies[-1].text == (
        "🔴 Update · Identified: The issue has been identified and a fix is being rolled out."
    )
    assert not replies[-1].reply_broadcast


async def test_restored_turns_card_green_and_broadcasts_duration(
    slack: FakeSlack, notifier: SlackNotifier
) -> None:
    _, ref = await _post_first_card(notifier)
    restored = make_event(
        EventKind.RESTORED,
        at=later(47),
        severity=Severity.OPERATIONAL,
        status=IncidentStatus.RESOLVED,
        text="This incident has been resolved.",
        duration_s=47 * 60,
    )
    await notifier.deliver(make_delivery(restored, delivery_id=3, card=ref), SavedCards())

    card = slack.top_level(CHANNEL)[0]
    assert card.blocks[0]["text"]["text"] == "🟢 OpenAI: Restored after 47 min"
    notice = slack.replies(CHANNEL, card.ts)[-1]
    assert notice.reply_broadcast is True
    assert "restored after 47 min" in notice.text
    # The broadcast reply shows up in the channel itself.
    history = await notifier.client.conversations_history(channel=CHANNEL)
    assert any("restored after 47 min" in m["text"] for m in history["messages"])


async def test_reminder_only_replies_in_thread(slack: FakeSlack, notifier: SlackNotifier) -> None:
    _, ref = await _post_first_card(notifier)
    reminder = make_event(EventKind.REMINDER, at=later(60), duration_s=3600)
    await notifier.deliver(make_delivery(reminder, delivery_id=4, card=ref), SavedCards())

    assert slack.calls_to("chat.update") == []
    assert slack.replies(CHANNEL, ref.message_id)[-1].text.startswith("⏳ Still ongoing after 1 h")


async def test_retry_after_post_reached_slack_does_not_post_twice(
    slack: FakeSlack, notifier: SlackNotifier
) -> None:
    slack.drop_after_commit("chat.postMessage")
    delivery = make_delivery(make_event(EventKind.OUTAGE))
    with pytest.raises(TransientDeliveryError):
        await notifier.deliver(delivery, SavedCards())
    assert len(slack.top_level(CHANNEL)) == 1  # it did reach Slack

    saved = SavedCards()
    ref = await notifier.deliver(make_delivery(delivery.event, attempt=2), saved)

    cards = slack.top_level(CHANNEL)
    assert len(cards) == 1
    assert saved.refs == [ref]
    assert ref.message_id == cards[0].ts
    assert len(slack.replies(CHANNEL, cards[0].ts)) == 1
    assert len(slack.calls_to("conversations.history")) == 1


async def test_retry_after_lost_reply_does_not_reply_twice(
    slack: FakeSlack, notifier: SlackNotifier
) -> None:
    _, ref = await _post_first_card(notifier)
    update = make_event(EventKind.UPDATE, at=later(5), text="Still investigating.")
    slack.drop_after_commit("chat.postMessage")
    with pytest.raises(TransientDeliveryError):
        await notifier.deliver(make_delivery(update, delivery_id=2, card=ref), SavedCards())
    await notifier.deliver(make_delivery(update, delivery_id=2, card=ref, attempt=2), SavedCards())

    texts = [r.text for r in slack.replies(CHANNEL, ref.message_id)]
    assert texts.count("🟠 Update · Investigating: Still investigating.") == 1


async def test_429_with_retry_after_loses_nothing_and_doubles_nothing(
    slack: FakeSlack, notifier: SlackNotifier
) -> None:
    slack.fail_next("chat.postMessage", 1, retry_after=1)
    saved, ref = await _post_first_card(notifier)

    assert len(slack.calls_to("chat.postMessage")) == 3  # 429, card, thread reply
    assert len(slack.top_level(CHANNEL)) == 1
    assert len(slack.replies(CHANNEL, ref.message_id)) == 1
    assert saved.refs == [ref]


async def test_429_beyond_retries_is_transient_with_retry_after(slack: FakeSlack) -> None:
    notifier = SlackNotifier(BOT_TOKEN, slack.api_url, rate_limit_retries=0)
    try:
        slack.fail_next("chat.postMessage", 1, retry_after=7)
        with pytest.raises(TransientDeliveryError) as caught:
            await notifier.deliver(make_delivery(make_event(EventKind.OUTAGE)), SavedCards())
    finally:
        await notifier.aclose()
    assert caught.value.retry_after_s == 7
    assert slack.top_level(CHANNEL) == []


async def test_server_error_is_transient(slack: FakeSlack, notifier: SlackNotifier) -> None:
    slack.fail_next("chat.postMessage", 1, status=503, error="service_unavailable")
    with pytest.raises(TransientDeliveryError):
        await notifier.deliver(make_delivery(make_event(EventKind.OUTAGE)), SavedCards())


async def test_deleted_channel_is_permanent_for_that_channel(
    slack: FakeSlack, notifier: SlackNotifier
) -> None:
    slack.delete_channel(CHANNEL)
    with pytest.raises(PermanentDeliveryError) as caught:
        await notifier.deliver(make_delivery(make_event(EventKind.OUTAGE)), SavedCards())
    assert caught.value.workspace_wide is False
    assert "channel_not_found" in caught.value.reason


async def test_revoked_token_is_permanent_workspace_wide(
    slack: FakeSlack, notifier: SlackNotifier
) -> None:
    slack.revoke_token()
    with pytest.raises(PermanentDeliveryError) as caught:
        await notifier.deliver(make_delivery(make_event(EventKind.OUTAGE)), SavedCards())
    assert caught.value.workspace_wide is True
    assert BOT_TOKEN not in str(caught.value)


async def test_deleted_card_gets_a_fresh_card(slack: FakeSlack, notifier: SlackNotifier) -> None:
    _, ref = await _post_first_card(notifier)
    slack.fail_next("chat.update", 1, status=200, error="message_not_found", retry_after=None)
    saved = SavedCards()
    update = make_event(EventKind.UPDATE, at=later(5), text="Fix deployed.")
    new_ref = await notifier.deliver(make_delivery(update, delivery_id=2, card=ref), saved)

    assert new_ref != ref
    assert saved.refs == [new_ref]
    assert len(slack.top_level(CHANNEL)) == 2
    assert slack.replies(CHANNEL, new_ref.message_id)[-1].text.endswith("Fix deployed.")


async def test_reminder_for_a_deleted_card_posts_a_fresh_card(
    slack: FakeSlack, notifier: SlackNotifier
) -> None:
    _, ref = await _post_first_card(notifier)
    slack.fail_next("chat.postMessage", 1, status=200, error="thread_not_found", retry_after=None)
    saved = SavedCards()
    reminder = make_event(EventKind.REMINDER, at=later(60), duration_s=3600)
    new_ref = await notifier.deliver(make_delivery(reminder, delivery_id=5, card=ref), saved)

    assert saved.refs == [new_ref]
    assert new_ref.message_id != ref.message_id
    assert slack.replies(CHANNEL, new_ref.message_id)[-1].text.startswith("⏳ Still ongoing")


async def test_merged_card_closes_with_one_line_pointing_to_the_story(
    slack: FakeSlack, notifier: SlackNotifier
) -> None:
    _, ref = await _post_first_card(notifier)
    merged = make_event(
        EventKind.MERGED,
        at=later(5),
        merged_into="openai:inc-2",
        merged_into_title="Elevated errors across ChatGPT and the API",
    )
    await notifier.deliver(make_delivery(merged, delivery_id=5, card=ref), SavedCards())

    assert len(slack.top_level(CHANNEL)) == 1  # no new card
    card = slack.top_level(CHANNEL)[0]
    assert (
        "Now tracked as Elevated errors across ChatGPT and the API"
        in (card.blocks[0]["text"]["text"])
    )
    reply = slack.replies(CHANNEL, card.ts)[-1]
    assert reply.text == "➡️ Now tracked as Elevated errors across ChatGPT and the API"
    assert not reply.reply_broadcast


async def test_a_restoration_without_a_card_is_a_one_line_notice(
    slack: FakeSlack, notifier: SlackNotifier
) -> None:
    restored = make_event(
        EventKind.RESTORED, at=later(47), severity=Severity.OPERATIONAL, duration_s=47 * 60
    )
    saved = SavedCards()
    ref = await notifier.deliver(make_delivery(restored, delivery_id=6), saved)

    [notice] = slack.top_level(CHANNEL)
    assert notice.text == (
        "✅ OpenAI restored after 47 min (ChatGPT, Conversations): Elevated error rates in ChatGPT"
    )
    assert "header" not in str(notice.blocks)  # a line, not a card
    assert slack.replies(CHANNEL, notice.ts) == []
    assert saved.refs == [ref]
