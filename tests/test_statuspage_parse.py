"""Statuspage summary.json parsing against real recorded payloads and broken ones."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from bot.errors import PayloadError
from bot.models import ComponentStatus, Impact, IncidentStatus, Snapshot
from bot.snapshots import filter_components
from integrations.sources import detect_format, parse_any
from integrations.sources.statuspage import parse

FIXTURES = Path(__file__).parent / "fixtures"
ANTHROPIC_OK = "anthropic_summary_2026-09-15_operational.json"
ANTHROPIC_INCIDENT = "anthropic_summary_2026-10-07_monitoring.json"
OPENAI_INCIDENT = "openai_summary_2026-09-22_monitoring.json"
OPENAI_OK = "openai_summary_2026-09-24_operational.json"


def load(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


def load_json(name: str) -> dict[str, Any]:
    return json.loads(load(name))


@pytest.mark.parametrize(
    ("fixture", "page_name", "components", "not_operational", "incidents"),
    [
        (ANTHROPIC_OK, "Claude", 6, 0, 0),
        (ANTHROPIC_INCIDENT, "Claude", 6, 1, 1),
        # incident.io: an open incident while every component is operational.
        (OPENAI_INCIDENT, "OpenAI", 25, 0, 1),
        (OPENAI_OK, "OpenAI", 25, 0, 0),
    ],
)
def test_real_fixture_overview(
    fixture: str,
    page_name: str,
    components: int,
    not_operational: int,
    incidents: int,
) -> None:
    snapshot = parse(load(fixture))
    assert snapshot.page_name == page_name
    assert len(snapshot.components) == components
    assert sum(c.status is not ComponentStatus.OPERATIONAL for c in snapshot.components) == (
        not_operational
    )
    assert len(snapshot.incidents) == incidents
    assert snapshot.maintenances == ()
    assert snapshot.warnings == ()
    assert snapshot.observed_at.tzinfo is not None


@pytest.mark.parametrize(
    ("fixture", "incident_id", "status", "impact", "update_statuses", "known", "url"),
    [
        (
            ANTHROPIC_INCIDENT,
            "978mjkgw6mh7",
            IncidentStatus.MONITORING,
            Impact.MAJOR,
            ["monitoring", "identified", "investigating", "investigating"],
            True,
            "https://stspg.io/sjkw7njwf0mt",
        ),
        (
            OPENAI_INCIDENT,
            "01M34TAFM9WBGEBE3G1GBH4SE8",
            IncidentStatus.MONITORING,
            Impact.MINOR,
            ["monitoring", "identified"],
            False,
            "https://status.openai.com/",
        ),
    ],
)
def test_real_fixture_incident(
    fixture: str,
    incident_id: str,
    status: IncidentStatus,
    impact: Impact,
    update_statuses: list[str],
    known: bool,
    url: str,
) -> None:
    (incident,) = parse(load(fixture)).incidents
    assert incident.id == incident_id
    assert incident.status is status
    assert incident.impact is impact
    assert [u.status.value for u in incident.updates] == update_statuses
    times = [u.at for u in incident.updates]
    assert times == sorted(times, reverse=True)
    assert incident.components_known is known
    assert incident.url == url
    assert incident.started_at is not None


def test_anthropic_incident_names_its_component() -> None:
    snapshot = parse(load(ANTHROPIC_INCIDENT))
    (incident,) = snapshot.incidents
    assert incident.component_ids == ("0qbwn08sd68x",)
    console = next(c for c in snapshot.components if c.id == "0qbwn08sd68x")
    assert console.status is ComponentStatus.DEGRADED
    # started_at wins over created_at; milliseconds survive.
    assert incident.started_at == datetime(2026, 10, 7, 13, 25, 4, 155000, tzinfo=UTC)


def test_observed_at_comes_from_the_page_unless_given() -> None:
    assert parse(load(ANTHROPIC_INCIDENT)).observed_at == datetime(
        2026, 10, 7, 23, 44, 53, 565000, tzinfo=UTC
    )
    now = datetime(2030, 1, 1, tzinfo=UTC)
    assert parse(load(ANTHROPIC_INCIDENT), now).observed_at == now


def test_observed_at_falls_back_to_newest_timestamp() -> None:
    data = load_json(OPENAI_INCIDENT)
    del data["page"]["updated_at"]
    snapshot = parse(json.dumps(data).encode())
    assert snapshot.observed_at == datetime(2026, 9, 22, 15, 26, 41, tzinfo=UTC)


def test_openai_duplicate_login_names_are_two_components() -> None:
    snapshot = parse(load(OPENAI_OK))
    logins = [c for c in snapshot.components if c.name == "Login"]
    assert len(logins) == 2
    assert len({c.id for c in logins}) == 2


def test_missing_incidents_key_means_no_incidents() -> None:
    data = load_json(OPENAI_OK)
    assert "incidents" not in data
    assert parse(load(OPENAI_OK)).incidents == ()


def test_reminder_intervals_null_string_or_list() -> None:
    data = load_json(ANTHROPIC_INCIDENT)
    for value in (None, "[]", [15, 30]):
        data["incidents"][0]["reminder_intervals"] = value
        assert len(parse(json.dumps(data).encode()).incidents) == 1


def test_timestamps_with_and_without_milliseconds_are_utc() -> None:
    data = load_json(ANTHROPIC_INCIDENT)
    data["incidents"][0]["started_at"] = "2026-10-07T15:25:04+02:00"
    (incident,) = parse(json.dumps(data).encode()).incidents
    assert incident.started_at == datetime(2026, 10, 7, 13, 25, 4, tzinfo=UTC)
    assert incident.started_at.tzinfo is UTC


def test_components_keyed_by_id_and_position_ignored() -> None:
    data = load_json(OPENAI_OK)
    shuffled = dict(data, components=list(reversed(data["components"])))
    for c in shuffled["components"]:
        c["position"] = 0
    a, b = parse(load(OPENAI_OK)), parse(json.dumps(shuffled).encode())
    assert {c.id: c for c in a.components} == {c.id: c for c in b.components}


def test_group_components_name_their_children() -> None:
    data = load_json(ANTHROPIC_OK)
    group = dict(data["components"][0], id="grp1", name="APIs", group=True, components=["kid"])
    child = dict(data["components"][1], id="kid", name="Messages API", group_id="grp1")
    data["components"] = [group, child]
    (component,) = parse(json.dumps(data).encode()).components
    assert (component.id, component.group) == ("kid", "APIs")


def test_resolved_incidents_are_kept_with_their_status_and_maintenances_read() -> None:
    data = load_json(ANTHROPIC_INCIDENT)
    resolved = dict(data["incidents"][0], id="old", status="resolved")
    maintenance = dict(data["incidents"][0], id="mnt", status="in_progress", impact="maintenance")
    data["incidents"].append(resolved)
    data["scheduled_maintenances"] = [maintenance]
    snapshot = parse(json.dumps(data).encode())
    # A resolution listed on the page brings its official words to the restored card.
    assert [(i.id, i.status) for i in snapshot.incidents] == [
        ("978mjkgw6mh7", IncidentStatus.MONITORING),
        ("old", IncidentStatus.RESOLVED),
    ]
    assert snapshot.page_updated_at == datetime(2026, 10, 7, 23, 44, 53, 565000, tzinfo=UTC)
    assert [(m.id, m.status, m.impact) for m in snapshot.maintenances] == [
        ("mnt", IncidentStatus.IN_PROGRESS, Impact.MAINTENANCE)
    ]


@pytest.mark.parametrize(
    ("path", "value", "expected", "warning"),
    [
        (("components", 1, "status"), "on_fire", ComponentStatus.UNKNOWN, "component status"),
        (("incidents", 0, "status"), "escalated", IncidentStatus.INVESTIGATING, "incident status"),
        (("incidents", 0, "impact"), "catastrophic", Impact.MINOR, "impact"),
    ],
)
def test_unknown_enums_map_conservatively_with_a_warning(
    path: tuple[Any, ...], value: str, expected: Any, warning: str
) -> None:
    data = load_json(ANTHROPIC_INCIDENT)
    target: Any = data
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = value
    snapshot = parse(json.dumps(data).encode())
    item: Any = snapshot.components[1] if path[0] == "components" else snapshot.incidents[0]
    assert getattr(item, path[-1]) is expected
    assert any(warning in w for w in snapshot.warnings)


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        (b"<!DOCTYPE html><html><body>Just a moment...</body></html>", "HTML"),
        (load(ANTHROPIC_INCIDENT)[:500], "JSON"),
        (b"[1, 2, 3]", "object"),
        (b'{"status": {"indicator": "none"}}', "page"),
        (b'{"page": "Claude"}', "page"),
        (b'{"page": {"name": "x"}, "components": {}}', "list"),
        (b'{"page": {"name": "x", "updated_at": "yesterday"}}', "timestamp"),
        (b'{"page": {"name": "x"}}', "timestamp"),
        (b"", "JSON"),
        (b"\xff\xfe\x00garbage", "JSON"),
    ],
)
def test_not_a_summary_is_a_payload_error(raw: bytes, reason: str) -> None:
    with pytest.raises(PayloadError) as info:
        parse(raw)
    assert reason in info.value.reason
    assert len(info.value.reason) < 80


def test_filter_components_include_exclude_by_name_or_id() -> None:
    snapshot = parse(load(ANTHROPIC_INCIDENT))
    only_api = filter_components(snapshot, ["claude api (api.anthropic.com)"], [])
    assert [c.id for c in only_api.components] == ["k8w3r06qmzrp"]
    assert only_api.incidents == ()  # its incident was about the Console only
    no_console = filter_components(snapshot, [], ["0QBWN08SD68X"])
    assert len(no_console.components) == 5
    assert no_console.incidents == ()
    assert filter_components(snapshot, [], []) is snapshot
    openai = parse(load(OPENAI_INCIDENT))
    # incident.io incidents cannot be tied to components, so filtering keeps them.
    assert len(filter_components(openai, ["Login"], []).incidents) == 1
    assert len(filter_components(openai, ["Login"], []).components) == 2


def test_detect_format_and_parse_any() -> None:
    assert detect_format(load(OPENAI_OK)) == "statuspage"
    assert detect_format(load("xai_feed_2026-10-07.xml")) == "rss"
    assert isinstance(parse_any(load(ANTHROPIC_OK)), Snapshot)
    assert parse_any(load("xai_feed_2026-10-07.xml")).page_name == "SpaceXAI System Status"
    for raw in (b"<html><body>hi</body></html>", b"hello", b""):
        with pytest.raises(PayloadError):
            detect_format(raw)
