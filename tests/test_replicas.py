"""Three real bot processes on the real PostgreSQL share the work and survive each other.

Each source is polled by the one replica that leads it (its /readyz says so); every replica
delivers. Killing the leader mid-incident (SIGKILL) or pausing a replica (SIGSTOP) moves its
work to the others, and every channel still shows each card posted, edited and restored
exactly once.
"""

from __future__ import annotations

import asyncio
import signal
import time
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tests.conftest import fresh_pg_database
from tests.replicas import Replicas
from tests.storm import storm
from tests.waiting import DEADLINE_SCALE, until

pytestmark = pytest.mark.slow

CHANNELS = 4


@pytest.fixture
async def pg_url() -> AsyncIterator[str]:
    async with fresh_pg_database() as url:
        yield url


async def test_sigkill_of_the_leader_mid_incident_shows_every_card_once(
    tmp_path: Path, pg_url: str
) -> None:
    payloads = storm(6, per_incident=6)  # baseline, degraded, updates, outage, restored
    async with Replicas(tmp_path, pg_url, CHANNELS) as rig:
        rig.page.set_payload(rig.path("openai"), payloads[0])
        await rig.subscribe_all()
        await rig.start(3)
        led = await rig.wait_led_once()
        leader = led["openai"]
        await rig.hold("openai", payloads[1])  # the incident opens: cards are posted
        await rig.hold("openai", payloads[2])
        rig.bots[leader].proc.send_signal(signal.SIGKILL)  # type: ignore[union-attr]
        survivors = [n for n in range(3) if n != leader]
        new = await rig.wait_led_once(survivors)
        assert new["openai"] != leader
        for payload in payloads[3:]:
            await rig.hold("openai", payload)  # polled by the new leader
        await rig.drain()
        figures = await rig.audit()

    assert figures.events == len(payloads) - 1  # every update announced once, none twice
    assert figures.channels == 2 * CHANNELS
    assert figures.expected == figures.seen > 0, figures.problems
    assert figures.clean, figures.as_dict()
    assert figures.undelivered_rows == 0, figures.problems


async def test_a_paused_replicas_source_moves_and_comes_back_shared(
    tmp_path: Path, pg_url: str
) -> None:
    interval, lease = 2.0, 1.5
    payloads = storm(2, per_incident=2)
    async with Replicas(
        tmp_path, pg_url, 2, sources=3, interval=interval, leader_lease=lease
    ) as rig:
        for provider in rig.providers:
            rig.page.set_payload(rig.path(provider), payloads[0])
        await rig.subscribe_all()
        await rig.start(3)
        # The first replica up leads everything until the others join; then it is shared.
        await until(lambda: _all_three_lead(rig), "the work shared by the three replicas", 30)
        led = await rig.wait_led_once()
        paused = led["anthropic"]
        rig.signal(paused, signal.SIGSTOP)
        stopped_at = time.monotonic()
        others = [n for n in range(3) if n != paused]
        moved = await rig.wait_led_once(others)
        took = time.monotonic() - stopped_at
        # Fail-over within two intervals (a loaded machine gets the tests' usual slack).
        assert took < 2 * interval * DEADLINE_SCALE, took
        assert moved["anthropic"] in others
        # The moved source is watched: its incident reaches the channels while `paused` sleeps.
        await rig.hold("anthropic", payloads[1])

        def carded() -> bool:
            return all(rig.slack.top_level(c) for c in rig.slack_channels)

        await until(carded, "the anthropic card in every Slack channel")
        rig.signal(paused, signal.SIGCONT)
        # The woken replica trusts none of its old leases: the work is shared again, each
        # source led exactly once.
        await until(lambda: _all_three_lead(rig), "the woken replica leading its share again", 30)
        await rig.hold("anthropic", payloads[2])
        await rig.drain()
        figures = await rig.audit()
    assert figures.expected == figures.seen > 0, figures.problems
    assert figures.clean, figures.as_dict()


async def _all_three_lead(rig: Replicas) -> bool:
    """Every source (and the Discord gateway) led exactly once, and the work spread: each
    replica leads one or two of the four."""
    found = await rig.leaders()
    once = all(len(found.get(p, [])) == 1 for p in rig.providers)
    owners = [n for who in found.values() for n in who]
    spread = sorted(owners.count(n) for n in range(3))
    await asyncio.sleep(0)
    return once and len(owners) == 4 and spread == [1, 1, 2]


async def test_two_replicas_split_the_discord_shards_and_serve_every_server(
    tmp_path: Path, pg_url: str
) -> None:
    payloads = storm(2, per_incident=2)
    async with Replicas(tmp_path, pg_url, 1, discord_guilds=2, discord_shards=2) as rig:
        rig.page.set_payload(rig.path("openai"), payloads[0])
        await rig.subscribe_all()
        await rig.start(2)  # replica n opens shard n
        await until(
            lambda: sorted(rig.discord.identified_shards) == [(0, 2), (1, 2)],
            "each replica's shard identified",
        )
        for channel in rig.discord_channels:
            # Each server's command arrives over its own shard, so at one replica only.
            reply = await until(lambda c=channel: _ask(rig, c), "an answer in each server")
            assert "Openai" in reply
        await until(lambda: _polled(rig), "the silent baseline poll")
        await rig.hold("openai", payloads[1])
        await rig.hold("openai", payloads[2])
        await rig.drain()
        figures = await rig.audit()
    assert figures.expected == figures.seen > 0, figures.problems
    assert figures.clean, figures.as_dict()


async def _ask(rig: Replicas, channel: int) -> str | None:
    try:
        reply = await rig.discord.interact("is-chatgpt-down", channel_id=channel)
    except (KeyError, TimeoutError):
        return None  # commands not synced yet
    return reply.text


async def _polled(rig: Replicas) -> bool:
    return await rig.version() >= 1


async def test_one_replica_holds_the_discord_gateway_and_a_killed_holder_hands_it_over(
    tmp_path: Path, pg_url: str
) -> None:
    async with Replicas(tmp_path, pg_url, 1) as rig:
        rig.page.set_payload(rig.path("openai"), storm(2)[0])
        await rig.subscribe_all()
        await rig.start(3)
        [holder] = await until(lambda: _gateway_holder(rig), "one replica holding the gateway")
        [channel] = rig.discord_channels
        assert await until(lambda: _ask(rig, channel), "an answer over the gateway")
        # Every gateway session hears every command: only one replica may hold one.
        assert rig.discord.connections() == 1
        rig.bots[holder].proc.send_signal(signal.SIGKILL)  # type: ignore[union-attr]
        others = [n for n in range(3) if n != holder]
        [new] = await until(lambda: _gateway_holder(rig, others), "the gateway handed over")
        assert new != holder
        assert await until(lambda: _ask(rig, channel), "an answer from the new holder")
        assert rig.discord.connections() == 1
        assert rig.discord.duplicate_acks == 0  # each command answered by one replica


async def _gateway_holder(rig: Replicas, among: list[int] | None = None) -> list[int] | None:
    """[the replica holding the Discord gateway], when exactly one does."""
    holders = (await rig.leaders(among)).get("discord:gateway", [])
    return holders if len(holders) == 1 else None
