"""Hostile sources through the whole poll path: never an outage, always visible as health."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from bot.commands import CommandService
from bot.config import parse_config
from bot.events import EventKind
from bot.fetch import StatusFetcher
from bot.poller import SourcePoller
from bot.status import Verdict
from bot.store.store import Store
from fakes.statuspage import FakeStatusPage
from integrations.sources import parse
from tests.conftest import fixture_bytes

SUMMARY = "/api/v2/summary.json"
OPERATIONAL = fixture_bytes("openai_summary_2026-09-24_operational.json")


@dataclass
class Hostile:
    name: str
    fault: str | None = None
    options: dict[str, Any] = field(default_factory=dict)
    body: bytes | None = None
    content_type: str = "application/json"
    url: str | None = None  # a different address altogether


HOSTILE = [
    Hostile("timeout", "timeout"),
    Hostile("connection reset", "reset"),
    Hostile("HTTP 500", "status", {"code": 500}),
    Hostile("503 with an HTML page", "status", {"code": 503, "body": "<html>down</html>"}),
    Hostile("429 with Retry-After", "429", {"retry_after": "120"}),
    Hostile("truncated JSON", "truncated"),
    Hostile("20 MB body", "huge"),
    Hostile("slow drip", "slow_drip", {"duration": 10, "interval": 0.05}),
    Hostile("redirect loop", "redirect_loop"),
    Hostile("valid JSON of the wrong shape", body=b'{"components": {"a": 1}, "page": []}'),
    Hostile("HTML with 200", body=b"<html>challenge</html>", content_type="text/html"),
    Hostile("DNS failure", url="http://status.invalid/api/v2/summary.json"),
    Hostile("connection refused", url="http://127.0.0.1:9/api/v2/summary.json"),
]


@pytest.fixture
async def page() -> AsyncIterator[FakeStatusPage]:
    async with FakeStatusPage() as fake:
        fake.set_payload(SUMMARY, OPERATIONAL)
        yield fake


def make_config(url: str, store_url: str) -> Any:
    source = {
        "kind": "statuspage",
        "url": url,
        "timeout": 1,
        "failure_threshold": 1,
        "max_bytes": 1_000_000,
    }
    return parse_config(
        {
            "store": {"url": store_url},
            "providers": {"openai": {"name": "OpenAI", "sources": [source]}},
        },
        "test",
    )


@pytest.mark.parametrize("hostile", HOSTILE, ids=lambda h: h.name)
async def test_hostile_source_is_source_health_not_an_outage(
    hostile: Hostile, page: FakeStatusPage, tmp_path: Path
) -> None:
    store = Store(f"sqlite+aiosqlite:///{tmp_path / 'h.db'}")
    await store.initialize()
    url = page.url(SUMMARY)
    config = make_config(url, store.url)
    provider, sid, source = config.source_ids()[0]
    async with StatusFetcher() as fetcher:
        poller = SourcePoller(provider, sid, source, fetcher, parse, store.polls)
        assert await poller.check_once() == []  # the silent baseline
        if hostile.url:
            poller.reader.source = source.model_copy(update={"url": hostile.url})
        elif hostile.body is not None:
            page.set_payload(SUMMARY, hostile.body, hostile.content_type)
        else:
            assert hostile.fault is not None
            page.set_fault(SUMMARY, hostile.fault, **hostile.options)
        events = await poller.check_once()
    try:
        assert [e.kind for e in events] == [EventKind.SOURCE_UNREACHABLE]
        report = await CommandService(config, store).status("openai")
        assert report.provider.verdict is Verdict.UNKNOWN
        assert "Cannot reach the official status page since" in report.text()
        assert await store.incidents.open_incidents() == []
    finally:
        await store.aclose()
