"""changedetection.io measured in the same run, on the same fake page, with the same flips.

The pinned release is installed from PyPI into its own venv under the run's temp dir. Two
phases, each with our bot and the peer running side by side:

- at rest: our bot with one source at 20 s (Slack Socket Mode and the Discord gateway
  connected) and the peer with one watch at 20 s (a notification URL set), nothing
  changing; CPU (utime+stime) and RSS from /proc over the same window;
- detection: the probes of bench/detection.py (same intervals, counts and seed, so the same
  flips at the same phases). Each probe's page has a twin path for the peer, served the
  same bytes from the same flip instant; our latency is flip → first chat call, the peer's
  flip → its notification reaching a local webhook (apprise `json://`).

The peer runs with the network guard of tests/netguard on its path (it may only reach
127.0.0.1), its version check off, and private addresses allowed (the page is local).
Uptime Kuma is not on PyPI: its figures stay quoted, labelled as measured elsewhere.
"""

from __future__ import annotations

import asyncio
import json
import os
import random
import signal
import socket
import sys
import time
from pathlib import Path
from typing import Any

from aiohttp import web

from bench import detection
from bench.botrun import ROOT, BotRun
from bench.payloads import summary
from bench.procstats import cpu_seconds, memory_mb
from bench.sizes import Sizes
from bench.stats import median, p95
from bench.timed_fakes import TimedStatusPage
from bench.world import (
    bot_config,
    fake_discord,
    fake_slack,
    provider,
    seed_subscriptions,
    source,
    store_url,
)

NAME = "changedetection.io"
VERSION = "0.60.10"
REQUIREMENT = f"changedetection.io=={VERSION}"
INSTALL_TIMEOUT_S = 2400.0  # a loaded 2-core machine resolves ~60 packages slowly
IDLE_INTERVAL_S = 20.0
GUARD_SITE = ROOT / "tests" / "netguard" / "site"
PEER_PATH = "/peer{path}"  # the peer's twin of each page path

# Figures not measured by this benchmark, kept so the comparison has them; always labelled.
QUOTED: list[dict[str, Any]] = [
    {
        "name": "changedetection.io 0.60.10",
        "detection": {3.0: (2.36, 3.92), 20.0: (10.77, 18.17)},  # interval -> (median, p95) s
        "idle_memory": "106–108 MiB",
        "cpu_s_per_hour": "28 at 3 s, 10.8 at 20 s",
        "note": "really polls every 3–4 s when set to 3 s",
    },
    {
        "name": "Uptime Kuma 2.5.3",
        "detection": {3.0: (0.67, None), 20.0: (10.03, None)},
        "idle_memory": "153–159 MB",
        "cpu_s_per_hour": "about 44 at 3 s",
        "note": "",
    },
]
QUOTED_SOURCE = "measured elsewhere, not by this benchmark (same class of machine)"


class PeerUnavailable(RuntimeError):
    """The peer could not be installed or started; the quoted figures stand alone."""


def quoted(measured_here: bool) -> list[dict[str, Any]]:
    """Quoted rows in a JSON-friendly shape; the measured peer's own row is left out."""
    rows = [q for q in QUOTED if not (measured_here and q["name"].startswith(NAME))]
    return [{**q, "detection": {str(k): v for k, v in q["detection"].items()}} for q in rows]


