"""Cost at rest and under polling, measured on real bot processes side by side.

Three bots run at once against the same fakes: one idle (one source polled every 20 s that
never changes, Slack Socket Mode and the Discord gateway connected) for resident memory and
CPU at rest, and two polling 100 sources
every 30 s, one with conditional GET and one without. CPU is utime+stime from /proc over
a measured window after warm-up, extrapolated to an hour; bytes are response bytes
(status line + headers as measured on the wire once, plus bodies) counted by the fake.
"""

from __future__ import annotations

import asyncio
import functools
import random
import time
from pathlib import Path
from typing import Any

from bench import imports, profile
from bench.botrun import ROOT, BotRun
from bench.procstats import cpu_seconds, memory_mb
from bench.sizes import Sizes
from bench.timed_fakes import TimedStatusPage
from bench.world import bot_config, fake_discord, fake_slack, provider, source, store_url
from fakes.statuspage import RecordedRequest

# A real status page body (OpenAI's summary.json, 7 KB) so the bytes are realistic.
BODY = (ROOT / "tests" / "fixtures" / "openai_summary_2026-09-24_operational.json").read_bytes()
IDLE_INTERVAL_S = 20.0
CHANGES_PER_INTERVAL = 2  # sources whose page changes per poll interval (the rest get 304s)


async def run(sizes: Sizes, workdir: Path, seed: int = 3) -> dict[str, Any]:
    rng = random.Random(seed)
    page = TimedStatusPage()
    slack = fake_slack()
    discord = fake_discord()
    async with page, slack, discord:
        discord.add_guild("bench-idle", channels=1)
        sources = range(sizes.poll_sources)
        for i in sources:
            for mode in ("cg", "full"):
                page.set_payload(f"/{mode}/{i}/summary.json", BODY)
        page.set_payload("/idle/summary.json", BODY)
        wire = await _wire_sizes(page, "/cg/0/summary.json")
        bots = {
            "idle": _idle_config(workdir, page, slack, discord),
            "cg": _polling_config(workdir, page, sizes, "cg", conditional_get=True),
            "full": _polling_config(workdir, page, sizes, "full", conditional_get=False),
        }
        runs = {name: BotRun(workdir, f"resources-{name}", cfg) for name, cfg in bots.items()}
        try:
            for bot in runs.values():
                await bot.start()
            idle = runs["idle"]
            await idle.wait_until(lambda: slack.socket_connected, "Slack Socket Mode", 60)
            await idle.wait_until(discord._identified.is_set, "Discord gateway", 60)
            for mode in ("cg", "full"):
                await runs[mode].wait_until(
                    functools.partial(_all_polled, page, mode, sizes.poll_sources),
                    "first polls",
                    60,
                )
            await asyncio.sleep(sizes.idle_settle_s)
            profiler = None
            if sizes.poll_window_s >= 30 and profile.available():
                # Where a polling bot's CPU goes; py-spy samples without pausing it.
                out = workdir / "resources-profile.txt"
                profiler = profile.start(runs["cg"].pid, out, sizes.poll_window_s - 5)
            measured = await _window(sizes, page, runs, wire, rng)
            if profiler is not None:
                measured["profile"] = await profile.finish(profiler, out)
        finally:
            await asyncio.gather(*(bot.stop() for bot in runs.values()))
        measured["imports"] = await imports.run()  # after the window: no CPU contention
        return measured


