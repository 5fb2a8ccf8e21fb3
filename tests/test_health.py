"""Health, readiness and metrics over HTTP, from the running application."""

from __future__ import annotations

import asyncio
from pathlib import Path

import httpx

from bot.app import Application
from bot.config import parse_config
from fakes.statuspage import FakeStatusPage
from tests.conftest import fixture_bytes

SUMMARY = "/api/v2/summary.json"


def config(tmp_path: Path, url: str, timeout: float = 1) -> object:
    return parse_config(
        {
            "store": {"url": f"sqlite+aiosqlite:///{tmp_path / 'h.db'}"},
            "providers": {
                "openai": {
                    "name": "OpenAI",
                    "sources": [
                        {"kind": "statuspage", "url": url, "interval": 1, "timeout": timeout}
                    ],
                }
            },
            "health": {"host": "127.0.0.1", "port": 0},
            "console": {"enabled": False},
        },
        "test",
    )


async def test_healthz_readyz_and_metrics(tmp_path: Path) -> None:
    async with FakeStatusPage() as page:
        page.set_payload(SUMMARY, fixture_bytes("openai_summary_2026-09-24_operational.json"))
        async with Application(config(tmp_path, page.url(SUMMARY))) as app:  # type: ignore[arg-type]
            assert app.health is not None
            base = f"http://127.0.0.1:{app.health.bound_port}"
            async with httpx.AsyncClient(base_url=base) as client:
                assert (await client.get("/healthz")).json() == {"status": "alive"}
                for _ in range(100):
                    ready = await client.get("/readyz")
                    if ready.status_code == 200:
                        break
                    await asyncio.sleep(0.05)
                assert ready.status_code == 200
                assert ready.json()["checks"] == {"store": True, "source:openai": True}
                metrics = (await client.get("/metrics")).text
                assert 'statusbot_polls_total{outcome="ok",source="openai"}' in metrics
                assert "statusbot_outbox_depth" in metrics
                assert "# TYPE statusbot_delivery_latency_seconds histogram" in metrics


async def test_readyz_fails_when_a_source_is_not_polled(tmp_path: Path) -> None:
    async with FakeStatusPage() as page:
        page.set_fault(SUMMARY, "timeout")  # the first poll is still hanging when we ask
        async with Application(config(tmp_path, page.url(SUMMARY), timeout=10)) as app:  # type: ignore[arg-type]
            assert app.health is not None
            url = f"http://127.0.0.1:{app.health.bound_port}/readyz"
            async with httpx.AsyncClient() as client:
                ready = await client.get(url)
            assert ready.status_code == 503
            assert ready.json()["checks"]["source:openai"] is False
