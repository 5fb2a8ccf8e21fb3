"""The schedule: a failing source backs off by moving its job, and stopping is clean."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.config import parse_config
from bot.fetch import StatusFetcher
from bot.poller import SourcePoller
from bot.schedule import Schedule
from bot.store.store import Store
from fakes.statuspage import FakeStatusPage
from integrations.sources import parse
from tests.conftest import fixture_bytes
from tests.waiting import until

SUMMARY = "/api/v2/summary.json"
OPERATIONAL = fixture_bytes("openai_summary_2026-09-24_operational.json")


@pytest.fixture
async def rig(tmp_path: Path) -> AsyncIterator[tuple[FakeStatusPage, SourcePoller]]:
    async with FakeStatusPage() as page, StatusFetcher() as fetcher:
        page.set_payload(SUMMARY, OPERATIONAL)
        source = {"kind": "statuspage", "url": page.url(SUMMARY), "interval": 1, "timeout": 2}
        config = parse_config(
            {"providers": {"openai": {"name": "OpenAI", "sources": [source]}}}, "test"
        )
        provider, sid, src = config.source_ids()[0]
        store = Store(f"sqlite+aiosqlite:///{tmp_path / 's.db'}")
        await store.initialize()
        try:
            yield page, SourcePoller(provider, sid, src, fetcher, parse, store.polls)
        finally:
            await store.aclose()


async def test_a_rate_limited_source_is_next_polled_after_its_retry_after(rig) -> None:
    page, poller = rig
    page.set_fault(SUMMARY, "429", retry_after="120")
    schedule = Schedule([poller])
    schedule.start()
    try:

        def backed_off() -> bool:
            next_at = schedule.next_poll_at(poller)
            return next_at is not None and next_at > datetime.now(UTC) + timedelta(seconds=100)

        await until(backed_off, "the job's next run to move past the Retry-After")
        assert page.count(SUMMARY) == 1  # one request, not one per second
    finally:
        await schedule.stop(timeout=5)


async def test_a_healthy_source_keeps_its_interval_and_stop_lets_no_poll_start(rig) -> None:
    page, poller = rig
    schedule = Schedule([poller])
    schedule.start()
    try:
        await until(lambda: page.count(SUMMARY) >= 2, "two polls a second apart")
        next_at = schedule.next_poll_at(poller)
        assert next_at is not None
        assert next_at <= datetime.now(UTC) + timedelta(seconds=2)
    finally:
        await schedule.stop(timeout=5)
    polled = page.count(SUMMARY)
    assert await poller.check_once() == []  # a stopped poller does nothing
    assert page.count(SUMMARY) == polled


class FixedLeases:
    """Another replica leads everything but `mine`."""

    def __init__(self, mine: set[str]) -> None:
        self.mine = mine

    async def keep(
        self, holder: str, work: object, ttl_s: float, share: int | None = None
    ) -> tuple[set[str], int]:
        return set(self.mine), 2

    async def release(self, holder: str, names: object = ()) -> None:
        return None


async def test_a_probe_runs_only_on_the_replica_that_leads_it() -> None:
    from bot.leadership import Leadership

    ran: list[str] = []
    leadership = Leadership(["probe:a", "probe:b"], FixedLeases({"probe:a"}), ttl_s=3)
    schedule = Schedule([], leadership)

    async def probe_a() -> None:
        ran.append("a")

    async def probe_b() -> None:
        ran.append("b")

    schedule.add_chore(probe_a, 0.05, 0, "probe:a", led=True)
    schedule.add_chore(probe_b, 0.05, 0, "probe:b", led=True)
    schedule.start()
    try:
        await until(lambda: ran.count("a") >= 3, "the led probe running on its interval")
    finally:
        await schedule.stop(timeout=5)
    assert "b" not in ran  # led by the other replica
    assert leadership.leading == ["probe:a"]
