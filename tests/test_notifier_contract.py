"""The notifier contract (bot.notify.Notifier), run against the fake Slack and the fake Discord.

Each case is what a channel member would see: one living card per incident, edited in
place, its timeline in a thread, the restoration in the channel, nothing lost or doubled
when the platform rate-limits or the bot dies between a post and its record. Platform
details live in tests/notifier_adapters.py; what only one platform does is tested in
tests/slack/test_notifier.py and tests/discord/test_notifier.py.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest

from bot.errors import PermanentDeliveryError, TransientDeliveryError
from bot.events import Event, EventKind
from bot.models import IncidentStatus, Severity
from bot.render import SEVERITY_EMOJI, thread_text
from tests.notifier_adapters import ADAPTERS, ChatAdapter
from tests.output_adapters import OUTPUT_ADAPTERS, OutputAdapter

STARTED = datetime(2026, 11, 25, 13, 0, tzinfo=UTC)


@pytest.fixture(params=sorted(ADAPTERS))
async def chat(request: pytest.FixtureRequest) -> AsyncIterator[ChatAdapter]:
    adapter = ADAPTERS[request.param]()
    await adapter.start()
    try:
        yield adapter
    finally:
        await adapter.stop()


def event(kind: EventKind = EventKind.OUTAGE, minutes: float = 0, **changes: object) -> Event:
    base = Event(
        kind=kind,
        provider="openai",
        source_id="openai",
        page_name="OpenAI",
        incident_key="openai:inc-1",
        title="Elevated error rates in ChatGPT",
        severity=Severity.PARTIAL_OUTAGE,
        at=STARTED + timedelta(minutes=minutes),
        started_at=STARTED,
        incident_id="inc-1",
        status=IncidentStatus.INVESTIGATING,
        components=("ChatGPT", "Conversations"),
        text="We are investigating elevated error rates.",
        url="https://status.openai.com/incidents/inc-1",
    )
    return base.replace(**changes)


def restored(minutes: float = 47) -> Event:
    return event(
        EventKind.RESTORED,
        minutes,
        severity=Severity.OPERATIONAL,
        status=IncidentStatus.RESOLVED,
        text="This incident has been resolved.",
        duration_s=minutes * 60,
    )


async def test_first_event_posts_one_card_with_its_first_thread_line(chat: ChatAdapter) -> None:
    ref, saved = await chat.deliver(event())

    [card] = chat.cards()
    assert card.id == ref.message_id
    assert card.title == f"{SEVERITY_EMOJI[Severity.PARTIAL_OUTAGE]} OpenAI: Partial outage"
    for shown in (
        "Elevated error rates in ChatGPT",
        "ChatGPT, Conversations",
        "We are investigating elevated error rates.",
        "https://status.openai.com/incidents/inc-1",
    ):
        assert shown in card.text
    assert saved[-1] == ref
    chat.check_first_saves(saved, ref)
    assert chat.thread(ref) == [thread_text(event())]
    assert chat.notices() == []
    chat.check_card(card, delivery_id=1, severity=Severity.PARTIAL_OUTAGE)


async def test_an_update_edits_the_card_in_place_and_adds_to_its_thread(
    chat: ChatAdapter,
) -> None:
    ref, _ = await chat.deliver(event())
    update = event(
        EventKind.UPDATE,
        20,
        status=IncidentStatus.IDENTIFIED,
        severity=Severity.MAJOR_OUTAGE,
        text="The issue has been identified and a fix is being rolled out.",
    )
    new_ref, saved = await chat.deliver(update, id=2, card=ref)

    assert new_ref == ref
    assert saved == []
    [card] = chat.cards()
    assert chat.edits() == 1
    assert card.title == f"{SEVERITY_EMOJI[Severity.MAJOR_OUTAGE]} OpenAI: Major outage"
    assert "a fix is being rolled out" in card.text
    assert chat.thread(ref) == [thread_text(event()), thread_text(update)]
    assert chat.notices() == []  # updates stay in the thread
    chat.check_card(card, delivery_id=1, severity=Severity.MAJOR_OUTAGE)


async def test_restoration_turns_the_card_green_and_tells_the_channel_how_long(
    chat: ChatAdapter,
) -> None:
    ref, _ = await chat.deliver(event())
    await chat.deliver(restored(47), id=3, card=ref)

    [card] = chat.cards()
    assert card.title == f"{SEVERITY_EMOJI[Severity.OPERATIONAL]} OpenAI: Restored after 47 min"
    assert "47 min" in card.text
    [notice] = chat.notices()
    assert "restored after 47 min" in notice
    assert "restored after 47 min" in chat.thread(ref)[-1]
    chat.check_restoration_notice(ref)
    chat.check_card(card, delivery_id=1, severity=Severity.OPERATIONAL)


async def test_a_reminder_only_speaks_in_the_thread(chat: ChatAdapter) -> None:
    ref, _ = await chat.deliver(event())
    reminder = event(EventKind.REMINDER, 60, duration_s=3600)
    assert (await chat.deliver(reminder, id=4, card=ref))[0] == ref

    assert chat.edits() == 0
    assert len(chat.cards()) == 1
    assert chat.notices() == []
    assert "Still ongoing after 1 h" in chat.thread(ref)[-1]


async def test_retry_after_the_post_reached_the_platform_does_not_post_twice(
    chat: ChatAdapter,
) -> None:
    """The card landed but its answer was lost (the bot died or the connection dropped)."""
    chat.lose_answer_to_next_post()
    with pytest.raises(TransientDeliveryError):
        await chat.deliver(event())
    assert len(chat.cards()) == 1  # it did reach the platform

    ref, saved = await chat.deliver(event(), attempt=2)

    [card] = chat.cards()
    assert ref.message_id == card.id
    assert saved[-1] == ref
    assert len(chat.thread(ref)) == 1
    chat.check_retry_lookups()


async def test_a_delivery_repeated_after_it_fully_landed_changes_nothing(
    chat: ChatAdapter,
) -> None:
    """Every call succeeded but the bot died before recording the row as sent."""
    first, _ = await chat.deliver(event(), id=7)
    again, saved = await chat.deliver(event(), id=7, attempt=2)

    assert again == first
    assert saved[-1] == first
    assert len(chat.cards()) == 1
    assert chat.thread(first) == [thread_text(event())]


async def test_retry_after_a_lost_thread_line_does_not_say_it_twice(chat: ChatAdapter) -> None:
    ref, _ = await chat.deliver(event())
    update = event(EventKind.UPDATE, 5, text="Still investigating.")
    chat.lose_answer_to_next_post()
    with pytest.raises(TransientDeliveryError):
        await chat.deliver(update, id=2, card=ref)
    await chat.deliver(update, id=2, card=ref, attempt=2)

    lines = chat.thread(ref)
    assert sum("Still investigating." in line for line in lines) == 1
    assert len(chat.cards()) == 1


async def test_a_short_429_is_waited_out_without_loss_or_double(chat: ChatAdapter) -> None:
    chat.rate_limit_next_post()
    ref, saved = await chat.deliver(event())

    assert len(chat.cards()) == 1
    assert len(chat.thread(ref)) == 1
    assert saved[-1] == ref
    chat.check_rate_limited_calls()


async def test_a_429_longer_than_a_worker_waits_goes_back_with_its_retry_after(
    chat: ChatAdapter,
) -> None:
    retry_after = await chat.rate_limit_beyond_waiting()
    with pytest.raises(TransientDeliveryError) as caught:
        await chat.deliver(event())
    assert caught.value.retry_after_s == retry_after
    assert chat.cards() == []


async def test_a_server_error_is_transient(chat: ChatAdapter) -> None:
    chat.server_error_on_next_post()
    with pytest.raises(TransientDeliveryError):
        await chat.deliver(event())
    assert chat.cards() == []


async def test_a_channel_gone_is_permanent_for_that_channel_only(chat: ChatAdapter) -> None:
    chat.delete_channel()
    with pytest.raises(PermanentDeliveryError) as caught:
        await chat.deliver(event())
    assert caught.value.workspace_wide is False
    assert chat.channel_gone_code in caught.value.reason


async def test_a_revoked_token_is_permanent_workspace_wide_and_not_logged(
    chat: ChatAdapter,
) -> None:
    chat.revoke_token()
    with pytest.raises(PermanentDeliveryError) as caught:
        await chat.deliver(event())
    assert caught.value.workspace_wide is True
    assert chat.token not in str(caught.value)
    assert chat.token not in caught.value.reason


async def test_a_deleted_card_is_replaced_by_a_fresh_one(chat: ChatAdapter) -> None:
    ref, _ = await chat.deliver(event())
    chat.delete_card(ref)  # a moderator removed it
    update = event(EventKind.UPDATE, 5, severity=Severity.MAJOR_OUTAGE, text="Fix deployed.")
    new_ref, saved = await chat.deliver(update, id=2, card=ref)

    assert new_ref.message_id != ref.message_id
    assert saved[-1] == new_ref
    [card] = chat.cards()
    assert card.id == new_ref.message_id
    assert card.title.startswith(SEVERITY_EMOJI[Severity.MAJOR_OUTAGE])
    assert "Fix deployed." in chat.thread(new_ref)[-1]


async def test_a_huge_update_is_cut_to_the_platforms_limits(chat: ChatAdapter) -> None:
    huge = event(
        text="Status update. " * 700,  # about 10,000 characters
        title="T" * 400,
        components=tuple(f"Component number {n}" for n in range(300)),
        page_name="P" * 300,
    )
    ref, _ = await chat.deliver(huge)

    [card] = chat.cards()
    assert chat.over_limits(card) == []
    assert "…" in card.text  # visibly cut, not silently dropped
    assert "Status update. Status update." in card.text
    chat.check_cut(card)
    [line] = chat.thread(ref)
    assert "Status update." in line
    assert len(line) <= chat.line_limit


async def test_a_merged_card_closes_with_one_line_pointing_to_the_story(chat: ChatAdapter) -> None:
    ref, _ = await chat.deliver(event())
    merged = event(
        EventKind.MERGED,
        5,
        text=None,
        status=None,
        merged_into="openai:inc-2",
        merged_into_title="Elevated errors across ChatGPT and the API",
    )
    assert (await chat.deliver(merged, id=2, card=ref))[0] == ref

    [card] = chat.cards()  # the same card, closed: no second card
    assert card.title.endswith("Now tracked as Elevated errors across ChatGPT and the API")
    assert chat.thread(ref)[-1] == "➡️ Now tracked as Elevated errors across ChatGPT and the API"
    assert chat.notices() == []


async def test_an_ending_without_a_card_is_one_line_not_a_card(chat: ChatAdapter) -> None:
    """A channel that never had this incident's card hears of its end in one line."""
    ref, saved = await chat.deliver(restored(47))

    visible = [card.title for card in chat.cards() if "header" not in card.text] + chat.notices()
    assert visible == [thread_text(restored(47))]
    assert not [card for card in chat.cards() if "header" in card.text or "title" in card.text]
    assert chat.thread(ref) == []
    assert saved == [ref]


