"""Detection latency: flip a page at a random phase of the poll cycle, time the first chat call.

Many independent providers run in one bot process, each with its own page path, its own
Slack channel and its own Discord channel, so 30 flips per interval happen concurrently
at independent random phases instead of one after another. Each flip is timed on the
fakes with one monotonic clock: flip -> first chat call (latency), and first poll that
saw the flip -> first chat call (processing). The same for the restoration.
"""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import Awaitable, Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from bench import logsplit
from bench.botrun import BotRun
from bench.payloads import summary
from bench.sizes import Sizes
from bench.stats import median, p95
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
from fakes.discord import FakeDiscord
from fakes.slack import FakeSlack

NAN = float("nan")
LOGGED_KINDS = {"outage": ("outage", "degraded"), "restore": ("restored",)}
SETTLE_S = 1.5  # let the previous delivery finish (Slack paces 1 message/s per channel)
CHAT_METHODS = ("chat.postMessage", "chat.update")


@dataclass(frozen=True)
class Sample:
    platform: str
    interval_s: float
    event: str  # "outage" (operational -> outage) or "restore" (outage -> resolved)
    latency_s: float
    processing_ms: float
    commit_ms: float = NAN  # poll answered -> event committed (from the bot's log)
    dispatch_ms: float = NAN  # event committed -> first chat call


@dataclass(frozen=True)
class Observed:
    """Raw stamps of one flip on one platform (monotonic, benchmark clock)."""

    key: str
    platform: str
    interval_s: float
    event: str
    flipped: float
    polled: float | None
    chat: float


@dataclass(frozen=True)
class Probe:
    """One provider under test: its page path and its two channels."""

    key: str
    interval_s: float
    flips: int
    path: str
    slack_channel: str
    discord_channel: int


def make_probes(sizes: Sizes, discord: FakeDiscord, guild_id: int) -> list[Probe]:
    """One probe per detection source, in a fixed order (the flip phases follow it)."""
    probes: list[Probe] = []
    for interval, count, flips in sizes.detection:
        for n in range(count):
            key = f"d{int(interval)}s{n:02d}"
            channel = discord.add_channel(guild_id, f"c{key}")
            probes.append(
                Probe(key, interval, flips, f"/{key}/summary.json", f"C{key.upper()}", channel)
            )
    return probes


def first_slack_call(slack: FakeSlack, channel: str, after: float) -> float | None:
    for call in slack.calls:
        if call.at >= after and call.method in CHAT_METHODS and call.args.get("channel") == channel:
            return call.at
    return None


async def run(sizes: Sizes, workdir: Path, seed: int = 7) -> dict[str, Any]:
    rng = random.Random(seed)
    page = TimedStatusPage()
    slack = fake_slack()
    discord = fake_discord()
    async with page, slack, discord:
        guild_id, _ = discord.add_guild("bench-detection", channels=0)
        probes = make_probes(sizes, discord, guild_id)
        for probe in probes:
            page.set_payload(probe.path, summary(probe.key))
        url = store_url(workdir, "detection")
        subs = [("slack", p.slack_channel, p.key, "T0FAKE") for p in probes]
        subs += [("discord", str(p.discord_channel), p.key, str(guild_id)) for p in probes]
        await seed_subscriptions(url, subs)
        providers = {p.key: provider(p.key, source(page.url(p.path), p.interval_s)) for p in probes}
        config = bot_config(url, providers, slack=slack, discord=discord, json_logs=True)
        offset = logsplit.wall_to_monotonic_offset()
        started = time.monotonic()
        async with BotRun(workdir, "detection", config) as bot:
            await bot.wait_until(lambda: slack.socket_connected, "Slack Socket Mode", 60)
            await bot.wait_until(discord._identified.is_set, "Discord gateway", 60)
            await bot.wait_until(
                lambda: all(page.polls(p.path) for p in probes), "baseline polls", 60
            )
            results = await asyncio.gather(
                *(_flip(bot, page, slack, discord, p, random.Random(rng.random())) for p in probes)
            )
        logged = logsplit.event_times(bot.log_file, offset)
        samples = [_sample(o, logged) for per_probe, _ in results for o in per_probe]
        misses = sum(m for _, m in results)
        return {
            "samples": [asdict(s) for s in samples],
            "summary": summarize(samples, sizes),
            "missed": misses,
            "wall_s": round(time.monotonic() - started, 1),
            "sources": {str(i): c for i, c, _ in sizes.detection},
            "poll_gaps": _poll_gaps(page, probes),
        }


Watch = Callable[["Probe", float, float], Awaitable[dict[str, float | None]]]


@dataclass(frozen=True)
class Flip:
    """One flip of one probe's page and when each watcher first told its users."""

    event: str
    flipped: float
    polled: float | None
    seen: dict[str, float | None]


async def flip_probe(
    page: TimedStatusPage,
    probe: Probe,
    rng: random.Random,
    watch: Watch,
    mirrors: tuple[str, ...] = (),
) -> list[Flip]:
    """Flip one page `probe.flips` times (outage, then restoration), each at a random phase
    drawn from `rng`; `mirrors` are other paths served the same bytes at the same instant
    (a peer watching its own copy). `watch(probe, flipped, within)` waits for the first
    notifications after a flip."""
    flips: list[Flip] = []
    deadline_s = 2 * probe.interval_s + 15
    for cycle in range(probe.flips):
        outage = summary(probe.key, f"{probe.key}-i{cycle}", ("Investigating elevated errors.",))
        for event, body in (("outage", outage), ("restore", summary(probe.key))):
            await asyncio.sleep(SETTLE_S + rng.uniform(0, probe.interval_s))
            flipped = time.monotonic()
            for path in (probe.path, *mirrors):
                page.set_payload(path, body)
            seen = await watch(probe, flipped, deadline_s)
            flips.append(Flip(event, flipped, page.first_poll_after(probe.path, flipped), seen))
    return flips


