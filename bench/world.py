"""Bot configs pointing at the fakes, and subscriptions written straight into the store.

Seeding 12,000 subscriptions by slash command would benchmark the command path, not the
fan-out; one bulk insert into the bot's own (migrated) SQLite store is what we want here.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from bench.botrun import DISCORD_TOKEN, SLACK_APP_TOKEN, SLACK_BOT_TOKEN
from bench.timed_fakes import TimedDiscord
from bot.models import Severity
from bot.store import schema
from bot.store.store import Store
from fakes.discord import FakeDiscord
from fakes.slack import FakeSlack


def store_url(workdir: Path, name: str) -> str:
    return f"sqlite+aiosqlite:///{workdir / (name + '.db')}"


def source(url: str, interval: float, conditional_get: bool = True) -> dict[str, Any]:
    """A statuspage source that reacts at once: no flap window, generous timeout."""
    return {
        "kind": "statuspage",
        "url": url,
        "interval": interval,
        "timeout": 5,
        "flap_window": 0,
        "failure_threshold": 3,
        "conditional_get": conditional_get,
    }


def provider(name: str, *sources: dict[str, Any]) -> dict[str, Any]:
    return {"name": name, "sources": list(sources)}


def bot_config(
    store: str,
    providers: dict[str, dict[str, Any]],
    slack: FakeSlack | None = None,
    discord: FakeDiscord | None = None,
    concurrency: int | None = None,
    json_logs: bool = False,
) -> dict[str, Any]:
    """A config with the console off, logging at INFO, chat platforms on the fakes."""
    config: dict[str, Any] = {
        "store": {"url": store},
        "providers": providers,
        "default_providers": [next(iter(providers))],
        "console": {"enabled": False},
        "logging": {"level": "INFO", "json": json_logs},
    }
    if slack is not None:
        config["slack"] = {
            "bot_token": "${SLACK_BOT_TOKEN}",
            "app_token": "${SLACK_APP_TOKEN}",
            "mode": "socket",
            "api_url": slack.api_url,
        }
    if discord is not None:
        config["discord"] = {
            "token": "${DISCORD_TOKEN}",
            "guild_ids": [],
            "api_base_url": discord.api_base_url,
            "gateway_url": discord.gateway_url,
        }
    if concurrency is not None:
        config["delivery"] = {"concurrency": concurrency}
    return config


def fake_slack(seed: int = 0) -> FakeSlack:
    return FakeSlack(bot_token=SLACK_BOT_TOKEN, app_token=SLACK_APP_TOKEN, seed=seed)


def fake_discord() -> TimedDiscord:
    return TimedDiscord(token=DISCORD_TOKEN)


async def seed_subscriptions(url: str, subs: Iterable[tuple[str, str, str, str | None]]) -> int:
    """Migrate the store, then insert (platform, channel, provider, workspace) rows at once."""
    store = Store(url)
    await store.initialize()
    # Created a minute ago: before any incident the benchmark starts.
    created = datetime.now(UTC) - timedelta(minutes=1)
    rows: list[dict[str, Any]] = [
        {
            "platform": platform,
            "workspace_id": workspace,
            "channel_id": channel,
            "provider": provider_key,
            "components": [],
            "min_severity": int(Severity.DEGRADED),
            "reminder_minutes": 0,
            "enabled": True,
            "created_at": created,
        }
        for platform, channel, provider_key, workspace in subs
    ]
    try:
        async with store.db.engine.begin() as conn:
            for start in range(0, len(rows), 2000):
                await conn.execute(schema.subscriptions.insert(), rows[start : start + 2000])
    finally:
        await store.aclose()
    return len(rows)
