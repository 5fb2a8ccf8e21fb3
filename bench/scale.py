"""Scale: one incident to N Slack channels (in N/10 workspaces) and N/10 Discord channels,
delivered by three bot replicas sharing one PostgreSQL database.

The real bot processes against the rate-limited fakes (Slack about one message per second
per channel, 2 % random 429s; Discord's bucket headers), as in fanout.py. Each wave (the
card, then the restoration) is timed from the page flip until every channel shows it.
Then: duplicates and losses counted on the fakes and in the outbox, peak RSS per replica,
the database's size, and how the cost grows with N. Slack runs in single-token mode: the
workspace ids are distinct, the token is one (10,000 OAuth installations would only add
a cached token lookup per delivery).

`python -m bench scale --channels 1000,3000`; each size needs a few minutes of a 2-core
machine per thousand Slack channels less than the one before it: pick what you can afford.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import asyncpg

from bench.botrun import BotRun
from bench.machine import today
from bench.payloads import summary
from bench.procstats import memory_mb
from bench.timed_fakes import TimedDiscord, TimedStatusPage
from bench.world import bot_config, fake_discord, fake_slack, provider, seed_subscriptions, source
from fakes.slack import FakeSlack

PATH = "/scale/summary.json"
KEY = "scale"
REPLICAS = 3
PG_ADMIN = "postgresql://postgres@127.0.0.1:5432/test"
WAVE_BUDGET_S = 240.0


@contextlib.asynccontextmanager
async def fresh_database() -> AsyncIterator[str]:
    name = f"statusbot_scale_{uuid.uuid4().hex[:8]}"
    admin = await asyncpg.connect(PG_ADMIN, timeout=5)
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
    finally:
        await admin.close()
    try:
        yield f"postgresql+asyncpg://postgres@127.0.0.1:5432/{name}"
    finally:
        admin = await asyncpg.connect(PG_ADMIN, timeout=5)
        try:
            await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        finally:
            await admin.close()


class Channels:
    """What every channel shows on the fakes."""

    def __init__(self, slack: FakeSlack, discord: TimedDiscord, slack_ids, discord_ids) -> None:
        self.slack, self.discord = slack, discord
        self.slack_ids: list[str] = slack_ids
        self.discord_ids: list[int] = discord_ids

    def slack_counts(self, channel: str) -> tuple[int, int, bool]:
        """(cards, thread replies, restoration broadcast)."""
        messages = self.slack.messages(channel)
        replies = [m for m in messages if m.thread_ts is not None]
        cards = sum(1 for m in messages if m.thread_ts is None)
        return cards, len(replies), any(m.reply_broadcast for m in replies)

    def discord_counts(self, channel: int) -> tuple[int, int]:
        """(channel messages, thread messages)."""
        messages = list(self.discord.channels[channel].messages.values())
        if not messages:
            return 0, 0
        thread = self.discord.channels.get(int(messages[0]["id"]))
        return len(messages), len(thread.messages) if thread else 0

    def shows(self, wave: str) -> tuple[int, int]:
        if wave == "card":
            slack = sum(1 for c in self.slack_ids if self.slack_counts(c)[0] >= 1)
            discord = sum(1 for c in self.discord_ids if self.discord_counts(c)[0] >= 1)
        else:
            slack = sum(1 for c in self.slack_ids if self.slack_counts(c)[2])
            discord = sum(1 for c in self.discord_ids if self.discord_counts(c)[0] >= 2)
        return slack, discord

    def duplicates(self) -> int:
        """Beyond one card and two thread replies (Slack: the first update, the broadcast
        restoration) or card + notice and two thread lines (Discord) per channel."""
        extra = 0
        for slack_channel in self.slack_ids:
            cards, replies, _ = self.slack_counts(slack_channel)
            extra += max(0, cards - 1) + max(0, replies - 2)
        for discord_channel in self.discord_ids:
            messages, thread = self.discord_counts(discord_channel)
            extra += max(0, messages - 2) + max(0, thread - 2)
        return extra


async def run(
    counts: list[int], workdir: Path, previous: dict[str, Any] | None = None
) -> dict[str, Any]:
    """Measure each size; sizes measured before (`previous`) and not now are kept."""
    rows = {row["slack_channels"]: row for row in (previous or {}).get("sizes", [])}
    for slack_channels in counts:
        row = await _one_size(slack_channels, workdir)
        row["measured_at"] = today()
        rows[slack_channels] = row
    return {"replicas": REPLICAS, "sizes": [rows[n] for n in sorted(rows)]}


def stable(data: dict[str, Any] | None) -> list[dict[str, Any]]:
    """results.json's rows: one per size."""
    out = []
    for row in (data or {}).get("sizes", []):
        waves = {w["name"]: w for w in row["waves"] if w["complete"]}
        out.append(
            {
                "slack_channels": row["slack_channels"],
                "slack_workspaces": row["slack_workspaces"],
                "discord_channels": row["discord_channels"],
                "replicas": (data or {}).get("replicas"),
                "card_wave_s": _wave_s(waves.get("card")),
                "restore_wave_s": _wave_s(waves.get("restore")),
                "deliveries_per_s": row["deliveries_per_s"],
                "duplicates": row["duplicates"],
                "lost": row["lost"],
                "peak_rss_mb_per_replica": row["peak_rss_mb_per_replica"],
                "database_mb": row["database_mb"],
            }
        )
    return out


