"""Instatus summary.json: the documented example, and what real pages may send instead."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest

from bot.errors import PayloadError, UndatedPayload
from bot.events import EventKind
from bot.machine import ALL_OPERATIONAL, MachineSettings, transition
from bot.models import Impact, IncidentStatus, Snapshot
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
        ([], None),
        ("   ", None),
        (
            "Sat Jun 11 2022 13:25:50 GMT-0530 (Eastern Standard Time)",
            datetime(2022, 6, 11, 18, 55, 50, tzinfo=UTC),
        ),
        ("Sat Jun 11 2022 04:55:50 GMT+1400", datetime(2022, 6, 10, 14, 55, 50, tzinfo=UTC)),
        ("Jun 11 2022 18:55", datetime(2022, 6, 11, 18, 55, tzinfo=UTC)),
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
    with pytest.raises(PayloadError, match=r"^not an Instatus summary|^expected"):
        parse(body, NOW)


@pytest.mark.parametrize(
    "body", [b'{"activeIncidents": []}', b'{"activeMaintenances": []}', b'{"page": "Instatus"}']
)
def test_any_of_its_keys_makes_a_summary(body: bytes) -> None:
    snapshot = parse(body, NOW)
    assert (snapshot.page_name, snapshot.incidents, snapshot.warnings) == ("status page", (), ())
    with pytest.raises(UndatedPayload, match="^instatus payload has no timestamp"):
        parse(body)


def example() -> dict[str, Any]:
    doc: dict[str, Any] = json.loads(EXAMPLE.read_bytes())
    return doc


def parse_doc(doc: dict[str, Any], observed_at: datetime | None = NOW) -> Snapshot:
    return parse(json.dumps(doc).encode(), observed_at)


@pytest.mark.parametrize(
    ("path", "value", "warnings"),
    [
        (("page", "name"), 7, ["page.name: expected a string"]),
        (("page", "url"), 7, ["page.url: expected a string"]),
        (("page", "status"), 7, ["page.status: expected a string"]),
        (("page", "updatedAt"), "soon", ["page.updatedAt: unreadable time 'soon'"]),
        (("page", "updated_at"), "x" * 50, [f"page.updated_at: unreadable time '{'x' * 40}'"]),
        (("activeIncidents",), "none", ["activeIncidents: expected a list; ignored"]),
        (("activeMaintenances",), {}, ["activeMaintenances: expected a list; ignored"]),
        (("activeIncidents", 0), "x", ["activeIncidents[0]: expected an object; ignored"]),
        (("activeMaintenances", 0), 7, ["activeMaintenances[0]: expected an object; ignored"]),
        (("activeIncidents", 0, "name"), 7, ["activeIncidents[0].name: expected a string"]),
        (("activeIncidents", 0, "url"), 7, ["activeIncidents[0].url: expected a string"]),
        (("activeIncidents", 0, "started"), "soon",
         ["activeIncidents[0].started: unreadable time 'soon'"]),
        (("activeIncidents", 0, "updatedAt"), "soon",
         ["activeIncidents[0].updatedAt: unreadable time 'soon'"]),
        (("activeIncidents", 0, "updated_at"), "soon",
         ["activeIncidents[0].updated_at: unreadable time 'soon'"]),
        (("activeIncidents", 0, "status"), 7, ["activeIncidents[0].status: expected a string",
                                                "activeIncidents[0]: unknown status 'None'"]),
        (("activeIncidents", 0, "status"), "WEIRD", ["activeIncidents[0]: unknown status 'WEIRD'"]),
        (("activeIncidents", 0, "impact"), 7, ["activeIncidents[0].impact: expected a string",
                                                "activeIncidents[0]: unknown impact 'None'"]),
        (("activeIncidents", 0, "impact"), "HUGE", ["activeIncidents[0]: unknown impact 'HUGE'"]),
        (("activeMaintenances", 0, "status"), "LATER",
         ["activeMaintenances[0]: unknown maintenance status 'LATER'"]),
    ],
)  # fmt: skip
def test_an_unreadable_field_is_a_warning_that_names_it(
    path: tuple[str | int, ...], value: Any, warnings: list[str]
) -> None:
    """check-source lists these warnings: each says which field the page got wrong."""
    doc = example()
    target: Any = doc
    for step in path[:-1]:
        target = target[step]
    target[path[-1]] = value
    snapshot = parse_doc(doc)
    assert list(snapshot.warnings) == warnings
    if path[:2] == ("activeIncidents", 0) and len(path) == 3:
        (incident,) = snapshot.incidents  # still listed, at what could be read
        assert incident.impact in (Impact.MINOR, Impact.CRITICAL)
        assert incident.status is IncidentStatus.INVESTIGATING
    if path == ("activeMaintenances", 0, "status"):
        assert snapshot.maintenances[0].status is IncidentStatus.SCHEDULED


def test_what_the_example_cards_link_to_and_show() -> None:
    snapshot = parse(EXAMPLE.read_bytes())
    (incident,) = snapshot.incidents
    (maintenance,) = snapshot.maintenances
    assert incident.url == (
        "https://testing-widget.instatus.com/incident/cl4a8n3070721qtmzvts760c4"
    )
    assert maintenance.impact is Impact.MAINTENANCE
    assert maintenance.id == "cl4a8nlv50918qtmzdlw60ivu"
    doc = example()
    del doc["activeIncidents"][0]["url"], doc["activeMaintenances"][0]["url"]
    del doc["page"]["status"]
    del doc["activeIncidents"][0]["name"]
    snapshot = parse_doc(doc)
    assert [i.url for i in (*snapshot.incidents, *snapshot.maintenances)] == [
        "https://instat.us",
        "https://instat.us",
    ]  # without a link of its own, a card links to the page
    assert snapshot.incidents[0].title == "(untitled)"
    assert snapshot.description == ""


def test_other_names_for_the_times() -> None:
    doc = example()
    incident = doc["activeIncidents"][0]
    incident["startedAt"] = incident.pop("started")
    doc["page"]["updatedAt"] = "soon"  # unreadable: the other name is tried
    doc["page"]["updated_at"] = "2022-06-11T19:30:00Z"
    snapshot = parse_doc(doc, None)
    assert snapshot.incidents[0].started_at == datetime(2022, 6, 11, 18, 55, 50, tzinfo=UTC)
    # The page's own clock dates it, though an incident may carry a newer time.
    doc["activeIncidents"][0]["updatedAt"] = "2022-06-11T19:45:00Z"
    assert parse_doc(doc, None).observed_at == datetime(2022, 6, 11, 19, 30, tzinfo=UTC)
    assert parse_doc(doc, None).page_updated_at == datetime(2022, 6, 11, 19, 30, tzinfo=UTC)


def test_finished_windows_and_resolved_incidents_are_not_listed() -> None:
    doc = example()
    doc["activeIncidents"][0]["status"] = "RESOLVED"
    doc["activeMaintenances"][0]["status"] = "COMPLETED"
    snapshot = parse_doc(doc)
    assert (snapshot.incidents, snapshot.maintenances) == ((), ())


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        ({"id": "  abc  "}, "abc"),
        ({"id": "a" * 150}, "a" * 100),
        ({"id": 42}, "42"),
        ({"id": True, "url": "https://x.instatus.com/incident/abc/"}, "abc"),
        ({"url": "https://x.instatus.com/incident/" + "b" * 150}, "b" * 100),
        # No id, no link: named by title and start. These ids are stored, so the scheme
        # must not change (an upgrade would announce every open incident again).
        ({"name": "API errors", "started": "2022-06-11T18:55:50Z"}, "6344a183696cbcc0c776f97f"),
        ({"name": "API errors"}, "da42943801927392caa463c8"),
    ],
)
def test_an_incident_is_named_the_same_on_every_poll(fields: dict[str, Any], expected: str) -> None:
    doc = {"page": {"name": "P"}, "activeIncidents": [fields]}
    (incident,) = parse_doc(doc).incidents
    assert incident.id == expected
