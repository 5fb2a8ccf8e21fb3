"""`replay --format jsonl` on real payloads: what a channel would be told, poll by poll.

Each case feeds real captures (tests/fixtures, provenance in its README) in the order given.
Where a case needs a moment no capture shows (a maintenance in progress, a page before its
incident was posted), the test derives it from a real capture and says how.
"""

from __future__ import annotations

import copy
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

from tests.botproc import ROOT
from tests.conftest import FIXTURES

OPENAI_JULY = (
    FIXTURES
    / "incident_io"
    / "openai_summary_2026-07-09_operational_no_incidents_key_keysorted.json"
)
OPENAI_INCIDENT = FIXTURES / "openai_summary_2026-09-22_monitoring.json"
OPENAI_OK = FIXTURES / "openai_summary_2026-09-24_operational.json"
OPENAI_TWO = FIXTURES / "openai_summary_2026-09-29_two_incidents_degraded.json"
CLAUDE_OK = FIXTURES / "anthropic_summary_2026-09-15_operational.json"
CLAUDE_OUTAGE = FIXTURES / "anthropic_summary_2026-09-22_outage.json"
CLAUDE_MONITORING = FIXTURES / "anthropic_summary_2026-10-07_monitoring.json"
CLAUDE_MAINTENANCES = (
    FIXTURES / "anthropic_scheduled_maintenances_2026-09-15_completed_keysorted.json"
)