def _done(row: dict[str, Any], name: str) -> dict[str, Any] | None:
    return next((w for w in row["waves"] if w["name"] == name and w["complete"]), None)


def _wave_s(wave: dict[str, Any] | None) -> float | None:
    return None if wave is None else max(wave["slack_s"], wave["discord_s"])


async def _one_size(slack_channels: int, workdir: Path) -> dict[str, Any]:
    page = TimedStatusPage()
    slack = fake_slack(seed=17)
    slack.rate_limit_enabled = True
    slack.random_429_probability = 0.02
    discord = fake_discord()
    async with page, slack, discord, fresh_database() as url:
        return await _measure(slack_channels, workdir, url, page, slack, discord)


async def _measure(
    n: int,
    workdir: Path,
    url: str,
    page: TimedStatusPage,
    slack: FakeSlack,
    discord: TimedDiscord,
) -> dict[str, Any]:
    page.set_payload(PATH, summary("Scale AI"))
    workspaces = max(1, n // 10)
    slack_ids = [f"C{k:07d}" for k in range(n)]
    subs: list[tuple[str, str, str, str | None]] = [
        ("slack", ch, KEY, f"T{k % workspaces:06d}") for k, ch in enumerate(slack_ids)
    ]
    discord_ids: list[int] = []
    discord_channels = max(1, n // 10)
    for g in range(max(1, discord_channels // 50)):
        guild_id, ids = discord.add_guild(f"scale-{g}", channels=min(50, discord_channels))
        discord_ids += ids
        subs += [("discord", str(ch), KEY, str(guild_id)) for ch in ids]
    seeded = time.monotonic()
    await seed_subscriptions(url, subs)
    seed_s = time.monotonic() - seeded
    channels = Channels(slack, discord, slack_ids, discord_ids)
    config = bot_config(url, {KEY: provider("Scale AI", source(page.url(PATH), 2.0))}, slack=slack,
                        discord=discord)  # fmt: skip
    config["store"]["leader_lease"] = 6.0
    config["delivery"] = {"claim_lease": 60.0}
    waves: list[dict[str, Any]] = []
    async with contextlib.AsyncExitStack() as stack:
        bots = [
            await stack.enter_async_context(BotRun(workdir, f"scale-{n}-{r}", config))
            for r in range(REPLICAS)
        ]
        await bots[0].wait_until(lambda: len(slack._sockets) >= REPLICAS, "Socket Mode x3", 120)
        await bots[0].wait_until(lambda: page.polls(PATH) >= 2, "baseline polls", 120)
        bodies = {
            "card": summary("Scale AI", "scale-1", ("Investigating elevated errors.",)),
            "restore": summary("Scale AI"),
        }
        for name, body in bodies.items():
            page.set_payload(PATH, body)
            wave = await _wave(bots, channels, name)
            waves.append(wave)
            if not wave["complete"]:
                break
        peaks = [round(memory_mb(b.pid).get("peak_rss_mb", 0.0), 1) for b in bots]
        polled_by = sum(1 for b in bots if "leads poll:scale" in b.log_tail(400))
    outbox, db_mb = await _database(url)
    total = len(slack_ids) + len(discord_ids)
    restored = waves[-1]["slack_done"] + waves[-1]["discord_done"] if waves else 0
    complete = len(waves) == len(bodies) and all(w["complete"] for w in waves)
    busy = sum(w["elapsed_s"] for w in waves)
    delivered = sum(w["slack_done"] + w["discord_done"] for w in waves)
    return {
        "slack_channels": n,
        "slack_workspaces": workspaces,
        "discord_channels": len(discord_ids),
        "complete": complete,
        "waves": waves,
        "deliveries_per_s": round(delivered / busy, 1) if busy else 0.0,
        "duplicates": channels.duplicates(),
        "lost": outbox.get("dead", 0) + outbox.get("dropped", 0) + (total - restored),
        "peak_rss_mb_per_replica": peaks,
        "database_mb": db_mb,
        "outbox": outbox,
        "replicas_that_polled": polled_by,
        "seed_subscriptions_s": round(seed_s, 1),
    }


async def _wave(bots: list[BotRun], channels: Channels, name: str) -> dict[str, Any]:
    flipped = time.monotonic()
    slack_s = discord_s = None
    slack_done = discord_done = 0
    while time.monotonic() - flipped < WAVE_BUDGET_S and all(b.alive for b in bots):
        slack_done, discord_done = channels.shows(name)
        now = round(time.monotonic() - flipped, 2)
        if slack_s is None and slack_done == len(channels.slack_ids):
            slack_s = now
        if discord_s is None and discord_done == len(channels.discord_ids):
            discord_s = now
        if slack_s is not None and discord_s is not None:
            break
        await asyncio.sleep(0.5)
    elapsed = time.monotonic() - flipped
    return {
        "name": name,
        "slack_s": slack_s,
        "discord_s": discord_s,
        "elapsed_s": round(elapsed, 2),
        "slack_done": slack_done,
        "discord_done": discord_done,
        "complete": slack_s is not None and discord_s is not None,
    }


async def _database(url: str) -> tuple[dict[str, int], float]:
    conn = await asyncpg.connect(url.replace("postgresql+asyncpg://", "postgresql://"))
    try:
        rows = await conn.fetch("SELECT status, count(*) AS n FROM outbox GROUP BY status")
        size = await conn.fetchval("SELECT pg_database_size(current_database())")
    finally:
        await conn.close()
    return {r["status"]: int(r["n"]) for r in rows}, round(int(size) / 2**20, 1)


def section(data: dict[str, Any] | None) -> list[str]:
    """The results.md section."""
    if not data:
        return []
    lines = [
        "## Scale: three replicas on PostgreSQL",
        "",
        f"`python -m bench scale`: {data['replicas']} bot replicas on one PostgreSQL "
        "database, one incident (card, then restoration) to N Slack channels in N/10 "
        "workspaces and N/10 Discord channels, through the rate-limited fakes. A wave is "
        "timed from the page flip until every channel shows it.",
        "",
        "| Slack channels | workspaces | Discord channels | card wave | restore wave | "
        "deliveries/s | duplicates | lost | peak RSS per replica (MiB) | database | measured |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for row in data["sizes"]:
        waves = {w["name"]: w for w in row["waves"]}

        def wave_s(name: str, waves: dict[str, Any] = waves) -> str:
            wave = waves.get(name)
            if wave is None:
                return "not run"
            if not wave["complete"]:
                return (
                    f"unfinished after {wave['elapsed_s']:.0f} s "
                    f"({wave['slack_done']} + {wave['discord_done']} channels)"
                )
            return f"{max(wave['slack_s'], wave['discord_s']):.1f} s"

        lines.append(
            f"| {row['slack_channels']:,} | {row['slack_workspaces']:,} | "
            f"{row['discord_channels']:,} | {wave_s('card')} | {wave_s('restore')} | "
            f"{row['deliveries_per_s']} | {row['duplicates']} | {row['lost']} | "
            f"{', '.join(str(p) for p in row['peak_rss_mb_per_replica'])} | "
            f"{row['database_mb']} MiB | {str(row.get('measured_at', ''))[:16]} |"
        )
    largest = max((row["slack_channels"] for row in data["sizes"]), default=0)
    growth = []
    for row in data["sizes"]:
        seconds = _wave_s(_done(row, "card"))
        if seconds is not None:
            per_thousand = seconds / row["slack_channels"] * 1000
            growth.append(f"{row['slack_channels']:,}: {per_thousand:.1f} s")
    lines += [
        "",
        "Card wave per 1,000 Slack channels (how the cost grows): " + "; ".join(growth) + ".",
    ]
    if largest < 100_000:
        top = max(data["sizes"], key=lambda row: row["slack_channels"])
        rate = top["deliveries_per_s"] or 1.0
        minutes = 2 * 110_000 / rate / 60  # two waves to 100,000 + 10,000 channels
        lines += [
            "",
            "Not measured: 100,000 Slack channels (10,000 workspaces). The fakes answer every "
            "chat call inside the benchmark process, beside the three replicas and "
            "PostgreSQL, on a shared 2-core machine; at the rate measured for "
            f"{top['slack_channels']:,} channels ({rate} deliveries/s) the two waves alone "
            f"would take about {minutes:.0f} minutes (an estimate, not a measurement), more "
            "than this machine can give one benchmark.",
        ]
    lines += [
        "",
        "The page was polled by one replica at a time (`replicas_that_polled` in "
        "results_detail.json: replicas whose log says they led it); every replica runs an "
        "outbox worker. Slack in single-token mode (one token, distinct workspace ids).",
        "",
    ]
    return lines
