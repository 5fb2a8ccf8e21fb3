"""The real bot as a child process (`python -m bot run`), with its pid for /proc readings.

Always used as `async with BotRun(...)`: the process is stopped (SIGTERM, then SIGKILL)
whatever happens, so a benchmark never leaves a bot behind.
"""

from __future__ import annotations

import asyncio
import os
import signal
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parent.parent
SLACK_BOT_TOKEN = "xoxb-bench-bot-token"
SLACK_APP_TOKEN = "xapp-bench-app-token"
DISCORD_TOKEN = "bench-discord-bot-token"
STOP_TIMEOUT_S = 15.0


class BotRun:
    """One bot process configured by `config` (a dict, written as YAML into `workdir`)."""

    def __init__(self, workdir: Path, name: str, config: dict[str, Any]) -> None:
        self.workdir = workdir
        self.name = name
        self.config_file = workdir / f"{name}.yaml"
        self.log_file = workdir / f"{name}.log"
        self.config_file.write_text(yaml.safe_dump(config), encoding="utf-8")
        self.proc: asyncio.subprocess.Process | None = None

    @property
    def pid(self) -> int:
        assert self.proc is not None
        return self.proc.pid

    @property
    def alive(self) -> bool:
        return self.proc is not None and self.proc.returncode is None

    async def start(self) -> BotRun:
        env = {
            **os.environ,
            "PYTHONUNBUFFERED": "1",
            "SLACK_BOT_TOKEN": SLACK_BOT_TOKEN,
            "SLACK_APP_TOKEN": SLACK_APP_TOKEN,
            "DISCORD_TOKEN": DISCORD_TOKEN,
        }
        with self.log_file.open("wb") as log:
            self.proc = await asyncio.create_subprocess_exec(
                sys.executable, "-m", "bot", "run", "--config", str(self.config_file),
                cwd=ROOT, env=env, stdout=log, stderr=asyncio.subprocess.STDOUT,
            )  # fmt: skip
        return self

    async def stop(self) -> None:
        if not self.alive:
            return
        assert self.proc is not None
        self.proc.send_signal(signal.SIGTERM)
        try:
            await asyncio.wait_for(self.proc.wait(), STOP_TIMEOUT_S)
        except TimeoutError:
            self.proc.kill()
            await self.proc.wait()

    def log_tail(self, lines: int = 30) -> str:
        try:
            text = self.log_file.read_text(encoding="utf-8", errors="replace")
        except OSError:
            return ""
        return "\n".join(text.splitlines()[-lines:])

    async def wait_until(self, check: Callable[[], Any], what: str, within: float) -> Any:
        """Poll `check` until truthy; fail with the bot's log if it died or time ran out."""
        deadline = time.monotonic() + within
        while time.monotonic() < deadline:
            result = check()
            if result:
                return result
            if not self.alive:
                tail = self.log_tail()
                raise RuntimeError(f"{self.name} exited while waiting for {what}:\n{tail}")
            await asyncio.sleep(0.02)
        raise TimeoutError(f"{self.name}: timed out waiting for {what}:\n{self.log_tail()}")

    async def __aenter__(self) -> BotRun:
        return await self.start()

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()


async def until(check: Callable[[], Any], within: float, step: float = 0.02) -> Any:
    """Poll `check` until truthy or `within` seconds pass; returns the last result."""
    deadline = time.monotonic() + within
    result = check()
    while not result and time.monotonic() < deadline:
        await asyncio.sleep(step)
        result = check()
    return result