async def _flip(
    bot: BotRun,
    page: TimedStatusPage,
    slack: FakeSlack,
    discord: TimedDiscord,
    probe: Probe,
    rng: random.Random,
) -> tuple[list[Observed], int]:
    """Flip one probe's page and time the first Slack and Discord calls after each flip."""

    async def watch(probe: Probe, flipped: float, within: float) -> dict[str, float | None]:
        return await _first_calls(bot, slack, discord, probe, flipped, within)

    observed: list[Observed] = []
    missed = 0
    for flip in await flip_probe(page, probe, rng, watch):
        for platform, at in flip.seen.items():
            if at is None:
                missed += 1
                continue
            observed.append(
                Observed(
                    probe.key, platform, probe.interval_s, flip.event, flip.flipped,
                    flip.polled, at,
                )
            )  # fmt: skip
    return observed, missed


def _sample(seen: Observed, logged: dict[tuple[str, str], list[float]]) -> Sample:
    if seen.polled is None:
        return Sample(seen.platform, seen.interval_s, seen.event, seen.chat - seen.flipped, NAN)
    committed = logsplit.committed_at(
        logged, seen.key, LOGGED_KINDS[seen.event], seen.polled, seen.chat
    )
    return Sample(
        seen.platform,
        seen.interval_s,
        seen.event,
        seen.chat - seen.flipped,
        (seen.chat - seen.polled) * 1000,
        NAN if committed is None else max(0.0, committed - seen.polled) * 1000,
        NAN if committed is None else max(0.0, seen.chat - committed) * 1000,
    )


def _poll_gaps(page: TimedStatusPage, probes: list[Probe]) -> dict[str, dict[str, float]]:
    """Observed gaps between polls per interval, and the expected wait for a random flip:
    E[gap^2] / (2 E[gap]) (it exceeds interval/2 when the gaps vary)."""
    out = {}
    for interval in sorted({p.interval_s for p in probes}):
        gaps = []
        for probe in (p for p in probes if p.interval_s == interval):
            stamps = page.times.get(probe.path, [])
            gaps += [b - a for a, b in zip(stamps, stamps[1:], strict=False)]
        mean = sum(gaps) / len(gaps) if gaps else 0.0
        wait = sum(g * g for g in gaps) / (2 * sum(gaps)) if gaps else 0.0
        out[str(interval)] = {
            "gaps": len(gaps),
            "mean_s": round(mean, 3),
            "median_s": round(median(gaps), 3),
            "p95_s": round(p95(gaps), 3),
            "expected_wait_s": round(wait, 3),
        }
    return out


async def _first_calls(
    bot: BotRun,
    slack: FakeSlack,
    discord: TimedDiscord,
    probe: Probe,
    flipped: float,
    within: float,
) -> dict[str, float | None]:
    seen: dict[str, float | None] = {"slack": None, "discord": None}
    deadline = time.monotonic() + within
    while time.monotonic() < deadline and bot.alive:
        if seen["slack"] is None:
            seen["slack"] = first_slack_call(slack, probe.slack_channel, flipped)
        if seen["discord"] is None:
            seen["discord"] = discord.first_call_after(probe.discord_channel, flipped)
        if None not in seen.values():
            break
        await asyncio.sleep(0.05)
    return seen


def _known(values: list[float]) -> list[float]:
    return [v for v in values if v == v]  # drop NaN


def summarize(samples: list[Sample], sizes: Sizes) -> list[dict[str, Any]]:
    """Median/p95 per platform, interval and event, beside the physical limit."""
    rows = []
    for interval, _, _ in sizes.detection:
        for event in ("outage", "restore"):
            for platform in ("slack", "discord"):
                picked = [
                    s for s in samples
                    if s.platform == platform and s.interval_s == interval and s.event == event
                ]  # fmt: skip
                latencies = [s.latency_s for s in picked]
                processing = _known([s.processing_ms for s in picked])
                proc_p50 = median(processing)
                limit = interval / 2 + proc_p50 / 1000
                rows.append(
                    {
                        "platform": platform,
                        "interval_s": interval,
                        "event": event,
                        "flips": len(picked),
                        "median_s": round(median(latencies), 3),
                        "p95_s": round(p95(latencies), 3),
                        "processing_p50_ms": round(proc_p50, 1),
                        "processing_p95_ms": round(p95(processing), 1),
                        "commit_p50_ms": round(median(_known([s.commit_ms for s in picked])), 1),
                        "dispatch_p50_ms": round(
                            median(_known([s.dispatch_ms for s in picked])), 1
                        ),
                        # Standard error of a median of uniform phases: interval / (2 sqrt n).
                        "median_se_s": round(interval / (2 * len(picked) ** 0.5), 2)
                        if picked
                        else 0.0,
                        "limit_s": round(limit, 3),
                        "median_vs_limit_pct": round(100 * (median(latencies) / limit - 1), 1)
                        if latencies
                        else 0.0,
                    }
                )
    return rows
