"""Our HTTP servers (Slack HTTP mode, health and metrics) on aiohttp, hardened the same way.

- A connection that has not sent complete request headers within `HEADER_TIMEOUT_S` (of
  connecting, or of its last answer) is closed: slow clients cannot hold sockets.
- A request body must arrive within `BODY_TIMEOUT_S` (408 otherwise).
- At most `connection_cap()` open connections per server (256, or an eighth of the open-file
  limit if that is less); more are answered 503 and closed at once, so a flood of slow
  clients cannot take the file descriptors the polls and chat connections need.
- Bytes that are not HTTP get aiohttp's own 400; here they are counted into one warning line
  per minute instead of an ERROR traceback per request.
"""

from __future__ import annotations

import asyncio
import logging
import resource
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web
from aiohttp.http_exceptions import HttpProcessingError

from bot.junklog import JunkLog

log = logging.getLogger(__name__)

HEADER_TIMEOUT_S = 10.0
BODY_TIMEOUT_S = 10.0
MAX_CONNECTIONS = 256
MIN_CONNECTIONS = 16
BUSY = b"HTTP/1.1 503 Service Unavailable\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


class _CountMalformedHttp(logging.Filter):
    """Turns aiohttp's traceback for an unparsable request into a counted refusal."""

    def __init__(self) -> None:
        super().__init__()
        self.junk = JunkLog(log, "HTTP server")

    def filter(self, record: logging.LogRecord) -> bool:
        exc = record.exc_info[1] if record.exc_info else None
        if isinstance(exc, HttpProcessingError) and 400 <= (exc.code or 400) < 500:
            self.junk.refused(exc.code or 400, type(exc).__name__)
            return False
        return True


class _CountAcceptShortage(logging.Filter):
    """asyncio logs a traceback each time accept() meets EMFILE (it retries a second later):
    out of descriptors under a flood, that is one warning a minute, not a traceback each."""

    MESSAGE = "socket.accept() out of system resource"

    def __init__(self) -> None:
        super().__init__()
        self.junk = JunkLog(log, "HTTP servers (out of file descriptors)")

    def filter(self, record: logging.LogRecord) -> bool:
        if str(record.msg).startswith(self.MESSAGE):
            self.junk.refused(503, "accept() failed with EMFILE; retrying in 1 s")
            return False
        return True


_MALFORMED = _CountMalformedHttp()
logging.getLogger("aiohttp.server").addFilter(_MALFORMED)
logging.getLogger("asyncio").addFilter(_CountAcceptShortage())


@web.middleware
async def body_deadline(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Read the whole body within BODY_TIMEOUT_S before the handler sees the request."""
    if request.can_read_body:
        try:
            async with asyncio.timeout(BODY_TIMEOUT_S):
                await request.read()  # cached: the handler's own read() returns it at once
        except TimeoutError:
            return web.Response(status=408, text="request body too slow")
    return await handler(request)


class _Counted(asyncio.Protocol):
    """aiohttp's protocol for one connection, counted while it is open."""

    def __init__(self, inner: Any, cap: ConnectionCap) -> None:
        self.inner = inner
        self.cap = cap

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.inner.connection_made(transport)

    def connection_lost(self, exc: Exception | None) -> None:
        self.cap.open -= 1
        self.inner.connection_lost(exc)

    def data_received(self, data: bytes) -> None:
        self.inner.data_received(data)

    def eof_received(self) -> bool | None:
        result: bool | None = self.inner.eof_received()
        return result

    def pause_writing(self) -> None:
        self.inner.pause_writing()

    def resume_writing(self) -> None:
        self.inner.resume_writing()


class _Busy(asyncio.Protocol):
    """Answers 503 and hangs up: the server is at its connection cap."""

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        transport.write(BUSY)
        transport.close()


class ConnectionCap:
    """Hands out aiohttp's protocol while fewer than `limit` connections are open."""

    def __init__(self, server: web.Server, limit: int, name: str) -> None:
        self.server = server
        self.limit = limit
        self.open = 0
        self._junk = JunkLog(log, name)

    def __call__(self) -> asyncio.Protocol:
        if self.open >= self.limit:
            self._junk.refused(503, f"more than {self.limit} open connections")
            return _Busy()
        self.open += 1
        return _Counted(self.server(), self)


class GuardedSite(web.BaseSite):
    """A TCP site whose connections go through a ConnectionCap."""

    def __init__(self, runner: web.AppRunner, host: str, port: int, max_connections: int) -> None:
        super().__init__(runner)
        self._host, self._port, self._max = host, port, max_connections

    @property
    def name(self) -> str:
        return f"http://{self._host}:{self._port}"

    async def start(self) -> None:
        await super().start()
        server = self._runner.server
        assert server is not None
        cap = ConnectionCap(server, self._max, f"HTTP server on port {self._port}")
        loop = asyncio.get_running_loop()
        self._server = await loop.create_server(cap, self._host, self._port, backlog=128)


def connection_cap() -> int:
    """Connections one server may hold: a share of the open-file limit, never all of it."""
    soft, _hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft == resource.RLIM_INFINITY:
        return MAX_CONNECTIONS
    return max(MIN_CONNECTIONS, min(MAX_CONNECTIONS, soft // 8))


async def serve(
    app: web.Application, host: str, port: int, max_connections: int | None = None
) -> web.AppRunner:
    """Start `app` on host:port; returns the runner (its `cleanup()` stops the server)."""
    app.middlewares.append(body_deadline)
    # aiohttp closes a connection still waiting for complete headers at its keep-alive
    # deadline, counted from connect or from the last answer: that is our header timeout.
    runner = web.AppRunner(app, access_log=None, keepalive_timeout=HEADER_TIMEOUT_S)
    await runner.setup()
    cap = connection_cap() if max_connections is None else max_connections
    await GuardedSite(runner, host, port, cap).start()
    return runner
