"""What `python -m bench peers` writes, checked without installing the peer: figures measured
side by side become ours ÷ peer ratios in results.md, and quoted rows stay labelled."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from bench import peers, report
from bench.sizes import QUICK


def measured() -> dict:
    rows = []
    for who, outage_3, outage_20 in (
        ("slack", 1.5, 10.0),
        ("discord", 1.6, 10.0),
        ("peer", 3.0, 12.5),
    ):
        for interval, median in ((3.0, outage_3), (20.0, outage_20)):
            rows.append({"who": who, "interval_s": interval, "event": "outage", "flips": 30,
                         "median_s": median, "p95_s": median * 2})  # fmt: skip
            rows.append({"who": who, "interval_s": interval, "event": "restore", "flips": 30,
                         "median_s": median, "p95_s": median * 2})  # fmt: skip
    result = {
        "measured_here": True,
        "peer": f"{peers.NAME} {peers.VERSION}",
        "install_s": 40.0,
        "wall_s": 200.0,
        "at_rest": {
            "interval_s": 20.0,
            "window_s": 60.0,
            "cpu_s_per_hour": {"ours": 4.0, "peer": 20.0},
            "rss_mb": {"ours": 90.0, "peer": 120.0},
            "polls_in_window": {"ours": 3, "peer": 3},
            "peer_refused_by_network_guard": [],
        },
        "detection": {
            "rows": rows,
            "missed": {"slack": 0, "discord": 0, "peer": 1},
            "poll_gaps": {"ours": {"3.0": 3.0, "20.0": 20.0}, "peer": {"3.0": 3.5, "20.0": 21.0}},
            "peer_refused_by_network_guard": [],
        },
        "quoted": peers.quoted(True),
    }
    result["ratios"] = peers.ratios(result)
    return result


def test_ratios_are_ours_over_the_peer() -> None:
    ratios = measured()["ratios"]
    assert ratios["idle_rss"] == 0.75
    assert ratios["cpu_at_rest"] == 0.2
    assert ratios["latency_median"]["slack 3 s outage"] == 0.5
    assert ratios["latency_median"]["discord 20 s outage"] == 0.8


def test_results_show_the_peer_measured_here_and_keep_quoted_rows_labelled(
    tmp_path: Path,
) -> None:
    report.write(tmp_path, {"peers": measured()})
    text = (tmp_path / "results.md").read_text(encoding="utf-8")
    section = text.split("## Beside the peers", 1)[1].split("\n## ", 1)[0]

    assert f"| {peers.NAME} {peers.VERSION} (this run) | 3.00 (6.00) | 12.50 (25.00) |" in section
    assert "| **ours ÷ peer** (Slack) | 0.50 | 0.80 | 0.75 | 0.20 |" in section
    assert "Uptime Kuma 2.5.3 (measured elsewhere)" in section
    # The peer measured here is not also shown with its old quoted figures.
    assert "106–108 MiB" not in section


def test_without_a_peer_run_the_quoted_figures_say_where_they_come_from(tmp_path: Path) -> None:
    report.write(tmp_path, {})
    section = (tmp_path / "results.md").read_text(encoding="utf-8").split("## Detection")[0]
    assert "`python -m bench peers` was not run" in section
    assert "changedetection.io 0.60.10 (measured elsewhere)" in section


STAND_IN = '''#!{python}
"""A stand-in for changedetection.io: same command line, polls each URL, posts on change."""
import json, sys, threading, time, urllib.request

if "--version" in sys.argv:
    print("changedetection.io {version}")
    sys.exit(0)
args, watches, i = sys.argv[1:], [], 0
while i < len(args):
    if args[i] == "-u":
        watches.append([args[i + 1], {{}}])
    elif args[i].startswith("-u") and args[i][2:].isdigit():
        watches[int(args[i][2:])][1] = json.loads(args[i + 1])
    i += 2 if args[i].startswith("-") and args[i] not in ("-C",) else 1


def watch(url, options):
    hook = options["notification_urls"][0].replace("json://", "http://")
    last = None
    while True:
        body = urllib.request.urlopen(url, timeout=5).read()
        if last is not None and body != last:
            urllib.request.urlopen(urllib.request.Request(hook, data=b"{{}}"), timeout=5)
        last = body
        time.sleep(options["time_between_check"]["seconds"])


for url, options in watches:
    threading.Thread(target=watch, args=(url, options), daemon=True).start()
while True:
    time.sleep(1)
'''


@pytest.mark.slow
async def test_the_harness_measures_a_stand_in_peer_beside_the_bot(tmp_path: Path) -> None:
    """The whole harness on quick sizes, with a tiny stand-in where the real peer would be
    installed (a venv that already holds the pinned version is reused, as with --peer-venv)."""
    venv = tmp_path / "peer-venv"
    (venv / "bin").mkdir(parents=True)
    script = venv / "bin" / peers.NAME
    script.write_text(STAND_IN.format(python=sys.executable, version=peers.VERSION))
    script.chmod(0o755)

    result = await peers.run(QUICK, tmp_path, venv=venv)

    assert result["measured_here"], result.get("why_not_here")
    assert result["detection"]["missed"] == {"slack": 0, "discord": 0, "peer": 0}
    flips = sum(count * rounds for _, count, rounds in QUICK.detection)
    peer_rows = [r for r in result["detection"]["rows"] if r["who"] == "peer"]
    assert sum(r["flips"] for r in peer_rows) == 2 * flips  # every outage and restoration
    assert all(r["median_s"] > 0 for r in peer_rows)
    assert result["at_rest"]["rss_mb"]["peer"] > 0
    assert result["detection"]["peer_refused_by_network_guard"] == []
    assert set(result["ratios"]["latency_median"]) == {
        f"{platform} {interval:g} s {event}"
        for platform in ("slack", "discord")
        for interval, _, _ in QUICK.detection
        for event in ("outage", "restore")
    }
