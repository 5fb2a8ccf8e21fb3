"""Instatus summary.json: the documented example, and what real pages may send instead."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from bot.errors import PayloadError, UndatedPayload
from bot.events import EventKind
from bot.machine import ALL_OPERATIONAL, MachineSettings, transition
from bot.models import Impact, IncidentStatus
from integrations.sources import detect_format
from integrations.sources.instatus import parse, parse_js_date
from tests.conftest import FIXTURES

EXAMPLE = FIXTURES / "instatus" / "DOCS_EXAMPLE_summary_json_hasissues_instatus_help.json"
UP = FIXTURES / "instatus" / "CONSTRUCTED_summary_up_no_active_keys.json"
NOW = datetime(2022, 6, 11, 20, 0, tzinfo=UTC)


def test_documented_example() -> None:
    raw = EXAMPLE.read_bytes()
    assert detect_format(raw) == "instatus"
    snapshot = parse(raw)
    assert snapshot.page_name == "Instatus"
    assert snapshot.page_url == "https://instat.us"
    assert snapshot.description == "HASISSUES"
    (incident,) = snapshot.incidents
    assert incident.title == "We're facing an issue with our API"
    assert incident.id == "cl4a8n3070721qtmzvts760c4"  # no id key: named by its URL
    assert incident.status is IncidentStatus.INVESTIGATING
    assert incident.impact is Impact.CRITICAL  # MAJOROUTAGE
    assert incident.started_at == datetime(2022, 6, 11, 18, 55, 50, tzinfo=UTC)
    assert incident.components_known is False
    (maintenance,) = snapshot.maintenances
    assert maintenance.status is IncidentStatus.SCHEDULED  # NOTSTARTEDYET
    # Dated by the newest time in it (the maintenance's start).
    assert snapshot.observed_at == datetime(2022, 6, 11, 18, 55, 54, tzinfo=UTC)
    assert snapshot.warnings == ()


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "Sat Jun 11 2022 18:55:50 GMT+0000 (Coordinated Universal Time)",
            datetime(2022, 6, 11, 18, 55, 50, tzinfo=UTC),
        ),
        (
            "Sat Jun 11 2022 20:55:50 GMT+0200 (Central European Summer Time)",
            datetime(2022, 6, 11, 18, 55, 50, tzinfo=UTC),
        ),
        ("2022-06-11T18:55:50.000Z", datetime(2022, 6, 11, 18, 55, 50, tzinfo=UTC)),
        (1654973750000, datetime(2022, 6, 11, 18, 55, 50, tzinfo=UTC)),
        ("Sat Foo 11 2022 18:55:50 GMT+0000", None),
        ("yesterday", None),
        (10**30, None),
        (True, None),
    ],
)
def test_times_as_instatus_may_send_them(text: object, expected: datetime | None) -> None:
    assert parse_js_date(text) == expected


def test_healthy_page_without_the_active_keys() -> None:
    snapshot = parse(UP.read_bytes(), NOW)
    assert snapshot.incidents == ()
    assert snapshot.maintenances == ()
    with pytest.raises(UndatedPayload):
        parse(UP.read_bytes())  # nothing in it says when: the caller must date it


def test_what_it_has_not_seen_is_a_warning_not_a_failed_poll() -> None:
    doc = {
        "page": {"name": 7, "status": "SOMETHINGNEW", "updatedAt": "2022-06-11T19:00:00Z"},
        "activeIncidents": [
            "not an object",
            {"id": "abc", "name": "API errors", "started": "soon", "status": "WEIRD",
             "impact": "PARTIALOUTAGE", "url": "javascript:alert(1)"},
        ],
        "activeMaintenances": {"not": "a list"},
    }  # fmt: skip
    snapshot = parse(json.dumps(doc).encode())
    assert snapshot.page_name == "status page"
    assert snapshot.observed_at == datetime(2022, 6, 11, 19, 0, tzinfo=UTC)
    # The page's own clock: an older copy of it is told apart as stale.
    assert snapshot.page_updated_at == datetime(2022, 6, 11, 19, 0, tzinfo=UTC)
    (incident,) = snapshot.incidents
    assert (incident.id, incident.status, incident.impact) == (
        "abc",
        IncidentStatus.INVESTIGATING,
        Impact.MAJOR,
    )
    assert incident.url is None  # never a link that is not http(s)
    assert len(snapshot.warnings) >= 5


def test_open_then_gone_gives_outage_then_restored() -> None:
    settings = MachineSettings(provider="instatus", source_id="instatus", flap_window_s=0)
    state, opened = transition(ALL_OPERATIONAL, parse(EXAMPLE.read_bytes()), settings)
    assert [e.kind for e in opened] == [EventKind.OUTAGE]
    _, closed = transition(state, parse(UP.read_bytes(), NOW), settings)
    assert [e.kind for e in closed] == [EventKind.RESTORED]
    assert closed[0].duration_s == (NOW - datetime(2022, 6, 11, 18, 55, 50, tzinfo=UTC)).seconds


@pytest.mark.parametrize("body", [b"{}", b'{"status": "UP"}', b"[]", b'"page"'])
def test_not_an_instatus_summary(body: bytes) -> None:
    with pytest.raises(PayloadError):
        parse(body, NOW)
