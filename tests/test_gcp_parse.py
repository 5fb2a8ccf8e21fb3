"""Google Cloud incidents.json: real captures, the quirks of its feed, and the state machine."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import pytest

from bot.errors import PayloadError
from bot.events import EventKind
from bot.machine import ALL_OPERATIONAL, MachineSettings, transition
from bot.models import ComponentStatus, Impact, IncidentStatus, Snapshot
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


def active_record() -> list[dict[str, Any]]:
    record: list[dict[str, Any]] = json.loads(ACTIVE.read_bytes())
    return record


def parse_record(record: list[dict[str, Any]], observed_at: datetime | None = None) -> Snapshot:
    return parse(json.dumps(record).encode(), observed_at)


def test_what_an_open_incident_card_shows() -> None:
    snapshot = parse(ACTIVE.read_bytes())
    (incident,) = snapshot.incidents
    assert snapshot.page_url == "https://status.cloud.google.com/"
    assert incident.title.startswith("Network traffic to Google Cloud originating from Delhi")
    newest = incident.updates[0]
    assert newest.id == "5fGQt4VbkDnr3Yp8PXPr/2026-06-23T22:52:49+00:00"
    assert newest.status is IncidentStatus.INVESTIGATING  # SERVICE_DISRUPTION: still open
    assert newest.body.startswith("**Summary**\nNetwork traffic to Google Cloud")
    (closing, *_) = parse(RESOLVED.read_bytes()).incidents[0].updates
    assert closing.status is IncidentStatus.RESOLVED  # AVAILABLE
    assert snapshot.warnings == ()
    # Without a clock the snapshot is dated by the newest time in the feed: here the
    # newest update's `modified`, a second after the incident's own.
    assert snapshot.observed_at == datetime(2026, 6, 23, 22, 52, 50, tzinfo=UTC)
    assert snapshot.page_updated_at == datetime(2026, 6, 23, 22, 52, 49, tzinfo=UTC)
    clock = datetime(2026, 6, 24, tzinfo=UTC)
    assert parse(ACTIVE.read_bytes(), clock).observed_at == clock


def test_titles_and_names_fall_back_to_what_the_incident_does_say() -> None:
    record = active_record()
    record[0]["external_desc"] = "  Elevated latency in Delhi.  "
    assert parse_record(record).incidents[0].title == "Elevated latency in Delhi."
    record[0]["external_desc"] = "   "
    assert parse_record(record).incidents[0].title == "Multiple Products"  # service_name
    del record[0]["external_desc"], record[0]["service_name"]
    assert parse_record(record).incidents[0].title == "(untitled incident)"
    products = record[0]["affected_products"]
    del products[0]["current_title"]  # older feeds: `title` only
    del products[1]["current_title"], products[1]["title"]
    assert [c.name for c in parse_record(record).components] == [
        "Hybrid Connectivity",
        "FK8WX6iZ3FuQL6qUwski",
        "Virtual Private Cloud (VPC)",
    ]


def test_times_fall_back_to_created_when_begin_or_when_is_missing() -> None:
    record = active_record()
    del record[0]["begin"]
    newest = record[0]["updates"][0]
    del newest["when"]
    newest["created"] = "2026-06-23T22:50:00+00:00"
    newest.pop("text")
    (incident,) = parse_record(record).incidents
    assert incident.started_at == datetime(2026, 6, 10, 1, 13, 50, tzinfo=UTC)  # `created`
    assert incident.updates[0].at == datetime(2026, 6, 23, 22, 50, tzinfo=UTC)
    assert incident.updates[0].body == ""
    del record[0]["modified"]  # nothing dates the page itself: the caller's clock will
    assert parse_record(record).page_updated_at is None


def test_an_incident_with_an_end_is_closed_whatever_its_updates_say() -> None:
    record = active_record()
    record[0]["end"] = "2026-06-26T19:00:00+00:00"
    (incident,) = parse_record(record).incidents
    assert incident.status is IncidentStatus.RESOLVED
    assert incident.updates[0].status is IncidentStatus.INVESTIGATING  # as posted


def test_an_incident_without_updates_is_open_at_its_declared_impact() -> None:
    record = active_record()
    record[0]["updates"] = []
    snapshot = parse_record(record)
    (incident,) = snapshot.incidents
    assert incident.status is IncidentStatus.INVESTIGATING
    assert incident.impact is Impact.MINOR
    assert incident.updates == ()
    assert snapshot.warnings == ()


def test_the_newest_update_can_make_an_incident_worse_than_declared() -> None:
    record = active_record()
    record[0]["severity"] = None
    record[0]["updates"][0]["status"] = "SERVICE_OUTAGE"
    (incident,) = parse_record(record).incidents
    assert incident.impact is Impact.MAJOR
    record[0]["updates"][0]["status"] = "AVAILABLE"  # closes it, at its declared impact
    (incident,) = parse_record(record).incidents
    assert (incident.status, incident.impact) == (IncidentStatus.RESOLVED, Impact.MINOR)


def test_a_feed_that_announces_nothing_worse_is_still_a_disruption() -> None:
    record = active_record()
    record[0]["status_impact"] = "AVAILABLE"
    record[0]["severity"] = None
    record[0]["updates"] = []
    (incident,) = parse_record(record).incidents
    assert (incident.status, incident.impact) == (IncidentStatus.INVESTIGATING, Impact.MINOR)


def test_unknown_values_are_warnings_that_name_the_incident() -> None:
    record = active_record()
    record[0]["status_impact"] = "SERVICE_WOBBLE"
    record[0]["severity"] = "extreme"
    record[0]["updates"][0]["status"] = "SERVICE_WOBBLE"
    snapshot = parse_record(record)
    assert snapshot.incidents[0].impact is Impact.MINOR  # unknown is not an outage
    assert snapshot.warnings == (
        "[0]: unknown status_impact 'SERVICE_WOBBLE'",
        "[0]: unknown update status 'SERVICE_WOBBLE'",
        "[0]: unknown severity 'extreme'",
    )


def test_a_product_shows_the_worst_of_its_open_incidents() -> None:
    """Closed incidents come first in the feed; two open ones share products."""
    worse = active_record()[0]
    worse["id"] = "worseOutageInVPC"
    worse["status_impact"] = "SERVICE_OUTAGE"
    worse["affected_products"] = worse["affected_products"][2:]  # VPC only
    milder = active_record()[0]
    feed = [*json.loads(CAPTURE.read_bytes()), worse, milder]
    statuses = {c.name: c.status for c in parse_record(feed).components}
    assert statuses["Virtual Private Cloud (VPC)"] is ComponentStatus.PARTIAL_OUTAGE
    assert statuses["Media CDN"] is ComponentStatus.DEGRADED
    assert statuses["VMWare engine"] is ComponentStatus.OPERATIONAL  # closed
    # An incident without `modified` leaves the page dated by the others.
    del milder["modified"]
    assert parse_record(feed).page_updated_at == datetime(2026, 7, 25, 13, 16, 55, tzinfo=UTC)


@pytest.mark.parametrize(
    "uri", ["https://evil.example/incidents/x", "incidents/../../x", "incidents/a b", "", None]
)
def test_only_a_dashboard_incident_path_becomes_a_link(uri: str | None) -> None:
    record = active_record()
    record[0]["uri"] = uri
    assert parse_record(record).incidents[0].url == "https://status.cloud.google.com/"


def break_field(path: tuple[str | int, ...], value: Any) -> Callable[[list[Any]], None]:
    def apply(record: list[Any]) -> None:
        target: Any = record
        for step in path[:-1]:
            target = target[step]
        target[path[-1]] = value

    return apply


@pytest.mark.parametrize(
    ("path", "value", "reason"),
    [
        ((1,), 7, "[1]: expected an object"),
        ((0, "id"), "", "[0]: missing or empty 'id'"),
        ((0, "begin"), 5, "[0].begin: expected a string"),
        ((0, "created"), 5, "[0].created: expected a string"),
        ((0, "end"), 5, "[0].end: expected a string"),
        ((0, "modified"), 5, "[0].modified: expected a string"),
        ((0, "updates"), {}, "[0].updates: expected a list"),
        ((0, "updates", 1), "x", "[0].updates[1]: expected an object"),
        ((0, "updates", 1, "when"), 5, "[0].updates[1].when: expected a string"),
        ((0, "updates", 1), {"created": 5}, "[0].updates[1].created: expected a string"),
        ((0, "updates", 1, "modified"), 5, "[0].updates[1].modified: expected a string"),
        ((0, "updates", 1, "status"), 5, "[0].updates[1].status: expected a string"),
        ((0, "updates", 1, "text"), 5, "[0].updates[1].text: expected a string"),
        ((0, "affected_products"), {}, "[0].affected_products: expected a list"),
        ((0, "affected_products", 1), "x", "[0].affected_products: expected an object"),
        ((0, "affected_products", 1, "id"), "", "[0].affected_products: missing or empty 'id'"),
        ((0, "affected_products", 1, "title"), 5, "[0].affected_products.title: expected a"),
        ((0, "affected_products", 1, "current_title"), 5, "[0].affected_products.current_title"),
        ((0, "uri"), 5, "[0].uri: expected a string"),
        ((0, "external_desc"), 5, "[0].external_desc: expected a string"),
        ((0, "service_name"), 5, "[0].service_name: expected a string"),
        ((0, "status_impact"), 5, "[0].status_impact: expected a string"),
        ((0, "severity"), 5, "[0].severity: expected a string"),
    ],
)
def test_an_unreadable_field_is_named_in_the_reason(
    path: tuple[str | int, ...], value: Any, reason: str
) -> None:
    """check-source prints this reason: it must say which incident and field is broken."""
    record = [*active_record(), *active_record()]
    record[0]["external_desc"] = "  "  # so that service_name is read
    del record[0]["affected_products"][1]["current_title"]  # so that title is read
    break_field(path, value)(record)
    with pytest.raises(PayloadError) as failure:
        parse_record(record)
    assert str(failure.value).startswith(reason)


def test_a_feed_without_any_time_says_so_in_its_reason() -> None:
    with pytest.raises(PayloadError, match=r"^gcp payload has no timestamp"):
        parse(b"[]")
    with pytest.raises(PayloadError, match=r"^expected a JSON array of incidents \(Google Cloud"):
        parse(b"{}")
