"""Health, readiness and metrics over HTTP, from the running application."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest

from bot.app import Application
from bot.config import Config, parse_config
from bot.store.store import Store
from fakes.slack import FakeSlack
from fakes.statuspage import FakeStatusPage
from tests.botproc import ROOT, write_config
from tests.conftest import fixture_bytes, fresh_pg_database
from tests.docblocks import unguarded
from tests.waiting import until

SUMMARY = "/api/v2/summary.json"


def config(store_url: str, page_url: str, **extra: Any) -> Config:
    health = {"host": "127.0.0.1", "port": 0, **extra.pop("health", {})}
    return parse_config(
        {
            "store": {"url": store_url},
            "providers": {
                "openai": {
                    "name": "OpenAI",
                    "sources": [
                        {"kind": "statuspage", "url": page_url, "interval": 1, "timeout": 1}
                    ],
                }
            },
            "health": health,
            "console": {"enabled": False},
            **extra,
        },
        "test",
    )


def sqlite(tmp_path: Path) -> str:
    return f"sqlite+aiosqlite:///{tmp_path / 'h.db'}"


def base_url(app: Application) -> str:
    assert app.health is not None
    return f"http://127.0.0.1:{app.health.bound_port}"


async def test_healthz_readyz_and_metrics(tmp_path: Path) -> None:
    async with FakeStatusPage() as page:
        page.set_payload(SUMMARY, fixture_bytes("openai_summary_2026-09-24_operational.json"))
        async with (
            Application(config(sqlite(tmp_path), page.url(SUMMARY))) as app,
            httpx.AsyncClient(base_url=base_url(app)) as client,
        ):
            alive = await client.get("/healthz")
            assert alive.status_code == 200
            assert alive.json()["status"] == "alive"
            ready = await client.get("/readyz")
            assert ready.status_code == 200
            # One process on SQLite leads every source it watches.
            expected = {"status": "ready", "checks": {"store": True}, "leads": ["openai"]}
            assert ready.json() == expected

            async def polled() -> str | None:
                # Metrics are per process: another test may have left an older stamp here, so
                # wait for this bot's own poll (a stamp of now).
                text = (await client.get("/metrics")).text
                seen = last_success(text)
                if seen is None or abs(seen - datetime.now(UTC).timestamp()) >= 120:
                    return None
                return text

            metrics = await until(polled)
            assert 'statusbot_polls_total{outcome="ok",source="openai"}' in metrics
            assert "statusbot_outbox_depth" in metrics
            assert "# TYPE statusbot_delivery_latency_seconds histogram" in metrics
            assert 'statusbot_build_info{python="' in metrics
            assert 'version="0.1.0"' in metrics
            assert "statusbot_dead_letters 0.0" in metrics


def last_success(metrics: str) -> float | None:
    """The openai source's last successful poll, as /metrics shows it."""
    prefix = 'statusbot_source_last_success_timestamp_seconds{source="openai"}'
    for line in metrics.splitlines():
        if line.startswith(prefix):
            return float(line.rsplit(" ", 1)[1])
    return None


async def test_healthz_fails_while_the_scheduler_is_stuck_and_recovers(tmp_path: Path) -> None:
    async with FakeStatusPage() as page:
        page.set_payload(SUMMARY, fixture_bytes("openai_summary_2026-09-24_operational.json"))
        cfg = config(sqlite(tmp_path), page.url(SUMMARY), health={"heartbeat_timeout": 0.5})
        async with (
            Application(cfg) as app,
            httpx.AsyncClient(base_url=base_url(app)) as client,
        ):
            assert (await client.get("/healthz")).status_code == 200
            assert app._schedule is not None
            scheduler = app._schedule._scheduler  # the APScheduler under the schedule
            scheduler.pause()  # no job runs any more: what a wedged scheduler looks like

            async def stuck() -> httpx.Response | None:
                answer = await client.get("/healthz")
                return answer if answer.status_code == 503 else None

            answer = await until(stuck)
            assert answer.json()["status"] == "stuck"
            assert answer.json()["heartbeat_age_s"] > 0.5
            scheduler.resume()

            async def alive() -> bool:
                return (await client.get("/healthz")).status_code == 200

            await until(alive)


