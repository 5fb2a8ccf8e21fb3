"""Better Stack index.json: the real Hugging Face page, its quirks, and the state machine."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest

from bot.errors import PayloadError
from bot.events import EventKind
from bot.machine import ALL_OPERATIONAL, MachineSettings, transition
from bot.models import ComponentStatus, Impact, IncidentStatus
from integrations.sources import detect_format
from integrations.sources.betterstack import parse
from tests.conftest import FIXTURES

BS = FIXTURES / "betterstack"
REAL = BS / "huggingface_index_2026-09-19_status_history_trimmed_to_3_days.json"
HUB_DOWN = BS / "RECONSTRUCTED_huggingface_hub_unavailable_as_of_2026-07-16T08-43.json"
HUB_BACK = BS / "RECONSTRUCTED_huggingface_hub_resolved_as_of_2026-07-16T10-07.json"
SETTINGS = MachineSettings(provider="huggingface", source_id="huggingface", flap_window_s=0)


def real() -> dict[str, Any]:
    return json.loads(REAL.read_bytes())


def test_real_page_components_sections_and_history() -> None:
    raw = REAL.read_bytes()
    assert detect_format(raw) == "betterstack"
    snapshot = parse(raw)
    assert snapshot.page_name == "Hugging Face"
    assert snapshot.page_url == "https://status.huggingface.co/"
    assert snapshot.observed_at == datetime(2026, 9, 19, 3, 17, 48, 321000, tzinfo=UTC)
    names = {c.id: (c.name, c.group) for c in snapshot.components}
    assert names["84641"] == ("Huggingface Hub", "Current status by service")
    # Two resources share resource_id 319190: both are kept, keyed by their own id.
    assert names["84642"][0] == "Git Hosting and Serving"
    assert names["8810148"] == ("AWS CDN", "CDN")
    assert all(c.status is ComponentStatus.OPERATIONAL for c in snapshot.components)
    # History is listed: two closed incidents and four completed maintenances.
    assert {i.id: i.status for i in snapshot.incidents} == {
        "1004901": IncidentStatus.RESOLVED,  # ends_at stays null after resolution
        "965809": IncidentStatus.RESOLVED,
    }
    assert len(snapshot.maintenances) == 6
    assert all(m.status is IncidentStatus.COMPLETED for m in snapshot.maintenances)
    assert snapshot.warnings == ()


def test_updates_are_put_in_time_order_whatever_the_relationship_order() -> None:
    hub = next(i for i in parse(REAL.read_bytes()).incidents if i.id == "965809")
    # Listed 10:07, 08:30, 08:43 in relationships; newest first here.
    assert [u.at.strftime("%H:%M") for u in hub.updates] == ["10:07", "08:43", "08:30"]
    assert hub.updates[0].status is IncidentStatus.RESOLVED
    assert hub.started_at == datetime(2026, 7, 16, 8, 30, tzinfo=UTC)
    assert set(hub.component_ids) == {"84641", "84642", "8379104"}


def test_open_report_and_its_degraded_resources() -> None:
    snapshot = parse(HUB_DOWN.read_bytes())
    (hub,) = [i for i in snapshot.incidents if not i.status.is_closed]
    assert hub.title == "Hub unavailable"
    assert hub.impact is Impact.MINOR  # newest update: degraded (the first said downtime)
    degraded = {c.name for c in snapshot.components if c.status is ComponentStatus.DEGRADED}
    assert degraded == {"Huggingface Hub", "Git Hosting and Serving", "Inference Endpoints UI"}


def test_without_aggregate_state_the_newest_update_decides() -> None:
    doc = json.loads(HUB_DOWN.read_bytes())
    report = next(i for i in doc["included"] if i["id"] == "965809")
    del report["attributes"]["aggregate_state"]
    (hub,) = [i for i in parse(json.dumps(doc).encode()).incidents if i.id == "965809"]
    assert hub.status is IncidentStatus.INVESTIGATING
    doc = real()
    report = next(i for i in doc["included"] if i["id"] == "965809")
    report["attributes"]["aggregate_state"] = None
    (hub,) = [i for i in parse(json.dumps(doc).encode()).incidents if i.id == "965809"]
    assert hub.status is IncidentStatus.RESOLVED  # newest update: every resource resolved


def test_maintenance_window_in_progress_then_over() -> None:
    doc = real()
    doc["data"]["attributes"]["updated_at"] = "2026-09-16T08:00:00.000Z"
    report = next(i for i in doc["included"] if i["id"] == "1063027")
    report["attributes"]["aggregate_state"] = "maintenance"
    maintenance = next(m for m in parse(json.dumps(doc).encode()).maintenances if m.id == "1063027")
    assert maintenance.status is IncidentStatus.IN_PROGRESS
    doc["data"]["attributes"]["updated_at"] = "2026-09-16T09:30:00.000Z"  # after ends_at
    maintenance = next(m for m in parse(json.dumps(doc).encode()).maintenances if m.id == "1063027")
    assert maintenance.status is IncidentStatus.COMPLETED


def test_open_then_resolved_gives_degraded_then_restored_with_duration() -> None:
    state, opened = transition(ALL_OPERATIONAL, parse(HUB_DOWN.read_bytes()), SETTINGS)
    assert [(e.kind, e.incident_id) for e in opened] == [(EventKind.DEGRADED, "965809")]
    _, closed = transition(state, parse(HUB_BACK.read_bytes()), SETTINGS)
    assert [(e.kind, e.incident_id) for e in closed] == [(EventKind.RESTORED, "965809")]
    assert closed[0].at == datetime(2026, 7, 16, 10, 7, tzinfo=UTC)
    assert closed[0].duration_s == 97 * 60  # 08:30 → 10:07


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (b"[]", "no 'data'"),
        (b'{"data": []}', "expected an object"),
        (b'{"data": {}, "included": {}}', "expected a list"),
        (b'{"data": {}, "included": [{"type": "status_page_resource"}]}', "missing or empty"),
        (b'{"data": {}}', "no timestamp"),
    ],
)
def test_unreadable_pages_are_payload_errors(body: bytes, reason: str) -> None:
    with pytest.raises(PayloadError, match=reason):
        parse(body)


def test_the_page_clock_is_its_updated_at() -> None:
    snapshot = parse(REAL.read_bytes())
    assert snapshot.page_updated_at == datetime(2026, 9, 19, 3, 17, 48, 321000, tzinfo=UTC)
