"""Slack in many workspaces: "Add to Slack" (OAuth v2), each workspace's own token on its
channels, and an uninstall that leaves nothing behind; the real bot process, fake Slack."""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import AsyncIterator
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from fakes.slack import FakeSlack, sign_request
from fakes.statuspage import FakeStatusPage
from tests.botproc import BotProcess, write_config
from tests.conftest import fixture_bytes, fresh_pg_database
from tests.replicas import free_port
from tests.waiting import until

SUMMARY = "/api/v2/summary.json"
BEFORE = fixture_bytes(
    "incident_io/openai_summary_2026-07-09_operational_no_incidents_key_keysorted.json"
)
INCIDENT = fixture_bytes("openai_summary_2026-09-22_monitoring.json")
OPERATIONAL = fixture_bytes("openai_summary_2026-09-24_operational.json")
SIGNING_SECRET = "oauth-signing-secret-5b1d"


class Rig:
    def __init__(
        self, slack: FakeSlack, page: FakeStatusPage, workdir: Path, store_url: str = ""
    ) -> None:
        self.slack = slack
        self.page = page
        self.db = workdir / "bot.db"
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.config = write_config(
            workdir / f"config-{self.port}.yaml",
            {
                "store": {"url": store_url or f"sqlite+aiosqlite:///{self.db}"},
                "providers": {
                    "openai": {
                        "name": "OpenAI",
                        "aliases": ["chatgpt"],
                        "sources": [
                            {
                                "kind": "statuspage",
                                "url": page.url(SUMMARY),
                                "interval": 1,
                                "flap_window": 0,
                            }
                        ],
                    }
                },
                "slack": {
                    "mode": "http",
                    "signing_secret": "${SLACK_SIGNING_SECRET}",
                    "api_url": slack.api_url,
                    "http": {"host": "127.0.0.1", "port": self.port, "path": "/slack/events"},
                    "oauth": {
                        "client_id": slack.client_id,
                        "client_secret": "${SLACK_CLIENT_SECRET}",
                    },
                },
                "console": {"enabled": False},
            },
        )
        self.env = {
            "SLACK_SIGNING_SECRET": SIGNING_SECRET,
            "SLACK_CLIENT_SECRET": slack.client_secret,
        }

    async def install(
        self, team_id: str, team_name: str, back_to: Rig | None = None
    ) -> httpx.Response:
        """A workspace admin clicks "Add to Slack", consents, and comes back with a code
        (to `back_to`: another replica behind the same load balancer)."""
        async with httpx.AsyncClient(base_url=self.base) as client:
            start = await client.get("/slack/install")
            assert start.status_code == 302
            consent = urlsplit(start.headers["location"])
            assert consent.path == "/oauth/v2/authorize"
            query = parse_qs(consent.query)
            assert query["client_id"] == [self.slack.client_id]
            assert "chat:write" in query["scope"][0]
            cookie = start.headers["set-cookie"].split(";")[0]  # the browser keeps it
            code = self.slack.grant(team_id, team_name)
            back = back_to.base if back_to is not None else self.base
            return await client.get(
                f"{back}/slack/oauth_redirect",
                params={"code": code, "state": query["state"][0]},
                headers={"Cookie": cookie},
            )

    async def post(self, body: str, content_type: str) -> httpx.Response:
        headers = {**sign_request(SIGNING_SECRET, body), "Content-Type": content_type}
        async with httpx.AsyncClient() as client:
            return await client.post(
                f"{self.base}/slack/events", content=body.encode(), headers=headers
            )

    async def subscribe(self, team_id: str, channel: str) -> str:
        run, payload = self.slack.slash_form(
            "/statusbot", "subscribe chatgpt", channel_id=channel, team_id=team_id
        )
        answer = await self.post(
            self.slack.slash_body(payload), "application/x-www-form-urlencoded"
        )
        assert answer.status_code == 200
        await run.wait_response(within=15)
        return run.text

    def posts_to(self, channel: str) -> list[str]:
        """The tokens of the calls that posted or edited in `channel`."""
        return [
            call.token
            for method in ("chat.postMessage", "chat.update")
            for call in self.slack.ok_calls_to(method)
            if call.args.get("channel") == channel
        ]

    def rows(self, table: str, channel: str) -> int:
        with sqlite3.connect(self.db) as conn:
            query = f"SELECT count(*) FROM {table} WHERE channel_id = ?"  # noqa: S608 - our names
            return int(conn.execute(query, (channel,)).fetchone()[0])


@pytest.fixture
async def rig(tmp_path: Path) -> AsyncIterator[Rig]:
    async with FakeSlack() as slack, FakeStatusPage() as page:
        page.set_payload(SUMMARY, BEFORE)
        yield Rig(slack, page, tmp_path)


async def _answering(rig: Rig) -> bool:
    try:
        async with httpx.AsyncClient() as client:
            await client.get(f"{rig.base}/slack/install")
    except httpx.HTTPError:
        return False
    return True


