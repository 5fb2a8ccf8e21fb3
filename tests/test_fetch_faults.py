"""The fault matrix over real sockets: every failure is a FetchFailure, never an exception."""

from __future__ import annotations

import json
import socket
import time
from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path
from typing import Any

import httpx
import pytest

from bot.config import SourceConfig
from bot.fetch import StatusFetcher, Validators
from bot.models import ComponentStatus, FetchFailure, Snapshot
from bot.reading import Reading, SourceReader
from bot.retry_after import parse_retry_after
from fakes.statuspage import FakeStatusPage
from integrations.sources import parse

FIXTURES = Path(__file__).parent / "fixtures"
SUMMARY = (FIXTURES / "anthropic_summary_2026-10-07_monitoring.json").read_bytes()
OPERATIONAL = (FIXTURES / "anthropic_summary_2026-09-15_operational.json").read_bytes()
PATH = "/api/v2/summary.json"
NOW = datetime(2026, 10, 8, 12, 0, tzinfo=UTC)
TIMEOUT = 0.5  # the budget the failure tests run out
ROOMY = 10.0  # tests of a page that answers: a loaded machine must not turn them into timeouts
# A hanging or dripping page would hold a poll far longer than this without the budget.
BOUNDED = 10.0


@pytest.fixture
async def fake() -> AsyncIterator[FakeStatusPage]:
    async with FakeStatusPage() as page:
        page.set_payload(PATH, SUMMARY)
        yield page


@pytest.fixture
async def fetcher() -> AsyncIterator[StatusFetcher]:
    async with StatusFetcher() as client:
        yield client


def source(url: str, **overrides: Any) -> SourceConfig:
    overrides.setdefault("timeout", TIMEOUT)
    return SourceConfig(kind=overrides.pop("kind", "statuspage"), url=url, **overrides)


async def poll(fetcher: StatusFetcher, url: str, **overrides: Any) -> Reading:
    return await SourceReader(source(url, **overrides), fetcher, parse).read(NOW)


def failure_of(reading: Reading) -> FetchFailure:
    assert isinstance(reading.observation, FetchFailure), reading.observation
    assert reading.observation.observed_at == NOW
    return reading.observation


@pytest.mark.parametrize(
    ("fault", "options", "reason"),
    [
        ("timeout", {}, "timed out after 0.5s"),
        ("reset", {}, "connection reset or closed by the server"),
        ("status", {"code": 500}, "HTTP 500"),
        ("status", {"code": 503, "body": "<html><h1>Service Unavailable</h1></html>"}, "HTTP 503"),
        ("status", {"code": 404, "body": "<html>not here</html>"}, "HTTP 404"),
        ("status", {"code": 405, "body": "<html>bot challenge</html>"}, "HTTP 405"),
        ("truncated", {}, "not valid JSON (truncated or corrupt)"),
        ("huge", {"size": 20_000_000}, "response larger than 5000000 bytes"),
        ("redirect_loop", {}, "more than 5 redirects (loop?)"),
    ],
)
async def test_fault_becomes_fetch_failure(
    fake: FakeStatusPage, fetcher: StatusFetcher, fault: str, options: dict[str, Any], reason: str
) -> None:
    fake.set_fault(PATH, fault, **options)
    started = time.monotonic()
    failure = failure_of(await poll(fetcher, fake.url(PATH)))
    assert failure.reason == reason
    assert time.monotonic() - started < BOUNDED
    assert fake.base_url not in failure.reason


async def test_slow_drip_is_bounded_by_the_overall_timeout(
    fake: FakeStatusPage, fetcher: StatusFetcher
) -> None:
    # Each byte arrives well inside httpx's per-read timeout; only the overall budget stops it.
    fake.set_fault(PATH, "slow_drip", duration=30, interval=0.05)
    started = time.monotonic()
    failure = failure_of(await poll(fetcher, fake.url(PATH)))
    elapsed = time.monotonic() - started
    assert failure.reason == "timed out after 0.5s"
    assert elapsed < BOUNDED, elapsed


