"""The status board over HTTP (`web: {host, port}`): `/`, `/board.css` and
`/history/<provider>.png?period=7d`. Read-only: GET and HEAD only, nothing secret, no
admin action; anything else is a 404 or 405.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from datetime import datetime
from pathlib import Path

from aiohttp import web

from bot.board import TEMPLATES, BoardHistory, Links, board_facts, chart_file, render_board
from bot.chart import render_png
from bot.config import Config
from bot.events import Event
from bot.history import Period
from bot.store.records import SourceRecord
from bot.webserve import serve

log = logging.getLogger(__name__)

# The page loads only its own stylesheet and charts; nothing may frame it.
HEADERS = {
    "Content-Security-Policy": (
        "default-src 'none'; style-src 'self'; img-src 'self'; "
        "base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
}
CHART_MAX_AGE_S = 60
# Many people watching the board cost one rendering per this many seconds, not one each.
PAGE_REUSE_S = 10.0

Sources = Callable[[], Awaitable[list[SourceRecord]]]
OpenIncidents = Callable[[], Awaitable[list[Event]]]


class BoardServer:
    """Serves the board from the store; every request reads what is committed now."""

    def __init__(
        self,
        config: Config,
        host: str,
        port: int,
        sources: Sources,
        open_incidents: OpenIncidents,
        history: BoardHistory,
        clock: Callable[[], datetime],
        refresh_s: int = 60,
    ) -> None:
        self.config = config
        self.host = host
        self.port = port
        self.sources = sources
        self.open_incidents = open_incidents
        self.history = history
        self.clock = clock
        self.refresh_s = refresh_s
        self._runner: web.AppRunner | None = None
        self.bound_port: int | None = None
        self._css = (TEMPLATES / "board.css").read_bytes()
        self._page: tuple[float, str] | None = None
        self._rendering = asyncio.Lock()

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.bound_port}/"

    async def start(self) -> None:
        app = web.Application(middlewares=[_headers])
        app.router.add_get("/", self._serve_page)
        app.router.add_get("/board.css", self._stylesheet)
        app.router.add_get("/history/{provider}.png", self._chart)
        self._runner = await serve(app, self.host, self.port)
        self.bound_port = self._runner.addresses[0][1]

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def page_html(self, links: Links | None = None) -> str:
        """The board as it is now."""
        board = await board_facts(
            self.config, await self.sources(), await self.open_incidents(), self.history,
            self.clock(),
        )  # fmt: skip
        return render_board(board, self.refresh_s, links)

    async def save(self, directory: Path, name: str = "index") -> Path:
        """A copy of the board as it is now, with its charts, that opens from the disk
        (`make demo` leaves one behind); returns the page's path."""
        charts = directory / "history"
        await asyncio.to_thread(charts.mkdir, parents=True, exist_ok=True)
        html = await self.page_html(Links(css="board.css", prefix=name))
        files: dict[Path, bytes] = {
            directory / f"{name}.html": html.encode(),
            directory / "board.css": self._css,
        }
        for provider in self.config.providers:
            for period in Period:
                png = await self.chart_png(provider, period)
                files[directory / chart_file(name, provider, period.value)] = png
        for path, data in files.items():
            await asyncio.to_thread(path.write_bytes, data)
        return directory / f"{name}.html"

    async def chart_png(self, provider: str, period: Period) -> bytes:
        name = self.config.providers[provider].name
        return await render_png(await self.history.view(provider, name, period, self.clock()))

    async def _serve_page(self, _request: web.Request) -> web.Response:
        async with self._rendering:  # concurrent requests wait for one rendering
            now = time.monotonic()
            if self._page is None or now - self._page[0] > PAGE_REUSE_S:
                self._page = (now, await self.page_html())
            html = self._page[1]
        return web.Response(text=html, content_type="text/html", charset="utf-8")

    async def _stylesheet(self, _request: web.Request) -> web.Response:
        return web.Response(body=self._css, content_type="text/css", charset="utf-8")

    async def _chart(self, request: web.Request) -> web.Response:
        provider = request.match_info["provider"]
        period = Period.parse(request.query.get("period", "7d"))
        if provider not in self.config.providers:
            raise web.HTTPNotFound(text="no such provider on this board")
        if period is None:
            raise web.HTTPBadRequest(text="period: one of 24h, 7d, 30d, 90d")
        png = await self.chart_png(provider, period)
        return web.Response(
            body=png,
            content_type="image/png",
            headers={"Cache-Control": f"max-age={CHART_MAX_AGE_S}"},
        )


@web.middleware
async def _headers(
    request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
) -> web.StreamResponse:
    try:
        response = await handler(request)
    except web.HTTPException as refused:
        refused.headers.update(HEADERS)
        raise
    response.headers.update(HEADERS)
    return response
