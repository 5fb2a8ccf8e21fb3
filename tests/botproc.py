"""Run the real bot as a child process (`python -m bot run`) and read what it prints."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
import sys
import time
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import yaml

from tests.waiting import DEADLINE_SCALE

ROOT = Path(__file__).resolve().parent.parent


def write_config(path: Path, data: dict[str, Any]) -> Path:
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    return path


class BotProcess:
    """One `python -m bot run --json` process; stdout lines are console events (JSON)."""

    def __init__(self, config: Path, env: dict[str, str] | None = None) -> None:
        self.config = config
        self.env = {**os.environ, "PYTHONUNBUFFERED": "1", **(env or {})}
        self.proc: asyncio.subprocess.Process | None = None
        self.events: list[dict[str, Any]] = []
        self.stderr: list[str] = []
        self._readers: list[asyncio.Task[None]] = []

    async def start(self) -> BotProcess:
        self.proc = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "bot",
            "run",
            "--json",
            "--config",
            str(self.config),
            cwd=ROOT,
            env=self.env,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
        assert self.proc.stdout is not None
        assert self.proc.stderr is not None
        self._readers = [
            asyncio.create_task(self._read(self.proc.stdout, self._on_stdout)),
            asyncio.create_task(self._read(self.proc.stderr, self.stderr.append)),
        ]
        return self

    def _on_stdout(self, line: str) -> None:
        try:
            self.events.append(json.loads(line))
        except ValueError:
            self.stderr.append(f"(stdout, not JSON) {line}")

    @staticmethod
    async def _read(stream: asyncio.StreamReader, sink: Callable[[str], None]) -> None:
        while line := await stream.readline():
            sink(line.decode("utf-8", "replace").rstrip("\n"))

    async def wait_for(
        self, predicate: Callable[[list[dict[str, Any]]], bool], timeout: float = 30.0
    ) -> list[dict[str, Any]]:
        """Wait until `predicate(events)` holds; fail with what the bot said if it never does."""
        deadline = time.monotonic() + timeout * DEADLINE_SCALE
        while time.monotonic() < deadline:
            if predicate(self.events):
                return self.events
            if self.proc is not None and self.proc.returncode is not None:
                break
            await asyncio.sleep(0.05)
        raise AssertionError(
            f"condition not met; events={[e.get('kind') for e in self.events]}\n"
            + "\n".join(self.stderr[-30:])
        )

    async def kill(self) -> None:
        """SIGKILL: no chance to clean up, as in a crash."""
        if self.proc is not None and self.proc.returncode is None:
            self.proc.send_signal(signal.SIGKILL)
            await self.proc.wait()
        await self._drain()

    async def terminate(self, timeout: float = 10.0) -> int:
        assert self.proc is not None
        if self.proc.returncode is None:
            self.proc.send_signal(signal.SIGTERM)
            await asyncio.wait_for(self.proc.wait(), timeout)
        await self._drain()
        assert self.proc.returncode is not None
        return self.proc.returncode

    async def _drain(self) -> None:
        for task in self._readers:
            with contextlib.suppress(asyncio.TimeoutError, asyncio.CancelledError):
                await asyncio.wait_for(task, 5)

    async def __aenter__(self) -> BotProcess:
        return await self.start()

    async def __aexit__(self, *exc: object) -> None:
        await self.kill()


def kinds(events: list[dict[str, Any]]) -> list[str]:
    return [e["kind"] for e in events]


@contextlib.asynccontextmanager
async def bot_writing_log(
    config: Path,
    log_file: Path,
    env: dict[str, str],
    *run_args: str,
    preexec_fn: Callable[[], None] | None = None,
) -> AsyncIterator[asyncio.subprocess.Process]:
    """`python -m bot run [run_args]` with stdout and stderr in `log_file`; SIGTERM (then
    SIGKILL) after. `preexec_fn` runs in the child before the bot (e.g. to set limits)."""
    with log_file.open("wb") as log:
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "bot",
            "run",
            *run_args,
            "--config",
            str(config),
            cwd=ROOT,
            stdout=log,
            stderr=asyncio.subprocess.STDOUT,
            env={**os.environ, **env},
            preexec_fn=preexec_fn,
        )
    try:
        yield process
    finally:
        if process.returncode is None:
            process.send_signal(signal.SIGTERM)
            try:
                await asyncio.wait_for(process.wait(), 15)
            except TimeoutError:
                process.kill()
                await process.wait()