async def run(
    sizes: Sizes, workdir: Path, seed: int = 7, venv: Path | None = None
) -> dict[str, Any]:
    """Install the peer, measure both side by side; quoted figures only if that fails.

    `venv` keeps the peer's venv somewhere lasting (reused when it already holds the
    pinned version) instead of a fresh one under the run's temp dir."""
    started = time.monotonic()
    load_at_start = round(os.getloadavg()[0], 1)
    try:
        executable = await install(venv or workdir / "peer-venv")
        installed_s = time.monotonic() - started
        where = f"reused venv {venv}" if venv else "fresh venv under the temp dir"
        idle = await _at_rest(sizes, workdir, executable)
        latency = await _detection(sizes, workdir, executable, seed)
    except PeerUnavailable as exc:
        return {
            "measured_here": False,
            "why_not_here": str(exc),
            "peer": f"{NAME} {VERSION}",
            "quoted": quoted(False),
        }
    result = {
        "measured_here": True,
        "peer": f"{NAME} {VERSION}",
        "install_s": round(installed_s, 1),
        "venv": where,
        "load_average_1m": {"start": load_at_start, "end": round(os.getloadavg()[0], 1)},
        "wall_s": round(time.monotonic() - started, 1),
        "at_rest": idle,
        "detection": latency,
        "quoted": quoted(True),
    }
    result["ratios"] = ratios(result)
    return result


# --- the peer process --------------------------------------------------------------------


async def _run(*argv: str, timeout: float, expect: str = "") -> None:
    proc = await asyncio.create_subprocess_exec(
        *argv, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT
    )
    try:
        out, _ = await asyncio.wait_for(proc.communicate(), timeout)
    except TimeoutError:
        proc.kill()
        await proc.wait()
        raise PeerUnavailable(f"`{' '.join(argv[:4])} …` took over {timeout:.0f} s") from None
    text = out.decode("utf-8", "replace")
    if proc.returncode != 0 or expect not in text:
        tail = text.strip().splitlines()[-3:]
        raise PeerUnavailable(f"`{' '.join(argv[:4])} …` failed: {' / '.join(tail)}")


async def install(venv: Path) -> Path:
    """A venv with the pinned peer (kept if it has it already); returns its console script."""
    executable = venv / "bin" / NAME
    if executable.exists():
        try:
            await _run(str(executable), "--version", timeout=120, expect=VERSION)
            return executable
        except PeerUnavailable:
            pass  # another version: install the pinned one over it
    await _run(sys.executable, "-m", "venv", str(venv), timeout=120)
    python = venv / "bin" / "python"
    await _run(
        str(python), "-m", "pip", "install", "--quiet", "--disable-pip-version-check",
        REQUIREMENT, timeout=INSTALL_TIMEOUT_S,
    )  # fmt: skip
    if not executable.exists():
        raise PeerUnavailable(f"{REQUIREMENT} installed no `{NAME}` command")
    return executable


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class PeerRun:
    """One changedetection.io process watching `watches` (url, interval s, webhook url)."""

    def __init__(
        self, executable: Path, workdir: Path, name: str, watches: list[tuple[str, float, str]]
    ) -> None:
        self.executable = executable
        self.datastore = workdir / f"{name}-datastore"
        self.log_file = workdir / f"{name}.log"
        self.guard_log = workdir / f"{name}-netguard.log"
        self.watches = watches
        self.proc: asyncio.subprocess.Process | None = None

    async def __aenter__(self) -> PeerRun:
        argv = [str(self.executable), "-d", str(self.datastore), "-C", "-h", "127.0.0.1"]
        argv += ["-p", str(_free_port())]
        for index, (url, interval, hook) in enumerate(self.watches):
            options = {
                "time_between_check": {"seconds": int(interval)},
                "time_between_check_use_default": False,
                "notification_urls": [hook],
                "fetch_backend": "html_requests",
            }
            argv += ["-u", url, f"-u{index}", json.dumps(options)]
        env = {
            **os.environ,
            "LOGGER_LEVEL": "WARNING",  # its default is DEBUG; ours logs at INFO
            "DISABLE_VERSION_CHECK": "yes",  # no call home from a benchmark
            "ALLOW_IANA_RESTRICTED_ADDRESSES": "true",  # the fake page is on 127.0.0.1
            "PYTHONPATH": str(GUARD_SITE),
            "STATUSBOT_NETGUARD_LOG": str(self.guard_log),
        }
        with self.log_file.open("wb") as log:
            self.proc = await asyncio.create_subprocess_exec(
                *argv, cwd=self.datastore.parent, env=env, stdout=log,
                stderr=asyncio.subprocess.STDOUT,
            )  # fmt: skip
        return self

    async def __aexit__(self, *exc: object) -> None:
        if self.proc is None or self.proc.returncode is not None:
            return
        self.proc.send_signal(signal.SIGTERM)
        try:
            await asyncio.wait_for(self.proc.wait(), 20)
        except TimeoutError:
            self.proc.kill()
            await self.proc.wait()

    @property
    def pid(self) -> int:
        assert self.proc is not None
        return self.proc.pid

    @property
    def alive(self) -> bool:
        return self.proc is not None and self.proc.returncode is None

    def refused(self) -> list[str]:
        """What the network guard refused the peer (it must stay on 127.0.0.1)."""
        try:
            return self.guard_log.read_text(encoding="utf-8").splitlines()
        except FileNotFoundError:
            return []

    async def wait_until(self, check: Any, what: str, within: float) -> None:
        deadline = time.monotonic() + within
        while time.monotonic() < deadline:
            if check():
                return
            if not self.alive:
                tail = self.log_file.read_text(errors="replace").splitlines()[-20:]
                raise PeerUnavailable(f"{NAME} exited while waiting for {what}: {tail}")
            await asyncio.sleep(0.05)
        raise PeerUnavailable(f"{NAME}: timed out waiting for {what}")


