"""Statuspage summary.json parsing against real recorded payloads and broken ones."""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from bot.errors import PayloadError
from bot.models import ComponentStatus, Impact, IncidentStatus, Snapshot
from bot.snapshots import filter_components
from integrations.sources import detect_format, parse_any, statuspage
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


# --- every real capture, and what each of its open incidents says -------------------------

CLOUDFLARE = (
    "cloudflare_summary_2026-09-03_trimmed_groups_active_incidents_scheduled_maintenance.json"
)
OPENAI_JULY = "openai_summary_2026-07-09_operational_no_incidents_key_keysorted.json"
ANTHROPIC_HISTORY = "anthropic_incidents_2026-09-19_trimmed_3_incidents_impact_none.json"
ANTHROPIC_MAINTENANCES = "anthropic_scheduled_maintenances_2026-09-15_completed_keysorted.json"


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


@pytest.mark.parametrize(
    ("fixture", "page_name", "components", "incidents", "maintenances", "clock"),
    [
        (ANTHROPIC_OK, "Claude", 6, [], [], utc("2026-09-15 11:14:48.639")),
        (ANTHROPIC_INCIDENT, "Claude", 6, ["978mjkgw6mh7"], [], utc("2026-10-07 23:44:53.565")),
        (CLOUDFLARE, "Cloudflare Status", 5, ["8x66bpk6p9kk", "9g65dxfbcjln"], ["ms2z1jv180vq"],
         utc("2026-08-27 00:00")),
        (OPENAI_INCIDENT, "OpenAI", 25, ["01M34TAFM9WBGEBE3G1GBH4SE8"], [],
         utc("2026-09-22 15:26:40")),
        (OPENAI_OK, "OpenAI", 25, [], [], utc("2026-09-24 23:39:27")),
        (OPENAI_JULY, "OpenAI", 25, [], [], utc("2026-07-09 19:25:56")),
        # incidents.json endpoints: same shape, only resolved incidents, so nothing open.
        (ANTHROPIC_HISTORY, "Claude", 0, [], [], utc("2026-09-19 03:39:11.067")),
        (ANTHROPIC_MAINTENANCES, "Claude", 0, [], [], utc("2026-09-15 11:14:48.639")),
        ("groq_incidents_2026-07-02_trimmed_3_incidents.json",
         "Groq Status: Real-Time Visibility Into GroqCloud's System Health and ", 0, [], [],
         utc("2026-07-02 00:35:17")),
        ("openai_incidents_2026-09-03_trimmed_2_incidents.json", "OpenAI", 0, [], [],
         utc("2026-09-03 16:55:49")),
    ],
)  # fmt: skip
def test_every_real_capture(
    fixture: str,
    page_name: str,
    components: int,
    incidents: list[str],
    maintenances: list[str],
    clock: datetime,
) -> None:
    snapshot = parse(load(fixture))
    assert snapshot.page_name == page_name
    assert len(snapshot.components) == components
    assert [i.id for i in snapshot.incidents if not i.status.is_closed] == incidents
    assert [m.id for m in snapshot.maintenances if not m.status.is_closed] == maintenances
    assert snapshot.page_updated_at == clock
    assert snapshot.observed_at == clock
    assert snapshot.warnings == ()


