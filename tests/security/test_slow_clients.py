"""Slow clients and running out of descriptors, against the real bot process.

The bot starts with a soft open-file limit of 1,024 (a common default) under a higher hard
limit, Slack HTTP mode and its health server; 1,100 slow POSTs that never finish their
headers must not stop polling, must not make the health server stop answering, must not
produce a false "status page unreachable", and are cut off at the header timeout. A poll
that meets EMFILE on our side is skipped, never counted against the page.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import resource
import sys
import time
from asyncio.subprocess import Process
from contextlib import AbstractAsyncContextManager
from pathlib import Path

import pytest
import yaml
from aiohttp import web

from bot.config import parse_config
from bot.errors import LocalResourceExhausted
from bot.fetch import StatusFetcher
from bot.poller import SourcePoller
from bot.store.store import Store
from bot.webserve import BODY_TIMEOUT_S, serve
from fakes.pages import SUMMARY_PATH as SUMMARY
from fakes.pages import SummaryPage
from fakes.slack import FakeSlack
from fakes.statuspage import FakeStatusPage
from integrations.sources import parse
from tests.botproc import bot_writing_log
from tests.security.rawhttp import raw_request
from tests.security.test_junk_requests import BOT_TOKEN, PATH, SIGNING_SECRET, free_port
from tests.waiting import DEADLINE_SCALE, until

pytestmark = pytest.mark.slow

SOFT, HARD = 1024, 4096
SLOW_CLIENTS = 1100


def _low_file_limit() -> None:
    resource.setrlimit(resource.RLIMIT_NOFILE, (SOFT, HARD))


def bot_process(config: Path, log: Path) -> AbstractAsyncContextManager[Process]:
    """`python -m bot run --json` started with a soft file limit of 1,024."""
    env = {"SLACK_BOT_TOKEN": BOT_TOKEN, "SLACK_SIGNING_SECRET": SIGNING_SECRET}
    return bot_writing_log(config, log, env, "--json", preexec_fn=_low_file_limit)


def soft_file_limit(pid: int) -> int:
    for line in Path(f"/proc/{pid}/limits").read_text().splitlines():
        if line.startswith("Max open files"):
            return int(line.split()[3])
    raise AssertionError("no open-file limit in /proc")


async def slow_post(port: int) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
    """A POST whose headers never finish."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(f"POST {PATH} HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ".encode())
    await writer.drain()
    return reader, writer


async def test_slow_clients_cannot_stop_the_bot_or_fake_an_outage(tmp_path: Path) -> None:
    slack_port, health_port = free_port(), free_port()
    async with (
        FakeStatusPage() as page,
        FakeSlack(bot_token=BOT_TOKEN, app_token="xapp-unused") as slack,
    ):
        page.set_payload(SUMMARY, SummaryPage("OpenAI").component("ChatGPT").encode())
        source = {"kind": "statuspage", "url": page.url(SUMMARY), "interval": 1,
                  "timeout": 2, "flap_window": 0, "failure_threshold": 2}  # fmt: skip
        config = tmp_path / "config.yaml"
        config.write_text(
            yaml.safe_dump(
                {
                    "store": {"url": f"sqlite+aiosqlite:///{tmp_path / 'bot.db'}"},
                    "providers": {"openai": {"name": "OpenAI", "sources": [source]}},
                    "slack": {
                        "bot_token": "${SLACK_BOT_TOKEN}",
                        "mode": "http",
                        "signing_secret": "${SLACK_SIGNING_SECRET}",
                        "api_url": slack.api_url,
                        "http": {"host": "127.0.0.1", "port": slack_port, "path": PATH},
                    },
                    "health": {"host": "127.0.0.1", "port": health_port},
                }
            )
        )
        log = tmp_path / "bot.log"
        async with bot_process(config, log) as process:
            await until(lambda: "statusbot started" in log.read_text() or process.returncode)
            assert process.returncode is None, log.read_text()
            assert soft_file_limit(process.pid) == HARD

            clients = []
            for _ in range(SLOW_CLIENTS):
                with contextlib.suppress(OSError):
                    clients.append(await slow_post(slack_port))
            polls_before = page.count(SUMMARY)
            started = time.monotonic()
            # While they hang on: polling goes on and the health server answers at once.
            healthz = b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
            assert await raw_request(health_port, healthz, within=5) == 200
            await until(lambda: page.count(SUMMARY) >= polls_before + 3, "polls during the flood")
            # The server cuts them off at the header timeout.
            reader, _ = clients[0]
            async with asyncio.timeout(30 * DEADLINE_SCALE):
                assert await reader.read() in (b"", b"HTTP/1.1 503")
            assert time.monotonic() - started < 30 * DEADLINE_SCALE
            for _, writer in clients:
                writer.close()
            # Afterwards the Slack endpoint answers again (401: unsigned, but answered).
            assert await raw_request(slack_port, healthz, within=5) in (401, 404, 405)

        text = log.read_text(errors="replace")
        events = [json.loads(line) for line in text.splitlines() if line.startswith("{")]
        assert [e for e in events if e["kind"] == "source_unreachable"] == [], text[-3000:]
        assert "Traceback" not in text, text[-3000:]
        cap_lines = [line for line in text.splitlines() if "open connections" in line]
        assert 1 <= len(cap_lines) <= 3, cap_lines


