"""Secrets never leave the process: not in logs at DEBUG, not in errors, not in files.

Runs the real bot with known fake tokens (from the environment, as ${VAR} in the config) in
Slack HTTP or Socket Mode plus Discord, at DEBUG, drives failures through it (status page
faults, Slack 500/429/invalid_auth/token_revoked, Discord 500/403/401, hostile commands)
and greps everything the bot printed or wrote for each token. `check-config` too.
"""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import sqlite3
import subprocess
import sys
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from bot.routing import Subscription
from bot.store.store import Store
from fakes.discord import FakeDiscord
from fakes.slack import FakeSlack, sign_request
from fakes.statuspage import FakeStatusPage
from tests.botproc import ROOT, write_config
from tests.storm import SUMMARY, committed_events, pending, source_version, storm
from tests.waiting import until

pytestmark = pytest.mark.slow

SECRETS = {
    "SLACK_BOT_TOKEN": "xoxb-LEAKCHECK-bot-4f9a1c77",
    "SLACK_APP_TOKEN": "xapp-LEAKCHECK-app-8b2d3e11",
    "SLACK_SIGNING_SECRET": "LEAKCHECK-signing-5e6f7a8b9c",
    "DISCORD_TOKEN": "LEAKCHECK-discord-0a1b2c3d4e",
}
SLACK_CHANNELS = ["C0LEAK1", "C0LEAK2"]
HOSTILE_TEXT = "subscribe " + "🦄\u202e\x00" * 40 + "nosuchprovider " + "x" * 3000


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def leaks(text: str) -> list[str]:
    """Names of the secrets found in `text` (whole, or their distinctive tail)."""
    return [
        name for name, value in SECRETS.items() if value in text or value.split("-", 2)[-1] in text
    ]


def leaks_in_files(folder: Path) -> dict[str, list[str]]:
    """Every file the bot wrote (logs, SQLite and its WAL) -> the secrets found in it."""
    found = {}
    for file in sorted(folder.rglob("*")):
        if file.is_file() and (hits := leaks(file.read_bytes().decode("utf-8", "replace"))):
            found[file.name] = hits
    return found


def config(tmp_path: Path, page: FakeStatusPage, slack: FakeSlack, discord: FakeDiscord,
           mode: str, port: int) -> Path:  # fmt: skip
    guild = next(iter(discord.guilds))
    # The page URL carries a secret too, so library request logs (httpx logs every URL at
    # INFO) and fetch-failure texts would show it unless redaction covers them as well.
    url = page.url(SUMMARY) + "?key=${DISCORD_TOKEN}"
    source = {"kind": "statuspage", "url": url, "interval": 1, "timeout": 1,
              "flap_window": 0, "failure_threshold": 2}  # fmt: skip
    return write_config(
        tmp_path / "config.yaml",
        {
            "store": {"url": f"sqlite+aiosqlite:///{tmp_path / 'bot.db'}"},
            "providers": {
                "openai": {"name": "OpenAI", "aliases": ["chatgpt"], "sources": [source]}
            },
            "slack": {
                "bot_token": "${SLACK_BOT_TOKEN}",
                "app_token": "${SLACK_APP_TOKEN}",
                "signing_secret": "${SLACK_SIGNING_SECRET}",
                "mode": mode,
                "http": {"host": "127.0.0.1", "port": port, "path": "/slack/events"},
                "api_url": slack.api_url,
            },
            "discord": {
                "token": "${DISCORD_TOKEN}",
                "guild_ids": [guild],
                "api_base_url": discord.api_base_url,
                "gateway_url": discord.gateway_url,
            },
            "delivery": {"base_backoff": 0.2, "max_backoff": 1, "max_attempts": 4},
            "logging": {"level": "DEBUG"},
            "console": {"enabled": True, "json": True},
        },
    )


@pytest.fixture
async def fakes() -> AsyncIterator[tuple[FakeStatusPage, FakeSlack, FakeDiscord]]:
    page = FakeStatusPage()
    slack = FakeSlack(bot_token=SECRETS["SLACK_BOT_TOKEN"], app_token=SECRETS["SLACK_APP_TOKEN"])
    discord = FakeDiscord(token=SECRETS["DISCORD_TOKEN"])
    await page.start()
    await slack.start()
    await discord.start()
    discord.add_guild("Leaks", channels=2)
    try:
        yield page, slack, discord
    finally:
        await discord.stop()
        await slack.aclose()
        await page.stop()