@pytest.mark.parametrize(
    ("fixture", "incident_id", "title", "components", "updates"),
    [
        (
            ANTHROPIC_INCIDENT,
            "978mjkgw6mh7",
            "Elevated errors on platform.claude.com",
            ("0qbwn08sd68x",),
            [
                (
                    "1nnyzdbn2qkg",
                    "monitoring",
                    "2026-10-07 21:44:41.466",
                    "We've mitigated the errors",
                ),
                (
                    "l3390gw3zj8k",
                    "identified",
                    "2026-10-07 17:28:02.568",
                    "We've identified the cause",
                ),
                ("lkt8xyfbql3f", "investigating", "2026-10-07 16:36:44.789", "We are continuing"),
                (
                    "c56sq7q6flhm",
                    "investigating",
                    "2026-10-07 13:25:04.271",
                    "We are investigating",
                ),
            ],
        ),
        (
            CLOUDFLARE,
            "9g65dxfbcjln",
            "Incorrect geo location for some Cloudflare WARP users",
            ("bjvy4v384csg",),
            # The same status word and the same text twice: two updates, told apart by id.
            [
                (
                    "jt9ms5c1pcps",
                    "identified",
                    "2026-09-01 08:29:56.950",
                    "We are continuing to work",
                ),
                (
                    "5yxztj7xrn7d",
                    "identified",
                    "2026-08-31 15:15:03.346",
                    "We are continuing to work",
                ),
            ],
        ),
        (
            CLOUDFLARE,
            "ms2z1jv180vq",
            "KHH (Kaohsiung City) on 2026-09-03",
            ("byh0gc9t4g6m",),
            [("ry9b2dg06p9r", "scheduled", "2026-09-03 09:10:32.569", "We will be performing")],
        ),
        (
            OPENAI_INCIDENT,
            "01M34TAFM9WBGEBE3G1GBH4SE8",
            "Elevated Error Rates for ChatGPT Work, across Plus, Pro, Business, Enterprise and "
            "Education plans.",
            (),
            [
                (
                    "01M34VKVSQ8VEEN02VT334H01X",
                    "monitoring",
                    "2026-09-22 15:26:40",
                    "We have applied",
                ),
                (
                    "01M34TAFM9882DEK6XCSQ2ZBMD",
                    "identified",
                    "2026-09-22 15:04:05",
                    "We have identified",
                ),
            ],
        ),
    ],
)
def test_real_incidents_keep_their_titles_ids_and_texts(
    fixture: str,
    incident_id: str,
    title: str,
    components: tuple[str, ...],
    updates: list[tuple[str, str, str, str]],
) -> None:
    snapshot = parse(load(fixture))
    incident = next(i for i in snapshot.incidents + snapshot.maintenances if i.id == incident_id)
    assert incident.title == title
    assert incident.component_ids == components
    assert [(u.id, u.status.value, u.at) for u in incident.updates] == [
        (uid, status, utc(at)) for uid, status, at, _ in updates
    ]
    for update, (*_, opening) in zip(incident.updates, updates, strict=True):
        assert update.body.startswith(opening)


def test_cloudflare_groups_name_their_children() -> None:
    components = {c.name: c for c in parse(load(CLOUDFLARE)).components}
    assert components["WARP"].group == "Cloudflare Sites and Services"
    assert components["Annaba, Algeria - (AAE)"].group == "Africa"
    assert components["Annaba, Algeria - (AAE)"].status is ComponentStatus.PARTIAL_OUTAGE
    assert components["Algiers, Algeria - (ALG)"].status is ComponentStatus.MAINTENANCE
    assert "Africa" not in components  # a group is not a component


def test_missing_name_and_body_read_as_untitled_and_empty() -> None:
    data = load_json(ANTHROPIC_INCIDENT)
    del data["incidents"][0]["name"]
    data["incidents"][0]["incident_updates"][0]["body"] = None
    (incident,) = parse(json.dumps(data).encode()).incidents
    assert incident.title == "(untitled incident)"
    assert incident.updates[0].body == ""
    assert incident.updates[1].body.startswith("We've identified the cause")


