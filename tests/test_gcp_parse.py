"""Google Cloud incidents.json: real captures, the quirks of its feed, and the state machine."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from bot.errors import PayloadError
from bot.events import EventKind
from bot.machine import ALL_OPERATIONAL, MachineSettings, transition
from bot.models import ComponentStatus, Impact, IncidentStatus
from bot.snapshots import filter_components
from integrations.sources import detect_format
from integrations.sources.gcp import parse
from tests.conftest import FIXTURES

GCP = FIXTURES / "gcp"
CAPTURE = GCP / "incidents_capture_2026-07-30_4_resolved.json"
ACTIVE = GCP / "RECONSTRUCTED_incident_active_5fGQt4VbkDnr3Yp8PXPr_as_of_2026-06-23.json"
RESOLVED = GCP / "EXTRACTED_incident_5fGQt4VbkDnr3Yp8PXPr_resolved.json"
RETROACTIVE = GCP / "incident_vertex_gemini_41E5S3mkTGDfkZuJZH5k_resolved.json"
VERTEX_GEMINI_API = "Z0FZJAMvEB4j3NbCJs6B"
SETTINGS = MachineSettings(provider="google", source_id="google", flap_window_s=0)


def test_capture_lists_four_closed_incidents_and_their_products() -> None:
    snapshot = parse(CAPTURE.read_bytes())
    assert detect_format(CAPTURE.read_bytes()) == "gcp"
    assert snapshot.page_name == "Google Cloud"
    assert [i.id for i in snapshot.incidents] == [
        "3BvH3LVGcupoYqV6F4Nw",
        "T8gmtofFSTGT5tbhyciF",
        "5fGQt4VbkDnr3Yp8PXPr",
        "41E5S3mkTGDfkZuJZH5k",
    ]
    assert all(i.status is IncidentStatus.RESOLVED for i in snapshot.incidents)
    assert all(c.status is ComponentStatus.OPERATIONAL for c in snapshot.components)
    # Dated by the newest modification in the feed, not by the wall clock.
    assert snapshot.observed_at == datetime(2026, 7, 25, 13, 16, 55, tzinfo=UTC)
    assert snapshot.warnings == ()


def test_open_incident_is_the_one_without_end_and_marks_its_products() -> None:
    snapshot = parse(ACTIVE.read_bytes())
    (incident,) = snapshot.incidents
    assert incident.status is IncidentStatus.INVESTIGATING
    assert incident.impact is Impact.MINOR  # SERVICE_DISRUPTION, severity medium
    assert incident.started_at == datetime(2026, 6, 5, 7, 0, tzinfo=UTC)  # `begin`
    assert incident.url == "https://status.cloud.google.com/incidents/5fGQt4VbkDnr3Yp8PXPr"
    # updates[] newest first; `when` is the update's time, not the later `modified`.
    assert incident.updates[0].at == datetime(2026, 6, 23, 22, 52, 49, tzinfo=UTC)
    assert [u.at for u in incident.updates] == sorted(
        (u.at for u in incident.updates), reverse=True
    )
    assert {c.name: c.status for c in snapshot.components} == {
        "Hybrid Connectivity": ComponentStatus.DEGRADED,
        "Media CDN": ComponentStatus.DEGRADED,
        "Virtual Private Cloud (VPC)": ComponentStatus.DEGRADED,
    }


def test_newest_update_available_closes_an_incident_even_without_end() -> None:
    record = json.loads(ACTIVE.read_bytes())
    record[0]["updates"].insert(
        0, {"created": "2026-06-29T23:06:10+00:00", "when": "2026-06-29T23:06:10+00:00",
            "status": "AVAILABLE", "text": "Resolved."},
    )  # fmt: skip
    (incident,) = parse(json.dumps(record).encode()).incidents
    assert incident.status is IncidentStatus.RESOLVED


def test_products_are_keyed_by_id_and_named_by_their_current_title() -> None:
    snapshot = parse(RETROACTIVE.read_bytes())
    product = next(c for c in snapshot.components if c.id == VERTEX_GEMINI_API)
    assert product.name == "Gemini on Agent Platform"  # was "Vertex Gemini API"
    only_gemini = filter_components(snapshot, include=[VERTEX_GEMINI_API])
    assert [c.id for c in only_gemini.components] == [VERTEX_GEMINI_API]
    assert [i.id for i in only_gemini.incidents] == ["41E5S3mkTGDfkZuJZH5k"]
    # The capture's other incidents touch no Gemini product: filtered away.
    capture = filter_components(parse(CAPTURE.read_bytes()), include=[VERTEX_GEMINI_API])
    assert [i.id for i in capture.incidents] == ["41E5S3mkTGDfkZuJZH5k"]


@pytest.mark.parametrize(
    ("status_impact", "severity", "impact"),
    [
        ("SERVICE_INFORMATION", "low", Impact.MINOR),
        ("SERVICE_DISRUPTION", "medium", Impact.MINOR),
        ("SERVICE_DISRUPTION", "high", Impact.MAJOR),
        ("SERVICE_OUTAGE", "medium", Impact.MAJOR),
        ("SERVICE_OUTAGE", "high", Impact.CRITICAL),
        ("SOMETHING_NEW", None, Impact.MINOR),
    ],
)
def test_severity_comes_from_status_impact_and_severity(
    status_impact: str, severity: str | None, impact: Impact
) -> None:
    record = json.loads(ACTIVE.read_bytes())
    record[0]["status_impact"] = status_impact
    record[0]["severity"] = severity
    for update in record[0]["updates"]:
        update["status"] = status_impact
    (incident,) = parse(json.dumps(record).encode()).incidents
    assert incident.impact is impact


def test_an_incident_posted_after_it_ended_is_history_not_an_alert() -> None:
    # 41E5…: created 16:12:30, ended 14:35 the same day. Seen by a bot that already
    # watched the feed, it must not open (nor restore) a card.
    raw = RETROACTIVE.read_bytes()
    (incident,) = parse(raw).incidents
    assert incident.status is IncidentStatus.RESOLVED
    watched, _ = transition(ALL_OPERATIONAL, parse(ACTIVE.read_bytes()), SETTINGS)
    _, events = transition(watched, parse(raw), SETTINGS)
    assert [e.incident_id for e in events if e.incident_id == incident.id] == []


def test_open_then_resolved_gives_degraded_then_restored_with_the_payload_times() -> None:
    state, opened = transition(ALL_OPERATIONAL, parse(ACTIVE.read_bytes()), SETTINGS)
    assert [(e.kind, e.incident_id) for e in opened] == [
        (EventKind.DEGRADED, "5fGQt4VbkDnr3Yp8PXPr")
    ]
    assert set(opened[0].components) == {
        "Hybrid Connectivity",
        "Media CDN",
        "Virtual Private Cloud (VPC)",
    }
    _, closed = transition(state, parse(RESOLVED.read_bytes()), SETTINGS)
    assert [e.kind for e in closed] == [EventKind.RESTORED]
    restored = closed[0]
    assert restored.at == datetime(2026, 6, 29, 23, 6, 10, tzinfo=UTC)
    assert (
        restored.duration_s == (restored.at - datetime(2026, 6, 5, 7, tzinfo=UTC)).total_seconds()
    )


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (b'{"page": {}}', "expected a JSON array"),
        (b"[1, 2]", "expected an object"),
        (b'[{"id": "x", "begin": "yesterday"}]', "bad timestamp"),
        (b'[{"id": "x", "updates": [{"text": "no time"}]}]', "update has no time"),
        (b"[]", "no timestamp"),
    ],
)
def test_unreadable_feeds_are_payload_errors(body: bytes, reason: str) -> None:
    with pytest.raises(PayloadError, match=reason):
        parse(body)


def test_an_older_copy_of_the_page_restores_nothing() -> None:
    """The page has no clock: its newest `modified` dates it, so a CDN's older copy (the
    incident still open) after the resolution neither reopens nor re-alerts the incident."""
    opened_state, _ = transition(ALL_OPERATIONAL, parse(ACTIVE.read_bytes()), SETTINGS)
    resolved = parse(RESOLVED.read_bytes())
    older = parse(ACTIVE.read_bytes())
    assert resolved.page_updated_at is not None
    assert older.page_updated_at is not None
    assert older.page_updated_at < resolved.page_updated_at
    state, closed = transition(opened_state, resolved, SETTINGS)
    assert [e.kind for e in closed] == [EventKind.RESTORED]
    after, events = transition(state, older, SETTINGS)
    assert events == []
    assert after.stale_since is not None  # seen as a stale copy, not as news
