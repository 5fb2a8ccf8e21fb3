"""Probes as the bot runs them: the real fetcher against the fake provider APIs, each answer
recorded in the store's probe window (failing after `failing_after`, slow against the
probe's usual latency), and the provider fused again after each."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from bot.config import ProbeConfig
from bot.fetch import StatusFetcher
from bot.probe_window import ProbeRules, ProbeStatus
from bot.probing import ProbeRunner
from bot.store.store import Store
from fakes.provider_api import FakeProviderAPIs, probe_config

RULES = ProbeRules(failing_after=3)


@pytest.fixture
async def apis() -> AsyncIterator[FakeProviderAPIs]:
    async with FakeProviderAPIs() as fake:
        yield fake


@pytest.fixture
async def fetcher() -> AsyncIterator[StatusFetcher]:
    async with StatusFetcher() as client:
        yield client


def runner(
    apis: FakeProviderAPIs, fetcher: StatusFetcher, store: Store, fused: list[str]
) -> ProbeRunner:
    probe = ProbeConfig.model_validate({**probe_config(apis.base_url, "anthropic"), "timeout": 2})

    async def after(provider: str) -> None:
        fused.append(provider)

    return ProbeRunner(
        "anthropic", "anthropic:API", probe, fetcher, store.signals, RULES, after=after
    )


async def test_a_probe_fails_after_failing_after_and_recovers(
    apis: FakeProviderAPIs, fetcher: StatusFetcher, sqlite_url: str
) -> None:
    store = Store(sqlite_url)
    await store.initialize()
    fused: list[str] = []
    probe = runner(apis, fetcher, store, fused)
    try:
        window = await probe.check_once()
        assert window.status(RULES) is ProbeStatus.UP
        assert window.latency_ms() is not None
        apis.set_mode("anthropic", "overloaded")
        statuses = [(await probe.check_once()).status(RULES) for _ in range(3)]
        assert statuses == [ProbeStatus.UP, ProbeStatus.UP, ProbeStatus.FAILING]
        stored = await store.signals.probe_window("anthropic:API")
        assert stored is not None
        assert stored.last is not None
        assert "529" in stored.last.reason
        apis.set_mode("anthropic", "challenge")
        # A bot challenge says nothing: the failing episode neither ends nor grows.
        assert (await probe.check_once()).status(RULES) is ProbeStatus.FAILING
        apis.set_mode("anthropic", "up")
        statuses = [(await probe.check_once()).status(RULES) for _ in range(3)]
        assert statuses[-1] is ProbeStatus.UP
        assert fused == ["anthropic"] * 8
    finally:
        await store.aclose()


async def test_a_probe_far_slower_than_usual_is_slow(
    apis: FakeProviderAPIs, fetcher: StatusFetcher, sqlite_url: str
) -> None:
    store = Store(sqlite_url)
    await store.initialize()
    probe = runner(apis, fetcher, store, [])
    try:
        for _ in range(5):
            await probe.check_once()  # its usual latency: a few ms on this machine
        apis.slow_s = 0.8
        apis.set_mode("anthropic", "slow")
        statuses = [(await probe.check_once()).status(RULES) for _ in range(3)]
        assert statuses == [ProbeStatus.UP, ProbeStatus.UP, ProbeStatus.SLOW]
    finally:
        await store.aclose()