async def test_a_dead_status_page_does_not_make_the_bot_unready(tmp_path: Path) -> None:
    async with FakeStatusPage() as page:
        page.set_fault(SUMMARY, "status", code=500)
        async with (
            Application(config(sqlite(tmp_path), page.url(SUMMARY))) as app,
            httpx.AsyncClient(base_url=base_url(app)) as client,
        ):

            async def failed() -> bool:
                return (
                    'statusbot_source_up{source="openai"} 0.0'
                    in (await client.get("/metrics")).text
                )

            await until(failed)
            ready = await client.get("/readyz")
            assert ready.status_code == 200, ready.text
            assert (await client.get("/healthz")).status_code == 200


async def test_readyz_fails_when_the_database_goes_away() -> None:
    async with fresh_pg_database() as url, FakeStatusPage() as page:
        page.set_payload(SUMMARY, fixture_bytes("openai_summary_2026-09-24_operational.json"))
        async with (
            Application(config(url, page.url(SUMMARY))) as app,
            httpx.AsyncClient(base_url=base_url(app)) as client,
        ):
            assert (await client.get("/readyz")).status_code == 200
            assert app.store is not None
            # The database server drops the bot's connections and the database with them.
            from tests.conftest import _pg_admin

            name = url.rsplit("/", 1)[1]
            await _pg_admin(f'DROP DATABASE "{name}" WITH (FORCE)')
            ready = await client.get("/readyz")
            assert ready.status_code == 503
            assert ready.json()["checks"] == {"store": False}
            # Alive all the same: restarting the bot would not bring the database back.
            assert (await client.get("/healthz")).status_code == 200


async def test_chat_connection_in_readyz_and_metrics(tmp_path: Path) -> None:
    bot_token, app_token = "xoxb-health-bot-token", "xapp-health-app-token"
    async with (
        FakeSlack(bot_token=bot_token, app_token=app_token) as slack,
        FakeStatusPage() as page,
    ):
        page.set_payload(SUMMARY, fixture_bytes("openai_summary_2026-09-24_operational.json"))
        cfg = config(
            sqlite(tmp_path),
            page.url(SUMMARY),
            slack={"bot_token": bot_token, "app_token": app_token, "api_url": slack.api_url},
        )
        async with (
            Application(cfg) as app,
            httpx.AsyncClient(base_url=base_url(app)) as client,
        ):
            ready = await client.get("/readyz")
            assert ready.json()["checks"] == {"store": True, "chat:slack": True}
            assert (
                'statusbot_chat_connected{platform="slack"} 1.0'
                in (await client.get("/metrics")).text
            )


async def test_dead_letters_are_counted(tmp_path: Path) -> None:
    from bot.events import EventKind
    from bot.models import Severity
    from tests.test_store import commit, event, sub

    store = Store(sqlite(tmp_path))
    await store.initialize()
    await store.subscriptions.subscribe(sub("C-dead"))
    await commit(store, event(EventKind.OUTAGE, Severity.MAJOR_OUTAGE))
    [row] = await store.outbox.due_deliveries(datetime.now(UTC))
    await store.outbox.mark_failed(row.id, "HTTP 404 channel_not_found", None)
    await store.aclose()
    async with FakeStatusPage() as page:
        page.set_payload(SUMMARY, fixture_bytes("openai_summary_2026-09-24_operational.json"))
        async with (
            Application(config(sqlite(tmp_path), page.url(SUMMARY))) as app,
            httpx.AsyncClient(base_url=base_url(app)) as client,
        ):
            assert "statusbot_dead_letters 1.0" in (await client.get("/metrics")).text