def test_include_filter_keeps_the_incidents_of_the_included_component() -> None:
    snapshot = parse(load(ANTHROPIC_INCIDENT))
    console = filter_components(snapshot, ["Claude Console (platform.claude.com)"], [])
    assert [c.id for c in console.components] == ["0qbwn08sd68x"]
    assert [i.id for i in console.incidents] == ["978mjkgw6mh7"]
    assert console.incidents[0].component_ids == ("0qbwn08sd68x",)
    # A component the page does not list (trimmed away) is neither kept nor dropped by name.
    cloudflare = parse(load(CLOUDFLARE))
    warp = filter_components(cloudflare, ["warp"], [])
    assert [i.id for i in warp.incidents] == ["9g65dxfbcjln"]
    assert [m.id for m in warp.maintenances] == []
    no_warp = filter_components(cloudflare, [], ["WARP"])
    assert [i.id for i in no_warp.incidents] == ["8x66bpk6p9kk"]  # its component is not listed
    assert [m.id for m in no_warp.maintenances] == ["ms2z1jv180vq"]


# --- partial garbage costs only itself ----------------------------------------------------


@pytest.fixture(autouse=True)
def _fresh_skip_memory() -> None:
    statuspage.report.forget()


def edited(fixture: str, *edits: tuple[tuple[Any, ...], Any]) -> bytes:
    """The real payload with values replaced (or deleted, for DELETE) at the given paths."""
    data = load_json(fixture)
    for path, value in edits:
        target: Any = data
        for key in path[:-1]:
            target = target[key]
        if value is DELETE:
            del target[path[-1]]
        elif path[-1] == APPEND:
            target.append(value)
        else:
            target[path[-1]] = value
    return json.dumps(data).encode()


DELETE = object()
APPEND = "+"
UPDATE_1 = ("incidents", 0, "incident_updates", 1)


@pytest.mark.parametrize(
    ("edits", "components", "updates", "skipped"),
    [
        pytest.param(
            [((*UPDATE_1, "display_at"), DELETE), ((*UPDATE_1, "created_at"), DELETE)],
            6,
            ["1nnyzdbn2qkg", "lkt8xyfbql3f", "c56sq7q6flhm"],
            ("incident '978mjkgw6mh7' update 'l3390gw3zj8k' skipped: update has no time",),
            id="update-without-a-time",
        ),
        pytest.param(
            [((*UPDATE_1, "display_at"), "yesterday")],
            6,
            ["1nnyzdbn2qkg", "l3390gw3zj8k", "lkt8xyfbql3f", "c56sq7q6flhm"],
            # created_at dates it instead
            (
                "incident '978mjkgw6mh7' update 'l3390gw3zj8k': display_at ignored:"
                " bad timestamp 'yesterday'",
            ),
            id="update-with-a-garbled-display-time",
        ),
        pytest.param(
            [((*UPDATE_1, "id"), DELETE)],
            6,
            ["1nnyzdbn2qkg", "lkt8xyfbql3f", "c56sq7q6flhm"],
            ("incident '978mjkgw6mh7' update #2 skipped: missing 'id'",),
            id="update-without-an-id",
        ),
        pytest.param(
            [(("components", 2, "status"), DELETE)],
            5,
            ["1nnyzdbn2qkg", "l3390gw3zj8k", "lkt8xyfbql3f", "c56sq7q6flhm"],
            ("component 'k8w3r06qmzrp' skipped: no status",),
            id="component-without-a-status",
        ),
        pytest.param(
            [(("components", 0), "Claude API")],
            5,
            ["1nnyzdbn2qkg", "l3390gw3zj8k", "lkt8xyfbql3f", "c56sq7q6flhm"],
            ("component #1 skipped: expected an object",),
            id="component-not-an-object",
        ),
        pytest.param(
            [(("incidents", APPEND), {"name": "no id", "status": "investigating"})],
            6,
            ["1nnyzdbn2qkg", "l3390gw3zj8k", "lkt8xyfbql3f", "c56sq7q6flhm"],
            ("incident #2 skipped: missing 'id'",),
            id="incident-without-an-id",
        ),
        pytest.param(
            [(("incidents", APPEND), ["not", "an", "incident"])],
            6,
            ["1nnyzdbn2qkg", "l3390gw3zj8k", "lkt8xyfbql3f", "c56sq7q6flhm"],
            ("incident #2 skipped: expected an object",),
            id="incident-not-an-object",
        ),
        pytest.param(
            [(("incidents", APPEND), {"id": "x1", "name": "empty"})],
            6,
            ["1nnyzdbn2qkg", "l3390gw3zj8k", "lkt8xyfbql3f", "c56sq7q6flhm"],
            ("incident 'x1' skipped: no status",),
            id="incident-without-status-or-updates",
        ),
        pytest.param(
            [(("incidents", 0, "created_at"), "2026-13-45"), (("incidents", 0, "started_at"), 7)],
            6,
            ["1nnyzdbn2qkg", "l3390gw3zj8k", "lkt8xyfbql3f", "c56sq7q6flhm"],
            (
                "incident '978mjkgw6mh7': created_at ignored: bad timestamp '2026-13-45'",
                "incident '978mjkgw6mh7': started_at ignored: expected a string",
            ),
            id="incident-with-garbled-times",
        ),
        pytest.param(
            [(("incidents", 0, "components", APPEND), "0qbwn08sd68x")],
            6,
            ["1nnyzdbn2qkg", "l3390gw3zj8k", "lkt8xyfbql3f", "c56sq7q6flhm"],
            ("incident '978mjkgw6mh7' component link #2 skipped: expected an object",),
            id="incident-component-link-garbled",
        ),
    ],
)
def test_a_broken_element_is_dropped_not_the_page(
    edits: list[tuple[tuple[Any, ...], Any]],
    components: int,
    updates: list[str],
    skipped: tuple[str, ...],
) -> None:
    snapshot = parse(edited(ANTHROPIC_INCIDENT, *edits))
    assert len(snapshot.components) == components
    (incident,) = snapshot.incidents  # the real incident is still announced
    assert incident.id == "978mjkgw6mh7"
    assert incident.title == "Elevated errors on platform.claude.com"
    assert incident.component_ids == ("0qbwn08sd68x",)
    assert [u.id for u in incident.updates] == updates
    assert incident.started_at is not None
    assert snapshot.warnings == skipped