async def test_429_carries_retry_after_seconds_and_http_date(
    fake: FakeStatusPage, fetcher: StatusFetcher
) -> None:
    fake.set_fault(PATH, "429", retry_after="120")
    failure = failure_of(await poll(fetcher, fake.url(PATH)))
    assert (failure.reason, failure.retry_after_s) == ("HTTP 429 (rate limited)", 120.0)
    later = format_datetime(datetime.now(UTC) + timedelta(seconds=90), usegmt=True)
    fake.set_fault(PATH, "429", retry_after=later)
    failure = failure_of(await poll(fetcher, fake.url(PATH)))
    assert failure.retry_after_s is not None
    assert 80 <= failure.retry_after_s <= 90


def test_parse_retry_after() -> None:
    now = datetime(2026, 10, 8, 12, 0, tzinfo=UTC)
    assert parse_retry_after("7") == 7.0
    assert parse_retry_after(" 1.5 ") == 1.5  # Discord sends fractions
    assert parse_retry_after(2.25) == 2.25
    assert parse_retry_after("Thu, 08 Oct 2026 12:01:00 GMT", now) == 60.0
    assert parse_retry_after("Thu, 08 Oct 2026 11:00:00 GMT", now) == 0.0
    assert parse_retry_after("soon") is None
    assert parse_retry_after("-5") is None
    assert parse_retry_after("inf") is None
    assert parse_retry_after(float("nan")) is None
    assert parse_retry_after("") is None
    assert parse_retry_after(None) is None


async def test_connection_refused(fetcher: StatusFetcher) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    failure = failure_of(await poll(fetcher, f"http://127.0.0.1:{port}{PATH}"))
    assert failure.reason == "connection refused"


async def test_dns_failure_is_fast_or_bounded(fetcher: StatusFetcher) -> None:
    started = time.monotonic()
    failure = failure_of(await poll(fetcher, "https://status.invalid/api/v2/summary.json"))
    assert failure.reason in ("DNS lookup failed", "timed out after 0.5s")
    assert time.monotonic() - started < BOUNDED


async def test_credentials_in_url_never_reach_the_reason(fetcher: StatusFetcher) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    failure = failure_of(await poll(fetcher, f"http://user:hunter2@127.0.0.1:{port}/x?token=s3"))
    assert "hunter2" not in failure.reason
    assert "s3" not in failure.reason


@pytest.mark.parametrize(
    "body",
    [b"[]", b'{"components": []}', b'{"page": {"name": "x"}, "incidents": {"a": 1}}', b"null"],
)
async def test_valid_json_of_the_wrong_shape(
    fake: FakeStatusPage, fetcher: StatusFetcher, body: bytes
) -> None:
    fake.set_payload(PATH, body)
    failure = failure_of(await poll(fetcher, fake.url(PATH)))
    assert failure.reason


async def test_html_with_200_is_a_failure_not_an_outage(
    fake: FakeStatusPage, fetcher: StatusFetcher
) -> None:
    challenge = b"<!DOCTYPE html><html><title>Just a moment...</title></html>"
    fake.set_payload(PATH, challenge, content_type="text/html")
    assert failure_of(await poll(fetcher, fake.url(PATH))).reason == "expected JSON, got text/html"
    fake.set_payload(PATH, challenge, content_type="application/json")  # lying content type
    assert (
        failure_of(await poll(fetcher, fake.url(PATH))).reason == "expected JSON, got HTML or XML"
    )
    fake.set_payload("/feed.xml", challenge, content_type="text/html")
    outcome = await poll(fetcher, fake.url("/feed.xml"), kind="rss")
    assert failure_of(outcome).reason == "expected a feed, got text/html"


async def test_unknown_component_status_is_a_warning_not_an_outage(
    fake: FakeStatusPage, fetcher: StatusFetcher
) -> None:
    data = json.loads(OPERATIONAL)
    data["components"][0]["status"] = "partially_on_fire"
    fake.set_payload(PATH, json.dumps(data).encode())
    outcome = await poll(fetcher, fake.url(PATH), timeout=ROOMY)
    snapshot = outcome.observation
    assert isinstance(snapshot, Snapshot)
    # Passed on as unknown: the state machine keeps the component's last known status.
    assert snapshot.components[0].status is ComponentStatus.UNKNOWN
    assert any("partially_on_fire" in w for w in snapshot.warnings)