async def subscribe(db: Path, discord: FakeDiscord) -> list[int]:
    store = Store(f"sqlite+aiosqlite:///{db}")
    await store.initialize()
    guild, channels = next(iter(discord.guilds.items()))
    try:
        for channel in SLACK_CHANNELS:
            await store.subscriptions.subscribe(
                Subscription("slack", channel, "openai", workspace_id="T0FAKE")
            )
        for cid in channels:
            await store.subscriptions.subscribe(
                Subscription("discord", str(cid), "openai", str(guild))
            )
    finally:
        await store.aclose()
    return list(channels)


def disabled(db: Path, platform: str) -> int:
    with sqlite3.connect(db, timeout=30) as conn:
        row = conn.execute(
            "SELECT count(*) FROM subscriptions WHERE platform = ? AND enabled = 0", (platform,)
        ).fetchone()
    return int(row[0])


async def slack_command(port: int, slack: FakeSlack, text: str, secret: str) -> int:
    """A slash command over HTTP, signed with `secret` (the wrong one is a hostile request)."""
    _, payload = slack.slash_form("/statusbot", text, channel_id=SLACK_CHANNELS[0])
    body = slack.slash_body(payload)
    async with (
        aiohttp.ClientSession() as session,
        session.post(
            f"http://127.0.0.1:{port}/slack/events",
            data=body.encode(),
            headers=sign_request(secret, body),
        ) as response,
    ):
        return response.status


async def drive_failures(
    tmp_path: Path, page: FakeStatusPage, slack: FakeSlack, discord: FakeDiscord,
    mode: str, port: int, channels: list[int],
) -> None:  # fmt: skip
    db = tmp_path / "bot.db"
    payloads = storm(6, per_incident=6)
    page.set_payload(SUMMARY, payloads[0])
    await until(lambda: source_version(db) >= 2, "the baseline polls")

    # The status page misbehaves until the bot calls it unreachable, then recovers.
    page.set_fault(SUMMARY, "status", code=500, body="<html>oops</html>")
    await until(lambda: any(e for e in _all_kinds(db) if e == "source_unreachable"), "unreachable")
    page.set_fault(SUMMARY, "truncated")
    await until(lambda: page.count(SUMMARY, 200) >= 1, "a truncated answer")
    page.clear_fault(SUMMARY)

    # Slack and Discord fail transiently (5xx, 429, a channel closed to the bot).
    slack.fail_next("chat.postMessage", 2, status=500, error="internal_error", retry_after=None)
    slack.fail_next("chat.update", 1, status=429, error="ratelimited", retry_after=1)
    discord.fail_next("POST /channels/{channel}/messages", 2, status=500)
    discord.forbid_channel(channels[1])
    for payload in payloads[1:3]:
        version = source_version(db)
        page.set_payload(SUMMARY, payload)
        await until(lambda v=version: source_version(db) >= v + 2, "the update polled")
    await until(lambda: len(slack.top_level(SLACK_CHANNELS[0])) >= 1, "a Slack card")
    await until(lambda: discord.messages(channels[0]), "a Discord card")

    # Hostile commands: a forged signature, then absurd arguments from real users.
    if mode == "http":
        assert await slack_command(port, slack, "subscribe", "not-the-secret") == 401
        assert (
            await slack_command(port, slack, HOSTILE_TEXT, SECRETS["SLACK_SIGNING_SECRET"]) == 200
        )
    else:
        await slack.slash_command("/statusbot", HOSTILE_TEXT, channel_id=SLACK_CHANNELS[0])
    reply = await discord.interact(
        "statusbot", {"providers": HOSTILE_TEXT[:6000]}, subcommand="subscribe",
        channel_id=channels[0], within_s=10,
    )  # fmt: skip
    assert "Traceback" not in reply.text

    await until(lambda: pending(db) == 0, "the updates delivered or given up")

    # The tokens stop working: the next update is refused for good, workspace-wide.
    if mode == "http":
        slack.fail_next("chat.update", 2, status=200, error="invalid_auth", retry_after=None)
    else:
        slack.revoke_token("token_revoked")
    discord.token_revoked = True
    version = source_version(db)
    page.set_payload(SUMMARY, payloads[3])
    await until(lambda: source_version(db) >= version + 2, "the last update polled")
    await until(lambda: disabled(db, "slack") == 2, "slack disabled")
    await until(lambda: disabled(db, "discord") == 2, "discord disabled")