# Run apart from the test process: it reaches this machine's own non-loopback address, which
# the socket guard (loopback only) would refuse; nothing leaves the machine.
_FROM_ANOTHER_ADDRESS = """
import socket, sys, urllib.request
with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
    try:
        probe.connect(("192.0.2.1", 9))  # no packet is sent: this only picks a route
        address = probe.getsockname()[0]
    except OSError:
        address = "127.0.0.1"
if address.startswith("127."):
    print("no address besides loopback")
    sys.exit(3)
with urllib.request.urlopen(f"http://{address}:{sys.argv[1]}/healthz", timeout=10) as answer:
    print(address, answer.status)
"""


async def test_health_on_0000_answers_on_the_machines_other_addresses(tmp_path: Path) -> None:
    async with FakeStatusPage() as page:
        page.set_payload(SUMMARY, fixture_bytes("openai_summary_2026-09-24_operational.json"))
        cfg = config(sqlite(tmp_path), page.url(SUMMARY), health={"host": "0.0.0.0"})
        async with Application(cfg) as app:
            assert app.health is not None
            probe = await asyncio.create_subprocess_exec(
                sys.executable,
                "-c",
                _FROM_ANOTHER_ADDRESS,
                str(app.health.bound_port),
                env=unguarded(dict(os.environ)),
                stdout=asyncio.subprocess.PIPE,
                stderr=asyncio.subprocess.STDOUT,
            )
            out, _ = await asyncio.wait_for(probe.communicate(), 60)
    if probe.returncode == 3:
        pytest.skip("this machine has no network address besides loopback")
    assert probe.returncode == 0, out.decode()
    assert out.decode().split()[-1] == "200"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


async def _healthcheck(env: dict[str, str], *args: str) -> tuple[int, str]:
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        "healthcheck",
        *args,
        cwd=ROOT,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    out, _ = await asyncio.wait_for(process.communicate(), 60)
    assert process.returncode is not None
    return process.returncode, out.decode()


async def test_healthcheck_fails_while_the_bot_is_frozen_and_passes_again_after(
    tmp_path: Path,
) -> None:
    async with FakeStatusPage() as page:
        page.set_payload(SUMMARY, fixture_bytes("openai_summary_2026-09-24_operational.json"))
        config = write_config(
            tmp_path / "c.yaml",
            {
                "store": {"url": sqlite(tmp_path)},
                "providers": {
                    "openai": {
                        "name": "OpenAI",
                        "sources": [{"kind": "statuspage", "url": page.url(SUMMARY)}],
                    }
                },
                # The bot reads this too: --health/STATUSBOT_HEALTH keep its other settings.
                "health": {"heartbeat_timeout": 2},
            },
        )
        env = {
            **os.environ,
            "STATUSBOT_CONFIG": str(config),
            "STATUSBOT_HEALTH": f"127.0.0.1:{_free_port()}",
        }
        bot_process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bot", "run", cwd=ROOT, env=env,
            stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.DEVNULL,
        )  # fmt: skip
        try:

            async def healthy() -> str | None:
                code, said = await _healthcheck(env)
                return said if code == 0 else None

            said = await until(healthy, "the bot to answer its healthcheck", within=60)
            assert "/healthz: 200 status=alive" in said
            # A frozen process (a blocked event loop looks the same from outside) answers
            # nothing: the check times out and says so.
            bot_process.send_signal(signal.SIGSTOP)
            code, said = await _healthcheck(env, "--timeout", "1")
            assert code == 1
            assert "no answer within 1 s" in said or "timed out" in said, said
            bot_process.send_signal(signal.SIGCONT)
            await until(healthy, "the bot to be healthy again", within=60)
        finally:
            bot_process.send_signal(signal.SIGCONT)
            bot_process.send_signal(signal.SIGTERM)
            await asyncio.wait_for(bot_process.wait(), 30)
        assert bot_process.returncode == 0
