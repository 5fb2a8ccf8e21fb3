"""Leases: which replica leads which piece of work, until when.

A lease is a row (name, holder, expires_at). A holder renews its own leases and may take a
lease nobody holds or whose time is up; a replica that dies or hangs stops renewing, and its
leases pass to the others once they expire. Times are the database's clock (PostgreSQL
`now()`), so the replicas' own clocks need not agree.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.store import schema
from bot.store.engine import Database
from bot.store.records import as_utc

# An expiry in the past: a lease row that nobody holds.
NEVER = datetime(1970, 1, 1, tzinfo=UTC)
MEMBER = "member:"


class LeaseRepository:
    """Reads and writes the `leases` table."""

    def __init__(self, db: Database) -> None:
        self.db = db

    def _now(self) -> Any:
        if self.db.engine.dialect.name == "postgresql":
            return sa.func.now()
        return sa.literal(datetime.now(UTC), schema.UTC_TIME)

    async def _ensure_rows(self, conn: AsyncConnection, names: Iterable[str]) -> None:
        rows = [{"name": n, "holder": "", "expires_at": NEVER} for n in names]
        if not rows:
            return
        insert = pg_insert if self.db.engine.dialect.name == "postgresql" else sqlite_insert
        await conn.execute(
            insert(schema.leases).values(rows).on_conflict_do_nothing(index_elements=["name"])
        )

    async def keep(
        self, holder: str, work: Iterable[str], ttl_s: float, share: int | None = None
    ) -> tuple[set[str], int]:
        """Renew `holder`'s membership and its leases among `work`, take free ones up to
        its fair share, give back the excess; returns (the work it leads, live members).

        The fair share is the work divided among the live members, rounded up, unless
        `share` says otherwise.
        """
        table = schema.leases
        wanted = sorted(set(work))
        now = self._now()
        until = now + timedelta(seconds=ttl_s)
        async with self.db.engine.begin() as conn:
            # Every start is a new member: forget those gone for a day.
            await conn.execute(
                table.delete().where(
                    table.c.name.startswith(MEMBER),
                    table.c.expires_at < now - timedelta(days=1),
                )
            )
            await self._ensure_rows(conn, [MEMBER + holder, *wanted])
            await conn.execute(
                table.update()
                .where(table.c.name == MEMBER + holder)
                .values(holder=holder, expires_at=until)
            )
            members = int(
                await conn.scalar(
                    sa.select(sa.func.count())
                    .select_from(table)
                    .where(table.c.name.startswith(MEMBER), table.c.expires_at > now)
                )
                or 1
            )
            fair = share if share is not None else -(-len(wanted) // max(1, members))
            renewed = await conn.execute(
                table.update()
                .where(table.c.name.in_(wanted), table.c.holder == holder, table.c.expires_at > now)
                .values(expires_at=until)
                .returning(table.c.name)
            )
            held = set(renewed.scalars())
            fewest = await self._fewest_held(conn, wanted, now) if share is None else 0
            if len(held) > fair:
                excess = sorted(held)[fair:]
                await self._give_back(conn, holder, excess)
                held -= set(excess)
            elif share is None and len(held) >= fewest + 2:
                # Fair in count but not in spread (2, 2, 0): one goes to the idle member.
                excess = sorted(held)[-1:]
                await self._give_back(conn, holder, excess)
                held -= set(excess)
            elif len(held) < fair:
                free = (
                    sa.select(table.c.name)
                    .where(
                        table.c.name.in_(wanted),
                        table.c.expires_at <= now,
                    )
                    .order_by(table.c.name)
                    .limit(fair - len(held))
                    .with_for_update(skip_locked=True)
                )
                taken = await conn.execute(
                    table.update()
                    .where(table.c.name.in_(free.scalar_subquery()))
                    .values(holder=holder, expires_at=until)
                    .returning(table.c.name)
                )
                held |= set(taken.scalars())
        return held, members

    async def _fewest_held(self, conn: AsyncConnection, wanted: list[str], now: Any) -> int:
        """The fewest leases among `wanted` that any live member holds."""
        table = schema.leases
        members = {
            name.removeprefix(MEMBER)
            for name in (
                await conn.execute(
                    sa.select(table.c.name).where(
                        table.c.name.startswith(MEMBER), table.c.expires_at > now
                    )
                )
            ).scalars()
        }
        rows = await conn.execute(
            sa.select(table.c.holder, sa.func.count())
            .where(table.c.name.in_(wanted), table.c.expires_at > now)
            .group_by(table.c.holder)
        )
        counts: dict[str, int] = {str(holder): int(n) for holder, n in rows}
        return min((counts.get(m, 0) for m in members), default=0)

    async def release(self, holder: str, names: Iterable[str] = ()) -> None:
        """Give back `names` (all the holder's leases, membership included, when empty)."""
        async with self.db.engine.begin() as conn:
            await self._give_back(conn, holder, list(names) or None)

    async def _give_back(self, conn: AsyncConnection, holder: str, names: list[str] | None) -> None:
        table = schema.leases
        query = table.update().where(table.c.holder == holder)
        if names is not None:
            query = query.where(table.c.name.in_(names))
        await conn.execute(query.values(holder="", expires_at=NEVER))

    async def holders(self) -> dict[str, tuple[str, datetime]]:
        """Every live lease: name -> (holder, expires at)."""
        table = schema.leases
        async with self.db.engine.connect() as conn:
            rows = (
                await conn.execute(sa.select(table).where(table.c.expires_at > self._now()))
            ).all()
        out: dict[str, tuple[str, datetime]] = {}
        for row in rows:
            expires = as_utc(row.expires_at)
            assert expires is not None
            out[row.name] = (row.holder, expires)
        return out
