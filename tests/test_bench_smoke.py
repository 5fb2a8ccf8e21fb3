"""The benchmark code keeps working: a tiny run of every part writes results of the stable
shape. It asserts the shape of the files, never a timing."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bench.__main__ import PARTS, run_parts
from bench.sizes import QUICK

pytestmark = pytest.mark.slow

DETECTION_ROW = {"platform", "interval_s", "median_s", "p95_s", "processing_p50_ms"}
FANOUT = {
    "slack_channels",
    "discord_channels",
    "card_wave_s",
    "update_wave_s",
    "restore_wave_s",
    "deliveries_per_s",
    "duplicates",
    "lost",
    "peak_rss_mb",
}
RESOURCES = {"idle_rss_mb", "cpu_s_per_hour_100_sources", "conditional_get_bytes_saved_pct"}


async def test_quick_run_writes_results_of_the_stable_shape(tmp_path: Path) -> None:
    # `peers` installs changedetection.io from PyPI: too slow for the suite (see
    # tests/test_bench_peers.py for its report).
    parts = [part for part in PARTS if part != "peers"]
    returned = await run_parts(parts, QUICK, tmp_path, profile=False)

    written = json.loads((tmp_path / "results.json").read_text(encoding="utf-8"))
    assert written == returned
    assert set(written) == {
        "machine", "date", "detection", "fanout", "resources", "fusion", "scale"
    }  # fmt: skip
    assert written["scale"] == []  # `python -m bench scale` is not part of `all`
    assert {"cores", "memory_mb", "python"} <= set(written["machine"])
    platforms = {(row["platform"], row["interval_s"]) for row in written["detection"]}
    assert platforms == {(p, i) for p in ("slack", "discord") for i, _, _ in QUICK.detection}
    for row in written["detection"]:
        assert set(row) == DETECTION_ROW
        assert all(isinstance(row[k], float) for k in DETECTION_ROW - {"platform"})
    assert set(written["fanout"]) == FANOUT
    assert written["fanout"]["slack_channels"] == QUICK.slack_channels
    assert set(written["resources"]) == RESOURCES
    assert all(isinstance(v, float) for v in written["resources"].values())

    assert set(written["fusion"]) >= {"median_lead_min", "false_confirmations", "misses"}
    assert written["fusion"]["false_confirmations"] == 0

    markdown = (tmp_path / "results.md").read_text(encoding="utf-8")
    headings = (
        "## Beside the peers",
        "## Detection latency",
        "## Fan-out",
        "## Cost at rest",
        "## Early warning",
    )
    for heading in (*headings, "## Targets"):
        assert heading in markdown
    assert "measured elsewhere" in markdown
    assert (tmp_path / "results_detail.json").exists()
