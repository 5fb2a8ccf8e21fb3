"""`python -m bench all|detection|fanout|resources|peers|fusion [--quick] [--out DIR]`;
`python -m bench scale [--channels 1000,10000]` (replicas on PostgreSQL; not part of `all`)."""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from bench import detection, fanout, fusion, peers, report, resources, scale
from bench.sizes import FULL, QUICK, Sizes

PARTS = ("detection", "fanout", "resources", "peers", "fusion")
DEFAULT_OUT = Path(__file__).resolve().parent


async def run_parts(
    names: list[str],
    sizes: Sizes,
    out: Path,
    profile: bool = True,
    fanout_concurrency: int | None = None,
    peer_venv: Path | None = None,
    scale_channels: list[int] | None = None,
) -> dict:
    """Run the named parts one after another (they would disturb each other's timings)."""
    measured: dict[str, Any] = {}
    with tempfile.TemporaryDirectory(prefix="statusbot-bench-") as tmp:
        workdir = Path(tmp)
        for name in names:
            started = time.monotonic()
            print(f"bench: {name} ...", file=sys.stderr, flush=True)
            if name == "detection":
                measured[name] = await detection.run(sizes, workdir)
            elif name == "fanout":
                measured[name] = await fanout.run(sizes, workdir, profile, fanout_concurrency)
            elif name == "resources":
                measured[name] = await resources.run(sizes, workdir)
            elif name == "scale":
                before = report.load(out / "results_detail.json").get("scale")
                measured[name] = await scale.run(scale_channels or [1000], workdir, before)
            elif name == "fusion":
                measured[name] = fusion.run(sizes.fusion_months, days=sizes.fusion_days)
            else:
                measured[name] = await peers.run(sizes, workdir, venv=peer_venv)
            took = time.monotonic() - started
            print(f"bench: {name} done in {took:.0f} s", file=sys.stderr, flush=True)
    return report.write(out, measured)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("part", choices=("all", *PARTS, "scale"))
    parser.add_argument("--quick", action="store_true", help="tiny sizes (seconds, not minutes)")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="where results.* go")
    parser.add_argument("--no-profile", action="store_true", help="skip py-spy in fan-out")
    parser.add_argument(
        "--fanout-concurrency", type=int, help="delivery.concurrency for the fan-out bot"
    )
    parser.add_argument(
        "--peer-venv",
        type=Path,
        help="keep changedetection.io's venv here (reused if it has the pinned version) "
        "instead of installing it afresh under the temp dir",
    )
    parser.add_argument(
        "--channels",
        default="1000",
        help="scale: Slack channel counts to measure, comma-separated (Discord gets a tenth)",
    )
    args = parser.parse_args(argv)
    names = list(PARTS) if args.part == "all" else [args.part]
    started = time.monotonic()
    sizes = QUICK if args.quick else FULL
    asyncio.run(
        run_parts(
            names,
            sizes,
            args.out,
            not args.no_profile,
            args.fanout_concurrency,
            args.peer_venv,
            [int(n) for n in args.channels.split(",") if n.strip()],
        )
    )
    print(
        f"bench: wrote {args.out / 'results.md'} and results.json "
        f"in {time.monotonic() - started:.0f} s",
        file=sys.stderr,
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
