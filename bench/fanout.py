"""Fan-out: one incident to every subscribed channel, then an update, then the restoration.

The fake Slack enforces about one message per second per channel and answers a random 2 %
of posts with 429 + Retry-After; the fake Discord sends its bucket headers. Each wave is
timed from the page flip until every channel shows it on the fakes. Duplicates and losses
are counted on the fakes at the end; lost deliveries are also read from the bot's outbox.
If a wave cannot finish within its budget, the run stops there and says how far it got.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from bench import profile, store_costs
from bench.botrun import BotRun
from bench.payloads import summary
from bench.procstats import cpu_seconds, memory_mb
from bench.sizes import Sizes
from bench.timed_fakes import TimedDiscord, TimedStatusPage
from bench.world import (
    bot_config,
    fake_discord,
    fake_slack,
    provider,
    seed_subscriptions,
    source,
    store_url,
)
from bot.config import DeliveryConfig
from bot.store import schema
from bot.store.store import Store
from fakes.slack import FakeSlack

PATH = "/fanout/summary.json"
KEY = "fanout"
WAVES = ("card", "update", "restore")
PROFILE_S = 15.0


@dataclass
class Wave:
    name: str
    slack_s: float | None = None
    discord_s: float | None = None
    elapsed_s: float = 0.0
    slack_done: int = 0
    discord_done: int = 0
    progress: list[tuple[float, int, int]] = field(default_factory=list)
    cpu_pct: float = 0.0


class Channels:
    """What each channel shows on the fakes, checked per wave."""

    def __init__(self, slack: FakeSlack, discord: TimedDiscord, slack_ids, discord_ids) -> None:
        self.slack, self.discord = slack, discord
        self.slack_ids: list[str] = slack_ids
        self.discord_ids: list[int] = discord_ids

    def slack_state(self, channel: str) -> tuple[int, int, int, bool]:
        """(cards, edits of the first card, thread replies, restoration broadcast)."""
        messages = self.slack.messages(channel)
        tops = [m for m in messages if m.thread_ts is None]
        replies = [m for m in messages if m.thread_ts is not None]
        edits = len(tops[0].edits) if tops else 0
        return len(tops), edits, len(replies), any(m.reply_broadcast for m in replies)

    def discord_state(self, channel: int) -> tuple[int, bool, int]:
        """(channel messages, card edited, thread messages)."""
        messages = list(self.discord.channels[channel].messages.values())
        if not messages:
            return 0, False, 0
        card = messages[0]
        thread = self.discord.channels.get(int(card["id"]))
        return (
            len(messages),
            bool(card.get("edited_timestamp")),
            len(thread.messages) if thread else 0,
        )

    def slack_has(self, wave: str, channel: str) -> bool:
        cards, edits, replies, broadcast = self.slack_state(channel)
        if wave == "card":
            return cards >= 1
        if wave == "update":
            return edits >= 1 and replies >= 2
        return edits >= 2 and broadcast

    def discord_has(self, wave: str, channel: int) -> bool:
        messages, edited, thread = self.discord_state(channel)
        if wave == "card":
            return messages >= 1
        if wave == "update":
            return edited and thread >= 2
        return messages >= 2 and thread >= 3

    def duplicates(self) -> int:
        """Messages beyond one card + three thread replies (Slack) or card + notice + three
        thread lines (Discord) per channel."""
        extra = 0
        for slack_channel in self.slack_ids:
            cards, _, replies, _ = self.slack_state(slack_channel)
            extra += max(0, cards - 1) + max(0, replies - 3)
        for discord_channel in self.discord_ids:
            messages, _, thread = self.discord_state(discord_channel)
            extra += max(0, messages - 2) + max(0, thread - 3)
        return extra


async def run(
    sizes: Sizes, workdir: Path, with_profile: bool = True, concurrency: int | None = None
) -> dict[str, Any]:
    page = TimedStatusPage()
    slack = fake_slack(seed=11)
    slack.rate_limit_enabled = True
    slack.random_429_probability = 0.02
    discord = fake_discord()
    async with page, slack, discord:
        return await _run(sizes, workdir, page, slack, discord, with_profile, concurrency)


async def _run(
    sizes: Sizes,
    workdir: Path,
    page: TimedStatusPage,
    slack: FakeSlack,
    discord: TimedDiscord,
    with_profile: bool,
    concurrency: int | None,
) -> dict[str, Any]:
    page.set_payload(PATH, summary("Fanout AI"))
    slack_ids = [f"C{n:06d}" for n in range(sizes.slack_channels)]
    per_workspace = max(1, sizes.slack_channels // sizes.slack_workspaces)
    subs: list[tuple[str, str, str, str | None]] = [
        ("slack", ch, KEY, f"T{n // per_workspace:05d}") for n, ch in enumerate(slack_ids)
    ]
    discord_ids: list[int] = []
    per_guild = max(1, sizes.discord_channels // sizes.discord_guilds)
    for g in range(sizes.discord_guilds):
        guild_id, ids = discord.add_guild(f"bench-{g}", channels=per_guild)
        discord_ids += ids
        subs += [("discord", str(ch), KEY, str(guild_id)) for ch in ids]
    url = store_url(workdir, "fanout")
    seeded_at = time.monotonic()
    await seed_subscriptions(url, subs)
    seed_s = time.monotonic() - seeded_at
    channels = Channels(slack, discord, slack_ids, discord_ids)
    config = bot_config(
        url, {KEY: provider("Fanout AI", source(page.url(PATH), sizes.fanout_interval_s))},
        slack=slack, discord=discord, concurrency=concurrency,
    )  # fmt: skip
    waves: list[Wave] = []
    profile_report: dict[str, Any] | None = None
    peak: dict[str, float] = {}
    budget_end = time.monotonic() + sizes.fanout_budget_s
    async with BotRun(workdir, "fanout", config) as bot:
        await bot.wait_until(lambda: slack.socket_connected, "Slack Socket Mode", 60)
        await bot.wait_until(discord._identified.is_set, "Discord gateway", 60)
        await bot.wait_until(lambda: page.polls(PATH) >= 2, "baseline polls", 60)
        idle = memory_mb(bot.pid)
        bodies = {
            "card": summary("Fanout AI", "fan-1", ("Investigating elevated errors.",)),
            "update": summary(
                "Fanout AI", "fan-1", ("Investigating elevated errors.", "Rolling back a deploy.")
            ),
            "restore": summary("Fanout AI"),
        }
        for name in WAVES:
            budget = min(sizes.wave_budget_s, budget_end - time.monotonic())
            if budget <= 0:
                break
            page.set_payload(PATH, bodies[name])
            profiler = None
            if with_profile and name == "card" and profile.available():
                profiler = profile.start(bot.pid, workdir / "fanout-profile.txt", PROFILE_S)
            cpu_before = cpu_seconds(bot.pid)
            wave = await _wave(bot, channels, name, budget)
            wave.cpu_pct = 100 * (cpu_seconds(bot.pid) - cpu_before) / max(wave.elapsed_s, 1e-6)
            waves.append(wave)
            if profiler is not None:
                profile_report = await profile.finish(profiler, workdir / "fanout-profile.txt")
            if wave.slack_s is None or wave.discord_s is None:
                break  # later waves would only queue behind an unfinished one
        peak = memory_mb(bot.pid)
    outbox = await _outbox_counts(url)
    result = _result(sizes, waves, channels, outbox, peak, idle, seed_s, profile_report)
    result["concurrency"] = concurrency or DeliveryConfig().concurrency
    # With the bot gone, time the outbox's store calls at this queue depth.
    result["store_costs"] = await store_costs.run(
        workdir, sizes.slack_channels, sizes.discord_channels
    )
    return result


async def _wave(bot: BotRun, channels: Channels, name: str, budget: float) -> Wave:
    wave = Wave(name)
    flipped = time.monotonic()
    slack_left = set(channels.slack_ids)
    discord_left = set(channels.discord_ids)
    while time.monotonic() - flipped < budget and bot.alive:
        slack_left = {c for c in slack_left if not channels.slack_has(name, c)}
        discord_left = {c for c in discord_left if not channels.discord_has(name, c)}
        now = time.monotonic() - flipped
        if not slack_left and wave.slack_s is None:
            wave.slack_s = now
        if not discord_left and wave.discord_s is None:
            wave.discord_s = now
        wave.slack_done = len(channels.slack_ids) - len(slack_left)
        wave.discord_done = len(channels.discord_ids) - len(discord_left)
        wave.progress.append((round(now, 2), wave.slack_done, wave.discord_done))
        if not slack_left and not discord_left:
            break
        await asyncio.sleep(0.5)
    wave.elapsed_s = time.monotonic() - flipped
    return wave


async def _outbox_counts(url: str) -> dict[str, int]:
    """Outbox rows by status, read from the stopped bot's store."""
    store = Store(url)
    try:
        async with store.db.engine.connect() as conn:
            rows = await conn.execute(
                sa.select(schema.outbox.c.status, sa.func.count()).group_by(schema.outbox.c.status)
            )
            return {status: int(count) for status, count in rows}
    finally:
        await store.aclose()


