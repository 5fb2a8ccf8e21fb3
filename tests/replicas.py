"""Several real bot processes on one real PostgreSQL database, with the chat fakes.

`Replicas` starts a fake status page (one path per source), fake Slack and fake Discord,
subscribes N channels per platform in the shared database and runs `python -m bot run`
replicas on it, each with its own /readyz (which says what the replica leads).
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
from pathlib import Path
from typing import Any

import asyncpg
import httpx

from bot.routing import Subscription
from bot.store.store import Store
from fakes.discord import FakeDiscord
from fakes.slack import FakeSlack
from fakes.statuspage import FakeStatusPage
from tests.botproc import BotProcess, write_config
from tests.chatfakes import DISCORD_TOKEN, SLACK_APP_TOKEN, SLACK_BOT_TOKEN
from tests.storm import HEALTH_KINDS, SUMMARY, Figures, audit_rows
from tests.waiting import until

PROVIDERS = ("openai", "anthropic", "google")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


class Replicas:
    """Fakes, a shared PostgreSQL store with subscriptions, and bot replicas."""

    def __init__(
        self,
        workdir: Path,
        url: str,
        channels: int,
        sources: int = 1,
        interval: float = 1.0,
        leader_lease: float = 2.0,
        claim_lease: float = 5.0,
        discord_guilds: int = 1,
        discord_shards: int | None = None,
    ) -> None:
        """`discord_shards`: replica n opens shard n of that many (one guild per shard)."""
        self.workdir = workdir
        self.url = url
        self.dsn = url.replace("postgresql+asyncpg://", "postgresql://")
        self.n_channels = channels
        self.providers = PROVIDERS[:sources]
        self.interval = interval
        self.leader_lease = leader_lease
        self.claim_lease = claim_lease
        self.page = FakeStatusPage()
        self.slack = FakeSlack(bot_token=SLACK_BOT_TOKEN, app_token=SLACK_APP_TOKEN)
        self.discord = FakeDiscord(token=DISCORD_TOKEN, record_calls=False)
        self.slack_channels = [f"C0REPL{n:03d}" for n in range(channels)]
        self.discord_channels: list[int] = []
        self.guild_id = 0
        self.guild_ids: list[int] = []
        self.discord_guilds = discord_guilds
        self.discord_shards = discord_shards
        self.bots: list[BotProcess] = []
        self.ports: list[int] = []

    async def __aenter__(self) -> Replicas:
        await self.page.start()
        await self.slack.start()
        await self.discord.start()
        for g in range(self.discord_guilds):
            shard = (g, self.discord_shards) if self.discord_shards else None
            guild, channels = self.discord.add_guild(f"Replicas {g}", self.n_channels, shard)
            self.guild_ids.append(guild)
            self.discord_channels += channels
        self.guild_id = self.guild_ids[0]
        return self

    async def __aexit__(self, *exc: object) -> None:
        try:
            for bot in self.bots:
                if bot.proc is not None and bot.proc.returncode is None:
                    with contextlib.suppress(ProcessLookupError):
                        os.kill(bot.proc.pid, signal.SIGCONT)
                await bot.kill()
        finally:
            await self.discord.stop()
            await self.slack.aclose()
            await self.page.stop()

    @staticmethod
    def path(provider: str) -> str:
        return f"/{provider}{SUMMARY}"

    def config(self, n: int, port: int) -> Path:
        providers = {
            name: {
                "name": name.capitalize(),
                "sources": [
                    {
                        "kind": "statuspage",
                        "url": self.page.url(self.path(name)),
                        "interval": self.interval,
                        "timeout": 2,
                        "flap_window": 0,
                    }
                ],
            }
            for name in self.providers
        }
        return write_config(
            self.workdir / f"replica-{n}.yaml",
            {
                "store": {"url": self.url, "leader_lease": self.leader_lease},
                "providers": providers,
                "slack": {
                    "bot_token": "${SLACK_BOT_TOKEN}",
                    "app_token": "${SLACK_APP_TOKEN}",
                    "api_url": self.slack.api_url,
                },
                "discord": {
                    "token": "${DISCORD_TOKEN}",
                    "guild_ids": self.guild_ids,
                    "api_base_url": self.discord.api_base_url,
                    "gateway_url": self.discord.gateway_url,
                    **(
                        {"shard_count": self.discord_shards, "shard_ids": [n]}
                        if self.discord_shards
                        else {}
                    ),
                },
                "delivery": {
                    "base_backoff": 0.2,
                    "max_backoff": 2,
                    "claim_lease": self.claim_lease,
                },
                "health": {"host": "127.0.0.1", "port": port},
                "console": {"enabled": False},
            },
        )

    async def subscribe_all(self) -> None:
        """Subscribe every channel to every provider (as /statusbot subscribe would)."""
        store = Store(self.url)
        await store.initialize()
        try:
            for provider in self.providers:
                for channel in self.slack_channels:
                    await store.subscriptions.subscribe(
                        Subscription("slack", channel, provider, workspace_id="T0FAKE")
                    )
                for cid in self.discord_channels:
                    guild = self.discord.channels[cid].guild_id
                    await store.subscriptions.subscribe(
                        Subscription("discord", str(cid), provider, workspace_id=str(guild))
                    )
        finally:
            await store.aclose()

    async def start(self, count: int) -> None:
        env = {
            "SLACK_BOT_TOKEN": SLACK_BOT_TOKEN,
            "SLACK_APP_TOKEN": SLACK_APP_TOKEN,
            "DISCORD_TOKEN": DISCORD_TOKEN,
        }
        for n in range(count):
            port = free_port()
            self.ports.append(port)
            self.bots.append(await BotProcess(self.config(n, port), env=env).start())

    async def readyz(self, n: int) -> dict[str, Any] | None:
        """Replica n's /readyz, or None when it does not answer (stopped, paused, starting)."""
        try:
            async with httpx.AsyncClient(timeout=1.0) as client:
                answer = await client.get(f"http://127.0.0.1:{self.ports[n]}/readyz")
        except httpx.HTTPError:
            return None
        body: dict[str, Any] = answer.json()
        return body

    async def leaders(self, among: list[int] | None = None) -> dict[str, list[int]]:
        """Source -> the replicas whose /readyz say they lead it."""
        out: dict[str, list[int]] = {}
        for n in among if among is not None else range(len(self.bots)):
            body = await self.readyz(n)
            for source in (body or {}).get("leads", []):
                out.setdefault(source, []).append(n)
        return out

    async def wait_led_once(self, among: list[int] | None = None, within: float = 30) -> dict:
        """Wait until every source is led by exactly one of the replicas `among`."""

        async def check() -> dict[str, int] | None:
            found = await self.leaders(among)
            led = {p: found.get(p, []) for p in self.providers}
            if all(len(who) == 1 for who in led.values()):
                return {source: who[0] for source, who in led.items()}
            return None

        led: dict = await until(check, "every source led by exactly one replica", within)
        return led

    def signal(self, n: int, sig: signal.Signals) -> None:
        proc = self.bots[n].proc
        assert proc is not None
        os.kill(proc.pid, sig)

    # --- reading the shared database -----------------------------------------------

    async def _query(self, sql: str, *args: Any) -> list[asyncpg.Record]:
        conn = await asyncpg.connect(self.dsn, timeout=5)
        try:
            rows: list[asyncpg.Record] = await conn.fetch(sql, *args)
            return rows
        finally:
            await conn.close()

    async def version(self, provider: str = "openai") -> int:
        rows = await self._query("SELECT version FROM sources WHERE source_id = $1", provider)
        return int(rows[0]["version"]) if rows else 0

    async def pending(self) -> int:
        rows = await self._query("SELECT count(*) AS n FROM outbox WHERE status = 'pending'")
        return int(rows[0]["n"])

    async def hold(self, provider: str, payload: bytes, within: float = 60.0) -> None:
        """Serve `payload` until a poll that fetched it is committed (two commits later)."""
        start = await self.version(provider)
        self.page.set_payload(self.path(provider), payload)

        async def committed() -> bool:
            return await self.version(provider) >= start + 2

        await until(committed, f"two committed polls of {provider}", within)

    async def drain(self, within: float = 120.0) -> None:
        async def empty() -> bool:
            return await self.pending() == 0

        await until(empty, "an empty outbox", within)

    async def audit(self) -> Figures:
        """What every channel shows against what the replicas committed (tests/storm.py)."""
        events = []
        for row in await self._query(
            "SELECT id, kind, incident_key, payload FROM events ORDER BY id"
        ):
            payload = row["payload"]
            data = json.loads(payload) if isinstance(payload, str) else payload
            if row["kind"] not in HEALTH_KINDS:
                events.append(
                    {"id": row["id"], "kind": row["kind"], "incident_key": row["incident_key"],
                     "event": data}
                )  # fmt: skip
        rows = {
            (r["platform"], r["channel_id"], r["event_id"]): (r["id"], r["status"])
            for r in await self._query(
                "SELECT id, platform, channel_id, event_id, status FROM outbox"
            )
        }
        return audit_rows(
            events, rows, self.slack, self.slack_channels, self.discord, self.discord_channels
        )
