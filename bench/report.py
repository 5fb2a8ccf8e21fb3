"""results.json (the stable shape from issue 7), results_detail.json and results.md.

Running one part updates only its section; the other sections keep their last values.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from bench import peers as peers_module
from bench.fusion_report import fusion_section
from bench.machine import machine_info, today
from bench.scale import section as scale_section
from bench.scale import stable as scale_stable

DETECTION_KEYS = ("platform", "interval_s", "median_s", "p95_s", "processing_p50_ms")
FUSION_KEYS = (
    "months",
    "incidents",
    "median_lead_min",
    "median_lead_min_when_page_lags_10",
    "misses",
    "false_suspicions_per_provider_month",
    "retractions",
    "false_confirmations",
)


def load(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def write(out: Path, parts: dict[str, Any]) -> dict[str, Any]:
    """Merge freshly measured `parts` into the detail file and rewrite all three files."""
    out.mkdir(parents=True, exist_ok=True)
    detail = load(out / "results_detail.json")
    for part in parts.values():
        if isinstance(part, dict):
            # Parts run at different times: each section says when it was measured.
            part.setdefault("measured_at", today())
    detail.update(parts)
    if parts or "date" not in detail:  # re-rendering old numbers keeps their date
        detail["machine"] = machine_info()
        detail["date"] = today()
    detail.setdefault(
        "peers", {"measured_here": False, "why_not_here": "`python -m bench peers` was not run"}
    )
    stable = stable_shape(detail)
    (out / "results.json").write_text(json.dumps(stable, indent=2) + "\n", encoding="utf-8")
    (out / "results_detail.json").write_text(
        json.dumps(detail, indent=1, default=str) + "\n", encoding="utf-8"
    )
    (out / "results.md").write_text(markdown(detail), encoding="utf-8")
    return stable


def stable_shape(detail: dict[str, Any]) -> dict[str, Any]:
    detection = detail.get("detection") or {}
    rows = [
        {key: row[key] for key in DETECTION_KEYS}
        for row in detection.get("summary", [])
        if row.get("event") == "outage"
    ]
    return {
        "machine": detail["machine"],
        "date": detail["date"],
        "detection": rows,
        "fanout": (detail.get("fanout") or {}).get("json", {}),
        "resources": (detail.get("resources") or {}).get("json", {}),
        "fusion": {k: (detail.get("fusion") or {}).get(k) for k in FUSION_KEYS}
        if detail.get("fusion")
        else {},
        "scale": scale_stable(detail.get("scale")),
    }


# --- markdown ---------------------------------------------------------------------------


def markdown(detail: dict[str, Any]) -> str:
    machine = detail["machine"]
    lines = [
        "# statusbot benchmark results",
        "",
        f"Last run {detail['date']} on {machine['cores']} cores, {machine['memory_mb']} MiB RAM, "
        f"Python {machine['python']} ({machine['cpu']}). Produced by `python -m bench all` "
        "or one part at a time (each section says when it was measured); "
        "the machine-readable form is [results.json](results.json) (stable shape) and "
        "[results_detail.json](results_detail.json) (everything, raw samples included).",
        "",
        "Everything runs against local fakes over real sockets on 127.0.0.1: the real bot "
        "process (`python -m bot run`), `fakes.statuspage`, `fakes.slack` (Socket Mode + Web "
        "API) and `fakes.discord` (gateway + REST), all fakes inside the benchmark process.",
        "",
    ]
    lines += _dated(_comparison(detail), detail.get("peers"))
    lines += _dated(_detection(detail.get("detection")), detail.get("detection"))
    lines += _dated(_fanout(detail.get("fanout")), detail.get("fanout"))
    lines += _dated(_resources(detail.get("resources")), detail.get("resources"))
    lines += _dated(fusion_section(detail.get("fusion")), detail.get("fusion"))
    lines += _dated(scale_section(detail.get("scale")), detail.get("scale"))
    lines += _targets(detail)
    # Hand-written before/after notes of changes the numbers were measured for.
    history = Path(__file__).resolve().parent / "history.md"
    if history.exists():
        lines += ["", history.read_text(encoding="utf-8").rstrip()]
    return "\n".join(lines) + "\n"


def _dated(lines: list[str], data: dict[str, Any] | None) -> list[str]:
    """The section with the date of its measurement under its heading, when known."""
    when = (data or {}).get("measured_at")
    if not when or not lines:
        return lines
    return [lines[0], "", f"_Measured {when}._", *lines[1:]]


def _fmt(value: Any, unit: str = "", digits: int = 2) -> str:
    if value is None:
        return "—"
    if isinstance(value, float):
        return f"{value:.{digits}f}{unit}"
    return f"{value}{unit}"


def _ours(detail: dict[str, Any], platform: str, interval: float) -> tuple[Any, Any]:
    for row in (detail.get("detection") or {}).get("summary", []):
        if (row["platform"], row["interval_s"], row["event"]) == (platform, interval, "outage"):
            return row["median_s"], row["p95_s"]
    return None, None


def _peer_cells(row: dict[str, Any]) -> str:
    return f"{_fmt(row.get('median_s'))} ({_fmt(row.get('p95_s'))})" if row else "—"


def _comparison(detail: dict[str, Any]) -> list[str]:
    data = detail.get("peers") or {}
    if data.get("measured_here"):
        return _measured_peers(data)
    return _quoted_peers(detail, data)


def _measured_peers(data: dict[str, Any]) -> list[str]:
    rest, found = data["at_rest"], data["detection"]
    intervals = sorted({row["interval_s"] for row in found["rows"]})
    ratios = data.get("ratios") or {}
    lines = [
        "## Beside the peers",
        "",
        f"Measured in this run by `python -m bench peers` ({data.get('wall_s')} s, "
        f"install {data.get('install_s')} s): {data['peer']} (pinned, from PyPI, "
        f"{data.get('venv', 'its own venv')}) and our bot side by side on the same fake "
        "status page, each polling its own copy of every page path, flipped at the same "
        "instant, with the flips of the detection benchmark (same sources, intervals and "
        "seed, so the same phases). Latency = flip → first chat call for ours, flip → the "
        "peer's notification reaching a local webhook (apprise `json://`) for the peer; "
        "median (p95) over the outage flips. At rest = one source at "
        f"{rest['interval_s']:g} s each, nothing changing, measured over the same "
        f"{rest['window_s']} s window (ours with Slack Socket Mode and the Discord gateway "
        "connected); CPU is utime+stime per hour, memory is VmRSS."
        + _load_note(data.get("load_average_1m")),
        "",
        "| | "
        + " | ".join(f"{i:g} s interval" for i in intervals)
        + " | idle RSS | CPU-s/hour at rest |",
        "|---|" + "---|" * (len(intervals) + 2),
    ]
    who_rows = [("slack", "**statusbot → Slack** (this run)", "ours"),
                ("discord", "**statusbot → Discord** (this run)", "ours"),
                ("peer", f"{data['peer']} (this run)", "peer")]  # fmt: skip
    for who, label, side in who_rows:
        cells = [_peer_cells(_find(found["rows"], who, i, "outage")) for i in intervals]
        lines.append(
            f"| {label} | " + " | ".join(cells) + f" | {_fmt(rest['rss_mb'][side], ' MiB', 1)} "
            f"| {_fmt(rest['cpu_s_per_hour'][side], '', 1)} |"
        )
    latency = ratios.get("latency_median", {})
    for platform in ("slack", "discord"):
        cells = [_fmt(latency.get(f"{platform} {i:g} s outage")) for i in intervals]
        lines.append(
            f"| **ours ÷ peer** ({platform.title()}) | "
            + " | ".join(cells)
            + f" | {_fmt(ratios.get('idle_rss'))} | {_fmt(ratios.get('cpu_at_rest'))} |"
        )
    restore = ", ".join(
        f"{key.replace(' restore', '')} {_fmt(value)}"
        for key, value in latency.items()
        if key.endswith("restore")
    )
    gaps = found.get("poll_gaps", {})
    missed = found.get("missed", {})
    refused = data["at_rest"].get("peer_refused_by_network_guard", []) + found.get(
        "peer_refused_by_network_guard", []
    )
    lines += [
        "",
        f"Ratios are ours ÷ peer (below 1: we are faster, lighter, cheaper). Restorations, "
        f"ours ÷ peer median latency: {restore}. Median gap between two polls of one page "
        f"(ours / peer): "
        + ", ".join(
            f"{float(i):g} s → {gaps.get('ours', {}).get(i)} / {gaps.get('peer', {}).get(i)} s"
            for i in sorted(gaps.get("ours", {}), key=float)
        )
        + f". Flips with no notification within 2×interval+15 s: {missed}. "
        + (
            "The peer tried to reach nothing outside 127.0.0.1."
            if not refused
            else f"The network guard refused the peer {len(refused)} time(s): {refused[:3]}."
        ),
        "",
    ]
    lines += _quoted_rows(data.get("quoted", []))
    return lines


def _load_note(load: dict[str, float] | None) -> str:
    if not load:
        return ""
    end = f" and {load['end']} at the end" if load.get("end") is not None else ""
    return (
        f" The machine's 1-minute load average was {load.get('start')} at the start{end} of "
        "the run (2 cores: above 2, other work shared them and the figures carry that noise)."
    )


def _find(rows: list[dict[str, Any]], who: str, interval: float, event: str) -> dict[str, Any]:
    for row in rows:
        if (row["who"], row["interval_s"], row["event"]) == (who, interval, event):
            return row
    return {}


def _quoted_rows(quoted: list[dict[str, Any]]) -> list[str]:
    if not quoted:
        return []
    lines = [
        f"Peers not measured here ({peers_module.QUOTED_SOURCE}; flip to notification, "
        "median (p95), seconds):",
        "",
        "| | 3 s interval | 20 s interval | idle memory | CPU-s/hour |",
        "|---|---|---|---|---|",
    ]
    for peer in quoted:
        cells = []
        for interval in ("3.0", "20.0"):
            med, high = peer["detection"].get(interval, (None, None))
            cells.append(f"{_fmt(med)} ({_fmt(high)})")
        note = f" — {peer['note']}" if peer.get("note") else ""
        lines.append(
            f"| {peer['name']} (measured elsewhere){note} | {cells[0]} | {cells[1]} | "
            f"{peer['idle_memory']} | {peer['cpu_s_per_hour']} |"
        )
    return [*lines, ""]


def _quoted_peers(detail: dict[str, Any], data: dict[str, Any]) -> list[str]:
    resources = (detail.get("resources") or {}).get("json", {})
    lines = [
        "## Beside the peers",
        "",
        "Peers were not measured in this run"
        + (f" ({data['why_not_here']})" if data.get("why_not_here") else "")
        + "; `python -m bench peers` measures changedetection.io side by side. "
        "Our flip to notification, median (p95), seconds:",
        "",
        "| | 3 s interval | 20 s interval | idle memory | CPU-s/hour |",
        "|---|---|---|---|---|",
    ]
    for platform in ("slack", "discord"):
        cells = []
        for interval in (3.0, 20.0):
            med, high = _ours(detail, platform, interval)
            cells.append(f"{_fmt(med)} ({_fmt(high)})")
        memory = _fmt(resources.get("idle_rss_mb"), " MiB", 1)
        cpu = _fmt(resources.get("cpu_s_per_hour_100_sources"), "", 1)
        lines.append(
            f"| **statusbot → {platform.title()}** (this run) | {cells[0]} | {cells[1]} | "
            f"{memory} | {cpu} (100 sources at 30 s) |"
        )
    lines.append("")
    return lines + _quoted_rows(data.get("quoted") or peers_module.quoted(False))


def _detection(data: dict[str, Any] | None) -> list[str]:
    if not data:
        return ["## Detection latency", "", "Not measured in this run.", ""]
    sources = ", ".join(f"{n} sources at {i} s" for i, n in data.get("sources", {}).items())
    lines = [
        "## Detection latency",
        "",
        "How it was measured: one bot process polls many independent providers at once "
        f"({sources}), each with its own page path on the fake status page, its own Slack "
        "channel and its own Discord channel (subscriptions written into the store before "
        "start). Each page flips operational → outage at a random phase of its poll cycle "
        "(a uniform wait over a full interval), then later outage → resolved the same way. "
        "Latency = flip → first chat call for that channel (`chat.postMessage`/`chat.update` "
        "on the fake Slack, `POST`/`PATCH /channels/{id}/messages` on the fake Discord). "
        "Processing = the fake page answering the first poll that saw the flip → that first "
        "chat call. Both ends are stamped by the fakes in the benchmark process with one "
        "monotonic clock. Physical limit = interval/2 + processing p50. "
        f"Missed flips (no call within 2×interval+15 s): {data.get('missed', 0)}. "
        f"Wall time: {data.get('wall_s')} s.",
        "",
        "| interval | event | platform | flips | median (± s.e.) | p95 | processing p50 / p95 "
        "| of which poll→commit / commit→chat (p50) | limit | median vs limit |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for row in data.get("summary", []):
        lines.append(
            f"| {row['interval_s']:g} s | {row['event']} | {row['platform']} | {row['flips']} | "
            f"{_fmt(row['median_s'], ' s')} (± {row.get('median_se_s', '?')}) | "
            f"{_fmt(row['p95_s'], ' s')} | "
            f"{_fmt(row['processing_p50_ms'], ' ms', 1)} / "
            f"{_fmt(row['processing_p95_ms'], ' ms', 1)} | "
            f"{_fmt(row.get('commit_p50_ms'), ' ms', 1)} / "
            f"{_fmt(row.get('dispatch_p50_ms'), ' ms', 1)} | {_fmt(row['limit_s'], ' s')} | "
            f"{row['median_vs_limit_pct']:+.1f} % |"
        )
    lines += [
        "",
        "The split of processing uses the bot's JSON log line for the event (written right "
        "after the poll's transaction commits, before the outbox is woken). ± s.e. is the "
        "standard error of a median of uniformly random phases, interval / (2√n): with 30 "
        "flips it is larger than 10 % of the limit, so that target cannot be told apart "
        "from noise at this sample size.",
        "",
    ]
    gaps = data.get("poll_gaps") or {}
    if gaps:
        lines += [
            "Poll gaps the fake page saw (the scheduler adds up to 10 % jitter, at most 5 s):",
            "",
            "| interval | gaps | mean | median | p95 | expected wait for a random flip "
            "E[gap²]/(2·E[gap]) |",
            "|---|---|---|---|---|---|",
        ]
        for interval, g in gaps.items():
            lines.append(
                f"| {float(interval):g} s | {g['gaps']} | {g['mean_s']} s | {g['median_s']} s | "
                f"{g['p95_s']} s | {g['expected_wait_s']} s |"
            )
        lines.append("")
    return lines


def _fanout(data: dict[str, Any] | None) -> list[str]:
    if not data:
        return ["## Fan-out", "", "Not measured in this run.", ""]
    j = data["json"]
    lines = [
        "## Fan-out",
        "",
        f"One incident to {j['slack_channels']:,} Slack channels "
        f"({data.get('slack_workspaces', '?')} workspaces) and {j['discord_channels']:,} "
        "Discord channels, subscriptions bulk-inserted into the bot's SQLite store before "
        "start. The fake Slack enforces ~1 message/s per channel (burst 3) and answers a random "
        "2 % of `chat.postMessage` calls with 429 + Retry-After; the fake Discord sends bucket "
        "headers. Each wave is timed from the page flip until every channel shows it on the "
        "fakes (card; then card edited + update in its thread; then restored + broadcast/"
        "notice). Delivery settings: defaults, concurrency "
        f"{data.get('concurrency', 64)}). Each wave had a budget of "
        f"{data.get('wave_budget_s')} s and the whole fan-out {data.get('fanout_budget_s')} s.",
        "",
        "| wave | all Slack channels | all Discord channels | done at the end (Slack / "
        "Discord) | Slack channels/s |",
        "|---|---|---|---|---|",
    ]
    for wave in data["waves"]:
        lines.append(
            f"| {wave['name']} | {_fmt(wave['slack_s'], ' s', 1)} | "
            f"{_fmt(wave['discord_s'], ' s', 1)} | {wave['slack_done']:,} / "
            f"{wave['discord_done']:,} (after {wave['elapsed_s']:.0f} s) | "
            f"{wave['slack_rate_per_s']} |"
        )
    outbox = ", ".join(f"{k} {v:,}" for k, v in sorted(data.get("outbox", {}).items()))
    lines += [
        "",
        f"- Completed all three waves: **{'yes' if data['complete'] else 'no'}**",
        f"- Outbox throughput: **{j['deliveries_per_s']} deliveries/s** (channel-waves "
        "shown on the fakes ÷ wave time)",
        f"- Duplicates: **{j['duplicates']}**; lost (dead or dropped rows"
        f"{', plus channels missing at the end' if data['complete'] else ''}): "
        f"**{j['lost']}**; outbox rows at the end: {outbox}",
        f"- Peak RSS of the bot (VmHWM): **{j['peak_rss_mb']} MiB** "
        f"(RSS before the first wave {data.get('idle_rss_before_mb')} MiB)",
        "- Bot CPU (utime+stime) per wave, % of one core: "
        + ", ".join(f"{w['name']} {w.get('bot_cpu_pct', '—')}" for w in data["waves"]),
        "",
    ]
    lines += _profile(data.get("profile"))
    lines += _store_costs(data.get("store_costs"))
    return lines


def _store_costs(costs: dict[str, Any] | None) -> list[str]:
    if not costs:
        return []
    return [
        "### Store calls of the outbox with the queue full (SQLite, timed in-process)",
        "",
        f"With {costs['pending_rows']:,} rows pending (median of 20 calls each):",
        "",
        "| call | ms |",
        "|---|---|",
        f"| `commit_poll` fanning the event out to every subscription (once) | "
        f"{costs['commit_poll_fan_out_ms']} |",
        f"| `due_deliveries(limit={costs['limit']})` (each dispatch) | "
        f"{costs['due_deliveries_ms']} |",
        f"| `outbox_depth` (each dispatch) | {costs['outbox_depth_ms']} |",
        f"| claim one row (`begin_attempt(s)`) | {costs['begin_attempt_ms']} |",
        f"| `save_card` (each new card) | {costs['save_card_ms']} |",
        f"| `mark_delivered` (each delivery) | {costs['mark_delivered_ms']} |",
        "",
    ]


def _profile(
    profile: dict[str, Any] | None, title: str = "Profile of the bot during the card wave"
) -> list[str]:
    if not profile:
        return []
    lines = [
        f"### {title} (py-spy)",
        "",
        f"{profile['samples']} samples of running (non-idle) threads at 100 Hz: "
        f"{profile['event_loop_busy_pct']} % were the event loop at work, "
        f"{profile['sqlite_thread_busy_pct']} % the aiosqlite worker thread executing SQL. "
        "Where the working event loop spends its samples (inclusive, % of its samples):",
        "",
        "| function | % |",
        "|---|---|",
    ]
    lines += [f"| `{name}` | {pct} |" for name, pct in profile.get("loop_inclusive_pct", [])]
    return [*lines, ""]


def _resources(data: dict[str, Any] | None) -> list[str]:
    if not data:
        return ["## Cost at rest and under polling", "", "Not measured in this run.", ""]
    j = data["json"]
    traffic = data["traffic"]
    lines = [
        "## Cost at rest and under polling",
        "",
        "Three bot processes at once: an idle one (one source every 20 s that never changes, "
        "Slack Socket Mode and the Discord gateway connected to the fakes) and two polling "
        f"{data['sources']} sources every {data['interval_s']:g} s, with and without "
        "conditional GET. The page is a real 7 KB summary.json; during the window "
        f"{data['page_changes']} pages changed (the rest answer 304 to conditional requests). "
        f"Measured over a **{data['window_s']} s window** after warm-up (short, to fit the "
        "10-minute budget) and extrapolated to an hour. CPU is utime+stime from "
        "/proc/<pid>/stat; memory is VmRSS from /proc/<pid>/status; bytes are response bytes "
        f"(status line + headers measured on the wire: {data['wire_bytes_per_response']}, plus "
        "bodies), request bytes excluded.",
        "",
        f"| | idle bot | {data['sources']} sources, conditional GET | "
        f"{data['sources']} sources, no conditional GET |",
        "|---|---|---|---|",
        f"| RSS | {data['rss_mb']['idle']} MiB | {data['rss_mb']['cg']} MiB | "
        f"{data['rss_mb']['full']} MiB |",
        *(
            [
                "| of which private (RssAnon) / files and libraries (RssFile) | "
                + " | ".join(
                    f"{data['anon_mb'][n]} / {data['file_mb'][n]} MiB"
                    for n in ("idle", "cg", "full")
                )
                + " |"
            ]
            if data.get("anon_mb")
            else []
        ),
        f"| CPU-s/hour | {data['cpu_s_per_hour']['idle']} | {data['cpu_s_per_hour']['cg']} | "
        f"{data['cpu_s_per_hour']['full']} |",
        f"| requests (304s) in window | — | {traffic['cg']['requests']} "
        f"({traffic['cg']['not_modified']}) | {traffic['full']['requests']} "
        f"({traffic['full']['not_modified']}) |",
        f"| response bytes in window | — | {traffic['cg']['bytes']:,} | "
        f"{traffic['full']['bytes']:,} |",
        "",
        f"Conditional GET saves **{j['conditional_get_bytes_saved_pct']} %** of the bytes.",
        "",
    ]
    lines += _profile(data.get("profile"), "Profile of the bot polling 100 sources (304s)")
    if data.get("imports"):
        lines += [
            "Where the idle memory goes: RSS of a fresh interpreter after importing the bot's "
            "dependencies one group at a time (cumulative):",
            "",
            "| after importing | RSS | added |",
            "|---|---|---|",
        ]
        lines += [
            f"| {row['group']} | {row['rss_mb']} MiB | +{row['added_mb']} MiB |"
            for row in data["imports"]
        ]
        lines.append("")
    return lines


def _targets(detail: dict[str, Any]) -> list[str]:
    rows = []
    for row in (detail.get("detection") or {}).get("summary", []):
        if row["event"] != "outage":
            continue
        rows.append(
            (
                f"detection median within 10 % of limit ({row['platform']}, "
                f"{row['interval_s']:g} s)",
                f"{row['median_vs_limit_pct']:+.1f} %",
                row["median_vs_limit_pct"] <= 10,
            )
        )
        rows.append(
            (
                f"processing p50 < 5 ms ({row['platform']}, {row['interval_s']:g} s)",
                f"{row['processing_p50_ms']} ms",
                row["processing_p50_ms"] < 5,
            )
        )
    fan = (detail.get("fanout") or {}).get("json")
    if fan:
        card = fan["card_wave_s"]
        slack_card = next(
            (w["slack_s"] for w in detail["fanout"]["waves"] if w["name"] == "card"), None
        )
        rows.append(
            (
                "Slack card wave ≤ 40 s",
                _fmt(slack_card, " s", 1) if slack_card is not None else f"not done ({card})",
                slack_card is not None and slack_card <= 40,
            )
        )
        rows.append(("0 duplicates", str(fan["duplicates"]), fan["duplicates"] == 0))
        rows.append(("0 lost", str(fan["lost"]), fan["lost"] == 0))
    res = (detail.get("resources") or {}).get("json")
    if res:
        idle = res["idle_rss_mb"]
        rows.append(("idle RSS ≤ 80 MB", f"{idle} MiB ({idle * 1.048576:.1f} MB)", idle <= 80))
        cpu = res["cpu_s_per_hour_100_sources"]
        rows.append(("≤ 20 CPU-s/hour (100 sources, 30 s)", f"{cpu}", cpu <= 20))
        at_rest = detail["resources"]["cpu_s_per_hour"]["idle"]
        rows.append(("idle bot ≤ 2 CPU-s/hour (one source at 20 s)", f"{at_rest}", at_rest <= 2))
        saved = res["conditional_get_bytes_saved_pct"]
        rows.append(("≥ 90 % bytes saved by conditional GET", f"{saved} %", saved >= 90))
    fus = detail.get("fusion")
    if fus:
        rows.append(
            (
                "early warning: 0 false confirmations",
                str(fus["false_confirmations"]),
                fus["false_confirmations"] == 0,
            )
        )
        worst = max(fus["false_suspicions_by_provider_per_month"].values())
        rows.append(
            (
                "early warning: ≤ 1 false suspicion per provider per month",
                f"{worst} (worst provider)",
                worst <= 1,
            )
        )
        lead = fus["median_lead_min_when_page_lags_10"]
        rows.append(
            (
                "early warning: median lead ≥ 5 min when the page lags ≥ 10 min",
                f"{lead} min (probe-visible incidents)",
                lead >= 5,
            )
        )
    lines = ["## Targets", "", "| target | measured | met |", "|---|---|---|"]
    lines += [f"| {name} | {value} | {'yes' if ok else '**no**'} |" for name, value, ok in rows]
    return [*lines, ""]