def _result(
    sizes: Sizes,
    waves: list[Wave],
    channels: Channels,
    outbox: dict[str, int],
    peak: dict[str, float],
    idle: dict[str, float],
    seed_s: float,
    profile_report: dict[str, Any] | None,
) -> dict[str, Any]:
    by_name = {w.name: w for w in waves}
    total_channels = sizes.slack_channels + sizes.discord_channels
    complete = len(waves) == len(WAVES) and all(
        w.slack_s is not None and w.discord_s is not None for w in waves
    )
    delivered = sum(w.slack_done + w.discord_done for w in waves)
    busy = sum(w.elapsed_s for w in waves)
    restore = by_name.get("restore")
    missing = total_channels - (restore.slack_done + restore.discord_done if restore else 0)

    def wave_s(name: str) -> float | None:
        """Seconds until every channel showed the wave; None when it did not finish."""
        wave = by_name.get(name)
        if wave is None or wave.slack_s is None or wave.discord_s is None:
            return None
        return round(max(wave.slack_s, wave.discord_s), 2)

    return {
        "json": {
            "slack_channels": sizes.slack_channels,
            "discord_channels": sizes.discord_channels,
            "card_wave_s": wave_s("card"),
            "update_wave_s": wave_s("update"),
            "restore_wave_s": wave_s("restore"),
            "deliveries_per_s": round(delivered / busy, 1) if busy else 0.0,
            "duplicates": channels.duplicates(),
            "lost": outbox.get("dead", 0) + outbox.get("dropped", 0) + (missing if complete else 0),
            "peak_rss_mb": round(peak.get("peak_rss_mb", 0.0), 1),
        },
        "complete": complete,
        "waves": [
            {
                "name": w.name,
                "slack_s": None if w.slack_s is None else round(w.slack_s, 2),
                "discord_s": None if w.discord_s is None else round(w.discord_s, 2),
                "elapsed_s": round(w.elapsed_s, 2),
                "slack_done": w.slack_done,
                "discord_done": w.discord_done,
                "slack_rate_per_s": round(w.slack_done / w.elapsed_s, 1) if w.elapsed_s else 0.0,
                "bot_cpu_pct": round(w.cpu_pct, 1),
                "progress": w.progress,
            }
            for w in waves
        ],
        "outbox": outbox,
        "slack_workspaces": sizes.slack_workspaces,
        "wave_budget_s": sizes.wave_budget_s,
        "fanout_budget_s": sizes.fanout_budget_s,
        "card_wave_cpu_pct": round(by_name["card"].cpu_pct, 1) if "card" in by_name else None,
        "idle_rss_before_mb": round(idle.get("rss_mb", 0.0), 1),
        "seed_subscriptions_s": round(seed_s, 2),
        "profile": profile_report,
    }
