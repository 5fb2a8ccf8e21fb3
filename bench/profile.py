"""Where the bot spends its time, sampled with py-spy when it is installed (optional)."""

from __future__ import annotations

import asyncio
import re
import shutil
import sys
from collections import Counter
from pathlib import Path
from typing import Any

TOP = 15
# Leaves that mean "waiting", not working: the selector, a queue or a condition.
IDLE_LEAVES = ("select (", "Queue.get (", "Condition.wait (", "Event.wait (", "sleep (")
PLUMBING = ("asyncio/", "<frozen", "threading.py", "selectors.py", "bot/cli.py", "bot/__main__")


def _idle(leaf: str) -> bool:
    return any(marker in leaf for marker in IDLE_LEAVES)


def _py_spy() -> str | None:
    beside = Path(sys.executable).parent / "py-spy"
    return str(beside) if beside.exists() else shutil.which("py-spy")


def available() -> bool:
    return _py_spy() is not None


def start(pid: int, output: Path, seconds: float) -> asyncio.Task[int]:
    """Sample `pid` for `seconds` in the background (collapsed stacks into `output`)."""

    async def record() -> int:
        proc = await asyncio.create_subprocess_exec(
            str(_py_spy()), "record", "--pid", str(pid), "--duration", str(int(seconds)),
            "--rate", "100", "--format", "raw", "--nonblocking", "--output", str(output),
            stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.DEVNULL,
        )  # fmt: skip
        try:
            return await asyncio.wait_for(proc.wait(), seconds + 30)
        finally:
            if proc.returncode is None:
                proc.kill()
                await proc.wait()

    return asyncio.create_task(record(), name="py-spy")


async def finish(task: asyncio.Task[int], output: Path) -> dict[str, Any] | None:
    try:
        await task
    except (OSError, TimeoutError):
        return None
    return summarize_file(output)


def summarize_file(output: Path) -> dict[str, Any] | None:
    if not output.exists():
        return None
    return summarize(output.read_text(encoding="utf-8", errors="replace"))


def summarize(collapsed: str) -> dict[str, Any]:
    """Busy share of the event loop and of the SQLite worker thread, and the functions the
    busy event loop spends its samples in (inclusive %, plumbing frames left out)."""
    total = loop_busy = sqlite_busy = 0
    inclusive: Counter[str] = Counter()
    own: Counter[str] = Counter()
    for line in collapsed.splitlines():
        stack, _, count_text = line.rpartition(" ")
        if not stack or not count_text.isdigit():
            continue
        count = int(count_text)
        frames = [_short(f) for f in stack.split(";")]
        leaf = frames[-1]
        total += count
        if any("_connection_worker_thread" in f for f in frames):
            if not _idle(leaf):
                sqlite_busy += count
            continue
        if not any("run_forever" in f for f in frames) or _idle(leaf):
            continue
        loop_busy += count
        own[leaf] += count
        for frame in set(frames):
            if not frame.split(" (", 1)[-1].startswith(PLUMBING):
                inclusive[frame] += count

    def top(counter: Counter[str]) -> list[tuple[str, float]]:
        return [(name, round(100 * n / loop_busy, 1)) for name, n in counter.most_common(TOP)]

    return {
        "samples": total,
        "note": "py-spy default: running threads only; loop_* % are of event-loop samples",
        "event_loop_busy_pct": round(100 * loop_busy / total, 1) if total else 0.0,
        "sqlite_thread_busy_pct": round(100 * sqlite_busy / total, 1) if total else 0.0,
        "loop_inclusive_pct": top(inclusive) if loop_busy else [],
        "loop_own_pct": top(own) if loop_busy else [],
    }


def _short(frame: str) -> str:
    """'func (path/to/site-packages/pkg/mod.py:12)' -> 'func (pkg/mod.py)'."""
    name, _, where = frame.partition(" (")
    where = where.rstrip(")").rsplit(":", 1)[0]
    where = re.sub(r"^.*(site-packages|python3\.\d+)/", "", where)
    where = where.removeprefix(str(Path.cwd()) + "/")
    return f"{name} ({where})" if where else name
