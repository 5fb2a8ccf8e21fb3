"""Probes over real sockets: the real fetcher against fake provider APIs in every failure mode."""

from __future__ import annotations

import socket
from collections.abc import AsyncIterator

import pytest

from bot.catalog import known_probes
from bot.config import AliveConfig
from bot.fetch import StatusFetcher
from bot.probe_check import probe_once
from fakes.provider_api import ANSWERS, FakeProviderAPIs
from integrations.probes import Alive, ProbeOutcome

UP, FAILING, INCONCLUSIVE = ProbeOutcome.UP, ProbeOutcome.FAILING, ProbeOutcome.INCONCLUSIVE


@pytest.fixture
async def apis() -> AsyncIterator[FakeProviderAPIs]:
    async with FakeProviderAPIs() as fake:
        yield fake


@pytest.fixture
async def fetcher() -> AsyncIterator[StatusFetcher]:
    async with StatusFetcher() as client:
        yield client


def shipped_alive(provider: str) -> Alive:
    """The `alive` rule the built-in config ships for this provider's probe."""
    real, name = ("openai", "ChatGPT") if provider == "chatgpt" else (provider, None)
    spec = next(p for p in known_probes(real) if name is None or p["name"] == name)
    alive = AliveConfig.model_validate(spec["alive"])
    return Alive(frozenset(alive.status), alive.json_key, alive.json_value)


@pytest.mark.parametrize("provider", sorted(ANSWERS))
async def test_every_shipped_probe_reads_its_provider_as_up(
    apis: FakeProviderAPIs, fetcher: StatusFetcher, provider: str
) -> None:
    result = await probe_once(fetcher, apis.url(provider), shipped_alive(provider), timeout=5)
    assert result.outcome is UP, result.reason
    assert result.latency_ms is not None


MODES = [
    ("openai", "error", FAILING, "HTTP 500"),
    ("anthropic", "error", FAILING, "overloaded_error"),
    ("anthropic", "overloaded", FAILING, "529"),
    ("google", "error", FAILING, "503"),
    ("openai", "html", FAILING, "502"),
    ("chatgpt", "error", FAILING, "502"),
    ("openai", "reset", FAILING, "reset"),
    ("openai", "timeout", FAILING, "timed out"),
    ("openai", "429", FAILING, "429"),
    ("openai", "challenge", INCONCLUSIVE, "challenge"),
    ("google", "challenge", INCONCLUSIVE, "challenge"),
    ("mistral", "slow", UP, ""),
]


@pytest.mark.parametrize(("provider", "mode", "outcome", "words"), MODES)
async def test_failure_modes(
    apis: FakeProviderAPIs,
    fetcher: StatusFetcher,
    provider: str,
    mode: str,
    outcome: ProbeOutcome,
    words: str,
) -> None:
    apis.slow_s = 0.2
    apis.set_mode(provider, mode)
    result = await probe_once(fetcher, apis.url(provider), shipped_alive(provider), timeout=0.5)
    assert result.outcome is outcome, result.reason
    assert words in result.reason
    assert "127.0.0.1" not in result.reason  # reasons never carry the URL


async def test_connection_refused_is_failing(fetcher: StatusFetcher) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]  # bound, never listening: connections are refused
        result = await probe_once(
            fetcher, f"http://127.0.0.1:{port}/v1/models", shipped_alive("openai"), timeout=2
        )
    assert result.outcome is FAILING
    assert "refused" in result.reason


async def test_tls_failure_is_failing(apis: FakeProviderAPIs, fetcher: StatusFetcher) -> None:
    """https:// to a server that only speaks plain HTTP: the handshake fails."""
    url = apis.url("openai").replace("http://", "https://")
    result = await probe_once(fetcher, url, shipped_alive("openai"), timeout=2)
    assert result.outcome is FAILING


async def test_a_huge_page_is_cut_not_refused(
    apis: FakeProviderAPIs, fetcher: StatusFetcher
) -> None:
    """chatgpt.com's home page is far larger than a probe reads: still up."""
    result = await probe_once(
        fetcher, apis.url("chatgpt"), shipped_alive("chatgpt"), timeout=2, max_bytes=64
    )
    assert result.outcome is UP
