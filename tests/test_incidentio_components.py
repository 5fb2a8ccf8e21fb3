"""incident.io pages: summary.json read with components.json, over real sockets."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from bot.config import SourceConfig
from bot.events import EventKind
from bot.fetch import StatusFetcher
from bot.machine import ALL_OPERATIONAL, MachineSettings, SourceState, transition
from bot.models import ComponentStatus, FetchFailure, Snapshot
from bot.reading import SourceReader
from fakes.statuspage import FakeStatusPage
from integrations.sources import incidentio, parse, statuspage
from integrations.sources.incidentio import parse_pair, served_by_incidentio
from tests.conftest import FIXTURES

SUMMARY_0709 = (
    FIXTURES
    / "incident_io"
    / "openai_summary_2026-07-09_operational_no_incidents_key_keysorted.json"
)  # noqa: E501
ANTHROPIC = "anthropic_summary_2026-09-15_operational.json"
SUMMARY_0922 = FIXTURES / "openai_summary_2026-09-22_monitoring.json"
SUMMARY_0924 = FIXTURES / "openai_summary_2026-09-24_operational.json"
COMPONENTS = FIXTURES / "incident_io" / "CONSTRUCTED_openai_components_union_of_two_summaries.json"
SORA = "01K9G527YRPY1EFRMHTKB5BKT5"  # listed in the July summary, not in the 09-24 one
AUDIO = "01JMXBRMFEKVBWKK82B44QFMCE"  # in the July summary only
IMAGES = "01JMXBRMFE4MAP2BHSJNZ787WX"
SUMMARY_PATH = "/api/v2/summary.json"
COMPONENTS_PATH = "/api/v2/components.json"
T0 = datetime(2026, 9, 24, 12, 0, tzinfo=UTC)
SETTINGS = MachineSettings(provider="openai", source_id="openai", flap_window_s=0)


def with_status(path: Any, component_id: str, status: str) -> bytes:
    doc = json.loads(path.read_bytes())
    for component in doc["components"]:
        if component["id"] == component_id:
            component["status"] = status
    return json.dumps(doc).encode()


@pytest.fixture
async def page() -> AsyncIterator[FakeStatusPage]:
    async with FakeStatusPage() as fake:
        yield fake


@pytest.fixture
async def fetcher() -> AsyncIterator[StatusFetcher]:
    async with StatusFetcher() as client:
        yield client


def test_pair_keeps_every_component_and_the_summary_status_wins() -> None:
    summary = with_status(SUMMARY_0922, IMAGES, "degraded_performance")
    snapshot = parse_pair(summary, COMPONENTS.read_bytes())
    assert len(json.loads(SUMMARY_0922.read_bytes())["components"]) == 25
    assert len(snapshot.components) == 28
    assert AUDIO in {c.id for c in snapshot.components}  # only in the full list
    statuses = {c.id: c.status for c in snapshot.components}
    assert statuses[IMAGES] is ComponentStatus.DEGRADED
    assert len(snapshot.incidents) == 1  # incidents come from the summary


async def test_source_config_derives_the_component_list_url() -> None:
    source = SourceConfig(kind="incidentio", url="https://status.openai.com/api/v2/summary.json")
    assert source.components_url == "https://status.openai.com/api/v2/components.json"


async def poll(fetcher: StatusFetcher, page: FakeStatusPage, kind: str, now: datetime) -> Any:
    source = SourceConfig(kind=kind, url=page.url(SUMMARY_PATH), timeout=2)
    return (await SourceReader(source, fetcher, parse).read(now)).observation


async def test_a_component_missing_from_the_summary_is_not_restored(
    page: FakeStatusPage, fetcher: StatusFetcher
) -> None:
    """Sora is down; the next summary's 25 leave Sora out: no false 'restored'."""
    page.set_payload(SUMMARY_PATH, with_status(SUMMARY_0709, SORA, "partial_outage"))
    page.set_payload(COMPONENTS_PATH, with_status(COMPONENTS, SORA, "partial_outage"))
    first = await poll(fetcher, page, "incidentio", T0)
    assert isinstance(first, Snapshot)
    state, events = transition(ALL_OPERATIONAL, first, SETTINGS)
    assert [(e.kind, e.component) for e in events] == [(EventKind.OUTAGE, "Sora")]

    page.set_payload(SUMMARY_PATH, SUMMARY_0924.read_bytes())
    second = await poll(fetcher, page, "incidentio", T0 + timedelta(minutes=1))
    later, events = transition(state, second, SETTINGS)
    assert events == []  # Sora is still down according to the full list

    page.set_payload(COMPONENTS_PATH, COMPONENTS.read_bytes())
    third = await poll(fetcher, page, "incidentio", T0 + timedelta(minutes=2))
    _, events = transition(later, third, SETTINGS)
    assert [(e.kind, e.component, e.duration_s) for e in events] == [
        (EventKind.RESTORED, "Sora", 120.0)
    ]
    # Each poll read both documents, never with validators (a 304 would hide the other).
    assert page.count(SUMMARY_PATH) == 3
    assert page.count(COMPONENTS_PATH) == 3
    assert all("If-None-Match" not in r.headers for r in page.requests)


