"""What `python -m bench peers` writes, checked without installing the peer: figures measured
side by side become ours ÷ peer ratios in results.md, and quoted rows stay labelled."""

from __future__ import annotations

from pathlib import Path

from bench import peers, report


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
    assert "idle bot ≤ 2 CPU-s/hour" in text


def test_without_a_peer_run_the_quoted_figures_say_where_they_come_from(tmp_path: Path) -> None:
    report.write(tmp_path, {})
    section = (tmp_path / "results.md").read_text(encoding="utf-8").split("## Detection")[0]
    assert "`python -m bench peers` was not run" in section
    assert "changedetection.io 0.60.10 (measured elsewhere)" in section
