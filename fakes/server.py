"""The lifecycle the fakes share: an aiohttp app on 127.0.0.1 at an ephemeral port."""

from __future__ import annotations

import asyncio
from typing import Any, Self

from aiohttp import web


class LocalServer:
    """Subclasses add their routes in `routes`; `start` returns the running fake."""

    def __init__(self, host: str = "127.0.0.1", port: int = 0) -> None:
        self.host, self.port = host, port
        self.base_url = ""
        self._runner: web.AppRunner | None = None
        # Handlers still running (a hanging fault) are cut at stop: tests never wait on them.
        self._handlers: set[asyncio.Task[Any]] = set()

    def routes(self, app: web.Application) -> None:
        raise NotImplementedError

    async def start(self) -> Self:
        app = web.Application()
        self.routes(app)
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=0.5)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.host, self.port, shutdown_timeout=0.5)
        await site.start()
        self.port = int(self._runner.addresses[0][1])  # the port actually bound
        self.base_url = f"http://{self.host}:{self.port}"
        return self

    async def stop(self) -> None:
        for task in list(self._handlers):
            task.cancel()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> Self:
        return await self.start()

    async def __aexit__(self, *exc_info: object) -> None:
        await self.stop()
