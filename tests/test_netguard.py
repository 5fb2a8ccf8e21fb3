"""The suite cannot reach the internet: the guard refuses, names the host, and fails the test.

Each check first asserts the guard is in place, so a broken guard fails here without any
packet leaving the machine. 192.0.2.1 is a documentation address (TEST-NET-1)."""

from __future__ import annotations

import asyncio
import socket
import subprocess
import sys

import httpx
import pytest

from bot.config import load_config
from tests import netguard
from tests.botproc import ROOT
from tests.netguard.plugin import Refusals

OUTSIDE = "192.0.2.1"


@pytest.fixture(autouse=True)
def _guard_is_on() -> None:
    assert netguard.installed()
    assert socket.socket.connect.__wrapped__ is not None  # type: ignore[attr-defined]


def test_a_raw_connection_to_a_public_address_fails_with_the_guards_message(
    refusals: Refusals,
) -> None:
    with socket.socket() as sock, pytest.raises(netguard.NetworkGuardError) as caught:
        sock.connect((OUTSIDE, 80))
    assert f"{OUTSIDE}:80" in str(caught.value)
    assert "network guard" in str(caught.value)
    assert len(refusals.take()) == 1


async def test_an_asyncio_connection_by_address_is_refused(refusals: Refusals) -> None:
    """asyncio skips DNS for a numeric address and connects the socket itself."""
    with pytest.raises(netguard.NetworkGuardError, match=f"{OUTSIDE}:443"):
        await asyncio.open_connection(OUTSIDE, 443)
    assert refusals.take()


async def test_a_real_status_page_from_the_built_in_config_is_refused(refusals: Refusals) -> None:
    """The shipped config points at real pages; fetching one from a test is refused by name."""
    config = load_config(None)
    url = next(s.url for p in config.providers.values() for s in p.sources)
    host = httpx.URL(url).host
    async with httpx.AsyncClient() as client:
        with pytest.raises(netguard.NetworkGuardError, match=host):
            await client.get(url)
    assert any(host in line for line in refusals.take())


async def test_loopback_stays_open() -> None:
    server = await asyncio.start_server(lambda r, w: w.close(), "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    async with server:
        _, writer = await asyncio.open_connection("localhost", port)
        writer.close()


def test_a_process_started_by_a_test_is_guarded_too(refusals: Refusals) -> None:
    code = f"import socket; socket.create_connection(({OUTSIDE!r}, 80), timeout=1)"
    run = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=60
    )
    assert run.returncode != 0
    assert "NetworkGuardError" in run.stderr
    assert f"to {OUTSIDE}:80 refused; tests may only reach 127.0.0.1" in run.stderr
    assert any(OUTSIDE in line for line in refusals.take())


def test_the_guard_knows_what_is_local() -> None:
    for host in ("127.0.0.1", "127.8.9.10", "::1", "[::1]", "localhost", "::ffff:127.0.0.1", None):
        assert netguard.is_local(host), host
    for host in ("192.0.2.1", "10.0.0.1", "0.0.0.0", "status.openai.com", "::", "2001:db8::1"):
        assert not netguard.is_local(host), host


def test_a_name_that_never_resolves_fails_like_dns_without_a_query(refusals: Refusals) -> None:
    with pytest.raises(socket.gaierror):
        socket.getaddrinfo("status.invalid", 443)
    assert refusals.take() == []
