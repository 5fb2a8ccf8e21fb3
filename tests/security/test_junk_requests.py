"""Junk requests get a 4xx and, together, one warning line, never a 500 or a traceback.

The real bot process in Slack HTTP mode with its health server; raw-socket clients send
what Slack never would: no timestamp, a non-numeric one, invalid UTF-8, an unknown charset,
a signed `payload=` that is not a JSON object, and bytes that are not HTTP at all.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import socket
import time
from collections.abc import AsyncIterator
from pathlib import Path
from urllib.parse import urlencode

import pytest
import yaml

from fakes.slack import FakeSlack
from fakes.statuspage import FakeStatusPage
from tests.botproc import bot_writing_log
from tests.security.rawhttp import post, raw_request
from tests.waiting import until

pytestmark = pytest.mark.slow

BOT_TOKEN, SIGNING_SECRET = "xoxb-junk-bot", "junk-signing-secret-0123"
PATH = "/slack/events"
FORM = "application/x-www-form-urlencoded"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def signed(body: bytes, timestamp: str | None = None) -> dict[str, str]:
    ts = timestamp or str(int(time.time()))
    base = b"v0:" + ts.encode() + b":" + body
    digest = hmac.new(SIGNING_SECRET.encode(), base, hashlib.sha256).hexdigest()
    return {"X-Slack-Request-Timestamp": ts, "X-Slack-Signature": f"v0={digest}"}


class Servers:
    def __init__(self, slack: FakeSlack, slack_port: int, health_port: int, log: Path) -> None:
        self.slack, self.slack_port, self.health_port, self.log = (
            slack,
            slack_port,
            health_port,
            log,
        )


@pytest.fixture
async def servers(tmp_path: Path) -> AsyncIterator[Servers]:
    slack_port, health_port = free_port(), free_port()
    async with FakeSlack(bot_token=BOT_TOKEN, app_token="xapp-unused") as slack:
        config = {
            "store": {"url": f"sqlite+aiosqlite:///{tmp_path / 'bot.db'}"},
            "providers": {
                "openai": {
                    "name": "OpenAI",
                    "sources": [{"kind": "statuspage", "url": "http://127.0.0.1:9/s.json"}],
                }
            },
            "slack": {
                "bot_token": "${SLACK_BOT_TOKEN}",
                "mode": "http",
                "signing_secret": "${SLACK_SIGNING_SECRET}",
                "api_url": slack.api_url,
                "http": {"host": "127.0.0.1", "port": slack_port, "path": PATH},
            },
            "health": {"host": "127.0.0.1", "port": health_port},
            "console": {"enabled": False},
        }
        config_file = tmp_path / "config.yaml"
        config_file.write_text(yaml.safe_dump(config))
        log = tmp_path / "bot.log"
        env = {"SLACK_BOT_TOKEN": BOT_TOKEN, "SLACK_SIGNING_SECRET": SIGNING_SECRET}
        async with bot_writing_log(config_file, log, env) as process:
            await until(lambda: "statusbot started" in log.read_text() or process.returncode)
            assert process.returncode is None, log.read_text()
            yield Servers(slack, slack_port, health_port, log)


def junk_slack_requests() -> dict[str, bytes]:
    command = urlencode({"command": "/statusbot", "text": "list", "team_id": "T0FAKE"}).encode()
    not_object = urlencode({"payload": json.dumps(["a", "list"])}).encode()
    not_json = urlencode({"payload": "{not json"}).encode()
    bad_utf8 = b"command=%2Fstatusbot&text=\xff\xfe"
    now = str(int(time.time()))
    return {
        "no timestamp": post(PATH, command, {"Content-Type": FORM, "X-Slack-Signature": "v0=0"}),
        "non-numeric timestamp": post(
            PATH, command, {"Content-Type": FORM, **signed(command, "soon")}
        ),
        "invalid utf-8": post(PATH, bad_utf8, {"Content-Type": FORM, **signed(bad_utf8, now)}),
        "unknown charset": post(
            PATH, command, {"Content-Type": f"{FORM}; charset=x-klingon", **signed(command, now)}
        ),
        "payload not an object": post(
            PATH, not_object, {"Content-Type": FORM, **signed(not_object, now)}
        ),
        "payload not json": post(PATH, not_json, {"Content-Type": FORM, **signed(not_json, now)}),
        "json body not an object": post(
            PATH, b"[1,2]", {"Content-Type": "application/json", **signed(b"[1,2]", now)}
        ),
    }


async def test_junk_gets_4xx_and_one_warning_without_traceback(servers: Servers) -> None:
    for name, request in junk_slack_requests().items():
        for _ in range(30):
            status = await raw_request(servers.slack_port, request)
            assert status in range(400, 500), (name, status, _tail(servers))
    for garbage in (
        b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03" * 20,
        b"GET /\xff HTTP/9\r\n\r\n",
    ):
        for port in (servers.slack_port, servers.health_port):
            status = await raw_request(port, garbage)
            assert status is None or 400 <= status < 500, status
    huge = b"text=" + b"x" * 2_000_000
    too_big = post(PATH, huge, {"Content-Type": FORM, **signed(huge)})
    assert await raw_request(servers.slack_port, too_big) == 413
    health = b"GET /healthz?x=\xff HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
    assert await raw_request(servers.health_port, health) in (200, 400)

    log = servers.log.read_text(errors="replace")
    assert "Traceback" not in log, log[-3000:]
    assert " ERROR " not in log, log[-3000:]
    refusals = [line for line in log.splitlines() if "malformed request" in line]
    # 200+ junk requests: one line for the Slack endpoint, one for aiohttp's own parser.
    assert all(" WARNING " in line for line in refusals), refusals
    assert len(refusals) == 2, "\n".join(refusals[:20])
    assert "refused 1 malformed request" in refusals[0]


async def test_answers_go_only_to_slack(servers: Servers) -> None:
    """A signed command whose response_url points at an internal service is refused."""
    async with FakeStatusPage() as internal:
        run, payload = servers.slack.slash_form("/statusbot", "help", channel_id="C0HTTP")
        forged = urlencode({**payload, "response_url": internal.url("/admin/hook")}).encode()
        request = post(PATH, forged, {"Content-Type": FORM, **signed(forged)})
        assert await raw_request(servers.slack_port, request) == 400
        await asyncio.sleep(0.5)
        assert internal.requests == []

        genuine = urlencode(payload).encode()
        request = post(PATH, genuine, {"Content-Type": FORM, **signed(genuine)})
        assert await raw_request(servers.slack_port, request) == 200
        await run.wait_response()
        assert "/statusbot subscribe" in run.text


def _tail(servers: Servers) -> str:
    return servers.log.read_text(errors="replace")[-3000:]