class Webhook:
    """A local receiver for the peer's notifications: when each hook path was first called."""

    def __init__(self) -> None:
        self.times: dict[str, list[float]] = {}
        self._runner: web.AppRunner | None = None
        self.port = 0

    async def __aenter__(self) -> Webhook:
        app = web.Application()
        app.router.add_post("/hook/{key}", self._hook)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.port = int(self._runner.addresses[0][1])
        return self

    async def __aexit__(self, *exc: object) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    def url(self, key: str) -> str:
        return f"json://127.0.0.1:{self.port}/hook/{key}"

    async def _hook(self, request: web.Request) -> web.Response:
        self.times.setdefault(request.match_info["key"], []).append(time.monotonic())
        await request.read()
        return web.Response(text="ok")

    def first_after(self, key: str, at: float) -> float | None:
        return next((t for t in self.times.get(key, []) if t >= at), None)


def _tree_cpu(pid: int) -> float:
    """CPU seconds of a process and its children (the peer may fork helpers)."""
    total = cpu_seconds(pid)
    for child in _children(pid):
        try:
            total += cpu_seconds(child)
        except OSError:
            pass  # exited meanwhile
    return total


def _children(pid: int) -> list[int]:
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            found.append(int(stat.parent.name))
    return found


# --- phase 1: at rest -----------------------------------------------------------------