async def test_conditional_get_saves_bytes_and_sees_changes(
    fake: FakeStatusPage, fetcher: StatusFetcher
) -> None:
    reader = SourceReader(source(fake.url(PATH), timeout=ROOMY), fetcher, parse)
    first = await reader.read(NOW)
    assert isinstance(first.observation, Snapshot)
    assert first.observation.observed_at == NOW  # poll time, not the page's own clock
    assert first.changed
    assert first.bytes_received == len(SUMMARY)

    later = NOW + timedelta(seconds=30)
    second = await reader.read(later)
    assert not second.changed
    assert second.observation == replace(first.observation, observed_at=later)
    assert second.bytes_received == 0
    assert fake.count(PATH, status=304) == 1
    assert fake.requests[-1].headers["If-None-Match"]
    assert fake.requests[-1].headers["User-Agent"].startswith("statusbot/")

    fake.set_payload(PATH, OPERATIONAL)
    third = await reader.read(later)
    assert isinstance(third.observation, Snapshot)
    assert third.changed
    assert third.observation.incidents == ()


async def test_if_modified_since_alone_gets_a_304(
    fake: FakeStatusPage, fetcher: StatusFetcher
) -> None:
    def fetch(validators: Validators | None) -> Any:
        return fetcher.fetch(fake.url(PATH), timeout=ROOMY, max_bytes=10**6, validators=validators)

    first = await fetch(None)
    assert first.validators.last_modified
    second = await fetch(Validators(last_modified=first.validators.last_modified))
    assert second.not_modified


async def test_conditional_get_off_never_sends_validators(
    fake: FakeStatusPage, fetcher: StatusFetcher
) -> None:
    reader = SourceReader(
        source(fake.url(PATH), conditional_get=False, timeout=ROOMY), fetcher, parse
    )
    await reader.read(NOW)
    second = await reader.read(NOW)
    assert isinstance(second.observation, Snapshot)
    assert "If-None-Match" not in fake.requests[-1].headers


async def test_after_a_body_it_cannot_read_the_next_poll_reads_the_page_in_full(
    fake: FakeStatusPage, fetcher: StatusFetcher
) -> None:
    reader = SourceReader(source(fake.url(PATH), timeout=ROOMY), fetcher, parse)
    await reader.read(NOW)
    fake.set_payload(PATH, b'{"not": "a summary"}')
    assert isinstance((await reader.read(NOW)).observation, FetchFailure)
    fake.set_payload(PATH, SUMMARY)  # back to the body the first poll read
    again = await reader.read(NOW)
    assert isinstance(again.observation, Snapshot)  # not a 304 standing for the bad body
    assert "If-None-Match" not in fake.requests[-1].headers


async def test_component_filter_applies_in_poll(
    fake: FakeStatusPage, fetcher: StatusFetcher
) -> None:
    outcome = await poll(fetcher, fake.url(PATH), include_components=["CLAUDE CODE"], timeout=ROOMY)
    assert isinstance(outcome.observation, Snapshot)
    assert [c.name for c in outcome.observation.components] == ["Claude Code"]


async def test_control_api_drives_the_fake_from_outside(fake: FakeStatusPage) -> None:
    async with httpx.AsyncClient(base_url=fake.base_url) as client:
        put = await client.put(
            "/_control/payload", params={"path": "/other.json"}, content=OPERATIONAL
        )
        assert put.status_code == 200
        assert (await client.get("/other.json")).content == OPERATIONAL
        fault = await client.put(
            "/_control/fault", params={"path": "/other.json", "fault": "status", "code": 502}
        )
        assert fault.status_code == 200
        assert (await client.get("/other.json")).status_code == 502
        assert (await client.delete("/_control/fault", params={"path": "/other.json"})).is_success
        assert (await client.get("/other.json")).status_code == 200
        bad = await client.put("/_control/fault", params={"path": "/x", "fault": "nope"})
        assert bad.status_code == 400
        recorded = (await client.get("/_control/requests")).json()
    assert [r["status"] for r in recorded] == [200, 502, 200]