def test_incident_without_status_takes_its_latest_update() -> None:
    snapshot = parse(edited(ANTHROPIC_INCIDENT, (("incidents", 0, "status"), DELETE)))
    assert snapshot.incidents[0].status is IncidentStatus.MONITORING


def test_updates_not_a_list_keep_the_incident() -> None:
    raw = edited(ANTHROPIC_INCIDENT, (("incidents", 0, "incident_updates"), {"a": 1}))
    (incident,) = parse(raw).incidents
    assert incident.updates == ()
    assert incident.status is IncidentStatus.MONITORING


def test_a_broken_group_leaves_its_children_ungrouped() -> None:
    raw = edited(CLOUDFLARE, (("components", 0, "name"), DELETE))
    snapshot = parse(raw)
    assert snapshot.warnings == ("component group '1km35smx8p41' skipped: missing 'name'",)
    components = {c.name: c for c in snapshot.components}
    assert components["WARP"].group is None
    assert components["Annaba, Algeria - (AAE)"].group == "Africa"


def test_a_skipped_element_does_not_date_the_page() -> None:
    far = {"id": "x", "status": "resolved", "created_at": "2030-01-01T00:00:00Z", "name": 5}
    raw = edited(OPENAI_INCIDENT, (("page", "updated_at"), DELETE), (("incidents", APPEND), far))
    assert parse(raw).observed_at == utc("2026-09-22 15:26:41")