# --- the configured outputs: the same delivery contract -------------------------------
# Webhooks, Slack incoming webhooks, Teams and Telegram (tests/output_adapters.py): nothing
# lost, nothing doubled, a 429 honoured. Only Telegram can edit a card in place; the others
# show each later event as a follow-up message.


@pytest.fixture(params=sorted(OUTPUT_ADAPTERS))
async def output(request: pytest.FixtureRequest) -> AsyncIterator[OutputAdapter]:
    adapter = OUTPUT_ADAPTERS[request.param]()
    await adapter.start()
    try:
        yield adapter
    finally:
        await adapter.stop()


async def test_an_output_shows_the_first_event_once(output: OutputAdapter) -> None:
    await output.deliver(event())

    shown = output.messages()
    assert len(shown) == (2 if output.edits_in_place else 1)  # Telegram: card and its reply
    assert "Elevated error rates in ChatGPT" in shown[0]
    assert "We are investigating elevated error rates." in " ".join(shown)


async def test_an_output_shows_each_update_edited_in_place_or_as_a_follow_up(
    output: OutputAdapter,
) -> None:
    ref, _ = await output.deliver(event())
    update = event(EventKind.UPDATE, 20, severity=Severity.MAJOR_OUTAGE, text="Fix rolling out.")
    await output.deliver(update, id=2, card=ref)
    await output.deliver(restored(47), id=3, card=ref)

    shown = output.messages()
    if output.edits_in_place:
        assert output.edited() == 2
        assert "Restored after 47 min" in shown[0]
        assert len([m for m in shown if "Official status page" in m]) == 1  # one card
    else:
        assert len(shown) == 3
    assert "Fix rolling out." in " ".join(shown)
    assert "47 min" in shown[-1] or "2820" in shown[-1]  # the generic webhook: duration_s


