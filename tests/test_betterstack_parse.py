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
        (b"[]", "^not a Better Stack index.json: no 'data' object$"),
        (b'"data"', "^not a Better Stack index.json: no 'data' object$"),
        (b'{"data": []}', "^data: expected an object$"),
        (b'{"data": {}, "included": {}}', "expected a list"),
        (b'{"data": {}, "included": [5]}', r"^included\[0\]: expected an object$"),
        (b'{"data": {}, "included": [{"type": "status_page_resource"}]}', "missing or empty"),
        (b'{"data": {}}', "^betterstack payload has no timestamp"),
    ],
)
def test_unreadable_pages_are_payload_errors(body: bytes, reason: str) -> None:
    with pytest.raises(PayloadError, match=reason):
        parse(body)


def test_the_page_clock_is_its_updated_at() -> None:
    snapshot = parse(REAL.read_bytes())
    assert snapshot.page_updated_at == datetime(2026, 9, 19, 3, 17, 48, 321000, tzinfo=UTC)


def hub_down() -> dict[str, Any]:
    doc: dict[str, Any] = json.loads(HUB_DOWN.read_bytes())
    return doc


def entry(doc: dict[str, Any], ref: str) -> dict[str, Any]:
    """`data`, or the included entry with that id."""
    if ref == "data":
        return doc["data"]  # type: ignore[no-any-return]
    return next(i for i in doc["included"] if i["id"] == ref)


def parse_doc(doc: dict[str, Any], observed_at: datetime | None = None) -> Any:
    return parse(json.dumps(doc).encode(), observed_at)


def hub(doc: dict[str, Any], observed_at: datetime | None = None) -> Any:
    return next(i for i in parse_doc(doc, observed_at).incidents if i.id == "965809")


REPORT, UPDATE, RESOURCE, SECTION = "965809", "5410504", "84641", "3589"


@pytest.mark.parametrize(
    ("ref", "path", "value", "reason"),
    [
        ("data", ("attributes",), 5, "data.attributes: expected an object"),
        ("data", ("attributes", "company_name"), 5, "data.company_name: expected a string"),
        ("data", ("attributes", "updated_at"), 5, "data.updated_at: expected a string"),
        ("data", ("attributes", "created_at"), 5, "data.created_at: expected a string"),
        ("data", ("attributes", "custom_domain"), 5, "data.custom_domain: expected a string"),
        ("data", ("attributes",), {"subdomain": 5}, "data.subdomain: expected a string"),
        ("data", ("attributes", "aggregate_state"), 5, "data.aggregate_state: expected a str"),
        (SECTION, ("type",), 5, "included[0].type: expected a string"),
        (SECTION, ("id",), "", "included[0]: missing or empty 'id'"),
        (SECTION, ("attributes",), 5, "section.attributes: expected an object"),
        (SECTION, ("attributes", "name"), 5, "section.name: expected a string"),
        (RESOURCE, ("attributes",), 5, "resource 84641.attributes: expected an object"),
        (RESOURCE, ("attributes", "public_name"), 5, "resource 84641.public_name: expected"),
        (REPORT, ("attributes",), 5, "report 965809.attributes: expected an object"),
        (REPORT, ("attributes", "starts_at"), 5, "report 965809.starts_at: expected a string"),
        (REPORT, ("attributes", "ends_at"), 5, "report 965809.ends_at: expected a string"),
        (REPORT, ("attributes", "report_type"), 5, "report 965809.report_type: expected a"),
        (REPORT, ("attributes", "aggregate_state"), 5, "report 965809.aggregate_state: expe"),
        (REPORT, ("attributes", "title"), 5, "report 965809.title: expected a string"),
        (REPORT, ("attributes", "affected_resources"), {}, "report 965809.affected_resources:"),
        (REPORT, ("attributes", "affected_resources", 0), 5, "report 965809: expected an object"),
        (REPORT, ("attributes", "affected_resources", 0, "status_page_resource_id"), "",
         "report 965809: missing or empty 'status_page_resource_id'"),
        (REPORT, ("relationships",), 5, "report 965809.relationships: expected an object"),
        (REPORT, ("relationships", "status_updates"), 5, "report 965809.status_updates: expe"),
        (REPORT, ("relationships", "status_updates", "data"), {}, "report 965809.data: expected"),
        (REPORT, ("relationships", "status_updates", "data", 0), 5,
         "report 965809: expected an object"),
        (REPORT, ("relationships", "status_updates", "data", 0, "id"), "",
         "report 965809.status_updates: missing or empty 'id'"),
        (UPDATE, ("attributes",), 5, "update 5410504.attributes: expected an object"),
        (UPDATE, ("attributes", "published_at"), 5, "update 5410504.published_at: expected a"),
        (UPDATE, ("attributes", "published_at"), None, "update 5410504: no published_at"),
        (UPDATE, ("attributes", "message"), 5, "update 5410504.message: expected a string"),
        (UPDATE, ("attributes", "affected_resources"), {}, "update 5410504.affected_resources:"),
        (UPDATE, ("attributes", "affected_resources", 0), 5, "update 5410504: expected an obj"),
    ],
)  # fmt: skip
def test_an_unreadable_field_is_named_in_the_reason(
    ref: str, path: tuple[str | int, ...], value: Any, reason: str
) -> None:
    """check-source prints this reason: it must say which entry and field is broken."""
    doc = hub_down()
    target: Any = entry(doc, ref)
    for step in path[:-1]:
        target = target[step]
    target[path[-1]] = value
    with pytest.raises(PayloadError) as failure:
        parse_doc(doc)
    assert str(failure.value).startswith(reason)