def _all_kinds(db: Path) -> list[str]:
    with sqlite3.connect(db, timeout=30) as conn:
        return [r[0] for r in conn.execute("SELECT kind FROM events")]


@pytest.mark.parametrize("mode", ["http", "socket"])
async def test_no_token_in_any_output_at_debug_through_failures(
    tmp_path: Path, fakes: tuple[FakeStatusPage, FakeSlack, FakeDiscord], mode: str
) -> None:
    page, slack, discord = fakes
    port = _free_port()
    path = config(tmp_path, page, slack, discord, mode, port)
    channels = await subscribe(tmp_path / "bot.db", discord)
    out, err = tmp_path / "stdout.log", tmp_path / "stderr.log"
    env = {**os.environ, **SECRETS, "PYTHONUNBUFFERED": "1"}
    with out.open("wb") as stdout, err.open("wb") as stderr:
        proc = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bot", "run", "--json", "--config", str(path),
            cwd=ROOT, env=env, stdout=stdout, stderr=stderr,
        )  # fmt: skip
    try:
        await drive_failures(tmp_path, page, slack, discord, mode, port, channels)
    finally:
        if proc.returncode is None:
            proc.send_signal(signal.SIGTERM)
            try:
                await asyncio.wait_for(proc.wait(), 20)
            except TimeoutError:
                proc.kill()
                await proc.wait()

    logs = err.read_text(errors="replace")
    assert "DEBUG" in logs, "the bot did not log at DEBUG"
    slack_gone = "invalid_auth" if mode == "http" else "token_revoked"
    for failure in ("HTTP 500", "(code 50001)", "discord token rejected (401)", slack_gone):
        assert failure in logs, f"the run never went through {failure!r}"
    assert committed_events(tmp_path / "bot.db"), "no incident went through the bot"
    assert leaks_in_files(tmp_path) == {}, "secrets leaked (file: secret names)"


def test_check_config_never_prints_the_tokens(tmp_path: Path) -> None:
    good = write_config(
        tmp_path / "good.yaml",
        {
            "providers": {"openai": {"name": "OpenAI", "sources": [
                {"kind": "statuspage", "url": "http://127.0.0.1:9/s.json"}]}},
            "slack": {"bot_token": "${SLACK_BOT_TOKEN}", "mode": "http",
                      "signing_secret": "${SLACK_SIGNING_SECRET}",
                      "app_token": "${SLACK_APP_TOKEN}"},
            "discord": {"token": "${DISCORD_TOKEN}"},
        },
    )  # fmt: skip
    # Secrets put where they do not belong must not be echoed in the error either.
    bad = write_config(
        tmp_path / "bad.yaml",
        {
            "providers": {"openai": {"name": "OpenAI", "sources": [
                {"kind": "statuspage", "url": "${DISCORD_TOKEN}",
                 "interval": "${SLACK_APP_TOKEN}"}]}},
            "slack": {"bot_token": "${SLACK_BOT_TOKEN}", "mode": "${SLACK_SIGNING_SECRET}"},
            "discord": {"token": "${DISCORD_TOKEN}", "guild_ids": ["${SLACK_BOT_TOKEN}"]},
        },
    )  # fmt: skip
    env = {**os.environ, **SECRETS}
    outputs: dict[str, Any] = {}
    for file in (good, bad):
        run = subprocess.run(
            [sys.executable, "-m", "bot", "check-config", str(file)],
            cwd=ROOT, env=env, capture_output=True, text=True, timeout=60,
        )  # fmt: skip
        outputs[file.name] = (run.returncode, run.stdout + run.stderr)
    assert outputs["good.yaml"][0] == 0, outputs
    assert outputs["bad.yaml"][0] == 2, outputs
    assert "Traceback" not in outputs["bad.yaml"][1]
    assert {name: leaks(text) for name, (_, text) in outputs.items()} == {
        "good.yaml": [],
        "bad.yaml": [],
    }