async def test_two_workspaces_install_get_their_own_token_and_an_uninstall_cleans_up(
    rig: Rig,
) -> None:
    async with BotProcess(rig.config, env=rig.env) as bot:
        await until(lambda: _answering(rig), "the bot's HTTP endpoint", 30)
        for team, name in (("T0ACME", "Acme"), ("T0BETA", "Beta")):
            done = await rig.install(team, name)
            assert done.status_code == 200, done.text
            assert rig.slack.token_of(team) is not None
        assert "Subscribed" in await rig.subscribe("T0ACME", "C0ACME")
        assert "Subscribed" in await rig.subscribe("T0BETA", "C0BETA")

        rig.page.set_payload(SUMMARY, INCIDENT)
        await until(
            lambda: rig.slack.top_level("C0ACME") and rig.slack.top_level("C0BETA"),
            "the incident card in both workspaces",
            30,
        )
        # Each workspace's channel was reached with that workspace's token, never another's.
        assert set(rig.posts_to("C0ACME")) == {rig.slack.token_of("T0ACME")}
        assert set(rig.posts_to("C0BETA")) == {rig.slack.token_of("T0BETA")}

        # Acme uninstalls: Slack revokes its token and tells the app.
        rig.slack.revoke_team("T0ACME")
        event = rig.slack.event_body("T0ACME", {"type": "app_uninstalled"})
        assert (await rig.post(event, "application/json")).status_code == 200
        await until(
            lambda: rig.rows("subscriptions", "C0ACME") == 0, "Acme's subscriptions removed"
        )
        assert rig.rows("cards", "C0ACME") == 0
        acme_calls = len(rig.posts_to("C0ACME"))

        rig.page.set_payload(SUMMARY, OPERATIONAL)
        await until(
            lambda: "Restored" in str(rig.slack.top_level("C0BETA")[0].blocks),
            "Beta's card restored",
            30,
        )
        await asyncio.sleep(1)
        assert len(rig.posts_to("C0ACME")) == acme_calls  # nothing more went to Acme

        # Beta revokes the bot's token (not an uninstall): the same clean-up.
        revoked = rig.slack.event_body(
            "T0BETA", {"type": "tokens_revoked", "tokens": {"bot": ["U0BOT"]}}
        )
        assert (await rig.post(revoked, "application/json")).status_code == 200
        await until(
            lambda: rig.rows("subscriptions", "C0BETA") == 0, "Beta's subscriptions removed"
        )
        assert rig.rows("cards", "C0BETA") == 0
        assert not any("Traceback" in line for line in bot.stderr), bot.stderr[-30:]
        assert not any(rig.slack.client_secret in line for line in bot.stderr)


async def test_a_workspace_that_never_installed_the_app_is_not_served(rig: Rig) -> None:
    async with BotProcess(rig.config, env=rig.env):
        await until(lambda: _answering(rig), "the bot's HTTP endpoint", 30)
        run, payload = rig.slack.slash_form(
            "/statusbot", "subscribe chatgpt", channel_id="C0STRANGER", team_id="T0STRANGER"
        )
        answer = await rig.post(rig.slack.slash_body(payload), "application/x-www-form-urlencoded")
        assert "Subscribed" not in answer.text
        await run.wait_response(within=15)
        assert "reinstall this app" in run.text  # slack-bolt's answer: no installation here
        assert rig.rows("subscriptions", "C0STRANGER") == 0


async def test_an_install_without_its_state_cookie_is_refused(rig: Rig) -> None:
    async with BotProcess(rig.config, env=rig.env):
        await until(lambda: _answering(rig), "the bot's HTTP endpoint", 30)
        async with httpx.AsyncClient(base_url=rig.base) as client:
            start = await client.get("/slack/install")
            state = parse_qs(urlsplit(start.headers["location"]).query)["state"][0]
            code = rig.slack.grant("T0EVIL", "Evil")
            answer = await client.get(
                "/slack/oauth_redirect", params={"code": code, "state": state}
            )
        assert answer.status_code == 400  # another browser than the one that started it
        assert rig.slack.token_of("T0EVIL") is None


def test_oauth_needs_http_mode_and_a_token_or_oauth_is_required() -> None:
    from pydantic import ValidationError

    from integrations.slack.config import SlackConfig

    oauth = {"client_id": "1.2", "client_secret": "s"}
    assert SlackConfig(mode="http", signing_secret="x", oauth=oauth).bot_token is None
    with pytest.raises(ValidationError, match="oauth needs mode 'http'"):
        SlackConfig(app_token="xapp-1", oauth=oauth)
    with pytest.raises(ValidationError, match="bot_token is empty"):
        SlackConfig(mode="http", signing_secret="x")


async def test_behind_a_load_balancer_any_replica_finishes_an_install_and_serves_it(
    tmp_path: Path,
) -> None:
    async with (
        FakeSlack() as slack,
        FakeStatusPage() as page,
        fresh_pg_database() as url,
    ):
        page.set_payload(SUMMARY, BEFORE)
        first, second = Rig(slack, page, tmp_path, url), Rig(slack, page, tmp_path, url)
        async with (
            BotProcess(first.config, env=first.env),
            BotProcess(second.config, env=second.env),
        ):
            for rig in (first, second):
                await until(lambda r=rig: _answering(r), "each replica's HTTP endpoint", 30)
            # The browser starts at one replica and Slack sends it back to the other.
            done = await first.install("T0GAMMA", "Gamma", back_to=second)
            assert done.status_code == 200, done.text
            assert "Subscribed" in await first.subscribe("T0GAMMA", "C0GAMMA")
            page.set_payload(SUMMARY, INCIDENT)
            await until(lambda: slack.top_level("C0GAMMA"), "the card, from either replica", 30)
            assert set(first.posts_to("C0GAMMA")) == {slack.token_of("T0GAMMA")}
