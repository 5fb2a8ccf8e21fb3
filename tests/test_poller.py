"""One source's poll tick: what it records, and when an unchanged page is not rewritten."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from prometheus_client import REGISTRY

from bot.config import parse_config
from bot.events import EventKind
from bot.fetch import StatusFetcher
from bot.poller import SourcePoller
from bot.store.store import Store
from fakes.statuspage import FakeStatusPage
from integrations.sources import parse
from tests.conftest import fixture_bytes

SUMMARY = "/api/v2/summary.json"
# Real captures in the order the page served them: healthy in July, then the incident.
OPERATIONAL = fixture_bytes(
    "incident_io/openai_summary_2026-07-09_operational_no_incidents_key_keysorted.json"
)
INCIDENT = fixture_bytes("openai_summary_2026-09-22_monitoring.json")
LATER = fixture_bytes("openai_summary_2026-09-24_operational.json")
T0 = datetime(2026, 2, 3, 14, 0, tzinfo=UTC)


class Clock:
    def __init__(self) -> None:
        self.now = T0

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
async def rig(tmp_path: Path) -> AsyncIterator[tuple[SourcePoller, FakeStatusPage, Store, Clock]]:
    async with FakeStatusPage() as page, StatusFetcher() as fetcher:
        page.set_payload(SUMMARY, OPERATIONAL)
        config = parse_config(
            {
                "providers": {
                    "openai": {
                        "name": "OpenAI",
                        "sources": [
                            {"kind": "statuspage", "url": page.url(SUMMARY), "interval": 30}
                        ],
                    }
                }
            },
            "test",
        )
        provider, sid, source = config.source_ids()[0]
        store = Store(f"sqlite+aiosqlite:///{tmp_path / 'p.db'}")
        await store.initialize()
        clock = Clock()
        try:
            yield (
                SourcePoller(provider, sid, source, fetcher, parse, store.polls, clock=clock),
                page,
                store,
                clock,
            )
        finally:
            await store.aclose()


async def last_recorded(store: Store) -> datetime | None:
    record = await store.polls.load_source("openai")
    assert record is not None
    return record.last_attempt_at


async def test_an_unchanged_page_is_recorded_only_every_two_intervals(rig) -> None:
    poller, page, store, clock = rig
    assert await poller.check_once() == []
    assert await last_recorded(store) == T0
    clock.now = T0 + timedelta(seconds=30)
    assert await poller.check_once() == []
    assert await last_recorded(store) == T0  # nothing changed: not rewritten
    clock.now = T0 + timedelta(seconds=60)
    await poller.check_once()
    assert await last_recorded(store) == T0 + timedelta(seconds=60)
    assert page.count(SUMMARY) == 3  # every tick still polled the page


async def test_a_change_is_recorded_at_once(rig) -> None:
    poller, page, store, clock = rig
    await poller.check_once()
    page.set_payload(SUMMARY, INCIDENT)
    clock.now = T0 + timedelta(seconds=30)
    events = await poller.check_once()
    assert [e.kind for e in events] == [EventKind.DEGRADED]
    assert await last_recorded(store) == T0 + timedelta(seconds=30)
    assert [e.kind for e in await store.events.recent_events()] == [EventKind.DEGRADED]


async def test_a_failed_poll_is_recorded_at_once(rig) -> None:
    poller, page, store, clock = rig
    await poller.check_once()
    page.set_fault(SUMMARY, "status", code=500)
    clock.now = T0 + timedelta(seconds=30)
    await poller.check_once()
    record = await store.polls.load_source("openai")
    assert record is not None
    assert record.state.failures == 1
    assert record.last_error == "HTTP 500"


async def test_a_stale_copy_is_ignored_and_counted(rig) -> None:
    poller, page, store, clock = rig
    await poller.check_once()
    page.set_payload(SUMMARY, INCIDENT)
    clock.now = T0 + timedelta(seconds=30)
    assert [e.kind for e in await poller.check_once()] == [EventKind.DEGRADED]
    before = REGISTRY.get_sample_value("statusbot_stale_snapshots_total", {"source": "openai"})
    page.set_payload(SUMMARY, OPERATIONAL)  # a CDN serves the July copy again
    clock.now = T0 + timedelta(seconds=60)
    assert await poller.check_once() == []
    after = REGISTRY.get_sample_value("statusbot_stale_snapshots_total", {"source": "openai"})
    assert (after or 0) - (before or 0) == 1
    record = await store.polls.load_source("openai")
    assert record is not None
    assert record.state.open_incidents()  # not resolved by the copy
    page.set_payload(SUMMARY, LATER)
    clock.now = T0 + timedelta(seconds=90)
    assert [e.kind for e in await poller.check_once()] == [EventKind.RESTORED]