async def _window(
    sizes: Sizes,
    page: TimedStatusPage,
    runs: dict[str, BotRun],
    wire: dict[int, int],
    rng: random.Random,
) -> dict[str, Any]:
    """Measure CPU and bytes over the window while a few pages change now and then."""
    first_request = len(page.requests)
    cpu_before = {name: cpu_seconds(bot.pid) for name, bot in runs.items()}
    started = time.monotonic()
    changes = 0
    step = sizes.poll_interval_s / CHANGES_PER_INTERVAL
    while (elapsed := time.monotonic() - started) < sizes.poll_window_s:
        await asyncio.sleep(min(step, sizes.poll_window_s - elapsed))
        i = rng.randrange(sizes.poll_sources)
        body = BODY + b" " * rng.randrange(1, 64)  # a new ETag, the same meaning
        for mode in ("cg", "full"):
            page.set_payload(f"/{mode}/{i}/summary.json", body)
        changes += 1
    window = time.monotonic() - started
    cpu = {name: cpu_seconds(bot.pid) - cpu_before[name] for name, bot in runs.items()}
    memory = {name: memory_mb(bot.pid) for name, bot in runs.items()}
    requests = page.requests[first_request:]
    traffic = {mode: _traffic(requests, f"/{mode}/", wire) for mode in ("cg", "full")}
    saved = (
        100 * (1 - traffic["cg"]["bytes"] / traffic["full"]["bytes"])
        if traffic["full"]["bytes"]
        else 0.0
    )
    per_hour = 3600 / window
    return {
        "json": {
            "idle_rss_mb": round(memory["idle"]["rss_mb"], 1),
            "cpu_s_per_hour_100_sources": round(cpu["cg"] * per_hour, 1),
            "conditional_get_bytes_saved_pct": round(saved, 1),
        },
        "window_s": round(window, 1),
        "sources": sizes.poll_sources,
        "interval_s": sizes.poll_interval_s,
        "page_changes": changes,
        "cpu_s_per_hour": {name: round(value * per_hour, 2) for name, value in cpu.items()},
        "rss_mb": {name: round(m["rss_mb"], 1) for name, m in memory.items()},
        "peak_rss_mb": {name: round(m["peak_rss_mb"], 1) for name, m in memory.items()},
        "anon_mb": {name: round(m["anon_mb"], 1) for name, m in memory.items()},
        "file_mb": {name: round(m["file_mb"], 1) for name, m in memory.items()},
        "traffic": traffic,
        "wire_bytes_per_response": {str(k): v for k, v in wire.items()},
        "body_bytes": len(BODY),
    }


def _all_polled(page: TimedStatusPage, mode: str, count: int) -> bool:
    return all(page.polls(f"/{mode}/{i}/summary.json") for i in range(count))


def _traffic(requests: list[RecordedRequest], prefix: str, wire: dict[int, int]) -> dict[str, int]:
    picked = [r for r in requests if r.path.startswith(prefix)]
    headers = {200: wire[200] - len(BODY), 304: wire[304]}
    total = sum(headers.get(r.status, 0) + r.bytes_sent for r in picked)
    return {
        "requests": len(picked),
        "not_modified": sum(1 for r in picked if r.status == 304),
        "bytes": total,
    }


async def _wire_sizes(page: TimedStatusPage, path: str) -> dict[int, int]:
    """Bytes of one full answer (200) and one 304, read off a raw socket."""
    full = await _raw_get(page, path, "")
    etag = next(
        line.split(":", 1)[1].strip()
        for line in full.decode("latin-1").split("\r\n")
        if line.lower().startswith("etag:")
    )
    not_modified = await _raw_get(page, path, f"If-None-Match: {etag}\r\n")
    page.requests.clear()
    return {200: len(full), 304: len(not_modified)}


async def _raw_get(page: TimedStatusPage, path: str, extra: str) -> bytes:
    reader, writer = await asyncio.open_connection(page.host, page.port)
    try:
        request = f"GET {path} HTTP/1.1\r\nHost: {page.host}\r\n{extra}Connection: close\r\n\r\n"
        writer.write(request.encode())
        await writer.drain()
        return await asyncio.wait_for(reader.read(), 10)
    finally:
        writer.close()


def _idle_config(workdir: Path, page: TimedStatusPage, slack: Any, discord: Any) -> dict[str, Any]:
    providers = {"idle": provider("Idle", source(page.url("/idle/summary.json"), IDLE_INTERVAL_S))}
    return bot_config(store_url(workdir, "idle"), providers, slack=slack, discord=discord)


def _polling_config(
    workdir: Path, page: TimedStatusPage, sizes: Sizes, mode: str, conditional_get: bool
) -> dict[str, Any]:
    providers = {
        f"{mode}{i}": provider(
            f"Source {i}",
            source(page.url(f"/{mode}/{i}/summary.json"), sizes.poll_interval_s, conditional_get),
        )
        for i in range(sizes.poll_sources)
    }
    return bot_config(store_url(workdir, mode), providers)
