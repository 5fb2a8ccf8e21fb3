"""Slash commands through the real slack-bolt app over the fake's Socket Mode websocket."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest

from bot.commands import CommandService
from bot.config import Config
from bot.errors import ConfigError
from bot.machine import SourceState
from bot.store.store import PollCommit, Store
from fakes.slack import FakeSlack
from integrations.slack import create
from integrations.slack.platform import SlackPlatform
from tests.slack.conftest import slack_config
from tests.waiting import DEADLINE_SCALE, until

CHANNEL = "C0GENERAL"


@pytest.fixture
async def platform(
    slack: FakeSlack, config: Config, commands: CommandService
) -> AsyncIterator[SlackPlatform]:
    platform = create(slack_config(config, slack.api_url), commands)
    await platform.start()
    assert platform.connected
    yield platform
    await platform.stop()
    assert not platform.connected


async def test_subscribe_stores_the_channel_and_list_shows_it(
    slack: FakeSlack, platform: SlackPlatform, store: Store
) -> None:
    run = await slack.slash_command("/statusbot", "subscribe", channel_id=CHANNEL)

    assert run.acked_at is not None
    assert run.acked_at - run.sent_at < 3.0
    assert run.responses[0]["response_type"] == "ephemeral"
    assert "Subscribed this channel to OpenAI" in run.text
    subs = await store.subscriptions.channel_subscriptions("slack", CHANNEL)
    assert [(s.provider, s.workspace_id) for s in subs] == [("openai", "T0FAKE")]

    listed = await slack.slash_command("/statusbot", "list", channel_id=CHANNEL)
    assert "• OpenAI: all components, degraded and worse" in listed.text


async def test_unsubscribe_removes_it(
    slack: FakeSlack, platform: SlackPlatform, store: Store
) -> None:
    await slack.slash_command("/statusbot", "subscribe claude min:major", channel_id=CHANNEL)
    run = await slack.slash_command("/statusbot", "unsubscribe claude", channel_id=CHANNEL)

    assert "Unsubscribed this channel from Anthropic" in run.text
    assert await store.subscriptions.channel_subscriptions("slack", CHANNEL) == []


async def test_private_channel_not_joined_says_invite_me(
    slack: FakeSlack, platform: SlackPlatform, store: Store
) -> None:
    slack.set_channel("G0SECRET", is_private=True, is_member=False)
    run = await slack.slash_command("/statusbot", "subscribe", channel_id="G0SECRET")

    assert "Invite me first: `/invite @statusbot`" in run.text
    assert await store.subscriptions.channel_subscriptions("slack", "G0SECRET") == []


async def test_subscribing_a_direct_message_points_to_channels(
    slack: FakeSlack, platform: SlackPlatform, store: Store
) -> None:
    run = await slack.slash_command("/statusbot", "subscribe", channel_id="D0DIRECT")

    assert "Alerts go to channels" in run.text
    assert await store.subscriptions.channel_subscriptions("slack", "D0DIRECT") == []


async def test_public_channel_not_joined_says_invite_me(
    slack: FakeSlack, platform: SlackPlatform, store: Store
) -> None:
    slack.set_channel("C0OTHER", is_member=False)
    run = await slack.slash_command("/statusbot", "subscribe", channel_id="C0OTHER")

    assert "Invite me first" in run.text
    assert await store.subscriptions.channel_subscriptions("slack", "C0OTHER") == []


async def test_admins_only_refuses_a_regular_member(
    slack: FakeSlack, config: Config, commands: CommandService, store: Store
) -> None:
    slack.set_user("U0ADMIN", admin=True)
    cfg = slack_config(config, slack.api_url, managers="admins", allow_users=["U0FRIEND"])
    platform = create(cfg, commands)
    await platform.start()
    try:
        refused = await slack.slash_command("/statusbot", "subscribe", user_id="U0USER")
        assert "Only workspace admins and owners" in refused.text
        assert await store.subscriptions.channel_subscriptions("slack", CHANNEL) == []

        friend = await slack.slash_command("/statusbot", "subscribe gpt", user_id="U0FRIEND")
        assert "Subscribed" in friend.text
        admin = await slack.slash_command("/statusbot", "subscribe claude", user_id="U0ADMIN")
        assert "Subscribed" in admin.text
        providers = [
            s.provider for s in await store.subscriptions.channel_subscriptions("slack", CHANNEL)
        ]
        assert providers == ["anthropic", "openai"]
        listed = await slack.slash_command("/statusbot", "list", user_id="U0USER")
        assert "Anthropic" in listed.text
    finally:
        await platform.stop()


async def test_is_down_when_source_unreachable_says_so(
    slack: FakeSlack, platform: SlackPlatform, store: Store
) -> None:
    now = datetime.now(UTC)
    since = now - timedelta(minutes=10)
    state = SourceState(
        last_ok_at=now - timedelta(minutes=12), unreachable_since=since, last_error="timeout"
    )
    await store.polls.commit_poll(
        PollCommit(source_id="openai", provider="openai", state=state, at=now, error="timeout")
    )
    run = await slack.slash_command("/is-chatgpt-down", "chatgpt", channel_id=CHANNEL)

    response = run.responses[0]
    assert response["response_type"] == "ephemeral"
    first_line = response["text"].splitlines()[0]
    assert first_line == "❔ OpenAI status is unknown"
    assert "Cannot reach the official status page since" in response["text"]
    assert "is operational" not in first_line
    assert response["blocks"][0]["text"]["text"] == "*❔ OpenAI status is unknown*"


async def test_is_down_public_posts_in_channel(slack: FakeSlack, platform: SlackPlatform) -> None:
    run = await slack.slash_command("/is-chatgpt-down", "claude public", channel_id=CHANNEL)

    assert run.responses[0]["response_type"] == "in_channel"
    assert run.text.startswith("❔ Anthropic")


async def test_unknown_provider_lists_known_ones(slack: FakeSlack, platform: SlackPlatform) -> None:
    run = await slack.slash_command("/is-chatgpt-down", "myspace")

    assert run.responses[0]["response_type"] == "ephemeral"
    assert "I don't know 'myspace'. Known providers: openai (chatgpt, gpt)" in run.text
    assert "anthropic (claude)" in run.text


async def test_thousand_character_argument_is_refused_clearly(
    slack: FakeSlack, platform: SlackPlatform, store: Store
) -> None:
    run = await slack.slash_command("/statusbot", "subscribe " + "x" * 990)

    assert "That is too long (1000 characters; at most 300)." in run.text
    assert "Traceback" not in run.text
    assert await store.subscriptions.all_subscriptions() == []


async def test_odd_unicode_and_unknown_words_get_clear_answers(
    slack: FakeSlack, platform: SlackPlatform
) -> None:
    hidden = await slack.slash_command("/statusbot", "subscribe open\u200bai")
    assert "invisible or control characters" in hidden.text
    unknown = await slack.slash_command("/statusbot", "subscribe bananas")
    assert "I don't understand 'bananas'" in unknown.text
    verb = await slack.slash_command("/statusbot", "frobnicate")
    assert "I don't know the command 'frobnicate'" in verb.text


async def test_slack_failure_mid_command_gets_an_apology_and_no_secret_in_logs(
    slack: FakeSlack, platform: SlackPlatform, store: Store, caplog: pytest.LogCaptureFixture
) -> None:
    slack.fail_next("conversations.info", 1, status=500, error="internal_error")
    run = await slack.slash_command("/statusbot", "subscribe")

    assert (
        run.text == "Sorry, something went wrong on my side while handling that. Please try again."
    )
    assert await store.subscriptions.all_subscriptions() == []
    assert "slack command /statusbot failed: SlackApiError" in caplog.text
    assert slack.bot_token not in caplog.text
    assert slack.app_token not in caplog.text


@pytest.mark.parametrize(
    ("changes", "key"),
    [
        ({"app_token": "xapp-wrong"}, "slack.app_token"),
        ({"bot_token": "xoxb-wrong"}, "slack.bot_token"),
    ],
)
async def test_refused_token_fails_start_up_fast_without_the_secret(
    slack: FakeSlack, config: Config, commands: CommandService, changes: dict, key: str
) -> None:
    platform = create(slack_config(config, slack.api_url, **changes), commands)
    with pytest.raises(ConfigError) as caught:
        async with asyncio.timeout(5):
            await platform.start()
    await platform.stop()

    assert str(caught.value) == f"{key} was refused by Slack (invalid_auth)"
    assert not platform.connected


async def test_commands_still_work_after_slack_asks_for_a_reconnect(
    slack: FakeSlack, platform: SlackPlatform
) -> None:
    before = slack.connections_opened
    await slack.request_reconnect()
    await until(
        lambda: slack.connections_opened > before and platform.connected, "the reconnect", 5
    )

    # The first command on a fresh connection waits for it; give a loaded machine room.
    run = await slack.slash_command("/statusbot", "help", within=5 * DEADLINE_SCALE)
    assert "/statusbot subscribe" in run.text
    assert run.envelope_id in slack.acks


async def test_is_down_understands_the_names_people_type(
    slack: FakeSlack, platform: SlackPlatform
) -> None:
    """Catalog names reach a watched provider; a known one not watched, or a typo, is explained."""
    run = await slack.slash_command("/is-chatgpt-down", "claude code", channel_id=CHANNEL)
    assert run.text.startswith("❔ Anthropic")

    run = await slack.slash_command("/is-chatgpt-down", "gemini", channel_id=CHANNEL)
    assert run.responses[0]["response_type"] == "ephemeral"
    assert run.text.startswith("Google is not watched by this bot.")

    run = await slack.slash_command("/is-chatgpt-down", "claud", channel_id=CHANNEL)
    assert "I don't know 'claud'. Did you mean claude (Anthropic)?" in run.text


async def test_socket_mode_refuses_another_workspace(
    slack: FakeSlack, platform: SlackPlatform, store: Store
) -> None:
    # Refused before any listener: not even acknowledged.
    with pytest.raises(TimeoutError):
        await slack.slash_command(
            "/statusbot", "subscribe", channel_id=CHANNEL, team_id="T0OTHER", within=1.0
        )

    assert await store.subscriptions.channel_subscriptions("slack", CHANNEL) == []
    assert slack.calls_to("conversations.info") == []