def replay(*files: Path) -> list[dict[str, Any]]:
    result = subprocess.run(
        [sys.executable, "-m", "bot", "replay", "--format", "jsonl", *map(str, files)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    return [json.loads(line) for line in result.stdout.splitlines() if line.strip()]


def load(path: Path) -> dict[str, Any]:
    return json.loads(path.read_text(encoding="utf-8"))


def write(tmp_path: Path, name: str, data: dict[str, Any]) -> Path:
    path = tmp_path / name
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


def kinds(events: list[dict[str, Any]]) -> list[tuple[str, str | None]]:
    return [(e["kind"], e["incident_id"]) for e in events]


def test_a_stale_copy_after_a_newer_page_is_ignored_on_a_real_atlassian_sequence() -> None:
    events = replay(CLAUDE_OK, CLAUDE_OUTAGE, CLAUDE_MONITORING, CLAUDE_OUTAGE, CLAUDE_OK)
    # The 09-22 and 09-15 copies served after 10-07 are older: no false restored, no re-alert.
    assert kinds(events) == [
        ("outage", "7g1qpkyz5gxh"),
        ("outage", "978mjkgw6mh7"),
        ("restored", "7g1qpkyz5gxh"),
    ]
    outage, _, restored = events
    assert outage["components"] == [
        "claude.ai",
        "Claude API (api.anthropic.com)",
        "Claude Code",
        "Claude Cowork",
    ]
    assert restored["at"] == "2026-10-07T23:44:53.565000Z"
    assert restored["duration_s"] > 0
    ats = [e["at"] for e in events]
    assert ats == sorted(ats)


def test_incident_io_incidents_are_tied_only_to_the_components_that_went_bad_with_them() -> None:
    events = replay(OPENAI_JULY, OPENAI_INCIDENT, OPENAI_OK, OPENAI_TWO, OPENAI_OK)
    assert kinds(events) == [
        ("degraded", "01M34TAFM9WBGEBE3G1GBH4SE8"),
        ("restored", "01M34TAFM9WBGEBE3G1GBH4SE8"),
        ("degraded", "01M3Q4RK1SM4EMK445GGPG7C0N"),
        ("degraded", "01M3Q4HMNP8SZ27DTZKW6F5BJ4"),
    ]
    first, restored, errors, support = events
    # 09-22: every component operational, so nothing is tied: the incident's own words.
    assert first["components"] == []
    assert restored["duration_s"] == 203722.0
    # 09-29: 21 components went bad in the same poll as the error incident: one card, theirs.
    degraded = {c["name"] for c in load(OPENAI_TWO)["components"]} - {
        "Ads API",
        "Decisions",
        "dots",
    }
    assert set(errors["components"]) == degraded
    assert len(errors["components"]) == 22
    # The support-chat incident (impact none) is not shown as affecting all of them.
    assert support["components"] == []
    assert support["severity"] == "degraded"
    assert not [e for e in events if e["incident_id"] is None]  # no component-only cards


def test_components_missing_from_a_capped_list_are_not_recovered_or_new(tmp_path: Path) -> None:
    """From the 09-29 page: Realtime (degraded) left out of the next copy, then back."""
    page = load(OPENAI_TWO)
    page["incidents"] = []
    later = copy.deepcopy(page)
    later["page"]["updated_at"] = "2026-09-29T18:34:41Z"
    later["components"] = [c for c in page["components"] if c["name"] != "Realtime"]
    back = copy.deepcopy(page)
    back["page"]["updated_at"] = "2026-09-29T18:39:41Z"
    events = replay(
        write(tmp_path, "a.json", page),
        write(tmp_path, "b.json", later),
        write(tmp_path, "c.json", back),
    )
    realtime = [e for e in events if e["component"] == "Realtime"]
    assert [e["kind"] for e in realtime] == ["degraded"]


def test_an_unknown_status_word_keeps_the_outage(tmp_path: Path) -> None:
    """From the 09-22 Claude outage: claude.ai says a word the bot does not know, then outage."""
    outage = load(CLAUDE_OUTAGE)
    outage["incidents"] = []
    odd = copy.deepcopy(outage)
    odd["page"]["updated_at"] = "2026-09-22T01:10:00.000Z"
    odd["components"][0]["status"] = "investigating_outage"
    again = copy.deepcopy(outage)
    again["page"]["updated_at"] = "2026-09-22T01:20:00.000Z"
    events = replay(
        write(tmp_path, "a.json", outage),
        write(tmp_path, "b.json", odd),
        write(tmp_path, "c.json", again),
    )
    claude_ai = [e["kind"] for e in events if e["component"] == "claude.ai"]
    assert claude_ai == ["outage"]


def test_one_incident_over_two_component_cards_closes_one_with_a_pointer(tmp_path: Path) -> None:
    """RECONSTRUCTED: the 09-22 Claude page minutes before its incident was posted, claude.ai
    in partial outage first, then the API too; then the real page."""
    real = load(CLAUDE_OUTAGE)
    real["incidents"] = []
    files = []
    for moment, bad in (
        ("2026-09-22T00:45:00.000Z", {"claude.ai"}),
        ("2026-09-22T00:50:00.000Z", {"claude.ai", "Claude API (api.anthropic.com)"}),
    ):
        before = copy.deepcopy(real)
        before["page"]["updated_at"] = moment
        for component in before["components"]:
            if component["name"] not in bad:
                component["status"] = "operational"
        files.append(write(tmp_path, f"{moment}.json", before))
    events = replay(*files, CLAUDE_OUTAGE, CLAUDE_MONITORING)
    assert [e["kind"] for e in events] == [
        "outage",
        "outage",
        "outage",
        "merged",
        "outage",
        "restored",
    ]
    claude_ai, api, incident, merged, _, restored = events
    assert (claude_ai["component"], api["component"]) == (
        "claude.ai",
        "Claude API (api.anthropic.com)",
    )
    assert incident["incident_id"] == "7g1qpkyz5gxh"
    assert incident["incident_key"] == claude_ai["incident_key"]  # the oldest card goes on
    assert merged["incident_key"] == api["incident_key"]
    assert merged["merged_into"] == claude_ai["incident_key"]
    assert restored["incident_key"] == claude_ai["incident_key"]
    assert restored["started_at"] == "2026-09-22T00:45:00Z"


def _maintenance_as_of(record: dict[str, Any], moment: str) -> dict[str, Any]:
    """The maintenance as the page showed it at `moment`: only the updates posted by then."""
    shown = copy.deepcopy(record)
    shown["incident_updates"] = [u for u in record["incident_updates"] if u["created_at"] <= moment]
    shown["status"] = shown["incident_updates"][0]["status"]
    return shown


def test_a_real_maintenance_lasts_from_its_work_to_its_completion(tmp_path: Path) -> None:
    """RECONSTRUCTED summaries from the real completed maintenance 16z0qdmy3qv2 (announced
    2024-12-13, worked 2024-12-15 01:00-01:26): the page before, during and after the work."""
    capture = load(CLAUDE_MAINTENANCES)
    record = next(m for m in capture["scheduled_maintenances"] if m["id"] == "16z0qdmy3qv2")
    components = copy.deepcopy(record["components"])
    files = []
    for name, moment, status in (
        ("announced", "2024-12-14T12:00:00.000Z", "operational"),
        ("working", "2024-12-15T01:05:00.000Z", "under_maintenance"),
        ("completed", "2024-12-15T01:26:47.953Z", "operational"),
    ):
        for component in components:
            component["status"] = status
        page = {
            "page": {**capture["page"], "updated_at": moment},
            "components": copy.deepcopy(components),
            "incidents": [],
            "scheduled_maintenances": [_maintenance_as_of(record, moment)],
        }
        files.append(write(tmp_path, f"{name}.json", page))
    events = replay(*files)
    assert [e["kind"] for e in events] == ["maintenance_started", "maintenance_ended"]
    started, ended = events
    assert started["started_at"] == "2024-12-15T01:00:21.436000Z"  # not the announcement
    assert ended["duration_s"] == 1586.517  # 26 min, not 1.3 days
    for event in events:
        assert event["components"] == ["claude.ai", "Claude Console (platform.claude.com)"]
    assert started["text"].startswith("Scheduled maintenance is currently in progress")
    assert ended["text"] == "The scheduled maintenance has been completed."
