"""The real bot process against a fake status page over real HTTP, including crashes."""

from __future__ import annotations

import asyncio
import random
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from fakes.statuspage import FakeStatusPage
from tests.botproc import BotProcess, kinds, write_config
from tests.conftest import fixture_bytes

SUMMARY = "/api/v2/summary.json"
# Real captures in the order the page served them: healthy in July, the incident, healthy again.
BEFORE = fixture_bytes(
    "incident_io/openai_summary_2026-07-09_operational_no_incidents_key_keysorted.json"
)
OPERATIONAL = fixture_bytes("openai_summary_2026-09-24_operational.json")
INCIDENT = fixture_bytes("openai_summary_2026-09-22_monitoring.json")
INCIDENT_TITLE = (
    "Elevated Error Rates for ChatGPT Work, across Plus, Pro, Business, Enterprise and "
    "Education plans."
)


@pytest.fixture
async def page() -> AsyncIterator[FakeStatusPage]:
    async with FakeStatusPage() as fake:
        fake.set_payload(SUMMARY, BEFORE)
        yield fake


@pytest.fixture
def config(tmp_path: Path, page: FakeStatusPage) -> Path:
    return write_config(
        tmp_path / "config.yaml",
        {
            "store": {"url": f"sqlite+aiosqlite:///{tmp_path / 'bot.db'}"},
            "providers": {
                "openai": {
                    "name": "OpenAI",
                    "aliases": ["chatgpt"],
                    "sources": [
                        {
                            "kind": "statuspage",
                            "url": page.url(SUMMARY),
                            "interval": 1,
                            "timeout": 2,
                            "flap_window": 0,
                            "failure_threshold": 2,
                        }
                    ],
                }
            },
        },
    )


async def polls_after(page: FakeStatusPage, extra: int, timeout: float = 20) -> None:
    """Wait until the bot has polled `extra` more times."""
    target = page.count(SUMMARY) + extra
    for _ in range(int(timeout / 0.05)):
        if page.count(SUMMARY) >= target:
            return
        await asyncio.sleep(0.05)
    raise AssertionError(f"the bot stopped polling ({page.count(SUMMARY)} < {target})")


async def test_incident_then_restoration_in_order(page: FakeStatusPage, config: Path) -> None:
    async with BotProcess(config) as bot:
        await polls_after(page, 2)  # the silent baseline is in
        page.set_payload(SUMMARY, INCIDENT)
        await bot.wait_for(lambda ev: "degraded" in kinds(ev))
        page.set_payload(SUMMARY, OPERATIONAL)
        await bot.wait_for(lambda ev: "restored" in kinds(ev))
        assert kinds(bot.events) == ["degraded", "restored"]
        degraded, restored = bot.events
        assert degraded["provider"] == "OpenAI"
        assert degraded["incident_title"] == INCIDENT_TITLE
        assert degraded["status"] == "monitoring"
        assert restored["incident_id"] == degraded["incident_id"]
        assert restored["duration_s"] > 0
        code = await bot.terminate()
        assert code == 0, bot.stderr[-30:]


async def test_faults_are_source_health_never_outages(page: FakeStatusPage, config: Path) -> None:
    async with BotProcess(config) as bot:
        await polls_after(page, 2)
        page.set_fault(SUMMARY, "status", status=503, body="<html>Service Unavailable</html>")
        await bot.wait_for(lambda ev: "source_unreachable" in kinds(ev))
        page.clear_fault(SUMMARY)
        page.set_payload(SUMMARY, b'{"page": {"name": "OpenAI"}, "components": "oops"')
        await polls_after(page, 2)
        page.set_payload(SUMMARY, OPERATIONAL)
        await bot.wait_for(lambda ev: "source_recovered" in kinds(ev), timeout=40)
        assert kinds(bot.events) == ["source_unreachable", "source_recovered"]


async def test_sigterm_stops_cleanly_within_seconds(page: FakeStatusPage, config: Path) -> None:
    bot = await BotProcess(config).start()
    await polls_after(page, 2)
    code = await bot.terminate(timeout=8)
    assert code == 0, bot.stderr[-30:]
    assert not any("Traceback" in line for line in bot.stderr), bot.stderr


async def test_sigkill_and_restart_repeat_nothing_and_lose_nothing(
    page: FakeStatusPage, config: Path
) -> None:
    printed: list[dict] = []
    first = await BotProcess(config).start()
    await polls_after(page, 2)
    page.set_payload(SUMMARY, INCIDENT)
    await first.wait_for(lambda ev: "degraded" in kinds(ev))
    await first.kill()  # right after the alert was printed
    printed += first.events

    second = await BotProcess(config).start()
    await polls_after(page, 3)  # restarted and polled the same open incident
    page.set_payload(SUMMARY, OPERATIONAL)
    await asyncio.sleep(random.uniform(0.0, 1.5))
    await second.kill()  # somewhere around the poll that sees the resolution
    printed += second.events

    third = await BotProcess(config).start()
    await polls_after(page, 3)
    if "restored" not in kinds(printed):
        await third.wait_for(lambda ev: "restored" in kinds(ev))
    await polls_after(page, 2)
    await third.kill()
    printed += third.events

    assert kinds(printed) == ["degraded", "restored"]
    assert len({e["delivery_id"] for e in printed}) == 2
