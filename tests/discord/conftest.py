"""Fixtures: a FakeDiscord over real sockets, a real discord.py client logged in to it, a store."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import discord
import pytest

from bot.commands import CommandService
from bot.config import parse_config
from bot.events import Event, EventKind
from bot.models import IncidentStatus, Severity
from bot.notify import CardRef
from bot.store.store import Store
from fakes.discord import FakeDiscord
from integrations.discord.config import DiscordConfig
from integrations.discord.platform import (
    MAX_RATELIMIT_WAIT_S,
    DiscordPlatform,
    minimal_intents,
    point_at,
)

TOKEN = "fake-discord-bot-token"
STARTED = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def _restore_discord_endpoints() -> Any:
    """Route.BASE and DEFAULT_GATEWAY are process-wide; put them back after each test."""
    base = discord.http.Route.BASE
    gateway = discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY
    yield
    discord.http.Route.BASE = base
    discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = gateway


@pytest.fixture
async def fake() -> AsyncIterator[FakeDiscord]:
    async with FakeDiscord(token=TOKEN) as server:
        server.add_guild("Test server", channels=2)
        yield server


@pytest.fixture
def guild_id(fake: FakeDiscord) -> int:
    return next(iter(fake.guilds))


@pytest.fixture
def channel_id(fake: FakeDiscord, guild_id: int) -> int:
    return fake.guilds[guild_id][0]


@pytest.fixture
async def rest_client(fake: FakeDiscord) -> AsyncIterator[discord.Client]:
    """A real discord.Client logged in over REST only (what the notifier needs)."""
    point_at(fake.api_base_url, fake.gateway_url)
    client = discord.Client(intents=minimal_intents(), max_ratelimit_timeout=MAX_RATELIMIT_WAIT_S)
    await client.login(TOKEN)
    try:
        yield client
    finally:
        await client.close()


def bot_config(status_url: str = "http://127.0.0.1:9/api/v2/summary.json") -> Any:
    return parse_config(
        {
            "providers": {
                "openai": {
                    "name": "OpenAI",
                    "aliases": ["chatgpt", "gpt"],
                    "sources": [{"kind": "statuspage", "url": status_url, "interval": 1}],
                },
                "anthropic": {
                    "name": "Anthropic",
                    "aliases": ["claude"],
                    "sources": [{"kind": "statuspage", "url": status_url, "id": "anthropic"}],
                },
            }
        },
        "test",
    )


@pytest.fixture
def service(store: Store) -> CommandService:
    return CommandService(bot_config(), store)


@pytest.fixture
async def platform(
    fake: FakeDiscord, service: CommandService, guild_id: int
) -> AsyncIterator[DiscordPlatform]:
    """The real platform, connected to the fake gateway with commands synced to the guild."""
    config = DiscordConfig(
        token=TOKEN,
        guild_ids=[guild_id],
        api_base_url=fake.api_base_url,
        gateway_url=fake.gateway_url,
    )
    platform = DiscordPlatform(config, service, guild_ready_timeout=0.05)
    await platform.start()
    try:
        yield platform
    finally:
        await platform.stop()


def make_event(kind: EventKind = EventKind.DEGRADED, **changes: Any) -> Event:
    severity = {
        EventKind.DEGRADED: Severity.DEGRADED,
        EventKind.OUTAGE: Severity.MAJOR_OUTAGE,
        EventKind.UPDATE: Severity.PARTIAL_OUTAGE,
        EventKind.RESTORED: Severity.OPERATIONAL,
    }.get(kind, Severity.DEGRADED)
    fields: dict[str, Any] = {
        "kind": kind,
        "provider": "openai",
        "source_id": "openai",
        "page_name": "OpenAI",
        "incident_key": "inc-1",
        "incident_id": "inc-1",
        "title": "Elevated error rates in ChatGPT",
        "severity": severity,
        "status": IncidentStatus.INVESTIGATING,
        "at": STARTED + timedelta(minutes=5),
        "started_at": STARTED,
        "components": ("ChatGPT", "Login"),
        "text": "We are investigating elevated error rates.",
        "url": "https://status.openai.com/incidents/inc-1",
    }
    if kind is EventKind.RESTORED:
        fields.update(status=IncidentStatus.RESOLVED, duration_s=47 * 60)
    fields.update(changes)
    return Event(**fields)


class CardBook:
    """Records what the notifier asked to save, like the outbox's save_card would."""

    def __init__(self) -> None:
        self.saved: list[CardRef] = []

    async def __call__(self, ref: CardRef) -> None:
        self.saved.append(ref)
