"""Crowd buttons in Slack's HTTP mode: a signed `block_actions` POST (`payload=` form field,
shaped like the real one in tests/fixtures/interactions/slack/) is counted and thanked
privately through its response_url; an unsigned one never counts."""

from __future__ import annotations

import copy
import json
import socket
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlencode

import aiohttp
import pytest

from bot.commands import CommandService
from bot.config import Config
from bot.crowd_desk import CrowdDesk
from bot.fusion import Verdict
from bot.store.store import Store
from fakes.slack import FakeSlack, SlashRun, sign_request
from integrations.slack import create
from integrations.slack.platform import SlackPlatform
from tests.conftest import FIXTURES
from tests.slack.conftest import SIGNING_SECRET, slack_config

PATH = "/slack/events"
EPOCH = datetime(2000, 1, 1, tzinfo=UTC)
# A click on a card (the message comes along) and on an ephemeral answer (no message at all).
ON_CARD = "block_actions_button_no_value_full_message.json"
ON_EPHEMERAL_ANSWER = "block_actions_button_no_value_ephemeral_container.json"


def real_click(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((FIXTURES / "interactions/slack" / name).read_text())
    return data


class NoFusion:
    async def step(self, provider: str) -> Verdict | None:
        return None


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
async def http_platform(
    slack: FakeSlack, config: Config, commands: CommandService, store: Store
) -> AsyncIterator[SlackPlatform]:
    commands.crowd = CrowdDesk(
        {k: p.name for k, p in config.providers.items()},
        store.signals,
        NoFusion(),
        window_s=600,
        click_every_s=30,
    )
    cfg = slack_config(
        config,
        slack.api_url,
        mode="http",
        signing_secret=SIGNING_SECRET,
        http={"host": "127.0.0.1", "port": _free_port(), "path": PATH},
    )
    platform = create(cfg, commands)
    await platform.start()
    yield platform
    await platform.stop()


def click(slack: FakeSlack, user: str, value: str, fixture: str = ON_CARD) -> tuple[SlashRun, str]:
    """The real payload with our button in it, its response_url at the fake."""
    run, form = slack.slash_form("/is-chatgpt-down", channel_id="C0HTTP", user_id=user)
    payload = copy.deepcopy(real_click(fixture))
    payload["user"].update(id=user, team_id=slack.team_id)
    payload["team"]["id"] = slack.team_id
    payload["channel"]["id"] = payload["container"]["channel_id"] = "C0HTTP"
    payload["actions"][0].update(action_id="crowd_down", value=value)
    payload["response_url"] = form["response_url"]
    return run, urlencode({"payload": json.dumps(payload)})


async def _post(platform: SlackPlatform, body: str, headers: dict[str, str]) -> int:
    http = platform.config.http
    url = f"http://127.0.0.1:{http.port}{http.path}"
    async with (
        aiohttp.ClientSession() as session,
        session.post(
            url,
            data=body.encode(),
            headers={**headers, "Content-Type": "application/x-www-form-urlencoded"},
        ) as response,
    ):
        return response.status


@pytest.mark.parametrize("fixture", [ON_CARD, ON_EPHEMERAL_ANSWER])
async def test_a_signed_click_is_counted_and_thanked_privately(
    slack: FakeSlack, http_platform: SlackPlatform, store: Store, fixture: str
) -> None:
    run, body = click(slack, "U0HTTP", "openai", fixture)
    assert await _post(http_platform, body, sign_request(SIGNING_SECRET, body)) == 200
    (answer,) = await run.wait_response()
    assert answer["text"] == "Thanks — 1 person in 1 channel reports this."
    assert answer["response_type"] == "ephemeral"
    assert slack.calls_to("chat.postMessage") == []


async def test_an_unsigned_click_never_counts(
    slack: FakeSlack, http_platform: SlackPlatform, store: Store
) -> None:
    _run, body = click(slack, "U0EVIL", "openai")
    assert await _post(http_platform, body, sign_request("not-the-secret", body)) == 401
    assert await store.signals.reports("openai", EPOCH) == []


async def test_a_click_for_an_unknown_provider_is_answered_not_counted(
    slack: FakeSlack, http_platform: SlackPlatform, store: Store
) -> None:
    run, body = click(slack, "U0JUNK", "x" * 500)
    assert await _post(http_platform, body, sign_request(SIGNING_SECRET, body)) == 200
    (answer,) = await run.wait_response()
    assert "no longer watches" in answer["text"]
    assert await store.signals.reports("openai", EPOCH) == []
