"""The real bot process wired to a fake status page, fake Slack and fake Discord at once.

`Rig` starts the three fakes, subscribes N channels per platform straight in the bot's
SQLite store and runs `python -m bot run` on it. `Crasher` SIGKILLs the bot at random moments,
including inside the fake's handler right after a message was stored but before the bot
hears back (the "sent but not recorded as sent" window), and restarts it on the same store.
Shared by tests/test_crash.py and scripts/stress.py.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import random
import signal
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bot.routing import Subscription
from bot.store.store import Store
from fakes.discord import FakeDiscord
from fakes.slack import FakeSlack
from fakes.statuspage import FakeStatusPage
from tests.botproc import BotProcess, write_config
from tests.storm import SUMMARY, pending, source_version
from tests.waiting import DEADLINE_SCALE, until

SLACK_BOT_TOKEN = "xoxb-crash-bot-token-5f1c"
SLACK_APP_TOKEN = "xapp-crash-app-token-9d2e"
DISCORD_TOKEN = "crash-discord-bot-token-77a3"
SLACK_POST = "chat.postMessage"
DISCORD_POST = "POST /channels/{channel}/messages"


class Rig:
    """Three fakes, a store with subscriptions, and the bot process (restartable)."""

    def __init__(self, workdir: Path, channels: int, interval: float = 1.0) -> None:
        self.workdir = workdir
        self.db = workdir / "bot.db"
        self.n_channels = channels
        self.interval = interval
        self.page = FakeStatusPage()
        self.slack = FakeSlack(bot_token=SLACK_BOT_TOKEN, app_token=SLACK_APP_TOKEN)
        self.discord = FakeDiscord(token=DISCORD_TOKEN, record_calls=False)
        self.slack_channels = [f"C0CRASH{n:03d}" for n in range(channels)]
        self.discord_channels: list[int] = []
        self.guild_id = 0
        self.bot: BotProcess | None = None
        self.stderr: list[str] = []  # every line any bot process wrote to stderr
        self.starts = 0

    async def __aenter__(self) -> Rig:
        await self.page.start()
        await self.slack.start()
        await self.discord.start()
        self.guild_id, self.discord_channels = self.discord.add_guild("Crash", self.n_channels)
        return self

    async def __aexit__(self, *exc: object) -> None:
        try:
            if self.bot is not None:
                await self.bot.kill()
                self._collect()
        finally:
            await self.discord.stop()
            await self.slack.aclose()
            await self.page.stop()

    def config(self) -> Path:
        source = {
            "kind": "statuspage",
            "url": self.page.url(SUMMARY),
            "interval": self.interval,
            "timeout": 2,
            "flap_window": 0,
        }
        return write_config(
            self.workdir / "config.yaml",
            {
                "store": {"url": f"sqlite+aiosqlite:///{self.db}"},
                "providers": {"openai": {"name": "OpenAI", "sources": [source]}},
                "slack": {
                    "bot_token": "${SLACK_BOT_TOKEN}",
                    "app_token": "${SLACK_APP_TOKEN}",
                    "api_url": self.slack.api_url,
                },
                "discord": {
                    "token": "${DISCORD_TOKEN}",
                    "guild_ids": [self.guild_id],
                    "api_base_url": self.discord.api_base_url,
                    "gateway_url": self.discord.gateway_url,
                },
                "delivery": {"base_backoff": 0.2, "max_backoff": 2},
                "console": {"enabled": False},
            },
        )

    @property
    def env(self) -> dict[str, str]:
        return {
            "SLACK_BOT_TOKEN": SLACK_BOT_TOKEN,
            "SLACK_APP_TOKEN": SLACK_APP_TOKEN,
            "DISCORD_TOKEN": DISCORD_TOKEN,
        }

    async def subscribe_all(self) -> None:
        """Subscribe every channel before the bot starts (as /statusbot subscribe would)."""
        store = Store(f"sqlite+aiosqlite:///{self.db}")
        await store.initialize()
        try:
            for channel in self.slack_channels:
                await store.subscriptions.subscribe(
                    Subscription("slack", channel, "openai", workspace_id="T0FAKE")
                )
            for cid in self.discord_channels:
                await store.subscriptions.subscribe(
                    Subscription("discord", str(cid), "openai", workspace_id=str(self.guild_id))
                )
        finally:
            await store.aclose()

    async def start_bot(self) -> BotProcess:
        self.bot = await BotProcess(self.config(), env=self.env).start()
        self.starts += 1
        return self.bot

    async def kill_bot(self) -> None:
        if self.bot is not None:
            await self.bot.kill()
            self._collect()

    async def stop_bot(self) -> int:
        assert self.bot is not None
        code = await self.bot.terminate(timeout=20)
        self._collect()
        return code

    def _collect(self) -> None:
        if self.bot is not None:
            self.stderr += self.bot.stderr
            self.bot.stderr = []

    def version(self) -> int:
        return source_version(self.db)

    async def hold(self, payload: bytes, within: float = 60.0) -> None:
        """Serve `payload` until a poll that fetched it is committed.

        Two commits after the switch: polls are sequential, so the second one started
        after the switch and saw this payload.
        """
        start = self.version()
        self.page.set_payload(SUMMARY, payload)
        await until(lambda: self.version() >= start + 2, "two committed polls", within)

    async def drain(self, within: float = 120.0) -> None:
        """Wait until the bot has delivered every queued row."""
        await until(lambda: pending(self.db) == 0, "an empty outbox", within)

    def posts(self) -> int:
        """Messages stored by the fakes so far (both platforms)."""
        return len(self.slack.ok_calls_to(SLACK_POST)) + self.discord.count(DISCORD_POST)


class Crasher:
    """SIGKILLs the bot now and then and restarts it on the same store."""

    MODES = ("random", "after_post", "inside_post")

    def __init__(self, rig: Rig, kills: int, rng: random.Random, spacing: float = 3.0) -> None:
        self.rig = rig
        self.kills = kills
        self.rng = rng
        self.spacing = spacing
        self.done: list[str] = []
        self.died: list[int] = []  # exit codes of bot processes that stopped on their own
        self._armed = False
        self._fired = asyncio.Event()
        self._wrap_fakes()

    @property
    def _post_wait(self) -> float:
        # A restarted bot needs longer to post again on a loaded machine: scale like deadlines.
        return self.spacing * 3 * DEADLINE_SCALE

    def _wrap_fakes(self) -> None:
        """Kill inside the fakes' handlers, after the message is stored, before the reply."""
        slack_handle = self.rig.slack.world.handle
        discord_answer = self.rig.discord._answer

        def slack_wrapper(method: str, args: dict[str, Any], **kw: Any) -> dict:
            result = slack_handle(method, args, **kw)
            if method == SLACK_POST and result.get("ok"):
                self._maybe_fire()
            return result

        def discord_wrapper(request: Any, route: str, params: Any, body: Any) -> Any:
            answer = discord_answer(request, route, params, body)
            if route == DISCORD_POST and answer[0] == 200:
                self._maybe_fire()
            return answer

        self.rig.slack.world.handle = slack_wrapper  # type: ignore[method-assign]
        self.rig.discord._answer = discord_wrapper  # type: ignore[method-assign]

    async def _revive(self) -> None:
        """A bot that exited by itself (a crash at start-up) is noted and started again."""
        bot = self.rig.bot
        if bot is not None and bot.proc is not None and bot.proc.returncode is not None:
            self.died.append(bot.proc.returncode)
            await self.rig.kill_bot()
            await self.rig.start_bot()

    def _maybe_fire(self) -> None:
        bot = self.rig.bot
        if self._armed and bot is not None and bot.proc is not None:
            self._armed = False
            if bot.proc.returncode is None:
                os.kill(bot.proc.pid, signal.SIGKILL)
            self._fired.set()

    async def watch(self, stop: asyncio.Event) -> None:
        """After the kills: keep reviving a bot that dies by itself until `stop`."""
        while not stop.is_set():
            await self._revive()
            await _sleep_or(stop, 0.5)

    async def run(self, stop: asyncio.Event) -> None:
        """Kill `kills` times (stops early when `stop` is set), restarting each time."""
        while len(self.done) < self.kills and not stop.is_set():
            await _sleep_or(stop, self.rng.uniform(0.5, self.spacing))
            await self._revive()
            mode = self.rng.choice(self.MODES)
            if mode == "after_post":
                before = self.rig.posts()
                await _wait_or(lambda b=before: self.rig.posts() > b, stop, self._post_wait)
            elif mode == "inside_post":
                self._fired.clear()
                self._armed = True
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._fired.wait(), self._post_wait)
                self._armed = False
                mode = mode if self._fired.is_set() else "inside_post (timed out)"
            await self.rig.kill_bot()
            self.done.append(mode)
            await self.rig.start_bot()


