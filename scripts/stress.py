"""Stress: SIGKILL the real bot many times during a long incident storm; count what users see.

    .venv/bin/python scripts/stress.py [--kills 50 --updates 200 --channels 20]

Runs `python -m bot run` against the fake status page, fake Slack and fake Discord (N channels
each), serves `--updates` official updates (incidents of `--per-incident` updates each, every
one of them polled and committed), and kills the bot `--kills` times, restarting it on the same
store. Prints and writes (scripts/stress_results.json) messages expected / seen / lost /
duplicated / out of order, cards not in their final state and the runtime. Exit 1 unless clean.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.chatfakes import Rig, exception_lines, run_storm  # noqa: E402
from tests.storm import audit, committed_events, storm  # noqa: E402


async def stress(args: argparse.Namespace) -> dict:
    started = time.monotonic()
    payloads = storm(args.updates, per_incident=args.per_incident)
    with tempfile.TemporaryDirectory(prefix="statusbot-stress-") as tmp:
        async with Rig(Path(tmp), args.channels) as rig:
            crasher = await run_storm(
                rig, payloads, kills=args.kills, seed=args.seed, spacing=args.spacing
            )
            figures = audit(
                rig.db, rig.slack, rig.slack_channels, rig.discord, rig.discord_channels
            )
            code = await rig.stop_bot()
            events = committed_events(rig.db)
            tracebacks = exception_lines(rig.stderr)
    return {
        "params": vars(args),
        "runtime_s": round(time.monotonic() - started, 1),
        "kills": len(crasher.done),
        "kill_modes": dict(Counter(crasher.done)),
        "bot_starts": rig.starts,
        "events_committed": len(events),
        "event_kinds": dict(Counter(e["kind"] for e in events)),
        "messages": figures.as_dict(),
        "clean_exit_code": code,
        "bot_exits_on_its_own": crasher.died,
        "tracebacks_in_logs": sum(tracebacks.values()),
        "traceback_exceptions": dict(tracebacks.most_common(10)),
        "ok": figures.clean and figures.expected == figures.seen and code == 0,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--kills", type=int, default=50)
    parser.add_argument("--updates", type=int, default=200)
    parser.add_argument("--channels", type=int, default=20, help="per platform")
    parser.add_argument("--per-incident", type=int, default=10)
    parser.add_argument("--spacing", type=float, default=6.0, help="max seconds between kills")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--out", default=str(ROOT / "scripts" / "stress_results.json"))
    args = parser.parse_args(argv)
    result = asyncio.run(stress(args))
    text = json.dumps(result, indent=2)
    print(text)
    Path(args.out).write_text(text + "\n", encoding="utf-8")
    return 0 if result["ok"] else 1


if __name__ == "__main__":
    sys.exit(main())