def test_what_was_skipped_is_logged_once(caplog: pytest.LogCaptureFixture) -> None:
    raw = edited(
        ANTHROPIC_INCIDENT, ((*UPDATE_1, "display_at"), DELETE), ((*UPDATE_1, "created_at"), DELETE)
    )
    caplog.set_level(logging.DEBUG, logger="integrations.sources.statuspage")

    def warnings_logged() -> list[str]:
        return [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]

    first = parse(raw)
    assert warnings_logged() == [
        "'Claude': incident '978mjkgw6mh7' update 'l3390gw3zj8k' skipped: update has no time"
    ]
    caplog.clear()
    for _ in range(3):
        again = parse(raw)  # every later poll of the same page
    assert warnings_logged() == []
    assert again.warnings == first.warnings  # the snapshot still says what it lacks
    other_page = edited(
        ANTHROPIC_INCIDENT,
        (("page", "name"), "Claude EU"),
        ((*UPDATE_1, "display_at"), DELETE),
        ((*UPDATE_1, "created_at"), DELETE),
    )
    parse(other_page)
    assert len(warnings_logged()) == 1


# --- what each field of the page becomes (each would be silently wrong if misread) --------


@pytest.mark.parametrize(
    ("fixture", "url", "description"),
    [
        (ANTHROPIC_INCIDENT, "https://status.claude.com", "Partially Degraded Service"),
        (ANTHROPIC_OK, "https://status.claude.com", "All Systems Operational"),
        (OPENAI_INCIDENT, "https://status.openai.com/", "Partial System Degradation"),
        (CLOUDFLARE, "https://www.cloudflarestatus.com", "Minor Service Outage"),
    ],
)
def test_page_link_and_description(fixture: str, url: str, description: str) -> None:
    snapshot = parse(load(fixture))
    assert (snapshot.page_url, snapshot.description) == (url, description)


@pytest.mark.parametrize(
    ("edits", "description", "warning"),
    [
        ([(("status", "description"), None)], "", None),
        ([(("status", "description"), ["x"])], "", "status.description ignored: expected a string"),
        ([(("status", "indicator"), "purple")], "Partially Degraded Service", None),
        ([(("status",), DELETE)], "", None),
    ],
)
def test_page_status_line_missing_or_garbled(
    edits: list[tuple[tuple[Any, ...], Any]], description: str, warning: str | None
) -> None:
    snapshot = parse(edited(ANTHROPIC_INCIDENT, *edits))
    assert snapshot.description == description
    assert snapshot.warnings == ((warning,) if warning else ())
    assert len(snapshot.incidents) == 1


def test_nameless_page_and_unlinked_page() -> None:
    snapshot = parse(edited(OPENAI_INCIDENT, (("page", "name"), ""), (("page", "url"), DELETE)))
    assert snapshot.page_name == "status page"
    assert snapshot.page_url is None
    assert snapshot.incidents[0].url is None  # no shortlink and no page link to fall back on


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        (b'{"page": {}}', "page: missing 'name'"),
        (b'{"page": {"name": 5}}', "page.name: expected a string"),
        (b'{"page": {"name": "x", "url": 5, "updated_at": "2026-10-07T13:25:04Z"}}',
         "page.url: expected a string"),
        (b'{"page": {"name": "x", "updated_at": "yesterday"}}', "bad timestamp 'yesterday'"),
        (b'{"page": {"name": "x"}}', "summary has no timestamp to date it"),
        (b'{"page": {"name": "x"}, "incidents": 3}', "incidents: expected a list"),
        (b"[1, 2, 3]", "expected a JSON object, got list"),
        (b'{"status": {}}', "not a Statuspage summary: no 'page' key"),
        (b'{"page": "Claude"}', "page: expected an object"),
        (b"  <html>", "expected JSON, got HTML or XML"),
        (b'{"page": ', "not valid JSON (truncated or corrupt)"),
    ],
)  # fmt: skip
def test_page_level_errors_say_what_is_wrong(raw: bytes, reason: str) -> None:
    with pytest.raises(PayloadError) as info:
        parse(raw)
    assert info.value.reason == reason


def test_only_bytes_are_parsed() -> None:
    with pytest.raises(PayloadError, match="expected bytes"):
        parse("{}")  # type: ignore[arg-type]
    assert parse(bytearray(load(ANTHROPIC_OK))).page_name == "Claude"


