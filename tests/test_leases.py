"""Replicas on one PostgreSQL database divide the sources; a silent one's sources move."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime

import pytest
import sqlalchemy as sa

from bot.leadership import Leadership
from bot.store import schema
from bot.store.store import Store
from tests.conftest import fresh_pg_database

SOURCES = [f"poll:source-{n}" for n in range(5)]


@pytest.fixture
async def pg_store() -> AsyncIterator[Store]:
    async with fresh_pg_database() as url:
        store = Store(url)
        await store.initialize()
        try:
            yield store
        finally:
            await store.aclose()


def replica(store: Store, name: str, ttl: float = 1.5) -> Leadership:
    return Leadership(SOURCES, store.leases, ttl, name=name)


async def settle(*replicas: Leadership, rounds: int = 3) -> None:
    for _ in range(rounds):
        for r in replicas:
            await r.refresh()


async def test_every_source_is_led_by_exactly_one_replica(pg_store: Store) -> None:
    a, b, c = (replica(pg_store, n) for n in "abc")
    await settle(a, b, c)
    leading = [set(r.leading) for r in (a, b, c)]
    assert set().union(*leading) == set(SOURCES)
    assert sum(len(x) for x in leading) == len(SOURCES)  # nobody leads a source twice
    assert sorted(len(x) for x in leading) == [1, 2, 2]  # the work is shared evenly
    assert a.members == b.members == c.members == 3


async def test_a_silent_replicas_sources_move_once_its_lease_expires(pg_store: Store) -> None:
    a, b = replica(pg_store, "a"), replica(pg_store, "b")
    await settle(a, b)
    silent = set(b.leading)
    assert silent
    assert not silent & set(a.leading)
    # b stops renewing (killed, or paused): a takes its sources after the lease runs out.
    await asyncio.sleep(b.ttl_s + 0.2)
    assert b.leading == []  # b itself no longer trusts leases it could not renew
    await a.refresh()
    assert set(a.leading) == set(SOURCES)
    # b wakes up: it finds the work taken and leads nothing until the split is fair again.
    await b.refresh()
    assert not set(b.leading) & set(a.leading)
    await settle(a, b)
    assert sorted([len(a.leading), len(b.leading)]) == [2, 3]


async def test_a_clean_stop_hands_over_at_once(pg_store: Store) -> None:
    a, b = replica(pg_store, "a", ttl=60), replica(pg_store, "b", ttl=60)
    await settle(a, b)
    await b.release()
    await a.refresh()
    assert set(a.leading) == set(SOURCES)


async def test_replicas_gone_for_a_day_are_forgotten(pg_store: Store) -> None:
    a, b = replica(pg_store, "a"), replica(pg_store, "b")
    await settle(a, b)
    await b.release()
    async with pg_store.db.engine.begin() as conn:
        await conn.execute(
            schema.leases.insert().values(
                name="member:long-gone",
                holder="long-gone",
                expires_at=datetime(2020, 1, 1, tzinfo=UTC),
            )
        )
    await a.refresh()
    assert not {"member:long-gone", "member:b"} & set(await _names(pg_store))
    assert "member:a" in await _names(pg_store)


async def _names(store: Store) -> list[str]:
    async with store.db.engine.connect() as conn:
        return list((await conn.execute(sa.select(schema.leases.c.name))).scalars())


async def test_one_process_on_sqlite_leads_everything() -> None:
    sole = Leadership(SOURCES, None, 20)
    await sole.refresh()
    assert sole.leading == sorted(SOURCES)