def lowest_free_fd() -> int:
    """Below this number every descriptor is taken: a limit there makes the next one fail."""
    fd = os.open("/dev/null", os.O_RDONLY)  # the lowest free number
    os.close(fd)
    return fd


async def test_our_emfile_is_not_the_page_failing(tmp_path: Path) -> None:
    """A real EMFILE: this process's soft limit lowered to what is already open."""
    async with FakeStatusPage() as page, StatusFetcher() as fetcher:
        page.set_payload(SUMMARY, SummaryPage("OpenAI").component("ChatGPT").encode())
        config = parse_config(
            {"providers": {"openai": {"name": "OpenAI", "sources": [
                {"kind": "statuspage", "url": page.url(SUMMARY), "failure_threshold": 2}
            ]}}},
            "test",
        )  # fmt: skip
        provider, sid, source = config.source_ids()[0]
        store = Store(f"sqlite+aiosqlite:///{tmp_path / 'p.db'}")
        await store.initialize()
        try:
            poller = SourcePoller(provider, sid, source, fetcher, parse, store.polls)
            assert await poller.check_once() == []  # the silent baseline
            # A fresh client: its pool holds no connection, so the next poll needs a socket.
            poller.reader.fetcher = fresh = StatusFetcher()
            soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
            resource.setrlimit(resource.RLIMIT_NOFILE, (lowest_free_fd(), hard))
            try:
                with pytest.raises(LocalResourceExhausted, match="EMFILE"):
                    await fresh.fetch(
                        page.url(SUMMARY), timeout=5, max_bytes=10**6, validators=None
                    )
                skipped = [await poller.check_once() for _ in range(5)]
            finally:
                resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))
            assert skipped == [[]] * 5, "our EMFILE was reported as the page's failure"
            record = await store.sources.load_source(sid)
            assert record is not None
            assert record.state.failures == 0
            assert record.last_error is None
            await fresh.aclose()
        finally:
            await store.aclose()


async def test_accept_out_of_descriptors_is_one_warning(caplog: pytest.LogCaptureFixture) -> None:
    """asyncio retries accept() after EMFILE each second; that is not a traceback each time."""
    app = web.Application()
    app.router.add_get("/", lambda _request: web.Response(text="ok"))
    port = free_port()
    runner = await serve(app, "127.0.0.1", port)
    # A client in another process, so that its descriptors are not ours.
    client = await asyncio.create_subprocess_exec(
        sys.executable, "-c",
        "import socket, time; time.sleep(0.5); "
        f"s = [socket.create_connection(('127.0.0.1', {port})) for _ in range(3)]; time.sleep(2)",
    )  # fmt: skip
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    try:
        resource.setrlimit(resource.RLIMIT_NOFILE, (lowest_free_fd(), hard))
        await asyncio.sleep(2.5)
    finally:
        resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))
        await client.wait()
        # asyncio re-arms accept() a second after EMFILE; closing the server before that
        # leaves its retry to fire on a closed socket (an asyncio traceback at shutdown).
        await asyncio.sleep(1.5)
        await runner.cleanup()
    shortage = [r for r in caplog.records if "out of file descriptors" in r.getMessage()]
    assert [r.levelname for r in shortage] == ["WARNING"]
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]


async def test_a_body_that_never_finishes_gets_408() -> None:
    async def echo(request: web.Request) -> web.Response:
        return web.Response(body=await request.read())

    app = web.Application()
    app.router.add_post("/", echo)
    port = free_port()
    runner = await serve(app, "127.0.0.1", port)
    try:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n0123456789")
        await writer.drain()
        started = time.monotonic()
        async with asyncio.timeout(30 * DEADLINE_SCALE):
            status = await reader.readline()
        assert status.split()[1] == b"408"
        assert BODY_TIMEOUT_S - 1 <= time.monotonic() - started
        writer.close()
    finally:
        await runner.cleanup()