async def test_an_output_429_goes_back_with_its_retry_after_and_the_retry_shows_once(
    output: OutputAdapter,
) -> None:
    output.rate_limit_next(7)
    with pytest.raises(TransientDeliveryError) as caught:
        await output.deliver(event())
    assert caught.value.retry_after_s == 7
    assert output.messages() == []

    await output.deliver(event(), attempt=2)
    assert len([m for m in output.messages() if "Elevated error rates" in m]) == 1


async def test_an_output_server_error_is_transient_and_nothing_is_lost(
    output: OutputAdapter,
) -> None:
    output.server_error_next()
    with pytest.raises(TransientDeliveryError):
        await output.deliver(event())
    await output.deliver(event(), attempt=2)
    assert any("Elevated error rates" in m for m in output.messages())


async def test_an_output_that_is_gone_is_permanent(output: OutputAdapter) -> None:
    output.gone()
    with pytest.raises(PermanentDeliveryError) as caught:
        await output.deliver(event())
    assert caught.value.workspace_wide is False


async def test_a_webhook_retry_after_a_lost_answer_is_recognised_by_its_delivery_id(
    output: OutputAdapter,
) -> None:
    if not output.dedupes_retries:
        pytest.skip(f"{output.platform} cannot recognise a repeat (docs/outputs.md says so)")
    output.lose_answer_to_next_post()
    with pytest.raises(TransientDeliveryError):
        await output.deliver(event())
    await output.deliver(event(), attempt=2)
    assert len(output.messages()) == 1
