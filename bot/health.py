"""Health and metrics over HTTP: /healthz, /readyz and /metrics (off unless configured)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from bot.webserve import serve

ReadinessCheck = Callable[[], Awaitable[dict[str, bool]]]
LivenessCheck = Callable[[], tuple[bool, dict[str, float]]]
MetricsRefresh = Callable[[], Awaitable[None]]
Describe = Callable[[], dict[str, Any]]


class HealthServer:
    """A tiny aiohttp server; liveness and readiness are whatever the application says.

    /healthz: the process is working (its scheduler's heartbeat is fresh); failing it asks
    for a restart. /readyz: its dependencies (store, chat connections) answer, and what the
    application adds (`describe`: which sources a replica leads).
    """

    def __init__(
        self,
        host: str,
        port: int,
        readiness: ReadinessCheck,
        liveness: LivenessCheck | None = None,
        refresh_metrics: MetricsRefresh | None = None,
        describe: Describe | None = None,
    ) -> None:
        self.host = host
        self.port = port
        self.readiness = readiness
        self.liveness = liveness
        self.refresh_metrics = refresh_metrics
        self.describe = describe
        self._runner: web.AppRunner | None = None
        self.bound_port: int | None = None

    async def start(self) -> None:
        app = web.Application()
        app.router.add_get("/healthz", self._healthz)
        app.router.add_get("/readyz", self._readyz)
        app.router.add_get("/metrics", self._metrics)
        self._runner = await serve(app, self.host, self.port)
        self.bound_port = self._runner.addresses[0][1]

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def _healthz(self, _request: web.Request) -> web.Response:
        if self.liveness is None:
            return web.json_response({"status": "alive"})
        alive, detail = self.liveness()
        return web.json_response(
            {"status": "alive" if alive else "stuck", **detail}, status=200 if alive else 503
        )

    async def _readyz(self, _request: web.Request) -> web.Response:
        checks = await self.readiness()
        ready = all(checks.values())
        extra = self.describe() if self.describe is not None else {}
        return web.json_response(
            {"status": "ready" if ready else "not ready", "checks": checks, **extra},
            status=200 if ready else 503,
        )

    async def _metrics(self, _request: web.Request) -> web.Response:
        if self.refresh_metrics is not None:
            await self.refresh_metrics()
        body = generate_latest()
        return web.Response(body=body, headers={"Content-Type": CONTENT_TYPE_LATEST})