async def _at_rest(sizes: Sizes, workdir: Path, executable: Path) -> dict[str, Any]:
    """Both idle side by side over one window: CPU-s/hour and RSS."""
    page = TimedStatusPage()
    slack, discord = fake_slack(), fake_discord()
    async with page, slack, discord, Webhook() as hook:
        discord.add_guild("bench-peers", channels=1)
        ours_path, peer_path = "/rest/summary.json", PEER_PATH.format(path="/rest/summary.json")
        for path in (ours_path, peer_path):
            page.set_payload(path, summary("Rest"))
        config = bot_config(
            store_url(workdir, "peers-rest"),
            {"rest": provider("Rest", source(page.url(ours_path), IDLE_INTERVAL_S))},
            slack=slack,
            discord=discord,
        )
        watches = [(page.url(peer_path), IDLE_INTERVAL_S, hook.url("rest"))]
        async with BotRun(workdir, "peers-rest-ours", config) as ours:
            async with PeerRun(executable, workdir, "peers-rest-peer", watches) as peer:
                await ours.wait_until(lambda: slack.socket_connected, "Slack Socket Mode", 60)
                await ours.wait_until(discord._identified.is_set, "Discord gateway", 60)
                await ours.wait_until(lambda: page.polls(ours_path), "first poll", 60)
                await peer.wait_until(lambda: page.polls(peer_path), "its first check", 120)
                await asyncio.sleep(sizes.idle_settle_s)
                cpu = {"ours": cpu_seconds(ours.pid), "peer": _tree_cpu(peer.pid)}
                polls = {"ours": page.polls(ours_path), "peer": page.polls(peer_path)}
                started = time.monotonic()
                await asyncio.sleep(sizes.poll_window_s)
                window = time.monotonic() - started
                cpu = {
                    "ours": cpu_seconds(ours.pid) - cpu["ours"],
                    "peer": _tree_cpu(peer.pid) - cpu["peer"],
                }
                rss = {"ours": memory_mb(ours.pid), "peer": memory_mb(peer.pid)}
                polls = {
                    "ours": page.polls(ours_path) - polls["ours"],
                    "peer": page.polls(peer_path) - polls["peer"],
                }
                refused = peer.refused()
    per_hour = 3600 / window
    return {
        "interval_s": IDLE_INTERVAL_S,
        "window_s": round(window, 1),
        "cpu_s_per_hour": {k: round(v * per_hour, 1) for k, v in cpu.items()},
        "rss_mb": {k: round(v["rss_mb"], 1) for k, v in rss.items()},
        "polls_in_window": polls,
        "peer_refused_by_network_guard": refused,
    }


# --- phase 2: detection latency --------------------------------------------------------


async def _detection(sizes: Sizes, workdir: Path, executable: Path, seed: int) -> dict[str, Any]:
    """The detection benchmark's flips, watched by both at once."""
    rng = random.Random(seed)
    page = TimedStatusPage()
    slack, discord = fake_slack(), fake_discord()
    async with page, slack, discord, Webhook() as hook:
        guild_id, _ = discord.add_guild("bench-peers", channels=0)
        probes = detection.make_probes(sizes, discord, guild_id)
        for probe in probes:
            for path in (probe.path, PEER_PATH.format(path=probe.path)):
                page.set_payload(path, summary(probe.key))
        url = store_url(workdir, "peers-detection")
        subs = [("slack", p.slack_channel, p.key, "T0FAKE") for p in probes]
        subs += [("discord", str(p.discord_channel), p.key, str(guild_id)) for p in probes]
        await seed_subscriptions(url, subs)
        providers = {p.key: provider(p.key, source(page.url(p.path), p.interval_s)) for p in probes}
        config = bot_config(url, providers, slack=slack, discord=discord)
        watches = [
            (page.url(PEER_PATH.format(path=p.path)), p.interval_s, hook.url(p.key)) for p in probes
        ]
        started = time.monotonic()
        async with BotRun(workdir, "peers-detection-ours", config) as ours:
            async with PeerRun(executable, workdir, "peers-detection-peer", watches) as peer:
                await ours.wait_until(lambda: slack.socket_connected, "Slack Socket Mode", 60)
                await ours.wait_until(discord._identified.is_set, "Discord gateway", 60)
                await ours.wait_until(
                    lambda: all(page.polls(p.path) for p in probes), "baseline polls", 60
                )
                # Two checks each: the peer has its baseline and is in its steady rhythm.
                await peer.wait_until(
                    lambda: all(page.polls(PEER_PATH.format(path=p.path)) >= 2 for p in probes),
                    "baseline checks",
                    180,
                )

                async def watch(probe: detection.Probe, flipped: float, within: float) -> Any:
                    deadline = time.monotonic() + within
                    seen: dict[str, float | None] = {"slack": None, "discord": None, "peer": None}
                    while time.monotonic() < deadline and ours.alive and peer.alive:
                        if seen["slack"] is None:
                            seen["slack"] = detection.first_slack_call(
                                slack, probe.slack_channel, flipped
                            )
                        if seen["discord"] is None:
                            seen["discord"] = discord.first_call_after(
                                probe.discord_channel, flipped
                            )
                        if seen["peer"] is None:
                            seen["peer"] = hook.first_after(probe.key, flipped)
                        if None not in seen.values():
                            break
                        await asyncio.sleep(0.05)
                    return seen

                flips = await asyncio.gather(
                    *(
                        detection.flip_probe(
                            page,
                            p,
                            random.Random(rng.random()),
                            watch,
                            (PEER_PATH.format(path=p.path),),
                        )
                        for p in probes
                    )
                )
                refused = peer.refused()
        gaps = {
            "ours": _gaps(page, [p.path for p in probes], probes),
            "peer": _gaps(page, [PEER_PATH.format(path=p.path) for p in probes], probes),
        }
    rows = []
    missed: dict[str, int] = {"slack": 0, "discord": 0, "peer": 0}
    for interval, _, _ in sizes.detection:
        for event in ("outage", "restore"):
            for who in ("slack", "discord", "peer"):
                latencies = []
                for probe, per_probe in zip(probes, flips, strict=True):
                    if probe.interval_s != interval:
                        continue
                    for flip in per_probe:
                        if flip.event != event:
                            continue
                        at = flip.seen[who]
                        if at is None:
                            missed[who] += 1
                        else:
                            latencies.append(at - flip.flipped)
                rows.append(
                    {
                        "who": who,
                        "interval_s": interval,
                        "event": event,
                        "flips": len(latencies),
                        "median_s": round(median(latencies), 3),
                        "p95_s": round(p95(latencies), 3),
                    }
                )
    return {
        "rows": rows,
        "missed": missed,
        "poll_gaps": gaps,
        "wall_s": round(time.monotonic() - started, 1),
        "peer_refused_by_network_guard": refused,
    }