async def test_summary_alone_leaves_a_missing_component_unknown(
    page: FakeStatusPage, fetcher: StatusFetcher
) -> None:
    """The same two summaries read as plain Statuspage: the component the second one leaves
    out is unknown to the state machine, neither restored nor new (only components.json can
    say it recovered)."""
    page.set_payload(SUMMARY_PATH, with_status(SUMMARY_0709, SORA, "partial_outage"))
    first = await poll(fetcher, page, "statuspage", T0)
    state: SourceState
    state, _ = transition(ALL_OPERATIONAL, first, SETTINGS)
    page.set_payload(SUMMARY_PATH, SUMMARY_0924.read_bytes())
    second = await poll(fetcher, page, "statuspage", T0 + timedelta(minutes=1))
    _, events = transition(state, second, SETTINGS)
    assert events == []
    assert page.count(COMPONENTS_PATH) == 0


async def test_an_unreadable_component_list_fails_the_poll_with_its_reason(
    page: FakeStatusPage, fetcher: StatusFetcher
) -> None:
    page.set_payload(SUMMARY_PATH, SUMMARY_0924.read_bytes())
    failure = await poll(fetcher, page, "incidentio", T0)
    assert isinstance(failure, FetchFailure)
    assert failure.reason == "component list: HTTP 404"
    page.set_payload(COMPONENTS_PATH, b"<html>challenge</html>", "text/html")
    failure = await poll(fetcher, page, "incidentio", T0)
    assert isinstance(failure, FetchFailure)
    assert failure.reason == "expected JSON, got HTML or XML"


def test_an_incidentio_summary_is_told_from_an_atlassian_one_by_its_page_id() -> None:
    assert served_by_incidentio(SUMMARY_0924.read_bytes())
    assert not served_by_incidentio((FIXTURES / ANTHROPIC).read_bytes())  # tymt9n04zgry
    for body in (b"<html>", b"[1]", b'{"page": "01JMDK9XYNY6RXSED6SDWW50WY"}', b"{}", b"[" * 5000):
        assert not served_by_incidentio(body)
    lowercase = SUMMARY_0924.read_bytes().replace(b"01JMDK9XYNY6RXSED6SDWW50WY", b"01jmdk9xyny6")
    assert not served_by_incidentio(lowercase)


def test_the_summary_alone_reads_as_a_statuspage_summary() -> None:
    alone = incidentio.parse(SUMMARY_0922.read_bytes(), T0)
    assert alone == statuspage.parse(SUMMARY_0922.read_bytes(), T0)
    assert len(alone.components) == 25
    assert alone.observed_at == T0


def test_a_component_list_without_times_still_completes_the_summary() -> None:
    listing = json.loads(COMPONENTS.read_bytes())
    del listing["page"]["updated_at"]
    for component in listing["components"]:
        component.pop("updated_at", None)
        component.pop("created_at", None)
    snapshot = parse_pair(SUMMARY_0922.read_bytes(), json.dumps(listing).encode())
    assert len(snapshot.components) == 28
    assert snapshot.observed_at == incidentio.parse(SUMMARY_0922.read_bytes()).observed_at


def test_what_the_component_list_warns_about_is_reported_as_its_own() -> None:
    listing = with_status(COMPONENTS, AUDIO, "sideways")
    snapshot = parse_pair(SUMMARY_0922.read_bytes(), listing)
    (warning,) = snapshot.warnings
    assert warning.startswith("components.json: ")
    assert "sideways" in warning
