"""`replay --format jsonl` on each status format: open incident, then its resolution."""

from __future__ import annotations

import os
import shutil
from datetime import UTC, datetime
from pathlib import Path

import pytest

from tests.conftest import FIXTURES
from tests.test_cli import bot, jsonl

CASES = [
    pytest.param(
        FIXTURES
        / "gcp"
        / "RECONSTRUCTED_incident_active_5fGQt4VbkDnr3Yp8PXPr_as_of_2026-06-23.json",
        FIXTURES / "gcp" / "EXTRACTED_incident_5fGQt4VbkDnr3Yp8PXPr_resolved.json",
        ("Google Cloud", "5fGQt4VbkDnr3Yp8PXPr", "degraded"),
        ("2026-06-23T22:52:50Z", "2026-06-29T23:06:10Z", "2026-06-05T07:00:00Z"),
        id="gcp",
    ),
    pytest.param(
        FIXTURES
        / "betterstack"
        / "RECONSTRUCTED_huggingface_hub_unavailable_as_of_2026-07-16T08-43.json",  # noqa: E501
        FIXTURES
        / "betterstack"
        / "RECONSTRUCTED_huggingface_hub_resolved_as_of_2026-07-16T10-07.json",  # noqa: E501
        ("Hugging Face", "965809", "degraded"),
        ("2026-07-16T08:43:00Z", "2026-07-16T10:07:00Z", "2026-07-16T08:30:00Z"),
        id="betterstack",
    ),
    pytest.param(
        FIXTURES
        / "betterstack"
        / "RECONSTRUCTED_huggingface_hub_unavailable_as_of_2026-07-16T08-43.json",  # noqa: E501
        FIXTURES
        / "betterstack"
        / "huggingface_index_2026-09-19_status_history_trimmed_to_3_days.json",
        ("Hugging Face", "965809", "degraded"),
        ("2026-07-16T08:43:00Z", "2026-09-19T03:17:48.321000Z", "2026-07-16T08:30:00Z"),
        id="betterstack-real-page-later",
    ),
]


def iso(text: str) -> datetime:
    return datetime.fromisoformat(text)


@pytest.mark.parametrize(("opened_file", "resolved_file", "who", "times"), CASES)
def test_replay_open_then_resolved(
    opened_file: Path,
    resolved_file: Path,
    who: tuple[str, str, str],
    times: tuple[str, str, str],
) -> None:
    page, incident_id, first_kind = who
    opened_at, restored_at, started_at = times
    result = bot("replay", "--format", "jsonl", str(opened_file), str(resolved_file))
    assert result.returncode == 0, result.stderr
    events = [e for e in jsonl(result.stdout) if e["incident_id"] == incident_id]
    assert [e["kind"] for e in events] == [first_kind, "restored"]
    opened, restored = events
    assert opened["provider"] == restored["provider"] == page
    assert opened["at"] == opened_at  # from the payload, not the wall clock
    assert restored["at"] == restored_at
    assert restored["started_at"] == started_at
    assert restored["duration_s"] == (iso(restored_at) - iso(started_at)).total_seconds()
    assert restored["incident_key"] == opened["incident_key"]


def test_replay_instatus_dates_an_undated_healthy_page_by_its_file(tmp_path: Path) -> None:
    """A healthy Instatus summary carries no time at all: replay says so and uses the file's."""
    opened = FIXTURES / "instatus" / "DOCS_EXAMPLE_summary_json_hasissues_instatus_help.json"
    healthy = tmp_path / "summary_up.json"
    shutil.copy(FIXTURES / "instatus" / "CONSTRUCTED_summary_up_no_active_keys.json", healthy)
    captured = datetime(2022, 6, 11, 19, 55, 50, tzinfo=UTC)
    os.utime(healthy, (captured.timestamp(), captured.timestamp()))
    result = bot("replay", "--format", "jsonl", str(opened), str(healthy))
    assert result.returncode == 0, result.stderr
    assert "no time in the payload; dated by the file (2022-06-11T19:55:50Z)" in result.stderr
    events = jsonl(result.stdout)
    assert [e["kind"] for e in events] == ["outage", "restored"]
    assert events[0]["at"] == "2022-06-11T18:55:54Z"  # newest time in the summary
    assert events[1]["at"] == "2022-06-11T19:55:50Z"
    assert events[1]["duration_s"] == 3600.0  # since `started` 18:55:50
    assert events[1]["incident_title"] == "We're facing an issue with our API"


def test_replay_a_retroactive_google_incident_is_not_news() -> None:
    resolved = FIXTURES / "gcp" / "incident_vertex_gemini_41E5S3mkTGDfkZuJZH5k_resolved.json"
    result = bot("replay", "--format", "jsonl", str(resolved))
    assert result.returncode == 0, result.stderr
    assert jsonl(result.stdout) == []
