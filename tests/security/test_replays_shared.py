"""The replay record is the store's: two bot processes on one database refuse each other's
replays (SQLite file and PostgreSQL alike)."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from bot.store.store import Store

KEEP = timedelta(minutes=6)


async def test_a_request_handled_by_one_replica_is_a_replay_for_another(
    store: Store, store_url: str
) -> None:
    other = Store(store_url)
    await other.initialize()
    try:
        assert await store.replays.first_time("1764460800", "v0=abc", KEEP)
        assert not await other.replays.first_time("1764460800", "v0=abc", KEEP)
        # Both replicas receiving the same request at once: exactly one handles it.
        both = await asyncio.gather(
            store.replays.first_time("1764460801", "v0=def", KEEP),
            other.replays.first_time("1764460801", "v0=def", KEEP),
        )
        assert sorted(both) == [False, True]
    finally:
        await other.aclose()
