"""Schema changes happen only when asked (`statusbot migrate`, or `run` at start), never from
a command that only looks, and processes sharing one PostgreSQL database take turns."""

from __future__ import annotations

import asyncio
import sqlite3
import sys
from pathlib import Path

import asyncpg

from bot.store.engine import HEAD_REVISION, SCHEMA_LOCK_KEY
from bot.store.store import Store
from fakes.statuspage import FakeStatusPage
from tests.botproc import ROOT, BotProcess, write_config
from tests.conftest import fixture_bytes, fresh_pg_database
from tests.test_cli import bot
from tests.waiting import until

SUMMARY = "/api/v2/summary.json"


def revision(db: Path) -> str | None:
    with sqlite3.connect(db) as conn:
        tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        if "alembic_version" not in tables:
            return None
        row = conn.execute("SELECT version_num FROM alembic_version").fetchone()
    return row[0] if row else None


def sqlite_config(tmp_path: Path) -> tuple[Path, Path]:
    db = tmp_path / "bot.db"
    return db, write_config(tmp_path / "c.yaml", {"store": {"url": f"sqlite+aiosqlite:///{db}"}})


def test_migrate_creates_then_finds_nothing_to_do(tmp_path: Path) -> None:
    db, config = sqlite_config(tmp_path)
    check = bot("migrate", "--check", "--config", str(config))
    assert check.returncode == 1
    assert "no database at" in check.stderr
    first = bot("migrate", "--config", str(config))
    assert first.returncode == 0, first.stderr
    assert first.stdout.strip() == f"schema: created at revision {HEAD_REVISION}"
    again = bot("migrate", "--config", str(config))
    assert again.stdout.strip() == f"schema: already at revision {HEAD_REVISION}, nothing to do"
    assert bot("migrate", "--check", "--config", str(config)).returncode == 0
    assert revision(db) == HEAD_REVISION


def test_read_only_commands_never_touch_the_schema(tmp_path: Path) -> None:
    db, config = sqlite_config(tmp_path)
    sqlite3.connect(db).close()  # an empty database file: no schema at all
    for command in (["status"], ["outbox", "list"], ["outbox", "retry", "1"]):
        result = bot(*command, "--config", str(config))
        assert result.returncode == 1, command
        assert "no statusbot schema yet" in result.stderr
        assert "Traceback" not in result.stderr
    with sqlite3.connect(db) as conn:
        assert conn.execute("SELECT count(*) FROM sqlite_master").fetchone()[0] == 0


def test_a_database_from_a_newer_version_is_refused_not_downgraded(tmp_path: Path) -> None:
    db, config = sqlite_config(tmp_path)
    assert bot("migrate", "--config", str(config)).returncode == 0
    with sqlite3.connect(db) as conn:
        conn.execute("UPDATE alembic_version SET version_num = '9999'")
    result = bot("status", "--config", str(config))
    assert result.returncode == 1
    assert "revision 9999, newer than this version's" in result.stderr
    assert revision(db) == "9999"


async def test_run_no_migrate_refuses_an_empty_database(tmp_path: Path) -> None:
    db, config = sqlite_config(tmp_path)
    sqlite3.connect(db).close()
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        "run",
        "--no-migrate",
        "--config",
        str(config),
        cwd=ROOT,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    _out, err = await asyncio.wait_for(process.communicate(), 60)
    assert process.returncode == 1
    assert b"run `statusbot migrate`" in err
    assert revision(db) is None


async def _waiting_for_schema_lock(dsn: str, database: str) -> int:
    conn = await asyncpg.connect(dsn)
    try:
        count = await conn.fetchval(
            "SELECT count(*) FROM pg_locks l JOIN pg_database d ON d.oid = l.database "
            "WHERE l.locktype = 'advisory' AND NOT l.granted AND d.datname = $1",
            database,
        )
    finally:
        await conn.close()
    return int(count)


async def _hold_schema_lock(dsn: str) -> asyncpg.Connection:
    """Take the schema lock as a bot process would, so that others line up behind it."""
    conn = await asyncpg.connect(dsn)
    await conn.execute("SELECT pg_advisory_lock($1)", SCHEMA_LOCK_KEY)
    return conn


async def test_two_migrations_at_once_on_empty_postgresql_take_turns(tmp_path: Path) -> None:
    async with fresh_pg_database() as url:
        dsn = url.replace("postgresql+asyncpg", "postgresql")
        name = url.rsplit("/", 1)[1]
        config = write_config(tmp_path / "pg.yaml", {"store": {"url": url}})
        holder = await _hold_schema_lock(dsn)
        processes = [
            await asyncio.create_subprocess_exec(
                sys.executable,
                "-m",
                "bot",
                "migrate",
                "--config",
                str(config),
                cwd=ROOT,
                stdout=asyncio.subprocess.PIPE,
                stderr=asyncio.subprocess.PIPE,
            )
            for _ in range(2)
        ]
        # Both are inside `migrate` at the same moment, each waiting for the other's turn.
        await until(lambda: _both_waiting(dsn, name), "both at the schema lock", within=60)
        await holder.close()
        results = [await asyncio.wait_for(p.communicate(), 60) for p in processes]
        assert [p.returncode for p in processes] == [0, 0], [err for _, err in results]
        said = sorted(out.decode().strip() for out, _ in results)
        assert said == [
            f"schema: already at revision {HEAD_REVISION}, nothing to do",
            f"schema: created at revision {HEAD_REVISION}",
        ]
        store = Store(url)
        try:
            assert await store.schema_revision() == HEAD_REVISION
        finally:
            await store.aclose()


async def _both_waiting(dsn: str, name: str) -> bool:
    return await _waiting_for_schema_lock(dsn, name) == 2


async def test_two_bots_starting_on_one_empty_postgresql_both_run(tmp_path: Path) -> None:
    async with fresh_pg_database() as url, FakeStatusPage() as page:
        page.set_payload(SUMMARY, fixture_bytes("openai_summary_2026-09-24_operational.json"))
        dsn = url.replace("postgresql+asyncpg", "postgresql")
        name = url.rsplit("/", 1)[1]
        config = write_config(
            tmp_path / "pg.yaml",
            {
                "store": {"url": url},
                "providers": {
                    "openai": {
                        "name": "OpenAI",
                        "sources": [
                            {"kind": "statuspage", "url": page.url(SUMMARY), "interval": 1}
                        ],
                    }
                },
            },
        )
        holder = await _hold_schema_lock(dsn)
        bots = [await BotProcess(config).start() for _ in range(2)]
        try:
            await until(lambda: _both_waiting(dsn, name), "both bots at the schema", within=60)
            await holder.close()
            for process in bots:
                await until(
                    lambda p=process: any("statusbot started" in line for line in p.stderr),
                    "each bot to start",
                    within=60,
                )
            for process in bots:
                assert await process.terminate() == 0
                assert not any("Traceback" in line for line in process.stderr), process.stderr
        finally:
            for process in bots:
                await process.kill()
