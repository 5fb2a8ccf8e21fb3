"""HTTP mode: slack-bolt's signature checks plus our replay refusal, over real sockets."""

from __future__ import annotations

import socket
import time
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import aiohttp
import pytest

from bot.commands import CommandService
from bot.config import Config
from bot.store.store import Store
from fakes.slack import FakeSlack, sign_request
from integrations.slack import create
from integrations.slack.http_mode import ReplayGuard
from integrations.slack.platform import SlackPlatform
from tests.slack.conftest import SIGNING_SECRET, slack_config

PATH = "/slack/events"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
async def http_platform(
    slack: FakeSlack, config: Config, commands: CommandService
) -> AsyncIterator[SlackPlatform]:
    cfg = slack_config(
        config,
        slack.api_url,
        mode="http",
        signing_secret=SIGNING_SECRET,
        http={"host": "127.0.0.1", "port": _free_port(), "path": PATH},
    )
    platform = create(cfg, commands)
    await platform.start()
    assert platform.connected
    yield platform
    await platform.stop()


def _url(platform: SlackPlatform) -> str:
    http = platform.config.http
    return f"http://127.0.0.1:{http.port}{http.path}"


async def _post(platform: SlackPlatform, body: str, headers: dict[str, str]) -> int:
    async with (
        aiohttp.ClientSession() as session,
        session.post(_url(platform), data=body.encode(), headers=headers) as response,
    ):
        return response.status


async def test_signed_request_is_handled(
    slack: FakeSlack, http_platform: SlackPlatform, store: Store
) -> None:
    run, payload = slack.slash_form("/statusbot", "subscribe claude", channel_id="C0HTTP")
    body = slack.slash_body(payload)

    assert await _post(http_platform, body, sign_request(SIGNING_SECRET, body)) == 200
    await run.wait_response()
    assert "Subscribed this channel to Anthropic" in run.text
    assert [
        s.provider for s in await store.subscriptions.channel_subscriptions("slack", "C0HTTP")
    ] == ["anthropic"]


async def test_bad_signature_is_401(slack: FakeSlack, http_platform: SlackPlatform) -> None:
    _, payload = slack.slash_form("/statusbot", "subscribe")
    body = slack.slash_body(payload)

    assert await _post(http_platform, body, sign_request("wrong-secret", body)) == 401
    assert slack.calls_to("conversations.info") == []


async def test_stale_timestamp_is_401(slack: FakeSlack, http_platform: SlackPlatform) -> None:
    _, payload = slack.slash_form("/statusbot", "subscribe")
    body = slack.slash_body(payload)
    stale = sign_request(SIGNING_SECRET, body, timestamp=int(time.time()) - 6 * 60)

    assert await _post(http_platform, body, stale) == 401
    assert slack.calls_to("conversations.info") == []


async def test_replayed_request_is_rejected(slack: FakeSlack, http_platform: SlackPlatform) -> None:
    run, payload = slack.slash_form("/statusbot", "subscribe")
    body = slack.slash_body(payload)
    headers = sign_request(SIGNING_SECRET, body)

    assert await _post(http_platform, body, headers) == 200
    await run.wait_response()
    assert await _post(http_platform, body, headers) == 401
    assert len(slack.calls_to("conversations.info")) == 1


async def test_replays_are_remembered_in_the_store_for_the_window(store: Store) -> None:
    keep = timedelta(seconds=ReplayGuard.WINDOW_S + ReplayGuard.SLACK_S)
    start = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)
    assert await store.replays.first_time("1", "v0=a", keep, now=start)
    assert not await store.replays.first_time("1", "v0=a", keep, now=start + timedelta(seconds=10))
    assert await store.replays.first_time("1", "v0=b", keep, now=start + timedelta(seconds=10))
    later = start + keep + timedelta(seconds=1)
    assert await store.replays.first_time("1", "v0=a", keep, now=later)


async def test_another_workspace_is_refused(
    slack: FakeSlack, http_platform: SlackPlatform, store: Store
) -> None:
    run, payload = slack.slash_form(
        "/statusbot", "subscribe", channel_id="C0EVIL", team_id="T0EVIL"
    )
    body = slack.slash_body(payload)

    assert await _post(http_platform, body, sign_request(SIGNING_SECRET, body)) == 401
    assert await store.subscriptions.channel_subscriptions("slack", "C0EVIL") == []
    assert slack.calls_to("conversations.info") == []