def test_back_dated_update_uses_its_display_time() -> None:
    # incident.io back-dates updates: display_at 15:17:00, created 15:50:41 (real capture).
    raw = edited(
        "openai_incidents_2026-09-03_trimmed_2_incidents.json",
        (("incidents", 0, "status"), "monitoring"),
        (("incidents", 0, "incident_updates", 0), DELETE),
    )
    (incident,) = [i for i in parse(raw).incidents if not i.status.is_closed]
    assert [(u.id, u.at) for u in incident.updates] == [
        ("01M1KZE5EW98D4TP0QC73DNYC2", utc("2026-09-03 15:17:00")),
        ("01M1KWEDH4HZZS0RR8FK6AFNY8", utc("2026-09-03 14:43:00")),
    ]
    assert incident.title == "Elevated errors across ChatGPT and Codex"
    assert incident.started_at == utc("2026-09-03 14:58:23")  # no started_at: created_at


@pytest.mark.parametrize(
    ("edits", "check"),
    [
        ([((*UPDATE_1, "id"), 42)], lambda i: i.updates[1].id == "42"),
        ([(("incidents", 0, "id"), 7)], lambda i: i.id == "7"),
        ([((*UPDATE_1, "status"), "pondering")],
         lambda i: i.updates[1].status is IncidentStatus.INVESTIGATING),
        ([((*UPDATE_1, "display_at"), None)],  # created_at dates it
         lambda i: i.updates[1].at == utc("2026-10-07 17:28:02.568")),
        ([(("incidents", 0, "shortlink"), None)],
         lambda i: i.url == "https://status.claude.com"),
        ([(("incidents", 0, "started_at"), None)],  # created_at, then
         lambda i: i.started_at == utc("2026-10-07 13:25:04.163")),
        ([(("incidents", 0, "components"), DELETE)],
         lambda i: (i.components_known, i.component_ids) == (False, ())),
        ([(("incidents", 0, "impact"), "critical")], lambda i: i.impact is Impact.CRITICAL),
    ],
)  # fmt: skip
def test_incident_fields(edits: list[tuple[tuple[Any, ...], Any]], check: Any) -> None:
    (incident,) = parse(edited(ANTHROPIC_INCIDENT, *edits)).incidents
    assert check(incident)


def test_maintenance_without_shortlink_links_the_page() -> None:
    raw = edited(CLOUDFLARE, (("scheduled_maintenances", 0, "shortlink"), DELETE))
    (maintenance,) = parse(raw).maintenances
    assert maintenance.url == "https://www.cloudflarestatus.com"
    assert maintenance.status is IncidentStatus.SCHEDULED
    assert maintenance.impact is Impact.MAINTENANCE


def test_duplicate_component_ids_are_one_component() -> None:
    data = load_json(ANTHROPIC_OK)
    data["components"].append(dict(data["components"][0], name="Renamed"))
    components = parse(json.dumps(data).encode()).components
    assert len(components) == 6
    assert next(c for c in components if c.id == data["components"][0]["id"]).name == "Renamed"


def test_filter_keeps_incidents_that_name_no_component() -> None:
    # Anthropic's impact-none incident lists `components: []`: it is not about any one of them.
    data = load_json(ANTHROPIC_INCIDENT)
    data["incidents"].append(dict(data["incidents"][0], id="nocomp", components=[]))
    snapshot = parse(json.dumps(data).encode())
    kept = filter_components(snapshot, ["Claude API (api.anthropic.com)"], ["claude.ai"])
    assert [i.id for i in kept.incidents] == ["nocomp"]
    by_id = filter_components(snapshot, ["0QBWN08SD68X"], [])
    assert [c.name for c in by_id.components] == ["Claude Console (platform.claude.com)"]
    assert [i.id for i in by_id.incidents] == ["978mjkgw6mh7", "nocomp"]