def _gaps(page: TimedStatusPage, paths: list[str], probes: list[Any]) -> dict[str, float]:
    """Median gap between two polls of one page, per configured interval."""
    out = {}
    for interval in sorted({p.interval_s for p in probes}):
        gaps: list[float] = []
        for path, probe in zip(paths, probes, strict=True):
            if probe.interval_s == interval:
                stamps = page.times.get(path, [])
                gaps += [b - a for a, b in zip(stamps, stamps[1:], strict=False)]
        out[str(interval)] = round(median(gaps), 2)
    return out


# --- ours ÷ peer ---------------------------------------------------------------------


def _row(result: dict[str, Any], who: str, interval: float, event: str) -> dict[str, Any]:
    for row in result["detection"]["rows"]:
        if (row["who"], row["interval_s"], row["event"]) == (who, interval, event):
            return dict(row)
    return {}


def ratios(result: dict[str, Any]) -> dict[str, Any]:
    """Ours ÷ peer: below 1 means we are faster, lighter or cheaper."""

    def ratio(ours: Any, peer: Any) -> float | None:
        if not isinstance(ours, int | float) or not isinstance(peer, int | float) or not peer:
            return None
        if ours != ours or peer != peer:  # NaN: nothing measured
            return None
        return round(ours / peer, 2)

    rest = result["at_rest"]
    out: dict[str, Any] = {
        "idle_rss": ratio(rest["rss_mb"]["ours"], rest["rss_mb"]["peer"]),
        "cpu_at_rest": ratio(rest["cpu_s_per_hour"]["ours"], rest["cpu_s_per_hour"]["peer"]),
        "latency_median": {},
    }
    intervals = sorted({row["interval_s"] for row in result["detection"]["rows"]})
    for platform in ("slack", "discord"):
        for interval in intervals:
            for event in ("outage", "restore"):
                ours = _row(result, platform, interval, event).get("median_s")
                peer = _row(result, "peer", interval, event).get("median_s")
                key = f"{platform} {interval:g} s {event}"
                out["latency_median"][key] = ratio(ours, peer)
    return out
