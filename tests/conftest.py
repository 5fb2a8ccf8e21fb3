"""Shared fixtures: stores on SQLite and on the real PostgreSQL server, fixture payloads; the
network guard (tests/netguard) keeps every test and every process it starts on 127.0.0.1."""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import pytest
from hypothesis import Phase, settings

from bot.store.store import Store

pytest_plugins = ("tests.netguard.plugin",)

# Under `make mutation` (mutmut sets MUTANT_UNDER_TEST) a property only has to fail: shrinking
# the failing example would cost minutes per mutant.
settings.register_profile("mutation", phases=[Phase.explicit, Phase.reuse, Phase.generate])
if os.environ.get("MUTANT_UNDER_TEST"):
    settings.load_profile("mutation")

FIXTURES = Path(__file__).parent / "fixtures"
PG_ADMIN_DSN = "postgresql://postgres@127.0.0.1:5432/test"


def fixture_bytes(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


async def _pg_admin(sql: str) -> None:
    import asyncpg

    conn = await asyncpg.connect(PG_ADMIN_DSN, timeout=3)
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


async def _pg_reachable() -> str | None:
    """None when PostgreSQL answers, else the reason it does not."""
    try:
        await _pg_admin("SELECT 1")
    except Exception as exc:  # noqa: BLE001 - any failure means "skip, and say why"
        return f"PostgreSQL at 127.0.0.1:5432 is not reachable ({type(exc).__name__}: {exc})"
    return None


_PG_PROBLEM: list[str | None] = []


async def pg_problem() -> str | None:
    if not _PG_PROBLEM:
        _PG_PROBLEM.append(await _pg_reachable())
    return _PG_PROBLEM[0]


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite+aiosqlite:///{tmp_path / 'statusbot.db'}"


@pytest.fixture(params=["sqlite", "postgresql"])
async def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[str]:
    if request.param == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_path / 'statusbot.db'}"
        return
    async with fresh_pg_database() as url:
        yield url


@asynccontextmanager
async def fresh_pg_database() -> AsyncIterator[str]:
    """A new PostgreSQL database for one test, dropped afterwards; skips if unreachable."""
    problem = await pg_problem()
    if problem:
        pytest.skip(problem)
    name = f"statusbot_{uuid.uuid4().hex[:12]}"
    await _pg_admin(f'CREATE DATABASE "{name}"')
    try:
        yield f"postgresql+asyncpg://postgres@127.0.0.1:5432/{name}"
    finally:
        await _pg_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
async def store(store_url: str) -> AsyncIterator[Store]:
    store = Store(store_url)
    await store.initialize()
    try:
        yield store
    finally:
        await store.aclose()
