"""Our HTTP servers (Slack HTTP mode, health and metrics) on aiohttp, hardened the same way.

Bytes that are not HTTP get aiohttp's own 400; here they are counted into one warning
line per minute instead of an ERROR traceback per request.
"""

from __future__ import annotations

import logging

from aiohttp import web
from aiohttp.http_exceptions import HttpProcessingError

from bot.junklog import JunkLog

log = logging.getLogger(__name__)


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


_MALFORMED = _CountMalformedHttp()
logging.getLogger("aiohttp.server").addFilter(_MALFORMED)


async def serve(app: web.Application, host: str, port: int) -> web.AppRunner:
    """Start `app` on host:port; returns the runner (its `cleanup()` stops the server)."""
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    await web.TCPSite(runner, host, port).start()
    return runner