def test_the_page_name_address_and_state() -> None:
    doc = hub_down()
    attrs = doc["data"]["attributes"]
    snapshot = parse_doc(doc)
    assert snapshot.description == "degraded"
    assert hub(doc).url == "https://status.huggingface.co/"
    attrs["custom_domain"] = "status.example.com/evil path"  # not a host: the subdomain is used
    attrs["subdomain"] = " HuggingFace "
    attrs["company_name"] = "   "
    del attrs["aggregate_state"]
    snapshot = parse_doc(doc)
    assert snapshot.page_url == "https://huggingface.betteruptime.com/"
    assert snapshot.page_name == "status page"
    assert snapshot.description == ""
    for subdomain in ("evil.example.com", "a b", None):
        attrs["subdomain"] = subdomain
        assert parse_doc(doc).page_url is None  # never a link to another host
    del attrs["company_name"]
    assert parse_doc(doc).page_name == "status page"


def test_the_page_is_dated_by_its_updated_at_or_the_callers_clock() -> None:
    doc = hub_down()
    doc["data"]["attributes"]["updated_at"] = "2026-07-16T08:35:00.000Z"  # before an update
    assert parse_doc(doc).observed_at == datetime(2026, 7, 16, 8, 35, tzinfo=UTC)
    clock = datetime(2026, 7, 16, 9, tzinfo=UTC)
    assert parse_doc(doc, clock).observed_at == clock


def test_what_a_component_shows() -> None:
    doc = hub_down()
    attrs = entry(doc, RESOURCE)["attributes"]
    del attrs["public_name"]
    del entry(doc, SECTION)["attributes"]["name"]
    attrs["status"] = "sideways"
    attrs["status_page_section_id"] = int(SECTION)
    snapshot = parse_doc(doc)
    component = next(c for c in snapshot.components if c.id == RESOURCE)
    assert (component.name, component.status, component.group) == (
        RESOURCE,
        ComponentStatus.OPERATIONAL,  # unknown is not an outage
        None,  # its section has no name
    )
    assert snapshot.warnings == ("resource 84641: unknown status 'sideways'",)


def test_what_an_open_report_card_shows() -> None:
    doc = hub_down()
    incident = hub(doc)
    newest = incident.updates[0]
    assert (newest.id, newest.status) == ("5410587", IncidentStatus.INVESTIGATING)
    assert newest.body == "We are mitigating the issue, and services are coming back up."
    # The report still lists its resources as down: the newest update (degraded) wins.
    for resource in entry(doc, REPORT)["attributes"]["affected_resources"]:
        resource["status"] = "downtime"
    assert hub(doc).impact is Impact.MINOR
    # One resource down among degraded ones: the worst decides.
    entry(doc, "5410587")["attributes"]["affected_resources"][0]["status"] = "downtime"
    assert hub(doc).impact is Impact.CRITICAL
    del entry(doc, "5410587")["attributes"]["message"]
    del entry(doc, REPORT)["attributes"]["title"]
    assert hub(doc).updates[0].body == ""
    assert hub(doc).title == "(untitled report)"


def test_a_report_without_updates_is_judged_by_its_own_resources() -> None:
    doc = hub_down()
    doc["included"] = [i for i in doc["included"] if i["type"] != "status_update"]
    report = entry(doc, REPORT)["attributes"]
    del report["aggregate_state"]
    report["affected_resources"][0]["status"] = "downtime"
    incident = hub(doc)
    assert (incident.status, incident.impact, incident.updates) == (
        IncidentStatus.INVESTIGATING,
        Impact.CRITICAL,
        (),
    )
    for resource in report["affected_resources"]:
        resource["status"] = "maintenance"  # a manual report: still a degradation
    assert hub(doc).impact is Impact.MINOR
    report["affected_resources"] = []
    assert hub(doc).impact is Impact.MINOR


def test_an_update_that_names_no_resource_resolves_nothing() -> None:
    doc = hub_down()
    entry(doc, "5410587")["attributes"]["affected_resources"] = []
    del entry(doc, REPORT)["attributes"]["aggregate_state"]
    incident = hub(doc)
    assert incident.updates[0].status is IncidentStatus.INVESTIGATING
    assert incident.status is IncidentStatus.INVESTIGATING


def test_a_page_without_reports_lists_none() -> None:
    doc = hub_down()
    doc["included"] = [i for i in doc["included"] if i["type"] != "status_report"]
    snapshot = parse_doc(doc)
    assert (snapshot.incidents, snapshot.maintenances) == ((), ())


@pytest.mark.parametrize(
    ("clock", "status"),
    [
        ("2026-07-08T06:00:00Z", IncidentStatus.SCHEDULED),
        ("2026-07-08T07:00:36Z", IncidentStatus.IN_PROGRESS),  # starts now
        ("2026-07-08T07:30:00Z", IncidentStatus.IN_PROGRESS),
        ("2026-07-08T08:00:36Z", IncidentStatus.COMPLETED),  # ends now
    ],
)
def test_a_maintenance_window_by_the_clock(clock: str, status: IncidentStatus) -> None:
    doc = hub_down()
    entry(doc, "946090")["attributes"]["aggregate_state"] = "maintenance"
    snapshot = parse_doc(doc, datetime.fromisoformat(clock))
    (window,) = [m for m in snapshot.maintenances if m.id == "946090"]
    assert window.status is status
    assert window.impact is Impact.MAINTENANCE


def test_an_open_maintenance_without_a_start_is_in_progress() -> None:
    doc = hub_down()
    attrs = entry(doc, "946090")["attributes"]
    attrs["aggregate_state"] = "maintenance"
    attrs["starts_at"] = attrs["ends_at"] = None
    (window,) = [m for m in parse_doc(doc).maintenances if m.id == "946090"]
    assert window.status is IncidentStatus.IN_PROGRESS