async def _sleep_or(stop: asyncio.Event, seconds: float) -> None:
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(stop.wait(), seconds)


def exception_lines(lines: list[str]) -> Counter[str]:
    """The exception line of each traceback in a log, counted (what crashed, not where)."""
    found: Counter[str] = Counter()
    for index, line in enumerate(lines):
        if line.startswith("Traceback"):
            tail = (x for x in lines[index + 1 :] if x and not x.startswith((" ", "\t")))
            found[next(tail, "?")[:200]] += 1
    return found


async def _wait_or(check: Callable[[], bool], stop: asyncio.Event, within: float) -> None:
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        if check() or stop.is_set():
            return
        await asyncio.sleep(0.01)


async def run_storm(
    rig: Rig, payloads: list[bytes], kills: int, seed: int, spacing: float = 3.0
) -> Crasher:
    """Serve every payload while the crasher kills the bot; then let it finish delivering."""
    rng = random.Random(seed)
    rig.page.set_payload(SUMMARY, payloads[0])
    await rig.subscribe_all()
    await rig.start_bot()
    await until(lambda: rig.version() >= 1, "the silent baseline poll")
    crasher = Crasher(rig, kills, rng, spacing)
    finished = asyncio.Event()
    killing = asyncio.create_task(crasher.run(finished), name="crasher")
    try:
        for payload in payloads[1:]:
            await rig.hold(payload)
            if killing.done():
                killing.result()  # surface a crasher failure at once
        # Let the remaining kills land while deliveries are still in flight.
        await _wait_or(
            killing.done, asyncio.Event(), spacing * 4 * max(1, kills - len(crasher.done))
        )
    finally:
        finished.set()
        await killing
    drained = asyncio.Event()
    watching = asyncio.create_task(crasher.watch(drained), name="reviver")
    try:
        await rig.drain()
    finally:
        drained.set()
        await watching
    return crasher
